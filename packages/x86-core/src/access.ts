/**
 * Memory accesses of the running code: effective address → segment check → linear address →
 * TLB → RAM. The fast path of every access is a limit compare, a TLB load and one typed-array
 * access; everything unusual (TLB miss, MMIO, page crossing, code pages, read-only pages, segment
 * edge cases) goes to a slow path in this file.
 */
import { Seg } from './constants.js';
import type { Cpu } from './cpu.js';
import { raiseFault } from './fault.js';
import type { Insn } from './insn.js';
import { ACC_USER, ACC_WRITE, translate } from './paging.js';
import { TLB_CODE, TLB_MMIO, TLB_NOUSER, TLB_RO, TLB_VALID } from './tlb.js';

/** The effective address (offset) of an instruction's memory operand. */
export function ea(c: Cpu, i: Insn): number {
  const r = c.r32;
  return (r[i.base]! + (r[i.index]! << i.scale) + i.disp) & i.amask;
}

// ---------------------------------------------------------------------------------------------
// Linear accesses at the current privilege level.

/** Reads a byte at a linear address. */
export function readLin8(c: Cpu, lin: number): number {
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) === TLB_VALID) return c.m8[(e & ~0xfff) ^ lin]!;
  return readSlow(c, lin, 1, c.cpl === 3);
}

/** Reads a word at a linear address (zero-extended). */
export function readLin16(c: Cpu, lin: number): number {
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) === TLB_VALID && (lin & 0xfff) !== 0xfff) return c.dv.getUint16((e & ~0xfff) ^ lin, true);
  return readSlow(c, lin, 2, c.cpl === 3);
}

/** Reads a dword at a linear address (as a signed 32-bit number). */
export function readLin32(c: Cpu, lin: number): number {
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) === TLB_VALID && (lin & 0xfff) <= 0xffc) return c.dv.getInt32((e & ~0xfff) ^ lin, true);
  return readSlow(c, lin, 4, c.cpl === 3);
}

/** Writes a byte at a linear address. */
export function writeLin8(c: Cpu, lin: number, v: number): void {
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.wmask) === TLB_VALID) c.m8[(e & ~0xfff) ^ lin] = v;
  else writeSlow(c, lin, 1, v, c.cpl === 3);
}

/** Writes a word at a linear address. */
export function writeLin16(c: Cpu, lin: number, v: number): void {
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.wmask) === TLB_VALID && (lin & 0xfff) !== 0xfff) c.dv.setUint16((e & ~0xfff) ^ lin, v, true);
  else writeSlow(c, lin, 2, v, c.cpl === 3);
}

/** Writes a dword at a linear address. */
export function writeLin32(c: Cpu, lin: number, v: number): void {
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.wmask) === TLB_VALID && (lin & 0xfff) <= 0xffc) c.dv.setInt32((e & ~0xfff) ^ lin, v, true);
  else writeSlow(c, lin, 4, v, c.cpl === 3);
}

/**
 * Checks that `size` bytes at `lin` are writable (translating, setting dirty bits, raising #PF
 * otherwise) without writing. For instructions that must fault before committing anything.
 */
export function probeWrite(c: Cpu, lin: number, size: number, user: boolean = c.cpl === 3): void {
  entryFor(c, lin, true, user);
  if ((lin & 0xfff) + size > 0x1000) entryFor(c, ((lin | 0xfff) + 1) | 0, true, user);
}

/** Checks that `size` bytes at `lin` are readable, raising #PF otherwise. */
export function probeRead(c: Cpu, lin: number, size: number, user: boolean = c.cpl === 3): void {
  entryFor(c, lin, false, user);
  if ((lin & 0xfff) + size > 0x1000) entryFor(c, ((lin | 0xfff) + 1) | 0, false, user);
}

// ---------------------------------------------------------------------------------------------
// Supervisor ("system") accesses: descriptor tables, the TSS, stacks of inner rings.

/** Reads a byte with supervisor privilege. */
export function readSys8(c: Cpu, lin: number): number {
  return readSlow(c, lin, 1, false);
}

/** Reads a word with supervisor privilege. */
export function readSys16(c: Cpu, lin: number): number {
  return readSlow(c, lin, 2, false);
}

/** Reads a dword with supervisor privilege. */
export function readSys32(c: Cpu, lin: number): number {
  return readSlow(c, lin, 4, false);
}

/** Writes a byte with supervisor privilege. */
export function writeSys8(c: Cpu, lin: number, v: number): void {
  writeSlow(c, lin, 1, v, false);
}

