import { PAGE_SIZE_LOG2 } from '../types.js';

/** A backed guest-physical region as the NPT handler sees it (Seoul's `MessageMemRegion`). */
export interface Backed_region {
  /** Guest-physical base (page aligned). */
  readonly gpa: number;
  /** Size in bytes (a multiple of the page size). */
  readonly size: number;
  /** VMM-local address of `gpa` (page aligned): where the VMM sees the backing store. */
  readonly local: number;
}

/** The VMM's own mapping around a local address (`Nova::lookup`): `[virt, virt + size)`. */
export interface Local_mapping {
  readonly virt: number;
  readonly size: number;
}

/** A block to delegate: `2^log2` bytes from VMM-local `local` to guest-physical `gpa`. */
export interface Npt_block {
  readonly local: number;
  readonly gpa: number;
  readonly log2: number;
}

/** The input of {@link chooseNptBlock}. */
export interface Npt_block_input {
  /** The faulting guest-physical address (inside `region`). */
  readonly gpa: number;
  readonly region: Backed_region;
  /**
   * The VMM's mapping of the faulting page's backing store (after the touch); the block never
   * leaves it, because a delegation can only pass on what the VMM has. Omitted: the region
   * bounds alone.
   */
  readonly mapping?: Local_mapping;
  /** The largest order the kernel delegates (default 52). */
  readonly maxLog2?: number;
}

function floorTo(x: number, log2: number): number {
  const size = 2 ** log2;
  return Math.floor(x / size) * size;
}

/**
 * Seoul's `max_map_crd` (repos/ports/src/app/seoul/main.cc, `_handle_map_memory`): the largest
 * block around the faulting page that is naturally aligned both in the VMM's address space and
 * in guest-physical space, and lies inside the backed region and inside the VMM's own mapping.
 * Starting from one page, the order grows while all four constraints hold (each holds for every
 * smaller order once it holds for a larger one, so the first failure ends the search and the
 * result is maximal).
 *
 * @example
 * ```ts
 * // RAM [1 MiB, 16 MiB) seen by the VMM at 0x1_0010_0000: a fault at 5 MiB maps [4 MiB, 8 MiB)
 * chooseNptBlock({ gpa: 0x500000, region: { gpa: 0x100000, size: 15 << 20, local: 0x100100000 } });
 * // → { local: 0x100400000, gpa: 0x400000, log2: 22 }
 * ```
 */
export function chooseNptBlock(input: Npt_block_input): Npt_block {
  const { gpa, region } = input;
  const maxLog2 = input.maxLog2 ?? 52;
  const delta = region.local - region.gpa; // local = gpa + delta
  let lo = region.gpa;
  let hi = region.gpa + region.size;
  if (input.mapping !== undefined) {
    lo = Math.max(lo, input.mapping.virt - delta);
    hi = Math.min(hi, input.mapping.virt + input.mapping.size - delta);
  }
  let log2 = PAGE_SIZE_LOG2;
  while (log2 < maxLog2) {
    const next = log2 + 1;
    const size = 2 ** next;
    const base = floorTo(gpa, next);
    // co-aligned: the block's local base is aligned too, i.e. delta is a multiple of the size
    if (delta % size !== 0) break;
    if (base < lo || base + size > hi) break;
    log2 = next;
  }
  const base = floorTo(gpa, log2);
  return { local: base + delta, gpa: base, log2 };
}
