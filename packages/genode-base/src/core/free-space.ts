import { AvlTree, compareNumbers } from '../util/avl-tree.js';

interface SizeKey {
  readonly size: number;
  readonly base: number;
}

function compareSizeKeys(a: SizeKey, b: SizeKey): number {
  return a.size - b.size || a.base - b.base;
}

/**
 * The free part of a region map's range, indexed twice: by address (exact placement, coalescing)
 * and by size (best-fit placement). Every operation is O(log n) in the number of free blocks,
 * except that a best-fit search skips blocks too small to hold an aligned range.
 */
export class Free_space {
  readonly #byAddr = new AvlTree<number, number>(compareNumbers);
  readonly #bySize = new AvlTree<SizeKey, number>(compareSizeKeys);

  /** Number of free blocks. */
  get blocks(): number {
    return this.#byAddr.size;
  }

  /** Add a free range, coalescing with neighbours. The range must not overlap free space. */
  add(base: number, size: number): void {
    let b = base;
    let s = size;
    const prev = this.#byAddr.floor(base);
    if (prev !== undefined && prev.key + prev.value === base) {
      this.#remove(prev.key, prev.value);
      b = prev.key;
      s += prev.value;
    }
    const next = this.#byAddr.get(base + size);
    if (next !== undefined) {
      this.#remove(base + size, next);
      s += next;
    }
    this.#insert(b, s);
  }

  /** Whether `[at, at+size)` lies entirely in one free block. */
  fits_at(at: number, size: number): boolean {
    const block = this.#byAddr.floor(at);
    return block !== undefined && at + size <= block.key + block.value;
  }

  /** Take `[at, at+size)`, which must satisfy {@link fits_at}. */
  take(at: number, size: number): void {
    const block = this.#byAddr.floor(at)!;
    this.#remove(block.key, block.value);
    if (at > block.key) this.#insert(block.key, at - block.key);
    const end = at + size;
    const blockEnd = block.key + block.value;
    if (end < blockEnd) this.#insert(end, blockEnd - end);
  }

  /**
   * Best fit: the smallest free block that holds `size` bytes at a `2^align`-aligned address
   * (ties: lowest block), and the lowest such address in it. Does not take the range.
   */
  find_aligned(size: number, align: number): number | undefined {
    const unit = 2 ** align;
    for (const e of this.#bySize.entries({ size, base: -1 })) {
      const base = e.key.base;
      const start = Math.ceil(base / unit) * unit;
      if (start + size <= base + e.key.size) return start;
    }
    return undefined;
  }

  /** Free blocks in address order (tests and diagnostics). */
  *ranges(): Generator<{ base: number; size: number }, void, undefined> {
    for (const e of this.#byAddr.entries()) yield { base: e.key, size: e.value };
  }

  #insert(base: number, size: number): void {
    this.#byAddr.set(base, size);
    this.#bySize.set({ size, base }, base);
  }

  #remove(base: number, size: number): void {
    this.#byAddr.delete(base);
    this.#bySize.delete({ size, base });
  }
}
