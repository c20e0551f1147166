/**
 * Software floating point for the x87: 80-bit extended reals (sign, 15-bit biased exponent,
 * 64-bit significand with explicit integer bit), exact arithmetic on BigInt significands and
 * IEEE 754 rounding to 24/53/64 bits in the four x87 rounding modes, with the x87 exception
 * flags (SDM vol. 1, ch. 4 and 8). Values are immutable {@link F80} records.
 *
 * x87 instructions are off the hot path, so clarity wins over speed here.
 */

/** An extended real. `e` is the biased exponent (0–0x7fff), `m` the 64-bit significand. */
export interface F80 {
  readonly s: number;
  readonly e: number;
  readonly m: bigint;
}

/** x87 exception flag bits (status word bits 0–5). */
export const FE = {
  IE: 0x1,
  DE: 0x2,
  ZE: 0x4,
  OE: 0x8,
  UE: 0x10,
  PE: 0x20,
} as const;

/** Rounding state: in (rc, precision bits), out (flags, roundedUp). */
export class FpEnv {
  /** Rounding control: 0 nearest-even, 1 down, 2 up, 3 toward zero. */
  rc = 0;
  /** Significand precision of arithmetic results: 24, 53 or 64. */
  prec = 64;
  /** Exceptions raised by the operations since the last clear. */
  flags = 0;
  /** The last rounding increased the magnitude (x87 C1). */
  up = false;
  /** Underflow exception unmasked (changes when UE is reported). */
  ueUnmasked = false;
  /** Overflow exception unmasked. */
  oeUnmasked = false;
}

const BIAS = 16383;
const EMAX = 0x7fff;
const INT_BIT = 1n << 63n;
const QUIET_BIT = 1n << 62n;
const M64 = (1n << 64n) - 1n;

/** +0 / -0. */
export function zero(s: number): F80 {
  return { s, e: 0, m: 0n };
}

/** ±infinity. */
export function inf(s: number): F80 {
  return { s, e: EMAX, m: INT_BIT };
}

/** The x87 default NaN ("real indefinite"). */
export const INDEFINITE: F80 = { s: 1, e: EMAX, m: INT_BIT | QUIET_BIT };

/** A NaN (quiet or signaling). */
export function isNaN80(a: F80): boolean {
  return a.e === EMAX && (a.m & ~INT_BIT) !== 0n;
}

/** A signaling NaN (quiet bit clear). */
export function isSNaN(a: F80): boolean {
  return isNaN80(a) && (a.m & QUIET_BIT) === 0n;
}

/** ±infinity. */
export function isInf(a: F80): boolean {
  return a.e === EMAX && a.m === INT_BIT;
}

/** ±0. */
export function isZero(a: F80): boolean {
  return a.e === 0 && a.m === 0n;
}

/** Denormal (or pseudo-denormal) operand. */
export function isDenormal(a: F80): boolean {
  return a.e === 0 && a.m !== 0n;
}