/** Writes a word with supervisor privilege. */
export function writeSys16(c: Cpu, lin: number, v: number): void {
  writeSlow(c, lin, 2, v, false);
}

/** Writes a dword with supervisor privilege. */
export function writeSys32(c: Cpu, lin: number, v: number): void {
  writeSlow(c, lin, 4, v, false);
}

// ---------------------------------------------------------------------------------------------
// Slow paths.

function entryFor(c: Cpu, lin: number, write: boolean, user: boolean): number {
  const e = c.tlb[lin >>> 12]!;
  const bad = TLB_VALID | (write ? TLB_RO : 0) | (user ? TLB_NOUSER : 0);
  if ((e & bad) === TLB_VALID) return e;
  return translate(c, lin, (write ? ACC_WRITE : 0) | (user ? ACC_USER : 0));
}

function readPhys(c: Cpu, e: number, lin: number, size: 1 | 2 | 4): number {
  const phys = (e & ~0xfff) ^ lin;
  if ((e & TLB_MMIO) !== 0) {
    const v = c.mem.mmioRead(phys >>> 0, size);
    return size === 4 ? v | 0 : v;
  }
  if (size === 1) return c.m8[phys]!;
  if (size === 2) return c.dv.getUint16(phys, true);
  return c.dv.getInt32(phys, true);
}

function writePhys(c: Cpu, e: number, lin: number, size: 1 | 2 | 4, v: number): void {
  const phys = (e & ~0xfff) ^ lin;
  if ((e & TLB_MMIO) !== 0) {
    c.mem.mmioWrite(phys >>> 0, size, v);
    return;
  }
  if ((e & TLB_CODE) !== 0 && !c.mem.code.invalidateRange(phys, size)) {
    // No code left in the page: writes may take the fast path again.
    const vpage = lin >>> 12;
    if (c.tlb[vpage] === e) c.tlb[vpage] = e & ~TLB_CODE;
  }
  if (size === 1) c.m8[phys] = v;
  else if (size === 2) c.dv.setUint16(phys, v, true);
  else c.dv.setInt32(phys, v, true);
}

/** Slow-path read of `size` bytes at `lin` (any alignment, any page type). */
export function readSlow(c: Cpu, lin: number, size: 1 | 2 | 4, user: boolean): number {
  if ((lin & 0xfff) + size <= 0x1000) return readPhys(c, entryFor(c, lin, false, user), lin, size);
  // Crosses a page: both pages must be readable; assemble bytes.
  const e1 = entryFor(c, lin, false, user);
  const lin2 = ((lin | 0xfff) + 1) | 0;
  const e2 = entryFor(c, lin2, false, user);
  let v = 0;
  for (let k = 0; k < size; k++) {
    const l = (lin + k) | 0;
    const e = (l ^ lin) >>> 12 === 0 ? e1 : e2;
    v |= readPhys(c, e, l, 1) << (8 * k);
  }
  return size === 4 ? v | 0 : v;
}

/** Slow-path write of `size` bytes at `lin`. */
export function writeSlow(c: Cpu, lin: number, size: 1 | 2 | 4, v: number, user: boolean): void {
  if ((lin & 0xfff) + size <= 0x1000) {
    writePhys(c, entryFor(c, lin, true, user), lin, size, v);
    return;
  }
  const e1 = entryFor(c, lin, true, user);
  const lin2 = ((lin | 0xfff) + 1) | 0;
  const e2 = entryFor(c, lin2, true, user);
  for (let k = 0; k < size; k++) {
    const l = (lin + k) | 0;
    const e = (l ^ lin) >>> 12 === 0 ? e1 : e2;
    writePhys(c, e, l, 1, (v >>> (8 * k)) & 0xff);
  }
}

// ---------------------------------------------------------------------------------------------
// Segmented accesses: segment register + offset, with limit and type checks.

/** Linear address for reading `size` bytes at `seg:off`, with the architectural checks. */
export function linRead(c: Cpu, seg: number, off: number, size: number): number {
  const lim = size === 1 ? c.lr1[seg]! : size === 2 ? c.lr2[seg]! : c.lr4[seg]!;
  if (off >>> 0 <= lim) return (c.segBase[seg]! + off) | 0;
  return segSlow(c, seg, off, size, false);
}

/** Linear address for writing `size` bytes at `seg:off`, with the architectural checks. */
export function linWrite(c: Cpu, seg: number, off: number, size: number): number {
  const lim = size === 1 ? c.lw1[seg]! : size === 2 ? c.lw2[seg]! : c.lw4[seg]!;
  if (off >>> 0 <= lim) return (c.segBase[seg]! + off) | 0;
  return segSlow(c, seg, off, size, true);
}

