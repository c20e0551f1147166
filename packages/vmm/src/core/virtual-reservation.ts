import { type Env, GenodeError, Region_map_client, Rm_connection } from '@genode-ts/genode-base';
import { PAGE_SIZE } from '../types.js';

/**
 * `Vmm::Virtual_reservation` (repos/ports/include/vmm/guest_memory.h, 2017 form): a managed
 * dataspace of `vm_size` bytes from a private `Rm_connection`, attached into the VMM's own
 * address space at `PAGE_SIZE` with offset `PAGE_SIZE`, so that VMM-local address X is
 * guest-physical address X for every X ≥ PAGE_SIZE. The zero page stays out: core refuses to
 * attach anything there.
 *
 * Why a colocated VMM needs it: when the VM shares the VMM's protection domain (`Vcpu_same_pd`),
 * NOVA keeps one mapping database per PD for the host *and* the guest page table; a guest page X
 * delegated with the G flag occupies slot X of the VMM's own memory space. The reservation keeps
 * Genode from putting anything of the VMM (heap, ROMs, stacks, the guest-RAM backing store) into
 * `[PAGE_SIZE, vm_size)`: those slots are the guest's. Nothing is ever attached into the
 * reservation; the VMM reaches guest RAM through its backing store elsewhere (Seoul's
 * `Guest_memory`, here {@link Guest_memory}) and delegates it to the guest slot by slot.
 *
 * PAGE_SIZE is 4096 here. Genode's `vmm/types.h` says `PAGE_SIZE = PAGE_SIZE_LOG2 << 12`,
 * which is 12 · 4096 = 0xC000; the reservation then covered `[0xC000, vm_size)` (still at
 * identity offset) and left `[0x1000, 0xC000)` of the VMM unreserved (spec/genode.md §4.1).
 * genode-ts uses the intended value; `GENODE_VMM_PAGE_SIZE_SLIP` keeps the slipped one.
 *
 * @example
 * ```ts
 * const reservation = new Virtual_reservation(env, 64 << 20); // [0x1000, 64 MiB) reserved
 * // … a colocated VM …
 * reservation.destroy(); // ~Virtual_reservation: detach
 * ```
 */
export class Virtual_reservation {
  readonly #env: Env;
  readonly #rm: Rm_connection;
  readonly #map: Region_map_client;
  readonly #attached: boolean;
  #destroyed = false;
  /** The reservation's size (`vm_size`): guest-physical addresses below it are reserved. */
  readonly vm_size: number;

  constructor(env: Env, vm_size: number) {
    this.#env = env;
    this.vm_size = vm_size;
    this.#rm = new Rm_connection(env, 'guest-physical reservation');
    this.#map = new Region_map_client(env, this.#rm.create(vm_size));
    let attached = false;
    try {
      // Attach the reservation at the beginning of the local address space. The very first page
      // stays out because core denies the attachment of anything at the zero page.
      env.rm().attach_at(this.#map.dataspace(), PAGE_SIZE, 0, PAGE_SIZE);
      attached = true;
    } catch (e) {
      if (!(e instanceof GenodeError && e.code === 'Region_conflict')) throw e;
      env.error('region conflict while attaching guest-physical memory');
    }
    this.#attached = attached;
  }

  /** Whether the reservation is in place (false after a region conflict). */
  attached(): boolean {
    return this.#attached && !this.#destroyed;
  }

  /** The reserved VMM-local range `[PAGE_SIZE, vm_size)`. */
  range(): { readonly start: number; readonly end: number } {
    return { start: PAGE_SIZE, end: this.vm_size };
  }

  /** The reservation's region map (empty by design). */
  region_map(): Region_map_client {
    return this.#map;
  }

  /** `~Virtual_reservation`: detach from the VMM's address space and close the RM session. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#attached) this.#env.rm().detach(PAGE_SIZE);
    this.#rm.close();
  }
}
