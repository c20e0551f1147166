import { type Ranged, RangeIndex } from './range-index.js';

/** One entry of a derived page table: 2^order pages at `base` mapping frames from `frame`. */
export interface PageTableEntry extends Ranged {
  readonly base: number;
  readonly order: number;
  readonly frame: number;
  /** r = 1, w = 2, x = 4. */
  perms: number;
  /** Write-combined memory type. */
  readonly wc: boolean;
}

/** Which table of a PD an entry or invalidation concerns. */
export type TableKind = 'host' | 'guest' | 'dma';

/** The result of translating one page. */
export interface Translation {
  readonly frame: number;
  readonly perms: number;
  readonly wc: boolean;
}

/**
 * A page table derived from a PD's memory-space capabilities (host: everything below USER_ADDR;
 * guest: nodes delegated with G — the nested page table; DMA: nodes with D). It is kept as real
 * state, updated on every delegation and revocation, so the invariants can compare it with what
 * the mapping database implies.
 */
export class PageTable {
  readonly kind: TableKind;
  private readonly index = new RangeIndex<PageTableEntry>();
  /** Bumped on every removal or demotion, for translation caches. */
  generation = 0;

  constructor(kind: TableKind) {
    this.kind = kind;
  }

  /** Number of entries. */
  get size(): number {
    return this.index.size;
  }

  /** All entries. */
  entries(): IterableIterator<PageTableEntry> {
    return this.index.values();
  }

  /** Translate page `page`; `undefined` if not present. */
  translate(page: number): Translation | undefined {
    const e = this.index.find(page);
    if (e === undefined) return undefined;
    return { frame: e.frame + (page - e.base), perms: e.perms, wc: e.wc };
  }

  /** The entry covering `page`. */
  entry(page: number): PageTableEntry | undefined {
    return this.index.find(page);
  }

  /** Insert an entry; returns false if it would overlap an existing one. */
  map(base: number, order: number, frame: number, perms: number, wc: boolean): boolean {
    return this.index.insert({ base, order, frame, perms, wc });
  }

  /** Remove the entry starting at `base` with order `order`. */
  unmap(base: number, order: number): boolean {
    const e = this.index.at(base);
    if (e === undefined || e.order !== order) return false;
    this.index.remove(e);
    this.generation++;
    return true;
  }

  /** Change the permissions of the entry at `base`. */
  protect(base: number, order: number, perms: number): boolean {
    const e = this.index.at(base);
    if (e === undefined || e.order !== order) return false;
    e.perms = perms;
    this.generation++;
    return true;
  }
}
