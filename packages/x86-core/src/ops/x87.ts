/**
 * The x87 instruction set (escape opcodes D8–DF; SDM vol. 1 ch. 8, vol. 2): loads and stores in
 * every memory format, arithmetic, comparisons (FCOM/FUCOM/FCOMI, condition codes and EFLAGS),
 * FCMOVcc, constants, FXAM/FTST, FPREM/FPREM1, FRNDINT/FSCALE/FXTRACT, environment and state
 * save/restore, stack faults, masked exception responses, and #MF for pending unmasked
 * exceptions at the next waiting instruction (CR0.NE = 1).
 *
 * Arithmetic is exact 80-bit (f80.ts). Transcendentals (FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
 * F2XM1, FYL2X, FYL2XP1) are computed in float64 and so carry double precision only.
 * `i.imm` = (escape & 7) << 8 | ModRM byte.
 */
import { ea, rd8, rd16, rd32, wr8, wr16, wr32 } from '../access.js';
import type { Cpu } from '../cpu.js';
import {
  add,
  compare,
  div,
  extract,
  type F80,
  FE,
  fromBigInt,
  fromDouble,
  fromF32Bits,
  fromF64Bits,
  fxamClass,
  INDEFINITE,
  isInf,
  isNaN80,
  isZero,
  mul,
  remainder,
  roundInt,
  scale,
  sqrt,
  tagOf,
  toBigInt,
  toDouble,
  toIeeeBits,
  zero,
} from '../f80.js';
import { raiseFault, raiseUd } from '../fault.js';
import { getCf, getPf, getZf, materialize } from '../flags.js';
import type { Fpu } from '../fpu.js';
import type { Insn } from '../insn.js';

const C0 = 0x100;
const C1 = 0x200;
const C2 = 0x400;
const C3 = 0x4000;
const CC = C0 | C1 | C2 | C3;
const SF = 0x40;
const ES = 0x80;
const B = 0x8000;
const MODREG = 0x40;
const PREC = [24, 24, 53, 64] as const;

// Constants as exact extended values (SDM vol. 1, §8.3.8: rounded to nearest).
function k(e: number, m: bigint): F80 {
  return { s: 0, e, m };
}
const ONE = k(0x3fff, 0x8000000000000000n);
const L2T = k(0x4000, 0xd49a784bcd1b8afen);
const L2E = k(0x3fff, 0xb8aa3b295c17f0bcn);
const PI = k(0x4000, 0xc90fdaa22168c235n);
const LG2 = k(0x3ffd, 0x9a209a84fbcff799n);
const LN2 = k(0x3ffe, 0xb17217f7d1cf79acn);

/** Executes an x87 instruction. */
export function x87(c: Cpu, i: Insn): void {
  if ((c.cr0 & 0xc) !== 0) raiseFault(c, 7);
  const f = c.fpu;
  const code = i.imm;
  const esc = code >> 8;
  const reg = (code >> 3) & 7;
  const isReg = (i.flags & MODREG) !== 0;
  if (!isNoWait(esc, reg, code & 0xff, isReg) && (f.sw & ES) !== 0 && (c.cr0 & 0x20) !== 0) {
    raiseFault(c, 16);
  }
  const env = f.env;
  env.flags = 0;
  env.up = false;
  env.rc = (f.cw >> 10) & 3;
  env.prec = PREC[(f.cw >> 8) & 3]!;
  env.ueUnmasked = (f.cw & FE.UE) === 0;
  env.oeUnmasked = (f.cw & FE.OE) === 0;
  if (isReg) execReg(c, f, i, esc, code & 0xff);
  else execMem(c, f, i, esc, reg);
  if (!isControl(esc, reg, code & 0xff, isReg)) {
    f.fip = (c.eip - i.len) & (c.cs32 ? -1 : 0xffff);
    f.fcs = c.segSel[1]!;
    f.fop = code & 0x7ff;
    if (!isReg) {
      f.fdp = ea(c, i);
      f.fds = c.segSel[i.seg]!;
    }
  }
}

/** The no-wait control instructions (FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE). */
function isNoWait(esc: number, reg: number, modrm: number, isReg: boolean): boolean {
  if (isReg) return (esc === 3 && (modrm === 0xe2 || modrm === 0xe3)) || (esc === 7 && modrm === 0xe0);
  return (esc === 1 && (reg === 6 || reg === 7)) || (esc === 5 && (reg === 6 || reg === 7));
}

