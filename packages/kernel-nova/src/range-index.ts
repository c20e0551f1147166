import { alignDown, pow2 } from './word.js';

/** Something that covers the naturally aligned range `[base, base + 2^order)`. */
export interface Ranged {
  readonly base: number;
  readonly order: number;
}

/**
 * An index of non-overlapping, naturally aligned ranges (capability nodes, page-table entries)
 * keyed by their first selector. Point lookups probe one aligned base per order in use; range
 * queries probe or scan, whichever is cheaper. Used for every capability space and every derived
 * page table.
 */
export class RangeIndex<N extends Ranged> {
  private readonly map = new Map<number, N>();
  private readonly counts: number[] = [];
  private orders: number[] = [];
  /** Last entry `find` returned (sequential lookups hit it). */
  private last: N | undefined = undefined;

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  /** All entries in insertion order. */
  values(): IterableIterator<N> {
    return this.map.values();
  }

  /** The entry covering selector `sel`, if any. */
  find(sel: number): N | undefined {
    const l = this.last;
    if (l !== undefined && sel >= l.base && sel - l.base < pow2(l.order) && this.map.get(l.base) === l)
      return l;
    const orders = this.orders;
    for (let i = 0; i < orders.length; i++) {
      const o = orders[i]!;
      const n = this.map.get(o === 0 ? sel : alignDown(sel, o));
      if (n !== undefined && n.order === o) {
        this.last = n;
        return n;
      }
    }
    return undefined;
  }

  /** The entry starting exactly at `base`, if any. */
  at(base: number): N | undefined {
    return this.map.get(base);
  }

  /** True if some entry intersects `[base, base + 2^order)`. */
  intersects(base: number, order: number): boolean {
    if (this.find(base) !== undefined) return true;
    if (order === 0) return false;
    let hit = false;
    this.scan(base, order, () => {
      hit = true;
      return true;
    });
    return hit;
  }

  /** Insert `n` unless it would overlap an existing entry; returns whether it was inserted. */
  insert(n: N): boolean {
    if (this.intersects(n.base, n.order)) return false;
    this.map.set(n.base, n);
    this.count(n.order, 1);
    return true;
  }

  /** Remove `n` (by identity); returns whether it was present. */
  remove(n: N): boolean {
    if (this.map.get(n.base) !== n) return false;
    this.map.delete(n.base);
    this.count(n.order, -1);
    return true;
  }

  /** Entries intersecting `[base, base + 2^order)`, in ascending order of their base. */
  inRange(base: number, order: number): N[] {
    // Fast path: one entry covers the whole range (or the range is a single selector).
    const first = this.find(base);
    if (first !== undefined && first.order >= order) return [first];
    if (order === 0) return [];
    const out: N[] = [];
    this.scan(base, order, (n) => {
      out.push(n);
      return false;
    });
    if (out.length > 1) out.sort((a, b) => a.base - b.base);
    return out;
  }

  private scan(base: number, order: number, cb: (n: N) => boolean): void {
    const lo = alignDown(base, order);
    const size = pow2(order);
    const hi = lo + size;
    // Probe cost: one aligned slot per order >= `order`, 2^(order - o) slots for smaller orders.
    let probes = 0;
    for (const o of this.orders) {
      probes += o >= order ? 1 : pow2(order - o);
      if (probes > this.map.size) break;
    }
    if (probes > this.map.size) {
      for (const n of this.map.values()) {
        if (n.base < hi && n.base + pow2(n.order) > lo && cb(n)) return;
      }
      return;
    }
    for (const o of this.orders) {
      if (o >= order) {
        const n = this.map.get(alignDown(lo, o));
        if (n !== undefined && n.order === o && cb(n)) return;
      } else {
        const step = pow2(o);
        for (let b = lo; b < hi; b += step) {
          const n = this.map.get(b);
          if (n !== undefined && n.order === o && cb(n)) return;
        }
      }
    }
  }

  private count(order: number, d: number): void {
    const c = (this.counts[order] ?? 0) + d;
    this.counts[order] = c;
    if ((d > 0 && c === 1) || (d < 0 && c === 0)) {
      const list: number[] = [];
      for (let o = 0; o < this.counts.length; o++) if ((this.counts[o] ?? 0) > 0) list.push(o);
      this.orders = list;
    }
  }
}
