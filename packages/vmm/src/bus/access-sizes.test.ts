import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BusError } from '../errors.js';
import { type AccessSize, allOnes, checkAccessSizes, isValidAccess, planAccess } from './access-sizes.js';

const sizeArb = fc.constantFrom<AccessSize>(1, 2, 4);
const implArb = fc
  .tuple(sizeArb, sizeArb)
  .map(([a, b]) => ({ min: Math.min(a, b) as AccessSize, max: Math.max(a, b) as AccessSize }));

describe('planAccess', () => {
  it('splits a dword into bytes for a byte-wide device', () => {
    expect(planAccess({ min: 1, max: 1 }, 0, 4)).toEqual([
      { offset: 0, size: 1, mask: 0xff, shift: 0 },
      { offset: 1, size: 1, mask: 0xff, shift: 8 },
      { offset: 2, size: 1, mask: 0xff, shift: 16 },
      { offset: 3, size: 1, mask: 0xff, shift: 24 },
    ]);
  });

  it('widens a byte read to the enclosing dword with a lane mask', () => {
    expect(planAccess({ min: 4, max: 4 }, 6, 1)).toEqual([
      { offset: 4, size: 4, mask: 0x00ff0000, shift: -16 },
    ]);
  });

  it('splits an unaligned dword into aligned pieces as wide as the device allows', () => {
    expect(planAccess({ min: 1, max: 4 }, 1, 4)).toEqual([
      { offset: 1, size: 1, mask: 0xff, shift: 0 },
      { offset: 2, size: 2, mask: 0xffff, shift: 8 },
      { offset: 4, size: 1, mask: 0xff, shift: 24 },
    ]);
  });

  it('widens both halves of an unaligned access for a dword-only device', () => {
    expect(planAccess({ min: 4, max: 4 }, 2, 4)).toEqual([
      { offset: 0, size: 4, mask: 0xffff0000, shift: -16 },
      { offset: 4, size: 4, mask: 0x0000ffff, shift: 16 },
    ]);
  });

  it('covers every guest byte exactly once with aligned pieces of implemented widths (property)', () => {
    fc.assert(
      fc.property(implArb, fc.integer({ min: 0, max: 64 }), sizeArb, (impl, offset, size) => {
        const pieces = planAccess(impl, offset, size);
        const seen = new Map<number, number>();
        for (const p of pieces) {
          expect(p.size).toBeGreaterThanOrEqual(impl.min);
          expect(p.size).toBeLessThanOrEqual(impl.max);
          expect(p.offset % p.size).toBe(0);
          for (let lane = 0; lane < p.size; lane++) {
            if (((p.mask >>> (lane * 8)) & 0xff) === 0) continue;
            expect((p.mask >>> (lane * 8)) & 0xff).toBe(0xff);
            const addr = p.offset + lane;
            seen.set(addr, (seen.get(addr) ?? 0) + 1);
            // The lane's position in the guest value agrees with its address.
            expect(p.shift + lane * 8).toBe((addr - offset) * 8);
          }
        }
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(
          Array.from({ length: size }, (_, i) => offset + i),
        );
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
      }),
    );
  });
});

describe('access-size declarations', () => {
  it('refuses min > max and widths other than 1, 2, 4', () => {
    expect(() => checkAccessSizes({ min: 4, max: 2 }, 'x')).toThrow(BusError);
    expect(() => checkAccessSizes({ min: 3 as AccessSize, max: 4 }, 'x')).toThrow(/1, 2 or 4/);
    expect(() => checkAccessSizes({ min: 1, max: 4 }, 'x')).not.toThrow();
  });

  it('checks validity of width and alignment', () => {
    expect(isValidAccess({ min: 4, max: 4, unaligned: false }, 4, 4)).toBe(true);
    expect(isValidAccess({ min: 4, max: 4, unaligned: false }, 2, 4)).toBe(false);
    expect(isValidAccess({ min: 4, max: 4 }, 2, 4)).toBe(true);
    expect(isValidAccess({ min: 2, max: 4 }, 0, 1)).toBe(false);
  });

  it('all-ones has the access width', () => {
    expect(allOnes(1)).toBe(0xff);
    expect(allOnes(2)).toBe(0xffff);
    expect(allOnes(4)).toBe(0xffffffff);
  });
});
