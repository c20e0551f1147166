/**
 * Segment descriptors and segment-register loads (SDM vol. 3A, ch. 3 and §5.4–5.8; the checks
 * and their order follow the MOV/POP/LDS pseudo-code of SDM vol. 2).
 *
 * Descriptor caches use the SVM attribute layout: the access byte (type, S, DPL, P) in bits 0–7
 * and the flags nibble (AVL, L, D/B, G) in bits 8–11.
 */
import { readSys32, writeSys8 } from './access.js';
import { Seg } from './constants.js';
import type { Cpu } from './cpu.js';
import { raiseFault } from './fault.js';

/** Descriptor attribute field: type (SVM layout, like the other A_ constants). */
export const A_TYPE = 0xf;
/** Attribute bit: S (code/data rather than system). */
export const A_S = 0x10;
/** Attribute field: DPL. */
export const A_DPL = 0x60;
/** Attribute bit: present. */
export const A_P = 0x80;
/** Attribute bit: D/B (32-bit code, 32-bit stack, expand-down top). */
export const A_DB = 0x400;
/** Attribute bit: G (4 KiB limit granularity). */
export const A_G = 0x800;

/** Attribute of a real-mode / virtual-8086 data segment: present, DPL 0 or 3, read/write, accessed. */
export const REAL_DATA_ATTR = 0x93;

/** The descriptor most recently read by {@link fetchDescriptor}. */
export interface DescriptorScratch {
  descLo: number;
  descHi: number;
  /** Linear address of the descriptor (for setting the accessed/busy bits). */
  descAddr: number;
}

/**
 * Reads the descriptor for selector `sel` from the GDT or LDT into `c.descLo/descHi`. Returns
 * false when the selector is beyond the table's limit (or the LDT is unusable); the caller raises
 * the fault its instruction defines.
 */
export function fetchDescriptor(c: Cpu, sel: number): boolean {
  const index = sel & 0xfff8;
  let base: number;
  let limit: number;
  if ((sel & 4) !== 0) {
    if ((c.ldtAttr & A_P) === 0 || (c.ldtSel & 0xfffc) === 0) return false;
    base = c.ldtBase;
    limit = c.ldtLimit >>> 0;
  } else {
    base = c.gdtBase;
    limit = c.gdtLimit >>> 0;
  }
  if (index + 7 > limit) return false;
  const addr = (base + index) | 0;
  c.descAddr = addr;
  c.descLo = readSys32(c, addr);
  c.descHi = readSys32(c, (addr + 4) | 0);
  return true;
}

/** Base address of a descriptor. */
export function descBase(lo: number, hi: number): number {
  return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000) | 0;
}

/** Byte-granular limit of a descriptor. */
export function descLimit(lo: number, hi: number): number {
  const raw = (hi & 0xf0000) | (lo & 0xffff);
  return (hi & 0x800000) !== 0 ? (raw << 12) | 0xfff : raw;
}

/** Attributes (SVM layout) of a descriptor. */
export function descAttr(hi: number): number {
  return ((hi >>> 8) & 0xff) | ((hi >>> 12) & 0xf00);
}

/** Sets the accessed bit of the descriptor just fetched, if clear. */
export function setAccessed(c: Cpu): void {
  if ((c.descHi & 0x100) === 0) {
    c.descHi |= 0x100;
    writeSys8(c, (c.descAddr + 5) | 0, (c.descHi >>> 8) & 0xff);
  }
}

/** Loads a segment register in real or virtual-8086 mode: base = selector × 16. */
export function loadSegReal(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (c.v86Mode) {
    c.loadSegmentCache(seg, sel, sel << 4, 0xffff, seg === Seg.CS ? 0xfb : 0xf3);
  } else {
    // Real mode keeps the cached limit and attributes (so "unreal mode" works), except that
    // loading CS leaves a 16-bit code segment.
    const attr = seg === Seg.CS ? (c.segAttr[seg]! & ~0x400) | 0x80 : c.segAttr[seg]! | 0x80;
    c.loadSegmentCache(seg, sel, sel << 4, c.segLimit[seg]!, attr);
  }
}

/**
 * Loads DS, ES, FS, GS or SS with `sel` as MOV, POP and LDS/LES/LFS/LGS/LSS do, with every
 * protected-mode check. Faults: #GP(sel) for type/privilege/limit, #NP(sel) (DS…) or #SS(sel)
 * (SS) when not present, #GP(0) for a null SS.
 */
export function loadSeg(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (!c.protectedMode || c.v86Mode) {
    loadSegReal(c, seg, sel);
    return;
  }
  const err = sel & 0xfffc;
  if (seg === Seg.SS) {
    if (err === 0) raiseFault(c, 13, 0);
    if (!fetchDescriptor(c, sel)) raiseFault(c, 13, err);
    const lo = c.descLo;
    const hi = c.descHi;
    const attr = descAttr(hi);
    const dpl = (attr >> 5) & 3;
    if ((sel & 3) !== c.cpl || dpl !== c.cpl) raiseFault(c, 13, err);
    // Must be a writable data segment.
    if ((attr & 0x1a) !== 0x12) raiseFault(c, 13, err);
    if ((attr & A_P) === 0) raiseFault(c, 12, err);
    setAccessed(c);
    c.loadSegmentCache(seg, sel, descBase(lo, hi), descLimit(lo, hi), attr | 1);
    return;
  }
  if (err === 0) {
    // Null selector: loads fine, faults on use.
    c.loadSegmentCache(seg, sel, 0, 0, 0);
    return;
  }
  if (!fetchDescriptor(c, sel)) raiseFault(c, 13, err);
  const lo = c.descLo;
  const hi = c.descHi;
  const attr = descAttr(hi);
  const dpl = (attr >> 5) & 3;
  if ((attr & A_S) === 0) raiseFault(c, 13, err);
  const code = (attr & 8) !== 0;
  if (code && (attr & 2) === 0) raiseFault(c, 13, err);
  // Data and non-conforming code: RPL ≤ DPL and CPL ≤ DPL.
  if (!code || (attr & 4) === 0) {
    if ((sel & 3) > dpl || c.cpl > dpl) raiseFault(c, 13, err);
  }
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
  setAccessed(c);
  c.loadSegmentCache(seg, sel, descBase(lo, hi), descLimit(lo, hi), attr | 1);
}

/**
 * After a return or task switch to an outer privilege level: data segment registers whose
 * descriptor the new CPL may not use are nulled (SDM vol. 2, RET/IRET "outer privilege level").
 */
export function nullifyInaccessibleSegments(c: Cpu): void {
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const attr = c.segAttr[seg]!;
    if ((c.segSel[seg]! & 0xfffc) === 0 && (attr & A_P) === 0) continue;
    const dpl = (attr >> 5) & 3;
    const conformingCode = (attr & 0x1c) === 0x1c;
    if ((attr & A_S) === 0 || (!conformingCode && dpl < c.cpl)) {
      c.loadSegmentCache(seg, 0, 0, 0, 0);
    }
  }
}
