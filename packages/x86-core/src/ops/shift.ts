/**
 * Group 2 operations: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR on a zero-extended `bits`-wide value
 * with a masked, non-zero count (the handlers in shift-ops.ts skip count 0, which changes
 * nothing). Rotates change only CF and OF — the other flags stay lazy; shifts set CF/OF, AF = 0
 * and leave ZF/SF/PF lazy on the result. OF uses the count-1 formula for every count (undefined
 * otherwise; Bochs makes the same choice, and SHR's result-based form matches the 286 data).
 */
import type { Cpu } from '../cpu.js';
import { CF, getCf, OF, setResultWith } from '../flags.js';

function rotateFlags(c: Cpu, cf: number, of: number): void {
  c.fl = (c.fl & ~(CF | OF)) | cf | (of << 11);
  c.lz &= ~(CF | OF);
}

/** ROL. */
export function rol(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const n = cnt % bits;
  const r = n === 0 ? v & mask : ((v << n) | ((v & mask) >>> (bits - n))) & mask;
  const cf = r & 1;
  rotateFlags(c, cf, ((r >>> (bits - 1)) ^ cf) & 1);
  return r;
}

/** ROR. */
export function ror(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const n = cnt % bits;
  const r = n === 0 ? v & mask : (((v & mask) >>> n) | (v << (bits - n))) & mask;
  const top = bits - 1;
  rotateFlags(c, (r >>> top) & 1, ((r >>> top) ^ (r >>> (top - 1))) & 1);
  return r;
}

/** RCL (through CF; 8/16-bit counts are taken modulo 9/17). */
export function rcl(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const n = bits === 32 ? cnt : cnt % (bits + 1);
  const oldCf = getCf(c);
  let r = v & mask;
  let cf = oldCf;
  if (n !== 0) {
    r = ((v << n) | (oldCf << (n - 1)) | (n > 1 ? (v & mask) >>> (bits + 1 - n) : 0)) & mask;
    cf = ((v & mask) >>> (bits - n)) & 1;
  }
  rotateFlags(c, cf, ((r >>> (bits - 1)) ^ cf) & 1);
  return r;
}

/** RCR. */
export function rcr(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const n = bits === 32 ? cnt : cnt % (bits + 1);
  const oldCf = getCf(c);
  let r = v & mask;
  let cf = oldCf;
  if (n !== 0) {
    r = (((v & mask) >>> n) | (oldCf << (bits - n)) | (n > 1 ? v << (bits + 1 - n) : 0)) & mask;
    cf = ((v & mask) >>> (n - 1)) & 1;
  }
  const top = bits - 1;
  rotateFlags(c, cf, ((r >>> top) ^ (r >>> (top - 1))) & 1);
  return r;
}

/** SHL/SAL. */
export function shl(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const r = (v << cnt) & mask;
  const cf = cnt <= bits ? ((v & mask) >>> (bits - cnt)) & 1 : 0;
  const of = ((r >>> (bits - 1)) ^ cf) & 1;
  setResultWith(c, (r << (32 - bits)) >> (32 - bits), cf | (of << 11));
  return r;
}

/** SHR. */
export function shr(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const u = v & mask;
  const r = u >>> cnt;
  const cf = (u >>> (cnt - 1)) & 1;
  const top = bits - 1;
  const of = cnt === 1 ? (u >>> top) & 1 : ((r >>> top) ^ (r >>> (top - 1))) & 1;
  setResultWith(c, (r << (32 - bits)) >> (32 - bits), cf | (of << 11));
  return r;
}

/** SAR. */
export function sar(c: Cpu, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const sv = (v << (32 - bits)) >> (32 - bits);
  const r = (sv >> cnt) & mask;
  const cf = (sv >> (cnt - 1)) & 1;
  setResultWith(c, (r << (32 - bits)) >> (32 - bits), cf);
  return r;
}