/** Reads a byte at `seg:off`. */
export function rd8(c: Cpu, seg: number, off: number): number {
  const lin = off >>> 0 <= c.lr1[seg]! ? (c.segBase[seg]! + off) | 0 : segSlow(c, seg, off, 1, false);
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) === TLB_VALID) return c.m8[(e & ~0xfff) ^ lin]!;
  return readSlow(c, lin, 1, c.cpl === 3);
}

/** Reads a word at `seg:off`. */
export function rd16(c: Cpu, seg: number, off: number): number {
  const lin = off >>> 0 <= c.lr2[seg]! ? (c.segBase[seg]! + off) | 0 : segSlow(c, seg, off, 2, false);
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) === TLB_VALID && (lin & 0xfff) !== 0xfff) return c.dv.getUint16((e & ~0xfff) ^ lin, true);
  return readSlow(c, lin, 2, c.cpl === 3);
}

/** Reads a dword at `seg:off`. */
export function rd32(c: Cpu, seg: number, off: number): number {
  const lin = off >>> 0 <= c.lr4[seg]! ? (c.segBase[seg]! + off) | 0 : segSlow(c, seg, off, 4, false);
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) === TLB_VALID && (lin & 0xfff) <= 0xffc) return c.dv.getInt32((e & ~0xfff) ^ lin, true);
  return readSlow(c, lin, 4, c.cpl === 3);
}

/** Writes a byte at `seg:off`. */
export function wr8(c: Cpu, seg: number, off: number, v: number): void {
  const lin = off >>> 0 <= c.lw1[seg]! ? (c.segBase[seg]! + off) | 0 : segSlow(c, seg, off, 1, true);
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.wmask) === TLB_VALID) c.m8[(e & ~0xfff) ^ lin] = v;
  else writeSlow(c, lin, 1, v, c.cpl === 3);
}

/** Writes a word at `seg:off`. */
export function wr16(c: Cpu, seg: number, off: number, v: number): void {
  const lin = off >>> 0 <= c.lw2[seg]! ? (c.segBase[seg]! + off) | 0 : segSlow(c, seg, off, 2, true);
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.wmask) === TLB_VALID && (lin & 0xfff) !== 0xfff) c.dv.setUint16((e & ~0xfff) ^ lin, v, true);
  else writeSlow(c, lin, 2, v, c.cpl === 3);
}

/** Writes a dword at `seg:off`. */
export function wr32(c: Cpu, seg: number, off: number, v: number): void {
  const lin = off >>> 0 <= c.lw4[seg]! ? (c.segBase[seg]! + off) | 0 : segSlow(c, seg, off, 4, true);
  const e = c.tlb[lin >>> 12]!;
  if ((e & c.wmask) === TLB_VALID && (lin & 0xfff) <= 0xffc) c.dv.setInt32((e & ~0xfff) ^ lin, v, true);
  else writeSlow(c, lin, 4, v, c.cpl === 3);
}

/**
 * The full segment check (SDM vol. 3A, §5.3 and §5.5): usability, type (read/write), expand-up or
 * expand-down limit. Returns the linear address or raises #GP(0) (#SS(0) for SS).
 */
export function segSlow(c: Cpu, seg: number, off: number, size: number, write: boolean): number {
  const attr = c.segAttr[seg]!;
  const fault = seg === Seg.SS ? 12 : 13;
  const prot = c.protectedMode && !c.v86Mode;
  if (prot) {
    if ((attr & 0x80) === 0) raiseFault(c, fault, 0);
    const type = attr & 0xf;
    if ((attr & 0x10) === 0) raiseFault(c, fault, 0);
    const code = (type & 8) !== 0;
    if (write && (code || (type & 2) === 0)) raiseFault(c, fault, 0);
    if (!write && code && (type & 2) === 0) raiseFault(c, fault, 0);
  }
  const limit = c.segLimit[seg]! >>> 0;
  const u = off >>> 0;
  const last = u + size - 1;
  const expandDown = (attr & 0x1c) === 0x14;
  if (expandDown) {
    const top = (attr & 0x400) !== 0 ? 0xffffffff : 0xffff;
    if (u <= limit || last > top) raiseFault(c, fault, 0);
  } else if (last > limit) {
    raiseFault(c, fault, 0);
  }
  return (c.segBase[seg]! + off) | 0;
}
