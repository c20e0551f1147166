import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in deadline order with now() at each deadline, then stops at the target', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule(300, () => seen.push(`c@${clock.now()}`));
    clock.schedule(100, () => seen.push(`a@${clock.now()}`));
    clock.schedule(200, () => seen.push(`b@${clock.now()}`));
    expect(clock.nextDeadline()).toBe(100);
    expect(clock.advanceTo(250)).toBe(2);
    expect(clock.now()).toBe(250);
    expect(seen).toEqual(['a@100', 'b@200']);
    expect(clock.pendingCount).toBe(1);
  });

  it('keeps scheduling order for equal deadlines and fires timers scheduled by callbacks within the advance', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule(10, () => {
      seen.push('first');
      clock.schedule(15, () => seen.push('nested'));
      clock.schedule(5, () => seen.push('overdue'));
    });
    clock.schedule(10, () => seen.push('second'));
    clock.advanceTo(20);
    expect(seen).toEqual(['first', 'second', 'overdue', 'nested']);
  });

  it('cancels timers and skips idle time to the next deadline', () => {
    const clock = new VirtualClock();
    let fired = 0;
    const t = clock.schedule(1000, () => fired++);
    clock.schedule(5000, () => fired++);
    t.cancel();
    t.cancel();
    expect(t.pending).toBe(false);
    expect(clock.nextDeadline()).toBe(5000);
    expect(clock.skipToNext()).toBe(true);
    expect(clock.now()).toBe(5000);
    expect(fired).toBe(1);
    expect(clock.skipToNext()).toBe(false);
  });

  it('never runs backwards', () => {
    const clock = new VirtualClock(100);
    clock.advanceTo(50);
    expect(clock.now()).toBe(100);
  });

  it('fires every timer exactly once, in (deadline, order) order, however advances are cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 1000 }), cancel: fc.boolean() }), {
          maxLength: 200,
        }),
        fc.array(fc.integer({ min: 0, max: 1100 }), { maxLength: 10 }),
        (timers, cuts) => {
          const clock = new VirtualClock();
          const fired: number[] = [];
          const handles = timers.map((t, i) => clock.schedule(t.at, () => fired.push(i)));
          timers.forEach((t, i) => {
            if (t.cancel) handles[i]!.cancel();
          });
          for (const c of [...cuts].sort((a, b) => a - b)) clock.advanceTo(c);
          clock.advanceTo(2000);
          const expected = timers
            .map((t, i) => ({ ...t, i }))
            .filter((t) => !t.cancel)
            .sort((a, b) => a.at - b.at || a.i - b.i)
            .map((t) => t.i);
          expect(fired).toEqual(expected);
        },
      ),
    );
  });
});
