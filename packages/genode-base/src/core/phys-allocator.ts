import { AvlTree, compareNumbers } from '../util/avl-tree.js';
import { alignedLog2, log2Floor } from '../util/log2.js';

/**
 * Core's physical-memory allocator: page-granular ranges of the machine's RAM buffer.
 *
 * Allocation follows core's RAM-dataspace factory (spec/genode.md §3.1 step 6): naturally aligned
 * to `log2(size)` if possible, then with successively weaker alignment down to 4 KiB; within one
 * alignment the lowest fitting address wins (the model has no memory above 4 GiB to prefer).
 */
export class Phys_allocator {
  /** Free blocks by base address; value = size. */
  readonly #free = new AvlTree<number, number>(compareNumbers);
  #avail = 0;

  /** Add a range of allocatable memory. */
  add_range(base: number, size: number): void {
    this.#insertFree(base, size);
  }

  /** Bytes currently free. */
  get avail(): number {
    return this.#avail;
  }

  /** Allocate `size` bytes (a multiple of 4 KiB); returns the base or undefined. */
  alloc(size: number): number | undefined {
    for (let align = Math.min(log2Floor(size), 52); align >= 12; align--) {
      const base = this.#allocAligned(size, align);
      if (base !== undefined) return base;
    }
    return undefined;
  }

  /** Return a range obtained from `alloc`. */
  free(base: number, size: number): void {
    this.#insertFree(base, size);
  }

  #allocAligned(size: number, align: number): number | undefined {
    const unit = 2 ** align;
    for (const e of this.#free.entries()) {
      const start = Math.ceil(e.key / unit) * unit;
      if (start + size <= e.key + e.value) {
        this.#take(e.key, e.value, start, size);
        return start;
      }
    }
    return undefined;
  }

  #take(blockBase: number, blockSize: number, start: number, size: number): void {
    this.#free.delete(blockBase);
    this.#avail -= blockSize;
    if (start > blockBase) this.#insertRaw(blockBase, start - blockBase);
    const end = start + size;
    if (end < blockBase + blockSize) this.#insertRaw(end, blockBase + blockSize - end);
  }

  #insertRaw(base: number, size: number): void {
    this.#free.set(base, size);
    this.#avail += size;
  }

  #insertFree(base: number, size: number): void {
    if (!alignedLog2(base, 12) || !alignedLog2(size, 12) || size === 0) {
      throw new RangeError(`physical range not page-granular: ${base}+${size}`);
    }
    let b = base;
    let s = size;
    const prev = this.#free.floor(b);
    if (prev !== undefined && prev.key + prev.value > b)
      throw new RangeError('double free of physical memory');
    if (prev !== undefined && prev.key + prev.value === b) {
      this.#free.delete(prev.key);
      this.#avail -= prev.value;
      b = prev.key;
      s += prev.value;
    }
    const next = this.#free.ceiling(base);
    if (next !== undefined && next.key < base + size) throw new RangeError('double free of physical memory');
    if (next !== undefined && next.key === base + size) {
      this.#free.delete(next.key);
      this.#avail -= next.value;
      s += next.value;
    }
    this.#insertRaw(b, s);
  }
}
