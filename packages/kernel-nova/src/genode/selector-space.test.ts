import { describe, expect, it } from 'vitest';
import { SelectorSpace } from './selector-space.js';

describe('SelectorSpace', () => {
  it('hands out naturally aligned blocks above the reserved selectors and reuses freed ones', () => {
    const s = new SelectorSpace(0x40);
    expect(s.alloc()).toBe(0x40);
    // an aligned block of 32 skips to 0x60; the gap 0x41..0x5f becomes single selectors
    expect(s.alloc(5)).toBe(0x60);
    expect(s.alloc(8)).toBe(0x100);
    s.free(0x60, 5);
    expect(s.alloc(5)).toBe(0x60);
    // no two allocations overlap, every block is aligned, nothing below the reserved range
    const taken = new Set<number>([0x40, ...range(0x60, 32), ...range(0x100, 256)]);
    for (const order of [0, 2, 0, 5, 0, 0, 2, 8, 0, 1]) {
      const b = s.alloc(order);
      expect(b % 2 ** order).toBe(0);
      expect(b).toBeGreaterThanOrEqual(0x40);
      for (const x of range(b, 2 ** order)) {
        expect(taken.has(x)).toBe(false);
        taken.add(x);
      }
    }
  });

  it('refuses to run past its limit', () => {
    const s = new SelectorSpace(0, 16);
    expect(s.alloc(3)).toBe(0);
    expect(s.alloc(3)).toBe(8);
    expect(() => s.alloc(3)).toThrowError(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

function range(b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => b + i);
}
