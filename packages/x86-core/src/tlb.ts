/**
 * The software TLB: one Int32 entry per 4 KiB virtual page (v86's layout, our own code).
 *
 * entry = (hostPhysicalPage ^ virtualPage) | flags, so a hit costs one load and
 * `phys = (entry & ~0xfff) ^ linear`. An entry caches the complete translation — guest paging,
 * the A20 gate, nested paging and the RAM/MMIO decision — so everything behind it costs only on a
 * miss. Permission bits make the fast path fail for anything special; the slow path then walks
 * and decides.
 */
import type { Cpu } from './cpu.js';

/** The entry is valid (0 = empty). */
export const TLB_VALID = 0x1;
/** Writes take the slow path: the page is read-only, or its dirty bit is not yet set. */
export const TLB_RO = 0x2;
/** User-mode (CPL 3) accesses take the slow path: the page is supervisor-only. */
export const TLB_NOUSER = 0x4;
/** The page is not plain RAM (MMIO or unclaimed): every access takes the slow path. */
export const TLB_MMIO = 0x8;
/** The translation is global (survives a CR3 write when CR4.PGE is set). */
export const TLB_GLOBAL = 0x10;
/** The physical page holds decoded code: writes take the slow path to invalidate it. */
export const TLB_CODE = 0x20;

/** Number of entries the valid-entry list holds before a full clear is cheaper. */
export const TLB_LIST_SIZE = 0x4000;

/** Records that `vpage` received an entry (for cheap flushes). */
export function tlbNote(c: Cpu, vpage: number): void {
  if (c.tlbCount >= TLB_LIST_SIZE) {
    tlbFlushAll(c);
  }
  c.tlbList[c.tlbCount++] = vpage;
}

/** Drops every entry, global ones included. */
export function tlbFlushAll(c: Cpu): void {
  const t = c.tlb;
  const list = c.tlbList;
  for (let k = 0; k < c.tlbCount; k++) t[list[k]!] = 0;
  c.tlbCount = 0;
  c.tlbLarge.fill(0);
  c.tlbGen++;
}

/** Drops every non-global entry (a CR3 write with CR4.PGE set). */
export function tlbFlushNonGlobal(c: Cpu): void {
  const t = c.tlb;
  const list = c.tlbList;
  let keep = 0;
  for (let k = 0; k < c.tlbCount; k++) {
    const v = list[k]!;
    const e = t[v]!;
    if (e === 0) continue;
    if ((e & TLB_GLOBAL) !== 0) list[keep++] = v;
    else t[v] = 0;
  }
  c.tlbCount = keep;
  c.tlbGen++;
}

/** INVLPG: drops the entry for `lin`, and the whole 4 MiB region if it was mapped by a large page. */
export function tlbInvalidatePage(c: Cpu, lin: number): void {
  const vpage = lin >>> 12;
  c.tlb[vpage] = 0;
  c.tlbGen++;
  const region = vpage >>> 10;
  if (c.tlbLarge[region] !== 0) {
    c.tlbLarge[region] = 0;
    const t = c.tlb;
    const base = region << 10;
    for (let k = 0; k < 1024; k++) t[base + k] = 0;
  }
}

/** Marks every entry that maps physical page `page` as holding code (writes go slow). */
export function tlbProtectCode(c: Cpu, page: number): void {
  const t = c.tlb;
  const list = c.tlbList;
  for (let k = 0; k < c.tlbCount; k++) {
    const v = list[k]!;
    const e = t[v]!;
    if (e !== 0 && (e ^ (v << 12)) >>> 12 === page) t[v] = e | TLB_CODE;
  }
}
