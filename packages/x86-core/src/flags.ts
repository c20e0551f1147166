/**
 * Lazy arithmetic flags.
 *
 * An arithmetic instruction records its operands and result instead of computing six flags:
 * `lop1`, `lop2`, `lres` (all sign-extended from the operand size to 32 bits), `lsub` (1 for the
 * subtract family) and `lz`, the mask of flags that are lazy. Sign extension makes the size
 * irrelevant when a flag is finally read: the operand's top bit is bit 31, the low byte is intact
 * for PF and bit 4 for AF, and ZF is `lres === 0`. Flags not in `lz` live in `fl`.
 *
 * ADC/SBB and NEG fit the same formulas: carry-out = majority(a, b, carry-in) at the top bit,
 * where carry-in = a ^ b ^ r (SDM vol. 1, §3.4.3.1; the identity is the usual full-adder one).
 */
import type { Cpu } from './cpu.js';

/** Carry flag. */
export const CF = 0x1;
/** Parity flag. */
export const PF = 0x4;
/** Auxiliary-carry flag. */
export const AF = 0x10;
/** Zero flag. */
export const ZF = 0x40;
/** Sign flag. */
export const SF = 0x80;
/** Overflow flag. */
export const OF = 0x800;
/** The six arithmetic status flags. */
export const ARITH: number = CF | PF | AF | ZF | SF | OF;
/** Flags that depend on the result only (lazy after logic ops and shifts). */
export const RESULT_FLAGS: number = PF | ZF | SF;

/** Parity of each byte value: 1 when the number of set bits is even (PF's definition). */
export const PARITY: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let v = 0; v < 256; v++) {
    let b = v;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    t[v] = (b & 1) === 0 ? 1 : 0;
  }
  return t;
})();

/** CF from the lazy state (assumes CF is lazy). */
export function lazyCf(c: Cpu): number {
  const a = c.lop1;
  const b = c.lop2;
  const r = c.lres;
  return c.lsub !== 0 ? ((~a & b) | ((~a | b) & r)) >>> 31 : ((a & b) | ((a | b) & ~r)) >>> 31;
}

/** OF from the lazy state (assumes OF is lazy). */
export function lazyOf(c: Cpu): number {
  const a = c.lop1;
  const b = c.lop2;
  const r = c.lres;
  return c.lsub !== 0 ? ((a ^ b) & (a ^ r)) >>> 31 : ((a ^ r) & (b ^ r)) >>> 31;
}

/** CF as 0 or 1. */
export function getCf(c: Cpu): number {
  return (c.lz & CF) !== 0 ? lazyCf(c) : c.fl & CF;
}

/** ZF as 0 or 1. */
export function getZf(c: Cpu): number {
  return (c.lz & ZF) !== 0 ? (c.lres === 0 ? 1 : 0) : (c.fl >> 6) & 1;
}

/** SF as 0 or 1. */
export function getSf(c: Cpu): number {
  return (c.lz & SF) !== 0 ? c.lres >>> 31 : (c.fl >> 7) & 1;
}

/** OF as 0 or 1. */
export function getOf(c: Cpu): number {
  return (c.lz & OF) !== 0 ? lazyOf(c) : (c.fl >> 11) & 1;
}

/** PF as 0 or 1. */
export function getPf(c: Cpu): number {
  return (c.lz & PF) !== 0 ? PARITY[c.lres & 0xff]! : (c.fl >> 2) & 1;
}

/** AF as 0 or 1. */
export function getAf(c: Cpu): number {
  return (c.lz & AF) !== 0 ? ((c.lop1 ^ c.lop2 ^ c.lres) >> 4) & 1 : (c.fl >> 4) & 1;
}

