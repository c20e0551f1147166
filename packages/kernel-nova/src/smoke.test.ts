import { describe, expect, it } from 'vitest';
import { RootSel } from './constants.js';
import { memCrd } from './crd.js';
import { NovaKernel } from './kernel.js';
import { Status } from './status.js';

describe('smoke', () => {
  it('boots and runs the root task', () => {
    const log: unknown[] = [];
    const k = NovaKernel.boot({
      root: function* (sys) {
        log.push(sys.regs.rdi, sys.regs.rsp);
        log.push(yield* sys.createSm(100, RootSel.PD, 5));
        log.push(yield* sys.createSm(100, RootSel.PD, 5));
        const c = yield* sys.lookup(memCrd(sys.kernel.hipAddr / 4096, 0, 0));
        log.push(c);
        const h = yield* sys.read32(sys.kernel.hipAddr);
        log.push(h.toString(16));
      },
    });
    const r = k.run();
    expect(r.reason).toBe('quiescent');
    expect(log).toEqual([
      0,
      k.hipAddr,
      Status.SUCCESS,
      Status.BAD_CAP,
      { type: 1, base: k.hipAddr / 4096, order: 0, perms: 1 },
      '41564f4e',
    ]);
  });

  it('calls a portal of a local EC', () => {
    const log: unknown[] = [];
    const k = NovaKernel.boot({
      root: function* (sys) {
        const handler = sys.entry(function* (s) {
          log.push(['pid', s.regs.rdi, s.utcb.u, s.utcb.words()]);
          s.utcb.setWords([s.utcb.mr(0) + 1]);
          yield* s.reply();
        });
        log.push(yield* sys.createEc(64, RootSel.PD, { utcb: 0x100000, sp: 0x2000 }));
        log.push(yield* sys.createPt(65, RootSel.PD, 64, 0, handler));
        log.push(yield* sys.ptCtrl(65, 7));
        sys.utcb.setWords([41, 2, 3]);
        log.push(yield* sys.call(65));
        log.push(sys.utcb.u, sys.utcb.mr(0));
      },
    });
    k.run();
    expect(log).toEqual([0, 0, 0, ['pid', 7, 3, [41, 2, 3]], 0, 1, 42]);
  });
});
