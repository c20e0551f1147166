import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignDown, alignUp, isAligned, PAGE_SIZE } from './page.js';

describe('page arithmetic', () => {
  it('rounds sizes up to whole pages, as core does for dataspaces and attachments', () => {
    expect(PAGE_SIZE).toBe(4096);
    expect(alignUp(0)).toBe(0);
    expect(alignUp(1)).toBe(4096);
    expect(alignUp(4096)).toBe(4096);
    expect(alignUp(4097)).toBe(8192);
    expect(alignDown(0x1fff)).toBe(0x1000);
    expect(alignUp(0x300000, 22)).toBe(0x400000);
  });

  it('handles addresses above 4 GiB without 32-bit wrap', () => {
    expect(alignUp(0x1_0000_0001)).toBe(0x1_0000_1000);
    expect(isAligned(0x7fffc0000000)).toBe(true);
  });

  it('rejects negative and fractional input', () => {
    expect(() => alignUp(-1)).toThrow(RangeError);
    expect(() => alignDown(1.5)).toThrow(RangeError);
    expect(isAligned(-4096)).toBe(false);
  });

  it('alignDown <= value <= alignUp, both aligned', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 }), fc.integer({ min: 0, max: 30 }), (v, l) => {
        const lo = alignDown(v, l);
        const hi = alignUp(v, l);
        return lo <= v && v <= hi && isAligned(lo, l) && isAligned(hi, l) && hi - lo <= 2 ** l;
      }),
    );
  });
});
