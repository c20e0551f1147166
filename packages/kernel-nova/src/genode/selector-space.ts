import { NUM_SEL } from '../constants.js';
import { KernelNovaError } from '../errors.js';

/**
 * The allocator of one PD's object-space selectors, kept by core as Genode's base-nova keeps its
 * capability-selector map: naturally aligned blocks of 2^order selectors (exception windows of
 * 32, vCPU windows of 256, receive windows of 4, single capabilities), freed selectors reused.
 * Selectors below `first` stay reserved (base-nova: `NUM_INITIAL_PT_RESERVED` = 64).
 */
export class SelectorSpace {
  #next: number;
  readonly #limit: number;
  readonly #free = new Map<number, number[]>();

  constructor(first: number, limit: number = NUM_SEL) {
    this.#next = first;
    this.#limit = limit;
  }

  /** A free, naturally aligned block of `2^order` selectors; returns its base. */
  alloc(order = 0): number {
    const reused = this.#free.get(order)?.pop();
    if (reused !== undefined) return reused;
    const size = 2 ** order;
    const base = Math.ceil(this.#next / size) * size;
    if (base + size > this.#limit) {
      throw new KernelNovaError('INTERNAL', `object space exhausted (block of ${size} selectors)`);
    }
    // The gap below an aligned block becomes single selectors.
    for (let s = this.#next; s < base; s++) this.free(s, 0);
    this.#next = base + size;
    return base;
  }

  /** Return a block allocated with the same `order`. */
  free(sel: number, order = 0): void {
    let list = this.#free.get(order);
    if (list === undefined) {
      list = [];
      this.#free.set(order, list);
    }
    list.push(sel);
  }
}
