/**
 * Group 3 (TEST/NOT/NEG/MUL/IMUL/DIV/IDIV by ModRM.reg) and the two- and three-operand IMUL.
 * MUL/IMUL set CF = OF = "the upper half is significant"; SF/ZF/PF follow the low result (they
 * are undefined); DIV/IDIV leave the flags alone and raise #DE on a zero divisor or a quotient
 * that does not fit.
 */
import {
  ea,
  linWrite,
  rd8,
  rd16,
  rd32,
  readLin8,
  readLin16,
  readLin32,
  writeLin8,
  writeLin16,
  writeLin32,
} from '../access.js';
import type { Cpu } from '../cpu.js';
import { raiseFault } from '../fault.js';
import { setLogic, setResultWith, setSub } from '../flags.js';
import type { Insn } from '../insn.js';

const EAX = 0;
const EDX = 2;

/** Unsigned 32×32 → 64 multiply; returns the low dword, leaves the high dword in c.mulHi. */
export function mulU32(c: Cpu, a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  c.mulHi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) | 0;
  return (ll & 0xffff) | (mid << 16) | 0;
}

/** Signed 32×32 → 64 multiply; low dword returned, high in c.mulHi. */
export function mulS32(c: Cpu, a: number, b: number): number {
  const lo = mulU32(c, a, b);
  let hi = c.mulHi;
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  c.mulHi = hi;
  return lo;
}

// --- group 3 value operations ---------------------------------------------------------------

function group3(c: Cpu, i: Insn, bits: number, v: number, isReg: boolean): void {
  const op = i.reg;
  switch (op) {
    case 0:
    case 1: {
      const sh = 32 - bits;
      setLogic(c, ((v & i.imm) << sh) >> sh);
      return;
    }
    case 2:
      writeBack(c, i, bits, ~v, isReg);
      return;
    case 3: {
      const sh = 32 - bits;
      const b = (v << sh) >> sh;
      const r = ((0 - b) << sh) >> sh;
      writeBack(c, i, bits, r, isReg);
      setSub(c, 0, b, r);
      return;
    }
    case 4:
      mul(c, bits, v);
      return;
    case 5:
      imul1(c, bits, v);
      return;
    case 6:
      div(c, bits, v);
      return;
    default:
      idiv(c, bits, v);
      return;
  }
}

function writeBack(c: Cpu, i: Insn, bits: number, v: number, isReg: boolean): void {
  if (isReg) {
    if (bits === 8) c.r8[i.rm] = v;
    else if (bits === 16) c.r16[i.rm] = v;
    else c.r32[i.rm] = v;
  } else {
    const lin = c.scratch[15]!;
    if (bits === 8) writeLin8(c, lin, v);
    else if (bits === 16) writeLin16(c, lin, v);
    else writeLin32(c, lin, v);
  }
}

function mul(c: Cpu, bits: number, v: number): void {
  if (bits === 8) {
    const r = c.r8[0]! * v;
    c.r16[0] = r;
    const hi = r >>> 8;
    setResultWith(c, (r << 24) >> 24, hi !== 0 ? 0x801 : 0);
  } else if (bits === 16) {
    const r = c.r16[0]! * v;
    c.r16[0] = r & 0xffff;
    c.r16[EDX * 2] = r >>> 16;
    setResultWith(c, (r << 16) >> 16, r >>> 16 !== 0 ? 0x801 : 0);
  } else {
    const lo = mulU32(c, c.r32[EAX]!, v);
    const hi = c.mulHi;
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    setResultWith(c, lo, hi !== 0 ? 0x801 : 0);
  }
}

function imul1(c: Cpu, bits: number, v: number): void {
  if (bits === 8) {
    const r = ((c.r8[0]! << 24) >> 24) * ((v << 24) >> 24);
    c.r16[0] = r;
    setResultWith(c, (r << 24) >> 24, r !== (r << 24) >> 24 ? 0x801 : 0);
  } else if (bits === 16) {
    const r = ((c.r16[0]! << 16) >> 16) * ((v << 16) >> 16);
    c.r16[0] = r & 0xffff;
    c.r16[EDX * 2] = (r >> 16) & 0xffff;
    setResultWith(c, (r << 16) >> 16, r !== (r << 16) >> 16 ? 0x801 : 0);
  } else {
    const lo = mulS32(c, c.r32[EAX]!, v);
    const hi = c.mulHi;
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    setResultWith(c, lo, hi !== lo >> 31 ? 0x801 : 0);
  }
}

function div(c: Cpu, bits: number, v: number): void {
  if (v === 0) raiseFault(c, 0);
  if (bits === 8) {
    const n = c.r16[0]!;
    const q = Math.floor(n / v);
    if (q > 0xff) raiseFault(c, 0);
    c.r8[0] = q;
    c.r8[1] = n % v;
  } else if (bits === 16) {
    const n = (c.r16[EDX * 2]! * 0x10000 + c.r16[0]!) >>> 0;
    const q = Math.floor(n / v);
    if (q > 0xffff) raiseFault(c, 0);
    c.r16[0] = q;
    c.r16[EDX * 2] = n % v;
  } else {
    const d = v >>> 0;
    const hi = c.r32[EDX]! >>> 0;
    const lo = c.r32[EAX]! >>> 0;
    if (hi === 0) {
      c.r32[EAX] = Math.floor(lo / d);
      c.r32[EDX] = lo % d;
      return;
    }
    if (hi >= d) raiseFault(c, 0);
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    const bd = BigInt(d);
    c.r32[EAX] = Number(n / bd);
    c.r32[EDX] = Number(n % bd);
  }
}

