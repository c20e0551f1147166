import type { Fault } from '../base/region-map.js';
import type { KernelThread } from '../kernel/kernel.js';

/** The fault record of an idle faulter. */
export const NO_FAULT: Fault = Object.freeze({ type: 'NONE', addr: 0 });

/** Where a faulter is queued. */
export interface Faulter_queue {
  discard_faulter(faulter: Rm_faulter): void;
}

/**
 * Core's `Rm_faulter`: a thread's role as a member of some region map's faulter FIFO. It
 * remembers the fault (in the coordinates of the map where the lookup ended) until an attach
 * covering the address wakes it.
 */
export class Rm_faulter {
  readonly thread: KernelThread;
  fault: Fault = NO_FAULT;
  faulting_rm: Faulter_queue | null = null;
  /** The thread was stopped for good (unresolvable fault without handler). */
  stopped = false;
  readonly #wake: () => void;

  constructor(thread: KernelThread, wake: () => void) {
    this.thread = thread;
    this.#wake = wake;
  }

  /** Whether the recorded fault lies in `[addr, addr+size)`. */
  fault_in_addr_range(addr: number, size: number): boolean {
    return this.fault.addr >= addr && this.fault.addr <= addr + size - 1;
  }

  /** Answer the pending fault: the thread retries its access. */
  continue_after_resolved_fault(): void {
    this.faulting_rm = null;
    this.fault = NO_FAULT;
    this.#wake();
  }

  /** Leave the queue of the faulting region map (thread or map destruction). */
  dissolve_from_faulting_region_map(): void {
    this.faulting_rm?.discard_faulter(this);
    this.faulting_rm = null;
  }
}