/** The full EFLAGS value with every lazy flag computed. */
export function getFlags(c: Cpu): number {
  const lz = c.lz;
  if (lz === 0) return c.fl;
  let f = c.fl & ~lz;
  if ((lz & CF) !== 0) f |= lazyCf(c);
  if ((lz & PF) !== 0) f |= PARITY[c.lres & 0xff]! << 2;
  if ((lz & AF) !== 0) f |= (c.lop1 ^ c.lop2 ^ c.lres) & AF;
  if ((lz & ZF) !== 0 && c.lres === 0) f |= ZF;
  if ((lz & SF) !== 0) f |= (c.lres >>> 31) << 7;
  if ((lz & OF) !== 0) f |= lazyOf(c) << 11;
  return f;
}

/** Makes every flag concrete in `c.fl` (before an instruction that reads or edits them). */
export function materialize(c: Cpu): void {
  if (c.lz !== 0) {
    c.fl = getFlags(c);
    c.lz = 0;
  }
}

/** Makes CF concrete (INC/DEC keep CF while making the others lazy). */
export function materializeCf(c: Cpu): void {
  if ((c.lz & CF) !== 0) {
    c.fl = (c.fl & ~CF) | lazyCf(c);
    c.lz &= ~CF;
  }
}

/** Records an addition `r = a + b (+ carry)`; operands and result sign-extended to 32 bits. */
export function setAdd(c: Cpu, a: number, b: number, r: number): void {
  c.lop1 = a;
  c.lop2 = b;
  c.lres = r;
  c.lsub = 0;
  c.lz = ARITH;
}

/** Records a subtraction `r = a - b (- borrow)`; operands and result sign-extended. */
export function setSub(c: Cpu, a: number, b: number, r: number): void {
  c.lop1 = a;
  c.lop2 = b;
  c.lres = r;
  c.lsub = 1;
  c.lz = ARITH;
}

/** Records a logic result (CF = OF = 0; AF cleared as P6 does; ZF/SF/PF lazy). */
export function setLogic(c: Cpu, r: number): void {
  c.fl &= ~(CF | OF | AF);
  c.lres = r;
  c.lz = RESULT_FLAGS;
}

/** Records INC: like an addition of 1 that leaves CF alone. */
export function setInc(c: Cpu, a: number, r: number): void {
  if ((c.lz & CF) !== 0) c.fl = (c.fl & ~CF) | lazyCf(c);
  c.lop1 = a;
  c.lop2 = 1;
  c.lres = r;
  c.lsub = 0;
  c.lz = ARITH & ~CF;
}

/** Records DEC: like a subtraction of 1 that leaves CF alone. */
export function setDec(c: Cpu, a: number, r: number): void {
  if ((c.lz & CF) !== 0) c.fl = (c.fl & ~CF) | lazyCf(c);
  c.lop1 = a;
  c.lop2 = 1;
  c.lres = r;
  c.lsub = 1;
  c.lz = ARITH & ~CF;
}

/**
 * Records a result whose ZF/SF/PF are lazy while CF, OF and AF are given (shifts, multiplies).
 * `others` holds the concrete CF|OF|AF bits.
 */
export function setResultWith(c: Cpu, r: number, others: number): void {
  c.fl = (c.fl & ~(CF | OF | AF)) | others;
  c.lres = r;
  c.lz = RESULT_FLAGS;
}

/**
 * Evaluates condition code `cc` (0–15, the low nibble of Jcc/SETcc/CMOVcc; SDM vol. 2,
 * appendix B.1.4.7) to 0 or 1.
 */
export function testCc(c: Cpu, cc: number): number {
  let v: number;
  switch (cc >> 1) {
    case 0:
      v = getOf(c);
      break;
    case 1:
      v = getCf(c);
      break;
    case 2:
      v = getZf(c);
      break;
    case 3:
      v = getCf(c) | getZf(c);
      break;
    case 4:
      v = getSf(c);
      break;
    case 5:
      v = getPf(c);
      break;
    case 6:
      v = getSf(c) ^ getOf(c);
      break;
    default:
      v = (getSf(c) ^ getOf(c)) | getZf(c);
      break;
  }
  return v ^ (cc & 1);
}
