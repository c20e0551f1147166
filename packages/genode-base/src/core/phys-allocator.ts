import { AvlTree, compareNumbers } from '../util/avl-tree.js';
import { alignedLog2, log2Floor } from '../util/log2.js';

/** A page-granular physical range. */
export interface Phys_range {
  readonly base: number;
  readonly size: number;
}

/**
 * Core's physical-memory allocator: page-granular ranges of the machine's RAM buffer.
 *
 * Allocation follows core's RAM-dataspace factory (spec/genode.md §3.1 step 6): naturally aligned
 * to `log2(size)` if possible, then with successively weaker alignment down to 4 KiB; within one
 * alignment the lowest fitting address wins (the model has no memory above 4 GiB to prefer).
 *
 * It also remembers which free memory has been handed out before (`dirty`): ranges added with
 * `add_range` read zero (the kernel interface's contract), so core zero-fills only what
 * `take_dirty` reports. A frame nobody ever used is never written by core, and the host never
 * commits it (a 2 GiB guest that touches 10 MiB costs about 10 MiB).
 */
export class Phys_allocator {
  /** Free blocks by base address; value = size. */
  readonly #free = new AvlTree<number, number>(compareNumbers);
  /** Free ranges that held data (freed after an allocation), by base; value = size. */
  readonly #dirty = new AvlTree<number, number>(compareNumbers);
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

  /** Return a range obtained from `alloc`; its contents count as dirty until `take_dirty`. */
  free(base: number, size: number): void {
    this.#insertFree(base, size);
    let b = base;
    let s = size;
    const prev = this.#dirty.floor(b);
    if (prev !== undefined && prev.key + prev.value === b) {
      this.#dirty.delete(prev.key);
      b = prev.key;
      s += prev.value;
    }
    const next = this.#dirty.ceiling(base + size);
    if (next !== undefined && next.key === base + size) {
      this.#dirty.delete(next.key);
      s += next.value;
    }
    this.#dirty.set(b, s);
  }

  /**
   * The parts of `[base, base+size)` (just allocated) that may hold old data, in address order;
   * they count as clean afterwards, so the caller must zero them.
   */
  take_dirty(base: number, size: number): Phys_range[] {
    const end = base + size;
    const hit: Phys_range[] = [];
    const first = this.#dirty.floor(base);
    if (first !== undefined && first.key + first.value > base)
      hit.push({ base: first.key, size: first.value });
    for (
      let e = this.#dirty.ceiling(base);
      e !== undefined && e.key < end;
      e = this.#dirty.ceiling(e.key + e.value)
    ) {
      if (e.key !== first?.key) hit.push({ base: e.key, size: e.value });
    }
    const out: Phys_range[] = [];
    for (const r of hit) {
      this.#dirty.delete(r.base);
      const lo = Math.max(r.base, base);
      const hi = Math.min(r.base + r.size, end);
      if (r.base < lo) this.#dirty.set(r.base, lo - r.base);
      if (hi < r.base + r.size) this.#dirty.set(hi, r.base + r.size - hi);
      out.push({ base: lo, size: hi - lo });
    }
    return out;
  }

  /** Bytes of free memory that held data (zeroed when allocated again). */
  get dirty(): number {
    let n = 0;
    for (const e of this.#dirty.entries()) n += e.value;
    return n;
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