/** Instructions that leave FIP/FDP/FOP alone (control instructions). */
function isControl(esc: number, reg: number, modrm: number, isReg: boolean): boolean {
  if (isNoWait(esc, reg, modrm, isReg)) return true;
  return !isReg && ((esc === 1 && (reg === 4 || reg === 5)) || (esc === 5 && reg === 4));
}

// ---------------------------------------------------------------------------------------------
// Exceptions and stack helpers.

/** Merges the operation's flags into the status word; returns true when an unmasked IE/ZE/DE blocks the result. */
function commit(f: Fpu, c1: boolean): boolean {
  const fl = f.env.flags;
  if (c1) f.sw = (f.sw & ~C1) | (f.env.up && (fl & FE.PE) !== 0 ? C1 : 0);
  if (fl === 0) return false;
  f.sw |= fl & 0x3f;
  const unmasked = fl & ~f.cw & 0x3f;
  if (unmasked !== 0) f.sw |= ES | B;
  return (unmasked & (FE.IE | FE.ZE | FE.DE)) !== 0;
}

/** Stack underflow (an empty register read): IE | SF, C1 = 0. Returns true when IE is unmasked. */
function underflow(f: Fpu): boolean {
  f.sw = (f.sw & ~C1) | FE.IE | SF;
  if ((f.cw & FE.IE) === 0) {
    f.sw |= ES | B;
    return true;
  }
  return false;
}

/** Pushes a value (stack overflow: IE | SF | C1, masked response pushes the indefinite). */
function push(f: Fpu, v: F80): void {
  const t = (f.top - 1) & 7;
  if (((f.tw >> (2 * t)) & 3) !== 3) {
    f.sw |= FE.IE | SF | C1;
    if ((f.cw & FE.IE) === 0) {
      f.sw |= ES | B;
      return;
    }
    v = INDEFINITE;
  } else {
    f.sw &= ~C1;
  }
  f.top = t;
  f.set(0, v);
}

function pop(f: Fpu): void {
  f.free(f.top);
  f.top = (f.top + 1) & 7;
}

/** ST(i), or null after a stack underflow with IE unmasked; a masked underflow reads the indefinite. */
function st(f: Fpu, i: number): F80 | null {
  if (f.isEmpty(i)) return underflow(f) ? null : INDEFINITE;
  return f.get(i);
}

// ---------------------------------------------------------------------------------------------
// Memory operands.

function readM32(c: Cpu, i: Insn): F80 {
  return fromF32Bits(rd32(c, i.seg, ea(c, i)));
}
function readM64(c: Cpu, i: Insn): F80 {
  const off = ea(c, i);
  const lo = rd32(c, i.seg, off);
  return fromF64Bits(lo, rd32(c, i.seg, (off + 4) & i.amask));
}
function readI16(c: Cpu, i: Insn): F80 {
  return fromBigInt(BigInt((rd16(c, i.seg, ea(c, i)) << 16) >> 16));
}
function readI32(c: Cpu, i: Insn): F80 {
  return fromBigInt(BigInt(rd32(c, i.seg, ea(c, i))));
}
function readI64(c: Cpu, i: Insn): F80 {
  const off = ea(c, i);
  const lo = rd32(c, i.seg, off);
  const hi = rd32(c, i.seg, (off + 4) & i.amask);
  return fromBigInt((BigInt(hi) << 32n) | BigInt(lo >>> 0));
}
function readM80(c: Cpu, i: Insn): F80 {
  const off = ea(c, i);
  const lo = rd32(c, i.seg, off);
  const hi = rd32(c, i.seg, (off + 4) & i.amask);
  const se = rd16(c, i.seg, (off + 8) & i.amask);
  return { s: se >> 15, e: se & 0x7fff, m: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) };
}
function writeM80(c: Cpu, i: Insn, v: F80): void {
  const off = ea(c, i);
  // Check the last byte first so that nothing is written when the operand faults.
  wr16(c, i.seg, (off + 8) & i.amask, (v.s << 15) | v.e);
  wr32(c, i.seg, off, Number(v.m & 0xffffffffn));
  wr32(c, i.seg, (off + 4) & i.amask, Number(v.m >> 32n));
}
function writeDq(c: Cpu, i: Insn, bits: bigint): void {
  const off = ea(c, i);
  wr32(c, i.seg, (off + 4) & i.amask, Number((bits >> 32n) & 0xffffffffn));
  wr32(c, i.seg, off, Number(bits & 0xffffffffn));
}

// ---------------------------------------------------------------------------------------------
// Arithmetic.

