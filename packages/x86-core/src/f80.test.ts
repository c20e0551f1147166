import { describe, expect, it } from 'vitest';
import {
  add,
  compare,
  div,
  FE,
  FpEnv,
  fromBigInt,
  fromDouble,
  mul,
  remainder,
  sqrt,
  toBigInt,
  toDouble,
  toIeeeBits,
} from './f80.js';

const env = (rc = 0, prec = 64): FpEnv => Object.assign(new FpEnv(), { rc, prec });
const hex = (m: bigint): string => m.toString(16);

describe('80-bit arithmetic (exact, IEEE rounding)', () => {
  it('1/3 to 64 bits, rounded to nearest, sets PE and C1 (round up)', () => {
    const e = env();
    const r = div(e, fromDouble(1), fromDouble(3));
    expect([r.e, hex(r.m)]).toEqual([0x3ffd, 'aaaaaaaaaaaaaaab']);
    expect(e.flags & FE.PE).toBe(FE.PE);
    expect(e.up).toBe(true);
  });
  it('√2 to 64 bits', () => {
    const r = sqrt(env(), fromDouble(2));
    expect([r.e, hex(r.m)]).toEqual([0x3fff, 'b504f333f9de6484']);
  });
  it('precision control rounds to 53 bits like a double', () => {
    const r = div(env(0, 53), fromDouble(1), fromDouble(3));
    expect(toDouble(r)).toBe(1 / 3);
  });
  it('rounding modes: 2/3 truncated vs rounded', () => {
    const down = div(env(3), fromDouble(2), fromDouble(3));
    const near = div(env(0), fromDouble(2), fromDouble(3));
    expect(near.m - down.m).toBe(1n);
  });
  it('signals invalid, division by zero and exact zeros', () => {
    const e = env();
    expect(
      toDouble(add(e, fromDouble(Number.POSITIVE_INFINITY), fromDouble(Number.NEGATIVE_INFINITY))),
    ).toBeNaN();
    expect(e.flags & FE.IE).toBe(FE.IE);
    const z = env();
    expect(toDouble(div(z, fromDouble(-1), fromDouble(0)))).toBe(Number.NEGATIVE_INFINITY);
    expect(z.flags).toBe(FE.ZE);
    expect(Object.is(toDouble(add(env(), fromDouble(1), fromDouble(1), true)), 0)).toBe(true);
    expect(Object.is(toDouble(add(env(1), fromDouble(1), fromDouble(1), true)), -0)).toBe(true);
  });
  it('products and sums of doubles are exact in 64 bits', () => {
    // (2^31 + 1)^2 needs 63 bits: exact here, not in a double.
    const a = fromDouble(2 ** 31 + 1);
    const p = mul(env(), a, a);
    expect(toBigInt(env(), p)).toBe((2n ** 31n + 1n) ** 2n);
  });
  it('integers round per RC and convert exactly up to 64 bits', () => {
    expect(toBigInt(env(0), fromDouble(2.5))).toBe(2n);
    expect(toBigInt(env(0), fromDouble(3.5))).toBe(4n);
    expect(toBigInt(env(1), fromDouble(-2.5))).toBe(-3n);
    expect(toBigInt(env(2), fromDouble(2.1))).toBe(3n);
    expect(toBigInt(env(3), fromDouble(-2.7))).toBe(-2n);
    expect(toBigInt(env(), fromBigInt(-(2n ** 63n)))).toBe(-(2n ** 63n));
  });
  it('compares with NaN as unordered', () => {
    expect(compare(env(), fromDouble(1), fromDouble(2), false)).toBe(-1);
    expect(compare(env(), fromDouble(-0), fromDouble(0), false)).toBe(0);
    expect(compare(env(), fromDouble(Number.NaN), fromDouble(0), false)).toBe(2);
  });
  it('stores to double and single with rounding and overflow', () => {
    expect(toIeeeBits(env(), fromDouble(0.1), 53, 11)).toBe(0x3fb999999999999an);
    const e = env();
    expect(toIeeeBits(e, fromDouble(1e300), 24, 8)).toBe(0x7f800000n);
    expect(e.flags & (FE.OE | FE.PE)).toBe(FE.OE | FE.PE);
  });
  it('FPREM-style remainder with quotient bits', () => {
    const r = remainder(env(), fromDouble(7), fromDouble(3), false);
    expect([toDouble(r.r), r.q, r.complete]).toEqual([1, 2, true]);
    const ieee = remainder(env(), fromDouble(8), fromDouble(3), true);
    expect(toDouble(ieee.r)).toBe(-1);
  });
});
