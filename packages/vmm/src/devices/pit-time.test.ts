import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIT_HZ, pitTicksAt, pitTickTime } from './pit-time.js';

describe('PIT time base', () => {
  it('counts 1193182 input clocks per second', () => {
    expect(pitTicksAt(1_000_000_000)).toBe(PIT_HZ);
    expect(pitTicksAt(999_999_999)).toBe(PIT_HZ - 1);
    expect(pitTicksAt(3600 * 1_000_000_000)).toBe(3600 * PIT_HZ);
    expect(pitTickTime(1)).toBe(839); // 838.095… ns, rounded up
  });

  it('pitTickTime(k) is the first nanosecond at which k clocks have passed (property, all guest times below 2^53 ns)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: pitTicksAt(Number.MAX_SAFE_INTEGER) }), (k) => {
        const t = pitTickTime(k);
        expect(pitTicksAt(t)).toBe(k);
        expect(pitTicksAt(t - 1)).toBe(k - 1);
      }),
      { numRuns: 2000 },
    );
  });
});
