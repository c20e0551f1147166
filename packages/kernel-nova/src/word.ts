/**
 * 64-bit machine words held in JavaScript numbers.
 *
 * Registers, UTCB words and selectors are x86-64 words. The model keeps them in plain numbers:
 * exact up to 2^53, which covers every address (48 bits), page number (36+ bits) and selector
 * (26 bits) NOVA uses. Bit operators in JavaScript are 32-bit, so alignment and masking of
 * larger values goes through the arithmetic helpers here.
 */

const TWO32 = 4294967296;

const POW2: number[] = [];
for (let i = 0; i <= 64; i++) POW2.push(2 ** i);

/** 2^n for integer 0 <= n <= 64, exact (table lookup). */
export function pow2(n: number): number {
  return POW2[n] ?? 2 ** n;
}

/** Round `v` down to a multiple of 2^order. */
export function alignDown(v: number, order: number): number {
  if (order <= 0) return v;
  const m = POW2[order] ?? 2 ** order;
  return v - (v % m);
}

/** `v & (2^order - 1)`: the low `order` bits of `v`. */
export function lowBits(v: number, order: number): number {
  if (order <= 0) return 0;
  return v % 2 ** order;
}

/** True if `[a, a + 2^ao)` and `[b, b + 2^bo)` (both aligned) intersect: `(a ^ b) >> max(ao, bo) == 0`. */
export function alignedOverlap(a: number, ao: number, b: number, bo: number): boolean {
  const o = Math.max(ao, bo);
  const m = 2 ** o;
  return Math.floor(a / m) === Math.floor(b / m);
}

/**
 * Normalise any JavaScript value passed where the ABI expects a machine word: non-negative safe
 * integers stay as they are, everything else (negative, fractional, NaN, Infinity, huge) is mapped
 * deterministically into [0, 2^64) the way a register would hold its low 64 bits.
 */
export function toWord(v: number): number {
  if (Number.isSafeInteger(v) && v >= 0) return v;
  if (!Number.isFinite(v)) return 0;
  const t = Math.trunc(v);
  if (t >= 0) return t % 2 ** 64;
  return Number(BigInt.asUintN(64, BigInt(t)));
}

/** Low 32 bits of a word as an unsigned number. */
export function lo32(v: number): number {
  if (v >= 0 && v < TWO32) return v;
  return toWord(v) % TWO32;
}

/** Bits 63:32 of a word as an unsigned number. */
export function hi32(v: number): number {
  if (v >= 0 && v < TWO32) return 0;
  return Math.floor(toWord(v) / TWO32) % TWO32;
}

/** Combine two 32-bit halves into a word (exact below 2^53). */
export function fromHiLo(hi: number, lo: number): number {
  return (hi >>> 0) * TWO32 + (lo >>> 0);
}

/** Read a little-endian 64-bit word at `off` of `view` as a number (exact below 2^53). */
export function readWord(view: DataView, off: number): number {
  return view.getUint32(off + 4, true) * TWO32 + view.getUint32(off, true);
}

/** Write a 64-bit word (see {@link toWord} for how odd values are stored). */
export function writeWord(view: DataView, off: number, v: number): void {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) {
    view.setUint32(off, v % TWO32, true);
    view.setUint32(off + 4, Math.floor(v / TWO32), true);
    return;
  }
  view.setBigUint64(off, BigInt.asUintN(64, BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)), true);
}

/** `a | b` for non-negative integers below 2^53. */
export function bitOr(a: number, b: number): number {
  if (a < TWO32 && b < TWO32) return (a | b) >>> 0;
  const ah = Math.floor(a / TWO32);
  const bh = Math.floor(b / TWO32);
  return ((ah | bh) >>> 0) * TWO32 + (((a % TWO32) | (b % TWO32)) >>> 0);
}