/** op: 0 add, 1 mul, 4 a−b, 5 b−a, 6 a/b, 7 b/a. */
function arith(f: Fpu, op: number, a: F80, b: F80): F80 {
  const env = f.env;
  switch (op) {
    case 0:
      return add(env, a, b);
    case 1:
      return mul(env, a, b);
    case 4:
      return add(env, a, b, true);
    case 5:
      return add(env, b, a, true);
    case 6:
      return div(env, a, b);
    default:
      return div(env, b, a);
  }
}

function setCompare(f: Fpu, r: number): void {
  const cc = r === 2 ? C3 | C2 | C0 : r < 0 ? C0 : r === 0 ? C3 : 0;
  f.sw = (f.sw & ~CC) | cc;
}

/** ST(0) op= src (D8/DA/DC/DE memory forms and D8 register forms). */
function arithSt0(f: Fpu, op: number, src: F80): void {
  const a = st(f, 0);
  if (a === null) return;
  if (op === 2 || op === 3) {
    setCompare(f, compare(f.env, a, src, true));
    commit(f, false);
    if (op === 3) pop(f);
    return;
  }
  const r = arith(f, op, a, src);
  if (!commit(f, true)) f.set(0, r);
}

// ---------------------------------------------------------------------------------------------
// Memory forms.

function execMem(c: Cpu, f: Fpu, i: Insn, esc: number, reg: number): void {
  switch (esc) {
    case 0:
      arithSt0(f, reg, readM32(c, i));
      return;
    case 4:
      arithSt0(f, reg, readM64(c, i));
      return;
    case 2:
      arithSt0(f, reg, readI32(c, i));
      return;
    case 6:
      arithSt0(f, reg, readI16(c, i));
      return;
    case 1:
      switch (reg) {
        case 0:
          loadPush(f, readM32(c, i));
          return;
        case 2:
        case 3:
          storeIeee(c, f, i, 24, 8, reg === 3);
          return;
        case 4:
          loadEnv(c, f, i);
          return;
        case 5:
          setCw(f, rd16(c, i.seg, ea(c, i)));
          return;
        case 6:
          storeEnv(c, f, i);
          f.cw |= 0x3f;
          return;
        case 7:
          wr16(c, i.seg, ea(c, i), f.cw);
          return;
        default:
          raiseUd(c);
      }
      return;
    case 3:
      switch (reg) {
        case 0:
          loadPush(f, readI32(c, i));
          return;
        case 2:
        case 3:
          storeInt(c, f, i, 32, reg === 3);
          return;
        case 5:
          loadPush(f, readM80(c, i));
          return;
        case 7: {
          const v = st(f, 0);
          if (v === null) return;
          writeM80(c, i, v);
          pop(f);
          return;
        }
        default:
          raiseUd(c);
      }
      return;
    case 5:
      switch (reg) {
        case 0:
          loadPush(f, readM64(c, i));
          return;
        case 2:
        case 3:
          storeIeee(c, f, i, 53, 11, reg === 3);
          return;
        case 4:
          restoreState(c, f, i);
          return;
        case 6:
          saveState(c, f, i);
          return;
        case 7:
          wr16(c, i.seg, ea(c, i), f.status());
          return;
        default:
          raiseUd(c);
      }
      return;
    default:
      switch (reg) {
        case 0:
          loadPush(f, readI16(c, i));
          return;
        case 2:
        case 3:
          storeInt(c, f, i, 16, reg === 3);
          return;
        case 4:
          loadPush(f, readBcd(c, i));
          return;
        case 5:
          loadPush(f, readI64(c, i));
          return;
        case 6:
          storeBcd(c, f, i);
          return;
        case 7:
          storeInt(c, f, i, 64, true);
          return;
        default:
          raiseUd(c);
      }
  }
}

function loadPush(f: Fpu, v: F80): void {
  // A signaling NaN loaded from memory raises IE and becomes quiet (denormals raise DE).
  if (isNaN80(v) && (v.m & (1n << 62n)) === 0n) {
    f.env.flags |= FE.IE;
    v = { s: v.s, e: v.e, m: v.m | (1n << 62n) };
  } else if (v.e === 0 && v.m !== 0n) {
    f.env.flags |= FE.DE;
  }
  if (commit(f, false)) return;
  push(f, v);
}

