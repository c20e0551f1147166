import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alignDown,
  alignedOverlap,
  bitOr,
  fromHiLo,
  hi32,
  lo32,
  readWord,
  toWord,
  writeWord,
} from './word.js';

describe('machine words in numbers', () => {
  it('bitOr / alignDown / alignedOverlap match BigInt arithmetic below 2^53', () => {
    fc.assert(
      fc.property(
        fc.maxSafeNat(),
        fc.maxSafeNat(),
        fc.integer({ min: 0, max: 52 }),
        fc.integer({ min: 0, max: 52 }),
        (a, b, o1, o2) => {
          expect(BigInt(bitOr(a, b))).toBe(BigInt(a) | BigInt(b));
          expect(BigInt(alignDown(a, o1))).toBe(BigInt(a) & ~((1n << BigInt(o1)) - 1n));
          const m = BigInt(Math.max(o1, o2));
          expect(alignedOverlap(a, o1, b, o2)).toBe((BigInt(a) ^ BigInt(b)) >> m === 0n);
        },
      ),
    );
  });

  it('normalises odd register values deterministically', () => {
    expect(toWord(-1)).toBe(2 ** 64);
    expect(toWord(Number.NaN)).toBe(0);
    expect(toWord(1.9)).toBe(1);
    expect(lo32(2 ** 40 + 5)).toBe(5);
    expect(hi32(2 ** 40 + 5)).toBe(256);
    expect(fromHiLo(1, 2)).toBe(2 ** 32 + 2);
  });

  it('stores words little-endian, exactly below 2^53', () => {
    const v = new DataView(new ArrayBuffer(16));
    fc.assert(
      fc.property(fc.maxSafeNat(), (x) => {
        writeWord(v, 8, x);
        expect(v.getBigUint64(8, true)).toBe(BigInt(x));
        expect(readWord(v, 8)).toBe(x);
      }),
    );
    writeWord(v, 0, -1);
    expect(v.getBigUint64(0, true)).toBe(2n ** 64n - 1n);
  });
});