function idiv(c: Cpu, bits: number, v: number): void {
  if (bits === 8) {
    const d = (v << 24) >> 24;
    if (d === 0) raiseFault(c, 0);
    const n = (c.r16[0]! << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) raiseFault(c, 0);
    c.r8[0] = q;
    c.r8[1] = n % d;
  } else if (bits === 16) {
    const d = (v << 16) >> 16;
    if (d === 0) raiseFault(c, 0);
    const n = (c.r16[EDX * 2]! << 16) | c.r16[0]!;
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) raiseFault(c, 0);
    c.r16[0] = q;
    c.r16[EDX * 2] = n % d;
  } else {
    const d = v | 0;
    if (d === 0) raiseFault(c, 0);
    const hi = c.r32[EDX]!;
    const lo = c.r32[EAX]!;
    if ((hi === 0 && lo >= 0) || (hi === -1 && lo < 0)) {
      // The dividend fits in 32 bits: exact in doubles.
      const q = Math.trunc(lo / d);
      if (q > 0x7fffffff || q < -0x80000000) raiseFault(c, 0);
      c.r32[EAX] = q;
      c.r32[EDX] = lo % d;
      return;
    }
    const n = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
    const bd = BigInt(d);
    const q = n / bd;
    if (q > 0x7fffffffn || q < -0x80000000n) raiseFault(c, 0);
    c.r32[EAX] = Number(BigInt.asIntN(32, q));
    c.r32[EDX] = Number(BigInt.asIntN(32, n % bd));
  }
}

/** Group 3 on r8. */
export function grp3_b_R(c: Cpu, i: Insn): void {
  group3(c, i, 8, c.r8[i.rm]!, true);
}
/** Group 3 on m8 (NOT/NEG write back; the others read). */
export function grp3_b_M(c: Cpu, i: Insn): void {
  if (i.reg === 2 || i.reg === 3) {
    const lin = linWrite(c, i.seg, ea(c, i), 1);
    c.scratch[15] = lin;
    group3(c, i, 8, readLin8(c, lin), false);
  } else {
    group3(c, i, 8, rd8(c, i.seg, ea(c, i)), false);
  }
}
/** Group 3 on r16. */
export function grp3_w_R(c: Cpu, i: Insn): void {
  group3(c, i, 16, c.r16[i.rm]!, true);
}
/** Group 3 on m16. */
export function grp3_w_M(c: Cpu, i: Insn): void {
  if (i.reg === 2 || i.reg === 3) {
    const lin = linWrite(c, i.seg, ea(c, i), 2);
    c.scratch[15] = lin;
    group3(c, i, 16, readLin16(c, lin), false);
  } else {
    group3(c, i, 16, rd16(c, i.seg, ea(c, i)), false);
  }
}
/** Group 3 on r32. */
export function grp3_d_R(c: Cpu, i: Insn): void {
  group3(c, i, 32, c.r32[i.rm]!, true);
}
/** Group 3 on m32. */
export function grp3_d_M(c: Cpu, i: Insn): void {
  if (i.reg === 2 || i.reg === 3) {
    const lin = linWrite(c, i.seg, ea(c, i), 4);
    c.scratch[15] = lin;
    group3(c, i, 32, readLin32(c, lin), false);
  } else {
    group3(c, i, 32, rd32(c, i.seg, ea(c, i)), false);
  }
}

// --- IMUL r, r/m[, imm] -------------------------------------------------------------------------

function imul16(c: Cpu, i: Insn, a: number, b: number): void {
  const r = ((a << 16) >> 16) * ((b << 16) >> 16);
  c.r16[i.reg] = r;
  setResultWith(c, (r << 16) >> 16, r !== (r << 16) >> 16 ? 0x801 : 0);
}

function imul32(c: Cpu, i: Insn, a: number, b: number): void {
  const lo = Math.imul(a, b);
  // The double product is exact below 2^53 and ≥ 2^53 in magnitude otherwise, so the range test
  // decides overflow exactly.
  const p = a * b;
  c.r32[i.reg] = lo;
  setResultWith(c, lo, p > 2147483647 || p < -2147483648 ? 0x801 : 0);
}

/** IMUL r16, r16. */
export function imul_w_R(c: Cpu, i: Insn): void {
  imul16(c, i, c.r16[i.reg]!, c.r16[i.rm]!);
}
/** IMUL r16, m16. */
export function imul_w_M(c: Cpu, i: Insn): void {
  imul16(c, i, c.r16[i.reg]!, rd16(c, i.seg, ea(c, i)));
}
/** IMUL r32, r32. */
export function imul_d_R(c: Cpu, i: Insn): void {
  imul32(c, i, c.r32[i.reg]!, c.r32[i.rm]!);
}
/** IMUL r32, m32. */
export function imul_d_M(c: Cpu, i: Insn): void {
  imul32(c, i, c.r32[i.reg]!, rd32(c, i.seg, ea(c, i)));
}
/** IMUL r16, r16, imm. */
export function imul3_w_R(c: Cpu, i: Insn): void {
  imul16(c, i, c.r16[i.rm]!, i.imm);
}
/** IMUL r16, m16, imm. */
export function imul3_w_M(c: Cpu, i: Insn): void {
  imul16(c, i, rd16(c, i.seg, ea(c, i)), i.imm);
}
/** IMUL r32, r32, imm. */
export function imul3_d_R(c: Cpu, i: Insn): void {
  imul32(c, i, c.r32[i.rm]!, i.imm);
}
/** IMUL r32, m32, imm. */
export function imul3_d_M(c: Cpu, i: Insn): void {
  imul32(c, i, rd32(c, i.seg, ea(c, i)), i.imm);
}