function storeIeee(c: Cpu, f: Fpu, i: Insn, p: number, ew: number, doPop: boolean): void {
  const v = st(f, 0);
  if (v === null) return;
  const bits = toIeeeBits(f.env, v, p, ew);
  if (commit(f, true)) return;
  if (p === 24) wr32(c, i.seg, ea(c, i), Number(bits));
  else writeDq(c, i, bits);
  if (doPop) pop(f);
}

function storeInt(c: Cpu, f: Fpu, i: Insn, bits: number, doPop: boolean): void {
  const v = st(f, 0);
  if (v === null) return;
  let r: bigint;
  const lim = 1n << BigInt(bits - 1);
  if (isNaN80(v) || isInf(v) || v.e - 16383 > 70) {
    f.env.flags |= FE.IE;
    r = -lim;
  } else {
    r = toBigInt(f.env, v);
    if (r >= lim || r < -lim) {
      f.env.flags = (f.env.flags & ~FE.PE) | FE.IE;
      r = -lim;
    }
  }
  if (commit(f, true)) return;
  const off = ea(c, i);
  if (bits === 16) wr16(c, i.seg, off, Number(BigInt.asUintN(16, r)));
  else if (bits === 32) wr32(c, i.seg, off, Number(BigInt.asIntN(32, r)));
  else writeDq(c, i, BigInt.asUintN(64, r));
  if (doPop) pop(f);
}

