/** log2 of the page size the VMM utilities work in (`Vmm::PAGE_SIZE_LOG2`). */
export const PAGE_SIZE_LOG2 = 12;

/**
 * The page size the VMM utilities work in: 4 KiB.
 *
 * Genode's `repos/ports/include/vmm/types.h` (2013–2025) defines
 * `Vmm::PAGE_SIZE = PAGE_SIZE_LOG2 << 12`, which evaluates to 12 · 4096 = 0xC000, not 4096
 * (spec/genode.md §4.1). Its only user was `Virtual_reservation`, where the slip is
 * self-consistent (it reserved `[0xC000, vm_size)` at identity offset and left
 * `[0x1000, 0xC000)` unreserved). genode-ts uses the intended value; the slipped one is
 * {@link GENODE_VMM_PAGE_SIZE_SLIP}, kept for anyone reproducing Genode's exact layout.
 */
export const PAGE_SIZE: number = 1 << PAGE_SIZE_LOG2;

/** What Genode's `Vmm::PAGE_SIZE` actually evaluated to: `PAGE_SIZE_LOG2 << 12` = 0xC000. */
export const GENODE_VMM_PAGE_SIZE_SLIP: number = PAGE_SIZE_LOG2 << 12;
