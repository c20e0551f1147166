import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeIndex } from './range-index.js';

interface N {
  base: number;
  order: number;
}

describe('RangeIndex', () => {
  it('agrees with a naive list on inserts, removals, point and range queries', () => {
    const op = fc.record({
      insert: fc.boolean(),
      base: fc.integer({ min: 0, max: 255 }),
      order: fc.integer({ min: 0, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }),
        (ops, probes) => {
          const idx = new RangeIndex<N>();
          let naive: N[] = [];
          const overlaps = (a: N, b: N) => a.base < b.base + 2 ** b.order && b.base < a.base + 2 ** a.order;
          for (const o of ops) {
            const base = o.base - (o.base % 2 ** o.order);
            if (o.insert) {
              const n = { base, order: o.order };
              const free = !naive.some((m) => overlaps(m, n));
              expect(idx.insert(n)).toBe(free);
              if (free) naive.push(n);
            } else {
              const victim = naive.find((m) => m.base <= o.base && o.base < m.base + 2 ** m.order);
              if (victim) {
                expect(idx.remove(victim)).toBe(true);
                naive = naive.filter((m) => m !== victim);
              }
            }
          }
          expect(idx.size).toBe(naive.length);
          for (const p of probes) {
            expect(idx.find(p)).toBe(naive.find((m) => m.base <= p && p < m.base + 2 ** m.order));
            for (const order of [0, 2, 5, 9]) {
              const lo = p - (p % 2 ** order);
              const want = naive
                .filter((m) => overlaps(m, { base: lo, order }))
                .sort((a, b) => a.base - b.base);
              expect(idx.inRange(p, order)).toEqual(want);
            }
          }
        },
      ),
    );
  });

  it('handles page numbers beyond 2^32', () => {
    const idx = new RangeIndex<N>();
    const n = { base: 2 ** 40, order: 20 };
    expect(idx.insert(n)).toBe(true);
    expect(idx.find(2 ** 40 + 12345)).toBe(n);
    expect(idx.inRange(2 ** 40 + 4096, 3)).toEqual([n]);
    expect(idx.insert({ base: 2 ** 40 + 2 ** 19, order: 0 })).toBe(false);
  });
});