function readBcd(c: Cpu, i: Insn): F80 {
  const off = ea(c, i);
  let v = 0n;
  for (let k = 8; k >= 0; k--) {
    const b = rd8(c, i.seg, (off + k) & i.amask);
    v = v * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  const sign = rd8(c, i.seg, (off + 9) & i.amask) >> 7;
  const r = fromBigInt(v);
  return sign !== 0 && !isZero(r) ? { s: 1, e: r.e, m: r.m } : sign !== 0 ? zero(1) : r;
}

function storeBcd(c: Cpu, f: Fpu, i: Insn): void {
  const v = st(f, 0);
  if (v === null) return;
  let r = 0n;
  let bad = isNaN80(v) || isInf(v) || v.e - 16383 > 64;
  if (!bad) {
    r = toBigInt(f.env, v);
    if (r >= 10n ** 18n || r <= -(10n ** 18n)) bad = true;
  }
  if (bad) f.env.flags = (f.env.flags & ~FE.PE) | FE.IE;
  if (commit(f, true)) return;
  const off = ea(c, i);
  // Write the sign byte first: a fault on the last byte leaves memory untouched.
  if (bad) {
    wr8(c, i.seg, (off + 9) & i.amask, 0xff);
    wr8(c, i.seg, (off + 8) & i.amask, 0xff);
    wr8(c, i.seg, (off + 7) & i.amask, 0xc0);
    for (let k = 0; k < 7; k++) wr8(c, i.seg, (off + k) & i.amask, 0);
  } else {
    const neg = r < 0n || (r === 0n && v.s === 1);
    let m = r < 0n ? -r : r;
    wr8(c, i.seg, (off + 9) & i.amask, neg ? 0x80 : 0);
    for (let k = 0; k < 9; k++) {
      const d0 = Number(m % 10n);
      m /= 10n;
      const d1 = Number(m % 10n);
      m /= 10n;
      wr8(c, i.seg, (off + k) & i.amask, (d1 << 4) | d0);
    }
  }
  pop(f);
}

function setCw(f: Fpu, v: number): void {
  f.cw = (v & 0x1f7f) | 0x40;
  if ((f.sw & ~f.cw & 0x3f) !== 0) f.sw |= ES | B;
  else f.sw &= ~(ES | B);
}

// FSTENV/FLDENV image (protected-mode layout, 28 bytes for 32-bit operand size, 14 for 16-bit).
function storeEnv(c: Cpu, f: Fpu, i: Insn): number {
  const off = ea(c, i);
  const m = i.amask;
  if ((i.flags & 1) !== 0) {
    wr32(c, i.seg, (off + 24) & m, f.fds | 0xffff0000);
    wr32(c, i.seg, off, f.cw | 0xffff0000);
    wr32(c, i.seg, (off + 4) & m, f.status() | 0xffff0000);
    wr32(c, i.seg, (off + 8) & m, f.fullTags() | 0xffff0000);
    wr32(c, i.seg, (off + 12) & m, f.fip);
    wr32(c, i.seg, (off + 16) & m, f.fcs | (f.fop << 16));
    wr32(c, i.seg, (off + 20) & m, f.fdp);
    return 28;
  }
  wr16(c, i.seg, (off + 12) & m, f.fds);
  wr16(c, i.seg, off, f.cw);
  wr16(c, i.seg, (off + 2) & m, f.status());
  wr16(c, i.seg, (off + 4) & m, f.fullTags());
  wr16(c, i.seg, (off + 6) & m, f.fip);
  wr16(c, i.seg, (off + 8) & m, f.fcs);
  wr16(c, i.seg, (off + 10) & m, f.fdp);
  return 14;
}

function loadEnv(c: Cpu, f: Fpu, i: Insn): number {
  const off = ea(c, i);
  const m = i.amask;
  const o32 = (i.flags & 1) !== 0;
  const w = o32 ? 4 : 2;
  const rd = (k: number): number =>
    o32 ? rd32(c, i.seg, (off + k * w) & m) : rd16(c, i.seg, (off + k * w) & m);
  const cw = rd(0) & 0xffff;
  const sw = rd(1) & 0xffff;
  const tw = rd(2) & 0xffff;
  const fip = rd(3);
  const fcsop = rd(4);
  const fdp = rd(5);
  const fds = rd(6) & 0xffff;
  f.sw = sw & ~0x3800;
  f.top = (sw >> 11) & 7;
  let t = 0;
  for (let p = 0; p < 8; p++) {
    const tag = (tw >> (2 * p)) & 3;
    t |= (tag === 3 ? 3 : tagOf(f.regs[p]!)) << (2 * p);
  }
  f.tw = t;
  f.fip = fip;
  f.fcs = fcsop & 0xffff;
  f.fop = o32 ? (fcsop >>> 16) & 0x7ff : 0;
  f.fdp = fdp;
  f.fds = fds;
  setCw(f, cw);
  return o32 ? 28 : 14;
}

function saveState(c: Cpu, f: Fpu, i: Insn): void {
  const n = storeEnv(c, f, i);
  const off = ea(c, i);
  for (let k = 0; k < 8; k++) {
    const v = f.regs[f.phys(k)]!;
    const base = (off + n + 10 * k) & i.amask;
    wr32(c, i.seg, base, Number(v.m & 0xffffffffn));
    wr32(c, i.seg, (base + 4) & i.amask, Number(v.m >> 32n));
    wr16(c, i.seg, (base + 8) & i.amask, (v.s << 15) | v.e);
  }
  f.init();
}

function restoreState(c: Cpu, f: Fpu, i: Insn): void {
  const off = ea(c, i);
  const n = (i.flags & 1) !== 0 ? 28 : 14;
  // Read the registers first (a fault must leave the state alone).
  const vals: F80[] = [];
  for (let k = 0; k < 8; k++) {
    const base = (off + n + 10 * k) & i.amask;
    const lo = rd32(c, i.seg, base);
    const hi = rd32(c, i.seg, (base + 4) & i.amask);
    const se = rd16(c, i.seg, (base + 8) & i.amask);
    vals.push({ s: se >> 15, e: se & 0x7fff, m: (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) });
  }
  loadEnv(c, f, i);
  for (let k = 0; k < 8; k++) f.regs[f.phys(k)] = vals[k]!;
  let t = f.tw;
  for (let p = 0; p < 8; p++) {
    const tag = (t >> (2 * p)) & 3;
    if (tag !== 3) t = (t & ~(3 << (2 * p))) | (tagOf(f.regs[p]!) << (2 * p));
  }
  f.tw = t;
}

// ---------------------------------------------------------------------------------------------
// Register forms.

function execReg(c: Cpu, f: Fpu, _i: Insn, esc: number, modrm: number): void {
  const reg = (modrm >> 3) & 7;
  const r = modrm & 7;
  switch (esc) {
    case 0: {
      const src = st(f, r);
      if (src === null) return;
      arithSt0(f, reg, src);
      return;
    }
    case 4:
    case 6: {
      // DC: ST(i) op= ST(0); DE: the same and pop. SUB/SUBR and DIV/DIVR swap here.
      if (esc === 6 && reg === 3) {
        if (r !== 1) raiseUd(c);
        // FCOMPP.
        const a = st(f, 0);
        const b = a === null ? null : st(f, 1);
        if (a === null || b === null) return;
        setCompare(f, compare(f.env, a, b, true));
        commit(f, false);
        pop(f);
        pop(f);
        return;
      }
      if (reg === 2 || reg === 3) {
        const a = st(f, 0);
        const b = a === null ? null : st(f, r);
        if (a === null || b === null) return;
        setCompare(f, compare(f.env, a, b, true));
        commit(f, false);
        if (reg === 3 || esc === 6) pop(f);
        return;
      }
      const op = reg < 4 ? reg : reg ^ 1;
      const a = st(f, r);
      const b = a === null ? null : st(f, 0);
      if (a === null || b === null) return;
      const res = arith(f, op, a, b);
      if (!commit(f, true)) f.set(r, res);
      if (esc === 6) pop(f);
      return;
    }
    case 1:
      execD9(c, f, reg, r);
      return;
    case 2:
      if (reg < 4) {
        fcmov(c, f, reg, r, false);
        return;
      }
      if (modrm === 0xe9) {
        const a = st(f, 0);
        const b = a === null ? null : st(f, 1);
        if (a === null || b === null) return;
        setCompare(f, compare(f.env, a, b, false));
        commit(f, false);
        pop(f);
        pop(f);
        return;
      }
      raiseUd(c);
      return;
    case 3:
      if (reg < 4) {
        fcmov(c, f, reg, r, true);
        return;
      }
      if (modrm === 0xe2) {
        f.sw &= 0x7f00 & ~SF;
        return;
      }
      if (modrm === 0xe3) {
        f.init();
        return;
      }
      if (modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4) return;
      if (reg === 5 || reg === 6) {
        fcomi(c, f, r, reg === 6, false);
        return;
      }
      raiseUd(c);
      return;
    case 5:
      switch (reg) {
        case 0:
          f.free(f.phys(r));
          return;
        case 1:
          fxch(f, r);
          return;
        case 2:
        case 3: {
          const v = st(f, 0);
          if (v === null) return;
          f.set(r, v);
          if (reg === 3) pop(f);
          return;
        }
        case 4:
        case 5: {
          const a = st(f, 0);
          const b = a === null ? null : st(f, r);
          if (a === null || b === null) return;
          setCompare(f, compare(f.env, a, b, false));
          commit(f, false);
          if (reg === 5) pop(f);
          return;
        }
        default:
          raiseUd(c);
      }
      return;
    default:
      // DF.
      switch (reg) {
        case 0:
          f.free(f.phys(r));
          pop(f);
          return;
        case 1:
          fxch(f, r);
          return;
        case 2:
        case 3: {
          const v = st(f, 0);
          if (v === null) return;
          f.set(r, v);
          pop(f);
          return;
        }
        case 4:
          if (r !== 0) raiseUd(c);
          c.r16[0] = f.status();
          return;
        case 5:
        case 6:
          fcomi(c, f, r, reg === 6, true);
          return;
        default:
          raiseUd(c);
      }
  }
}

function fxch(f: Fpu, r: number): void {
  let a = f.isEmpty(0) ? null : f.get(0);
  let b = f.isEmpty(r) ? null : f.get(r);
  if (a === null || b === null) {
    if (underflow(f)) return;
    a ??= INDEFINITE;
    b ??= INDEFINITE;
  } else {
    f.sw &= ~C1;
  }
  f.set(0, b);
  f.set(r, a);
}

function fcmov(c: Cpu, f: Fpu, reg: number, r: number, negate: boolean): void {
  let cond: number;
  switch (reg) {
    case 0:
      cond = getCf(c);
      break;
    case 1:
      cond = getZf(c);
      break;
    case 2:
      cond = getCf(c) | getZf(c);
      break;
    default:
      cond = getPf(c);
      break;
  }
  if (negate) cond ^= 1;
  const v = f.isEmpty(r) ? null : f.get(r);
  if (v === null || f.isEmpty(0)) {
    if (underflow(f)) return;
    if (cond !== 0) f.set(0, INDEFINITE);
    return;
  }
  if (cond !== 0) f.set(0, v);
}

function fcomi(c: Cpu, f: Fpu, r: number, signaling: boolean, doPop: boolean): void {
  const a = st(f, 0);
  const b = a === null ? null : st(f, r);
  if (a === null || b === null) return;
  const res = compare(f.env, a, b, signaling);
  if (commit(f, false)) return;
  materialize(c);
  let fl = c.fl & ~(0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x800);
  if (res === 2) fl |= 0x40 | 0x4 | 0x1;
  else if (res < 0) fl |= 0x1;
  else if (res === 0) fl |= 0x40;
  c.fl = fl;
  f.sw &= ~C1;
  if (doPop) pop(f);
}

function execD9(c: Cpu, f: Fpu, reg: number, r: number): void {
  switch (reg) {
    case 0: {
      const v = st(f, r);
      if (v === null) return;
      push(f, v);
      return;
    }
    case 1:
      fxch(f, r);
      return;
    case 2:
      if (r !== 0) raiseUd(c);
      return;
    case 3: {
      // FSTP1 (undocumented alias of FSTP ST(i)).
      const v = st(f, 0);
      if (v === null) return;
      f.set(r, v);
      pop(f);
      return;
    }
    case 4:
      d9e0(c, f, r);
      return;
    case 5:
      d9e8(c, f, r);
      return;
    case 6:
      d9f0(c, f, r);
      return;
    default:
      d9f8(c, f, r);
  }
}

function d9e0(c: Cpu, f: Fpu, r: number): void {
  if (r === 2 || r === 3 || r === 6 || r === 7) raiseUd(c);
  if (r === 5) {
    // FXAM: classifies without a stack fault.
    const v = f.get(0);
    const cls = f.isEmpty(0) ? C3 | C0 : fxamClass(v) | (v.s !== 0 ? C1 : 0);
    f.sw = (f.sw & ~CC) | cls;
    return;
  }
  const v = st(f, 0);
  if (v === null) return;
  switch (r) {
    case 0:
      f.set(0, { s: v.s ^ 1, e: v.e, m: v.m });
      f.sw &= ~C1;
      return;
    case 1:
      f.set(0, { s: 0, e: v.e, m: v.m });
      f.sw &= ~C1;
      return;
    case 4:
      setCompare(f, compare(f.env, v, zero(0), true));
      commit(f, false);
      return;
    default:
      return;
  }
}

function d9e8(c: Cpu, f: Fpu, r: number): void {
  const consts = [ONE, L2T, L2E, PI, LG2, LN2, zero(0)];
  if (r === 7) raiseUd(c);
  let v = consts[r]!;
  // The stored constants are rounded to nearest; round down/up/chop adjust the last bit for
  // L2T is exact enough; L2E, PI, LG2, LN2 round up in nearest mode (SDM vol. 1, §8.3.8).
  const rc = (f.cw >> 10) & 3;
  if ((r >= 2 && r <= 5 && (rc === 1 || rc === 3)) || (r === 1 && rc === 2)) {
    v = { s: 0, e: v.e, m: r === 1 ? v.m + 1n : v.m - 1n };
  }
  push(f, v);
}

function transcendental(f: Fpu, fn: (x: number) => number, x: F80): F80 {
  const d = fn(toDouble(x));
  f.env.flags |= FE.PE;
  return fromDouble(d);
}

function d9f0(c: Cpu, f: Fpu, r: number): void {
  void c;
  const env = f.env;
  switch (r) {
    case 0: {
      // F2XM1.
      const v = st(f, 0);
      if (v === null) return;
      const res = isNaN80(v) ? v : transcendental(f, (x) => Math.expm1(x * Math.LN2), v);
      if (!commit(f, true)) f.set(0, res);
      return;
    }
    case 1:
    case 3: {
      // FYL2X / FPATAN: ST(1) ← f(ST(1), ST(0)); pop.
      const x = st(f, 0);
      const y = x === null ? null : st(f, 1);
      if (x === null || y === null) return;
      let res: F80;
      if (r === 1) {
        const dx = toDouble(x);
        if (dx < 0 || isNaN80(x)) res = invalidOrNaN(f, x, y);
        else if (dx === 0) {
          env.flags |= FE.ZE;
          res = fromDouble(-Math.sign(toDouble(y)) * Number.POSITIVE_INFINITY);
        } else res = fromDouble(toDouble(y) * Math.log2(dx));
      } else {
        res = fromDouble(Math.atan2(toDouble(y), toDouble(x)));
      }
      env.flags |= FE.PE;
      if (!commit(f, true)) f.set(1, res);
      pop(f);
      return;
    }
    case 2: {
      // FPTAN: ST(0) ← tan, push 1.
      const v = st(f, 0);
      if (v === null) return;
      const x = toDouble(v);
      if (Math.abs(x) >= 2 ** 63) {
        f.sw |= C2;
        return;
      }
      f.sw &= ~C2;
      const res = transcendental(f, Math.tan, v);
      if (commit(f, true)) return;
      f.set(0, res);
      push(f, ONE);
      return;
    }
    case 4: {
      // FXTRACT.
      const v = st(f, 0);
      if (v === null) return;
      if (isZero(v)) {
        env.flags |= FE.ZE;
        if (commit(f, false)) return;
        f.set(0, { s: 1, e: 0x7fff, m: 1n << 63n });
        push(f, v);
        return;
      }
      if (isNaN80(v) || isInf(v)) {
        f.set(0, v);
        push(f, isInf(v) ? { s: v.s, e: v.e, m: v.m } : v);
        return;
      }
      const x = extract(v);
      f.set(0, x.exp);
      push(f, x.sig);
      return;
    }
    case 5: {
      fprem(f, true);
      return;
    }
    case 6:
      f.top = (f.top - 1) & 7;
      f.sw &= ~C1;
      return;
    default:
      f.top = (f.top + 1) & 7;
      f.sw &= ~C1;
  }
}

function invalidOrNaN(f: Fpu, x: F80, y: F80): F80 {
  if (isNaN80(x)) return x;
  if (isNaN80(y)) return y;
  f.env.flags |= FE.IE;
  return INDEFINITE;
}

function fprem(f: Fpu, ieee: boolean): void {
  const a = st(f, 0);
  const b = a === null ? null : st(f, 1);
  if (a === null || b === null) return;
  const res = remainder(f.env, a, b, ieee);
  if (commit(f, false)) return;
  f.set(0, res.r);
  let cc = 0;
  if (!res.complete) cc |= C2;
  else {
    if ((res.q & 4) !== 0) cc |= C0;
    if ((res.q & 2) !== 0) cc |= C3;
    if ((res.q & 1) !== 0) cc |= C1;
  }
  f.sw = (f.sw & ~CC) | cc;
}

function d9f8(c: Cpu, f: Fpu, r: number): void {
  void c;
  const env = f.env;
  switch (r) {
    case 0:
      fprem(f, false);
      return;
    case 1: {
      // FYL2XP1.
      const x = st(f, 0);
      const y = x === null ? null : st(f, 1);
      if (x === null || y === null) return;
      const res = fromDouble((toDouble(y) * Math.log1p(toDouble(x))) / Math.LN2);
      env.flags |= FE.PE;
      if (!commit(f, true)) f.set(1, res);
      pop(f);
      return;
    }
    case 2: {
      const v = st(f, 0);
      if (v === null) return;
      const res = sqrt(env, v);
      if (!commit(f, true)) f.set(0, res);
      return;
    }
    case 3: {
      // FSINCOS: ST(0) ← sin, push cos.
      const v = st(f, 0);
      if (v === null) return;
      const x = toDouble(v);
      if (Math.abs(x) >= 2 ** 63) {
        f.sw |= C2;
        return;
      }
      f.sw &= ~C2;
      const s = transcendental(f, Math.sin, v);
      const co = transcendental(f, Math.cos, v);
      if (commit(f, true)) return;
      f.set(0, s);
      push(f, co);
      return;
    }
    case 4: {
      const v = st(f, 0);
      if (v === null) return;
      const res = roundInt(env, v);
      if (!commit(f, true)) f.set(0, res);
      return;
    }
    case 5: {
      // FSCALE: ST(0) × 2^trunc(ST(1)).
      const a = st(f, 0);
      const b = a === null ? null : st(f, 1);
      if (a === null || b === null) return;
      let res: F80;
      if (isNaN80(a) || isNaN80(b)) res = isNaN80(a) ? a : b;
      else if (isInf(b)) {
        if (isZero(a) && b.s === 0) res = invalidOrNaN(f, INDEFINITE, INDEFINITE);
        else if (isInf(a) && b.s === 1) res = invalidOrNaN(f, INDEFINITE, INDEFINITE);
        else res = b.s === 0 ? (isZero(a) ? a : { s: a.s, e: 0x7fff, m: 1n << 63n }) : zero(a.s);
      } else {
        const saveRc = env.rc;
        env.rc = 3;
        const kk = toBigInt(env, b);
        env.rc = saveRc;
        env.flags &= ~FE.PE;
        const kn = kk > 100000n ? 100000 : kk < -100000n ? -100000 : Number(kk);
        res = scale(env, a, kn);
      }
      if (!commit(f, true)) f.set(0, res);
      return;
    }
    case 6:
    case 7: {
      const v = st(f, 0);
      if (v === null) return;
      const x = toDouble(v);
      if (Math.abs(x) >= 2 ** 63) {
        f.sw |= C2;
        return;
      }
      f.sw &= ~C2;
      const res = transcendental(f, r === 6 ? Math.sin : Math.cos, v);
      if (!commit(f, true)) f.set(0, res);
      return;
    }
  }
}
