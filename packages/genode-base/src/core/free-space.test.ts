import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Free_space } from './free-space.js';

/** Reference: free pages as a sorted list of [base, size), best fit by linear scan. */
function refFind(free: { base: number; size: number }[], size: number, align: number): number | undefined {
  const unit = 2 ** align;
  const fits = free
    .map((b) => ({ b, start: Math.ceil(b.base / unit) * unit }))
    .filter(({ b, start }) => start + size <= b.base + b.size)
    .sort((x, y) => x.b.size - y.b.size || x.b.base - y.b.base);
  return fits[0]?.start;
}

describe('Free_space', () => {
  it('matches a linear reference for exact and best-fit aligned placement', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            anywhere: fc.boolean(),
            pages: fc.integer({ min: 1, max: 8 }),
            at: fc.integer({ min: 0, max: 63 }),
            align: fc.integer({ min: 12, max: 16 }),
            release: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (ops) => {
          const fs = new Free_space();
          const SIZE = 64 * 4096;
          fs.add(0, SIZE);
          const taken: { base: number; size: number }[] = [];
          for (const op of ops) {
            const size = op.pages * 4096;
            if (op.release && taken.length > 0) {
              const r = taken.shift()!;
              fs.add(r.base, r.size);
              continue;
            }
            const free = [...fs.ranges()];
            if (op.anywhere) {
              const got = fs.find_aligned(size, op.align);
              expect(got).toBe(refFind(free, size, op.align));
              if (got !== undefined) {
                fs.take(got, size);
                taken.push({ base: got, size });
              }
            } else {
              const at = op.at * 4096;
              const ok = free.some((b) => at >= b.base && at + size <= b.base + b.size);
              expect(fs.fits_at(at, size)).toBe(ok);
              if (ok) {
                fs.take(at, size);
                taken.push({ base: at, size });
              }
            }
            // free + taken always tile the range exactly
            const all = [...fs.ranges(), ...taken].sort((a, b) => a.base - b.base);
            let pos = 0;
            for (const r of all) {
              expect(r.base).toBe(pos);
              pos += r.size;
            }
            expect(pos).toBe(SIZE);
          }
          for (const r of taken) fs.add(r.base, r.size);
          expect([...fs.ranges()]).toEqual([{ base: 0, size: SIZE }]);
        },
      ),
    );
  });
});