/** Unnormals, pseudo-NaN/infinity: formats the 387+ reject as invalid operands. */
export function isUnsupported(a: F80): boolean {
  return a.e !== 0 && (a.m & INT_BIT) === 0n;
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Exact value as (sig, exp2): value = (-1)^s × sig × 2^exp2. */
function unpack(a: F80): { sig: bigint; exp2: number } {
  const eff = a.e === 0 ? 1 : a.e;
  return { sig: a.m, exp2: eff - BIAS - 63 };
}

function quiet(a: F80): F80 {
  return { s: a.s, e: EMAX, m: a.m | QUIET_BIT };
}

/** NaN propagation for two operands (SDM vol. 1, table 4-7, simplified to the larger significand). */
function propagateNaN(env: FpEnv, a: F80, b: F80 | null): F80 {
  if (isSNaN(a) || (b !== null && isSNaN(b))) env.flags |= FE.IE;
  if (b === null || !isNaN80(b)) return quiet(a);
  if (!isNaN80(a)) return quiet(b);
  return (a.m & ~QUIET_BIT) >= (b.m & ~QUIET_BIT) ? quiet(a) : quiet(b);
}

/**
 * Rounds `sig` (a non-negative integer) to the bit position `lsb` (an exponent of two) under the
 * rounding control, returning the rounded integer in units of 2^lsb. Sets `env.up` and returns
 * inexactness through `roundState`.
 */
const roundState = { inexact: false };
function roundAt(env: FpEnv, s: number, sig: bigint, exp2: number, lsb: number): bigint {
  const drop = lsb - exp2;
  roundState.inexact = false;
  if (drop <= 0) return sig << BigInt(-drop);
  const q = sig >> BigInt(drop);
  const rem = sig - (q << BigInt(drop));
  if (rem === 0n) return q;
  roundState.inexact = true;
  const half = 1n << BigInt(drop - 1);
  const cmp = rem > half ? 2 : rem === half ? 1 : 0;
  if (roundIncrement(env.rc, s, q, cmp)) {
    env.up = true;
    return q + 1n;
  }
  return q;
}

/**
 * Rounds (-1)^s × sig × 2^exp2 (exact) to `prec` significand bits in the extended exponent range,
 * setting PE/OE/UE and `env.up` (x87 C1). Tininess is detected before rounding, as the x87 does.
 */
export function round80(env: FpEnv, s: number, sig: bigint, exp2: number, prec: number = env.prec): F80 {
  env.up = false;
  if (sig === 0n) return zero(s);
  const E = exp2 + bitLength(sig) - 1;
  const minLsb = 1 - BIAS - (prec - 1);
  let lsb = Math.max(E - (prec - 1), minLsb);
  let q = roundAt(env, s, sig, exp2, lsb);
  const inexact = roundState.inexact;
  if (bitLength(q) > prec) {
    q >>= 1n;
    lsb += 1;
  }
  const tiny = E + BIAS < 1;
  if (inexact) env.flags |= FE.PE;
  if (tiny && (inexact || env.ueUnmasked)) env.flags |= FE.UE;
  if (q === 0n) return zero(s);
  if (lsb + bitLength(q) - 1 + BIAS >= EMAX) {
    env.flags |= FE.OE | FE.PE;
    return overflowResult(env, s, prec);
  }
  return packNormal(s, q, lsb, prec);
}

function roundIncrement(rc: number, s: number, q: bigint, cmp: number): boolean {
  switch (rc) {
    case 0:
      return cmp === 2 || (cmp === 1 && (q & 1n) === 1n);
    case 1:
      return s === 1;
    case 2:
      return s === 0;
    default:
      return false;
  }
}

function overflowResult(env: FpEnv, s: number, prec: number): F80 {
  const toInf = env.rc === 0 || (env.rc === 1 && s === 1) || (env.rc === 2 && s === 0);
  if (toInf) {
    env.up = true;
    return inf(s);
  }
  // Largest finite value at this precision.
  const m = ((1n << BigInt(prec)) - 1n) << BigInt(64 - prec);
  return { s, e: EMAX - 1, m };
}

/** Packs (-1)^s × q × 2^exp2 (q already rounded to ≤ prec bits) into the extended format. */
function packNormal(s: number, q: bigint, exp2: number, _prec: number): F80 {
  if (q === 0n) return zero(s);
  const n = bitLength(q);
  let biased = exp2 + n - 1 + BIAS;
  let m: bigint;
  if (biased >= 1) {
    m = q << BigInt(64 - n);
  } else {
    // Denormal: integer bit at exponent 1 - BIAS; m = value / 2^(1 - BIAS - 63).
    const shift = exp2 - (1 - BIAS - 63);
    m = shift >= 0 ? q << BigInt(shift) : q >> BigInt(-shift);
    biased = 0;
    if ((m & INT_BIT) !== 0n) biased = 1;
  }
  return { s, e: biased, m: m & M64 };
}

// ---------------------------------------------------------------------------------------------
// Arithmetic.

function invalid(env: FpEnv): F80 {
  env.flags |= FE.IE;
  return INDEFINITE;
}

function checkOperands(env: FpEnv, a: F80, b: F80 | null): F80 | null {
  if (isUnsupported(a) || (b !== null && isUnsupported(b))) return invalid(env);
  if (isNaN80(a) || (b !== null && isNaN80(b))) return propagateNaN(env, a, b);
  if (isDenormal(a) || (b !== null && isDenormal(b))) env.flags |= FE.DE;
  return null;
}

/** a + b (or a − b when `sub`). */
export function add(env: FpEnv, a: F80, b: F80, sub = false): F80 {
  env.up = false;
  const bs = sub ? b.s ^ 1 : b.s;
  const bad = checkOperands(env, a, b);
  if (bad !== null) return bad;
  if (isInf(a) || isInf(b)) {
    if (isInf(a) && isInf(b) && a.s !== bs) return invalid(env);
    return isInf(a) ? a : inf(bs);
  }
  const ua = unpack(a);
  const ub = unpack(b);
  if (a.m === 0n && b.m === 0n) return zero(a.s === bs ? a.s : env.rc === 1 ? 1 : 0);
  // Align to the smaller exponent, collapsing a far-away operand into a sticky bit.
  let sa = ua.sig;
  let sb = ub.sig;
  let ea = ua.exp2;
  let eb = ub.exp2;
  const LIM = 200;
  if (ea - eb > LIM && sb !== 0n) {
    sa <<= BigInt(ea - eb - LIM + 2) as bigint;
    ea = eb + LIM;
    sb = 1n;
    eb = ea - LIM - 2;
  }
  if (eb - ea > LIM && sa !== 0n) {
    sb <<= BigInt(eb - ea - LIM + 2);
    eb = ea + LIM;
    sa = 1n;
    ea = eb - LIM - 2;
  }
  const e0 = Math.min(ea, eb);
  const A = sa << BigInt(ea - e0);
  const B = sb << BigInt(eb - e0);
  let sum: bigint;
  let s: number;
  if (a.s === bs) {
    sum = A + B;
    s = a.s;
  } else if (A >= B) {
    sum = A - B;
    s = a.s;
  } else {
    sum = B - A;
    s = bs;
  }
  if (sum === 0n) return zero(env.rc === 1 ? 1 : 0);
  return round80(env, s, sum, e0);
}

/** a × b. */
export function mul(env: FpEnv, a: F80, b: F80): F80 {
  env.up = false;
  const bad = checkOperands(env, a, b);
  if (bad !== null) return bad;
  const s = a.s ^ b.s;
  if (isInf(a) || isInf(b)) {
    if (isZero(a) || isZero(b)) return invalid(env);
    return inf(s);
  }
  if (isZero(a) || isZero(b)) return zero(s);
  const ua = unpack(a);
  const ub = unpack(b);
  return round80(env, s, ua.sig * ub.sig, ua.exp2 + ub.exp2);
}

/** a ÷ b. */
export function div(env: FpEnv, a: F80, b: F80): F80 {
  env.up = false;
  const bad = checkOperands(env, a, b);
  if (bad !== null) return bad;
  const s = a.s ^ b.s;
  if (isInf(a)) return isInf(b) ? invalid(env) : inf(s);
  if (isInf(b)) return zero(s);
  if (isZero(b)) {
    if (isZero(a)) return invalid(env);
    env.flags |= FE.ZE;
    return inf(s);
  }
  if (isZero(a)) return zero(s);
  const ua = unpack(a);
  const ub = unpack(b);
  const K = 130;
  const num = ua.sig << BigInt(K);
  let q = num / ub.sig;
  let k = K;
  if (num % ub.sig !== 0n) {
    q = (q << 1n) | 1n;
    k += 1;
  }
  return round80(env, s, q, ua.exp2 - ub.exp2 - k);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** √a. */
export function sqrt(env: FpEnv, a: F80): F80 {
  env.up = false;
  const bad = checkOperands(env, a, null);
  if (bad !== null) return bad;
  if (isZero(a)) return a;
  if (a.s === 1) return invalid(env);
  if (isInf(a)) return a;
  const u = unpack(a);
  let sig = u.sig;
  let e = u.exp2;
  if ((e & 1) !== 0) {
    sig <<= 1n;
    e -= 1;
  }
  const K = 140;
  const n = sig << BigInt(K);
  let r = isqrt(n);
  let k = K / 2;
  if (r * r !== n) {
    r = (r << 1n) | 1n;
    k += 1;
  }
  return round80(env, 0, r, e / 2 - k);
}

/** Compares: -1 (a < b), 0 (equal), 1 (a > b), 2 (unordered). Sets IE for SNaNs (or any NaN when `signaling`). */
export function compare(env: FpEnv, a: F80, b: F80, signaling: boolean): number {
  if (isNaN80(a) || isNaN80(b) || isUnsupported(a) || isUnsupported(b)) {
    if (signaling || isSNaN(a) || isSNaN(b) || isUnsupported(a) || isUnsupported(b)) env.flags |= FE.IE;
    return 2;
  }
  if (isDenormal(a) || isDenormal(b)) env.flags |= FE.DE;
  if (isZero(a) && isZero(b)) return 0;
  if (a.s !== b.s) return a.s === 1 ? -1 : 1;
  const mag = compareMagnitude(a, b);
  return a.s === 1 ? -mag : mag;
}

function compareMagnitude(a: F80, b: F80): number {
  if (isInf(a) || isInf(b)) return isInf(a) && isInf(b) ? 0 : isInf(a) ? 1 : -1;
  const ua = unpack(a);
  const ub = unpack(b);
  if (ua.sig === 0n || ub.sig === 0n) return ua.sig === ub.sig ? 0 : ua.sig === 0n ? -1 : 1;
  const la = ua.exp2 + bitLength(ua.sig);
  const lb = ub.exp2 + bitLength(ub.sig);
  if (la !== lb) return la > lb ? 1 : -1;
  const e0 = Math.min(ua.exp2, ub.exp2);
  const A = ua.sig << BigInt(ua.exp2 - e0);
  const B = ub.sig << BigInt(ub.exp2 - e0);
  return A === B ? 0 : A > B ? 1 : -1;
}

// ---------------------------------------------------------------------------------------------
// Integer parts.

/** Rounds to an integer value in the extended format (FRNDINT). */
export function roundInt(env: FpEnv, a: F80): F80 {
  env.up = false;
  const bad = checkOperands(env, a, null);
  if (bad !== null) return bad;
  if (isInf(a) || isZero(a)) return a;
  const u = unpack(a);
  if (u.exp2 >= 0) return a;
  const i = toBigInt(env, a);
  if (i === 0n) return zero(a.s);
  return round80(env, a.s, i < 0n ? -i : i, 0, 64);
}

/** Rounds to a BigInt per env.rc (PE when inexact; no range check). */
export function toBigInt(env: FpEnv, a: F80): bigint {
  const u = unpack(a);
  let mag: bigint;
  env.up = false;
  if (u.exp2 >= 0) {
    mag = u.sig << BigInt(u.exp2);
  } else {
    const drop = -u.exp2;
    if (drop > 70) {
      mag = 0n;
      if (u.sig !== 0n) {
        env.flags |= FE.PE;
        if (roundIncrement(env.rc, a.s, 0n, 0)) {
          mag = 1n;
          env.up = true;
        }
      }
    } else {
      const mask = (1n << BigInt(drop)) - 1n;
      const rem = u.sig & mask;
      mag = u.sig >> BigInt(drop);
      if (rem !== 0n) {
        env.flags |= FE.PE;
        const half = 1n << BigInt(drop - 1);
        const cmp = rem > half ? 2 : rem === half ? 1 : 0;
        if (roundIncrement(env.rc, a.s, mag, cmp)) {
          mag += 1n;
          env.up = true;
        }
      }
    }
  }
  return a.s === 1 ? -mag : mag;
}

/** Exact conversion of an integer. */
export function fromBigInt(v: bigint): F80 {
  if (v === 0n) return zero(0);
  const s = v < 0n ? 1 : 0;
  const mag = v < 0n ? -v : v;
  const n = bitLength(mag);
  return { s, e: n - 1 + BIAS, m: (mag << BigInt(64 - n)) & M64 };
}

/** a × 2^k (FSCALE), rounded. */
export function scale(env: FpEnv, a: F80, k: number): F80 {
  env.up = false;
  if (isNaN80(a) || isInf(a) || isZero(a)) return isNaN80(a) ? propagateNaN(env, a, null) : a;
  const u = unpack(a);
  const kk = Math.max(-70000, Math.min(70000, k));
  return round80(env, a.s, u.sig, u.exp2 + kk, 64);
}

/** Splits into (unbiased exponent as F80, significand in [1, 2) with a's sign) — FXTRACT. */
export function extract(a: F80): { exp: F80; sig: F80 } {
  const u = unpack(a);
  const n = bitLength(u.sig);
  const E = u.exp2 + n - 1;
  const sig: F80 = { s: a.s, e: BIAS, m: (u.sig << BigInt(64 - n)) & M64 };
  return { exp: fromBigInt(BigInt(E)), sig };
}

/**
 * Partial remainder (FPREM / FPREM1 when `ieee`): returns the remainder, the low three quotient
 * bits, and whether the reduction is complete (C2 = 0).
 */
export function remainder(
  env: FpEnv,
  a: F80,
  b: F80,
  ieee: boolean,
): { r: F80; q: number; complete: boolean } {
  const bad = checkOperands(env, a, b);
  if (bad !== null) return { r: bad, q: 0, complete: true };
  if (isInf(a) || isZero(b)) return { r: invalid(env), q: 0, complete: true };
  if (isZero(a) || isInf(b)) return { r: a, q: 0, complete: true };
  const ua = unpack(a);
  const ub = unpack(b);
  const la = ua.exp2 + bitLength(ua.sig);
  const lb = ub.exp2 + bitLength(ub.sig);
  const d = la - lb;
  if (d >= 64) {
    // Partial: reduce by b × 2^(d - n) for some n in 32..63 (Intel uses such a chunk).
    const nbits = 32 + (d % 32);
    const shiftE = d - nbits;
    const e0 = Math.min(ua.exp2, ub.exp2 + shiftE);
    const A = ua.sig << BigInt(ua.exp2 - e0);
    const B = ub.sig << BigInt(ub.exp2 + shiftE - e0);
    const rr = A % B;
    return { r: rr === 0n ? zero(a.s) : round80(env, a.s, rr, e0, 64), q: 0, complete: false };
  }
  const e0 = Math.min(ua.exp2, ub.exp2);
  const A = ua.sig << BigInt(ua.exp2 - e0);
  const B = ub.sig << BigInt(ub.exp2 - e0);
  let q = A / B;
  let r = A - q * B;
  let s = a.s;
  if (ieee) {
    const twice = r * 2n;
    if (twice > B || (twice === B && (q & 1n) === 1n)) {
      q += 1n;
      r = B - r;
      s ^= 1;
    }
  }
  const rr = r === 0n ? zero(a.s) : round80(env, s, r, e0, 64);
  env.flags &= ~FE.PE;
  return { r: rr, q: Number(q & 7n), complete: true };
}

// ---------------------------------------------------------------------------------------------
// Conversions to and from memory formats and doubles.

const dv = new DataView(new ArrayBuffer(8));

/** Exact conversion of a double. */
export function fromDouble(v: number): F80 {
  dv.setFloat64(0, v, true);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const s = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e === 0x7ff) {
    if (frac === 0n) return inf(s);
    return { s, e: EMAX, m: INT_BIT | (frac << 11n) };
  }
  if (e === 0) {
    if (frac === 0n) return zero(s);
    return packNormal(s, frac, -1074, 64);
  }
  return { s, e: e - 1023 + BIAS, m: INT_BIT | (frac << 11n) };
}

/** Exact conversion of a float32 bit pattern. */
export function fromF32Bits(bits: number): F80 {
  const s = bits >>> 31;
  const e = (bits >>> 23) & 0xff;
  const frac = BigInt(bits & 0x7fffff);
  if (e === 0xff) {
    if (frac === 0n) return inf(s);
    return { s, e: EMAX, m: INT_BIT | (frac << 40n) };
  }
  if (e === 0) {
    if (frac === 0n) return zero(s);
    return packNormal(s, frac, -149, 64);
  }
  return { s, e: e - 127 + BIAS, m: INT_BIT | (frac << 40n) };
}

/** Exact conversion of a float64 bit pattern (lo, hi dwords). */
export function fromF64Bits(lo: number, hi: number): F80 {
  dv.setInt32(0, lo, true);
  dv.setInt32(4, hi, true);
  const s = hi >>> 31;
  const e = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0);
  if (e === 0x7ff) {
    if (frac === 0n) return inf(s);
    return { s, e: EMAX, m: INT_BIT | (frac << 11n) };
  }
  if (e === 0) {
    if (frac === 0n) return zero(s);
    return packNormal(s, frac, -1074, 64);
  }
  return { s, e: e - 1023 + BIAS, m: INT_BIT | (frac << 11n) };
}

