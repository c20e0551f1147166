import { describe, expect, it } from 'vitest';
import { Event } from './constants.js';
import { Mtd } from './mtd.js';
import { boot, ok, PD, utcbAddr } from './scenarios/harness.js';
import { TraceLog } from './trace.js';

describe('trace facility', () => {
  it('logs hypercalls with statuses, blocking calls and their return, events, kills and scheduling', () => {
    const t = new TraceLog();
    boot(
      function* (sys) {
        ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr(), evt: 0x700 }), 'L');
        ok(
          yield* sys.createPt(
            0x41,
            PD,
            0x40,
            Mtd.EIP,
            sys.entry(function* (s) {
              yield* s.exception(Event.UD); // no handler at 0x706: L dies
            }),
          ),
          'P',
        );
        yield* sys.createSm(0x41, PD, 0); // occupied: BAD_CAP
        yield* sys.call(0x41);
      },
      { trace: t },
    ).run();
    const l = t.lines();
    expect(l).toContain('[0] cpu0 root create_ec(0x40, 0x20, 0x7efffffff000, 0x0, 0x700) -> SUCCESS');
    expect(l).toContain('[0] cpu0 root create_sm(0x41, 0x20, 0x0, 0x0, 0x0) -> BAD_CAP');
    expect(l).toContain('[0] cpu0 root call(0x41, 0x0, 0x0, 0x0, 0x0) -> blocked');
    expect(l).toContain('[0] cpu0 ec200 killed (PT not found)');
    expect(l).toContain('[0] cpu0 root returns ABORTED');
    expect(l[0]).toBe('[0] cpu0 schedule sc197(root) -> root (preempt)');
    expect(l.at(-1)).toBe('[0] cpu0 schedule idle -> idle (global EC replied)');
  });

  it('records nothing without a tracer', () => {
    const k = boot(function* (sys) {
      yield* sys.createSm(0x41, PD, 0);
    });
    k.run();
    expect(k.tracer).toBeNull();
    expect(k.pendingTrace).toBeNull();
  });
});
