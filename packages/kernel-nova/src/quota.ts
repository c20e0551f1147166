/**
 * Slab kinds that kernel memory is charged for (G-kernel: per-PD slab caches, spec/nova.md §6.5).
 * The value is how many objects share one 4 KiB slab page.
 */
export const SlabKind = {
  MDB: 64,
  PT: 64,
  SM: 64,
  SC: 32,
  EC: 8,
  PD: 8,
} as const;
/** A slab kind. */
export type SlabKindName = keyof typeof SlabKind;

/**
 * A PD's kernel-memory quota in pages, modelled on the G-kernel's `Quota`: a limit (`upli`),
 * the pages in use, and a lower limit that cannot be transferred away (`notr`). Usage counts
 * slab pages (objects of one kind share a page) plus whole pages (UTCBs, vCPU state, page-table
 * pages). Deterministic: the same operations give the same figures.
 */
export class Quota {
  /** Upper limit in pages. */
  limit = 0;
  /** Pages that cannot be transferred away (create_pd's lower limit). */
  reserve = 0;
  private pages = 0;
  private slabPages = 0;
  private readonly slabs: Record<SlabKindName, number> = { MDB: 0, PT: 0, SM: 0, SC: 0, EC: 0, PD: 0 };
  /** Where charges go once this quota's PD is gone (G: `free_up` to the creator). */
  mergedInto: Quota | null = null;

  /** Pages in use. */
  get used(): number {
    return this.pages + this.slabPages;
  }

  /** Live slab objects of `kind` charged here. */
  objects(kind: SlabKindName): number {
    return this.slabs[kind];
  }

  /** Whole pages charged here. */
  get wholePages(): number {
    return this.pages;
  }

  /** G-kernel `hit_limit(free)`: fewer than `free` pages left (or over the limit). */
  hitLimit(free = 0): boolean {
    const q = this.target();
    if (free > q.limit) return true;
    return q.used > q.limit - free;
  }

  /** The quota charges currently land on (follows `mergedInto`). */
  target(): Quota {
    let q: Quota = this;
    while (q.mergedInto !== null) q = q.mergedInto;
    return q;
  }

  /** Charge one slab object. */
  chargeSlab(kind: SlabKindName): void {
    const q = this.target();
    const n = ++q.slabs[kind];
    if ((n - 1) % SlabKind[kind] === 0) q.slabPages++;
  }

  /** Refund one slab object. */
  refundSlab(kind: SlabKindName): void {
    const q = this.target();
    if (q.slabs[kind] <= 0) return;
    const n = --q.slabs[kind];
    if (n % SlabKind[kind] === 0) q.slabPages--;
  }

  /** Charge whole pages. */
  chargePages(n: number): void {
    this.target().pages += n;
  }

  /** Refund whole pages. */
  refundPages(n: number): void {
    const q = this.target();
    q.pages = Math.max(0, q.pages - n);
  }

  /**
   * G-kernel `transfer_to`: move `n` pages of limit to `to` unless that would leave this quota
   * below its usage plus (optionally) the non-transferable reserve.
   */
  transferTo(to: Quota, n: number, checkReserve = true): boolean {
    if (!Number.isSafeInteger(n) || n < 0) return false;
    if (this.hitLimit()) return false;
    const reserve = checkReserve ? this.reserve : 0;
    if (this.used + n > this.limit - reserve) return false;
    this.limit -= n;
    to.limit += n;
    return true;
  }

  /** Give everything back to `to` (PD destruction); later refunds follow. */
  mergeInto(to: Quota): void {
    const t = to.target();
    t.limit += this.limit;
    t.pages += this.pages;
    for (const k of Object.keys(SlabKind) as SlabKindName[]) {
      for (let i = 0; i < this.slabs[k]; i++) t.chargeSlab(k);
      this.slabs[k] = 0;
    }
    this.limit = 0;
    this.pages = 0;
    this.slabPages = 0;
    this.mergedInto = t;
  }
}