/**
 * Rounds to an IEEE binary format with `p` significand bits and exponent field width `ew`
 * (24/8 for single, 53/11 for double) and returns its bit pattern as a BigInt. Sets OE/UE/PE/IE.
 */
export function toIeeeBits(env: FpEnv, a: F80, p: number, ew: number): bigint {
  env.up = false;
  const bias = (1 << (ew - 1)) - 1;
  const emaxField = (1 << ew) - 1;
  const signBit = BigInt(a.s) << BigInt(p - 1 + ew);
  const fracBits = p - 1;
  if (isNaN80(a) || isUnsupported(a)) {
    if (isSNaN(a) || isUnsupported(a)) env.flags |= FE.IE;
    const q = isUnsupported(a) ? INDEFINITE : quiet(a);
    const payload = (q.m & ~INT_BIT) >> BigInt(64 - p);
    return (
      (BigInt(q.s) << BigInt(p - 1 + ew)) |
      (BigInt(emaxField) << BigInt(fracBits)) |
      payload |
      (1n << BigInt(fracBits - 1))
    );
  }
  if (isInf(a)) return signBit | (BigInt(emaxField) << BigInt(fracBits));
  if (isZero(a)) return signBit;
  if (isDenormal(a)) env.flags |= FE.DE;
  const u = unpack(a);
  // Round to p bits within the format's exponent range.
  const E = u.exp2 + bitLength(u.sig) - 1;
  const minE = 1 - bias;
  const minLsb = minE - fracBits;
  let lsb = Math.max(E - fracBits, minLsb);
  let q = roundAt(env, a.s, u.sig, u.exp2, lsb);
  const inexact = roundState.inexact;
  if (bitLength(q) > p) {
    q >>= 1n;
    lsb += 1;
  }
  if (inexact) env.flags |= FE.PE;
  if (E < minE && (inexact || env.ueUnmasked)) env.flags |= FE.UE;
  if (q === 0n) return signBit;
  const Er = lsb + bitLength(q) - 1;
  if (Er > bias) {
    env.flags |= FE.OE | FE.PE;
    const toInf = env.rc === 0 || (env.rc === 1 && a.s === 1) || (env.rc === 2 && a.s === 0);
    if (toInf) return signBit | (BigInt(emaxField) << BigInt(fracBits));
    return signBit | (BigInt(emaxField - 1) << BigInt(fracBits)) | ((1n << BigInt(fracBits)) - 1n);
  }
  if (Er < minE) {
    // Denormal: exponent field 0, fraction in units of 2^minLsb (lsb = minLsb here).
    return signBit | q;
  }
  const frac = q & ((1n << BigInt(fracBits)) - 1n);
  return signBit | (BigInt(Er + bias) << BigInt(fracBits)) | frac;
}

/** The nearest double (round to nearest), for the transcendental instructions. */
export function toDouble(a: F80): number {
  if (isNaN80(a) || isUnsupported(a)) return Number.NaN;
  if (isInf(a)) return a.s === 1 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (isZero(a)) return a.s === 1 ? -0 : 0;
  const env = new FpEnv();
  const bits = toIeeeBits(env, a, 53, 11);
  dv.setBigUint64(0, bits, true);
  return dv.getFloat64(0, true);
}

/** Classification for FXAM: C3|C2|C0 in bits 14, 10, 8 (tag empty is handled by the caller). */
export function fxamClass(a: F80): number {
  if (isUnsupported(a)) return 0;
  if (isNaN80(a)) return 0x100;
  if (isInf(a)) return 0x500;
  if (isZero(a)) return 0x4000;
  if (isDenormal(a)) return 0x4400;
  return 0x400;
}

/** The x87 tag of a value: 0 valid, 1 zero, 2 special. */
export function tagOf(a: F80): number {
  if (isZero(a)) return 1;
  if (a.e === EMAX || a.e === 0 || isUnsupported(a)) return 2;
  return 0;
}
