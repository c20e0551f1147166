/** spec/nova.md §9 acceptance scenarios S10–S15: IPC, donation, helping, aborts, cross-CPU calls. */
import { afterEach, describe, expect, it } from 'vitest';
import { Event } from '../constants.js';
import { objCrd } from '../crd.js';
import type { Ec } from '../ec.js';
import { Status } from '../status.js';
import type { Sys } from '../sys.js';
import { boot, delegateObj, ok, PD, spawn, utcbAddr, violations } from './harness.js';

describe('IPC (spec/nova.md §9)', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('S10 call delivers PID, IP, SP and U words; the reply returns SUCCESS with the reply words', () => {
    const seen: Record<string, unknown> = {};
    let after: number[] = [];
    let status = -1;
    const k = boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr(), sp: 0x5000 }), 'L');
      const ip = sys.entry(function* (s) {
        seen.rdi = s.regs.rdi;
        seen.rip = s.regs.rip;
        seen.rsp = s.regs.rsp;
        seen.u = s.utcb.u;
        seen.t = s.utcb.t;
        seen.words = s.utcb.words();
        s.utcb.setWords([0xabcd]);
        yield* s.reply();
      });
      ok(yield* sys.createPt(0x41, PD, 0x40, 0, ip), 'P');
      ok(yield* sys.ptCtrl(0x41, 7), 'pid');
      seen.ip = ip;
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x200,
        code: function* (s) {
          s.utcb.setWords([1, 2, 3]);
          s.utcb.setMr(3, 0xdead); // beyond U: not transferred
          status = yield* s.call(0x41);
          after = [s.utcb.u, s.utcb.mr(0), s.utcb.mr(3)];
        },
      });
    });
    k.run();
    expect(seen).toEqual({ rdi: 7, rip: seen.ip, rsp: 0x5000, u: 3, t: 0, words: [1, 2, 3], ip: seen.ip });
    expect(status).toBe(Status.SUCCESS);
    expect(after).toEqual([1, 0xabcd, 0xdead]);
  });

  it('S11 DB call to a busy callee => TIMEOUT; without DB the caller helps and is served after the first caller', () => {
    const log: string[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'X');
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'L');
      const ip = sys.entry(function* (s) {
        const who = s.utcb.mr(0) === 1 ? 'F' : 'G';
        log.push(`L got ${who}`);
        ok((yield* s.smDown(0x30)).status, 'down');
        log.push(`L serves ${who}`);
        s.utcb.setWords([who === 'F' ? 10 : 20]);
        yield* s.reply();
      });
      ok(yield* sys.createPt(0x41, PD, 0x40, 0, ip), 'P');
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x200,
        code: function* (s) {
          s.utcb.setWords([1]);
          const st = yield* s.call(0x41);
          log.push(`F call ${st} ${s.utcb.mr(0)}`);
        },
      });
      yield* spawn(sys, {
        pd: PD,
        sel: 0x60,
        evt: 0x300,
        code: function* (s) {
          s.utcb.setWords([2]);
          log.push(`G DB call ${yield* s.call(0x41, { dontBlock: true })}`);
          s.utcb.setWords([2]);
          const st = yield* s.call(0x41);
          log.push(`G call ${st} ${s.utcb.mr(0)}`);
        },
      });
      log.push('root up');
      yield* sys.smUp(0x30);
      log.push('root up');
      yield* sys.smUp(0x30);
      log.push('root done');
    });
    k.run();
    // Both SCs were parked on L. The up releases them; each goes to the head of its queue
    // (budget left, G `ready_enqueue`), so G's SC runs first: G helps L finish F's request
    // (the first caller is served first), retries and is accepted, and F resumes on its own SC.
    expect(log).toEqual([
      'L got F',
      `G DB call ${Status.TIMEOUT}`,
      'root up',
      'L serves F',
      'L got G',
      `F call ${Status.SUCCESS} 10`,
      'root up',
      'L serves G',
      `G call ${Status.SUCCESS} 20`,
      'root done',
    ]);
  });

  it("S12 the callee runs on the caller's SC: its computation is charged to the caller's SC", () => {
    let t: Record<string, number> = {};
    const k = boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'L');
      const ip = sys.entry(function* (s) {
        yield* s.spin(500);
        yield* s.reply();
      });
      ok(yield* sys.createPt(0x41, PD, 0x40, 0, ip), 'P');
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x200,
        code: function* (s) {
          yield* s.spin(100);
          ok(yield* s.call(0x41), 'call');
          t = {
            callerSc: (yield* s.scCtrl(0x51)).us,
            callerEc: (yield* s.ecTime(0x50)).us,
            calleeEc: (yield* s.ecTime(0x40)).us,
            rootSc: (yield* s.scCtrl(34)).us,
          };
        },
      });
    });
    k.run();
    expect(t).toEqual({ callerSc: 600, callerEc: 100, calleeEc: 500, rootSc: 0 });
    expect(k.ticksToUs(k.now)).toBe(600);
  });

  it('S13 a callee killed by an exception without handler aborts its caller; later calls => TIMEOUT [G/classic]', () => {
    const got: number[] = [];
    let handled = 0;
    const k = boot(function* (sys) {
      // evt 0x700: nothing is installed there, so L's #UD finds no portal.
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr(), evt: 0x700 }), 'L');
      const ip = sys.entry(function* (s) {
        handled++;
        yield* s.exception(Event.UD);
        yield* s.reply();
      });
      ok(yield* sys.createPt(0x41, PD, 0x40, 0, ip), 'P');
      got.push(yield* sys.call(0x41));
      got.push(yield* sys.call(0x41));
      got.push(yield* sys.call(0x41, { dontBlock: true }));
    });
    k.run();
    // [G/classic] TIMEOUT for calls to a dead callee (the modern interface would say ABORTED).
    expect(got).toEqual([Status.ABORTED, Status.TIMEOUT, Status.TIMEOUT]);
    expect(handled).toBe(1);
    expect(k.objCap(k.root, 0x40)!.obj as Ec).toMatchObject({ cont: 9 });
  });

  it('S14 cross-CPU call: [G] SUCCESS through a helper with XCPU (0x13), BAD_CPU without it', () => {
    const got: number[] = [];
    const cpus: number[] = [];
    const k = boot(
      function* (sys) {
        ok(yield* sys.createEc(0x40, PD, { cpu: 1, utcb: utcbAddr() }), 'L on CPU 1');
        const ip = sys.entry(function* (s) {
          cpus.push(s.cpu);
          s.utcb.setWords([s.utcb.mr(0) * 2]);
          yield* s.reply();
        });
        ok(yield* sys.createPt(0x41, PD, 0x40, 0, ip), 'P');
        sys.utcb.setWords([21]);
        got.push(yield* sys.call(0x41));
        got.push(sys.utcb.mr(0));
        ok(yield* delegateObj(sys, PD, PD, 0x41, 0x42, 0x03), 'no xcpu');
        got.push(yield* sys.call(0x42));
        ok(yield* sys.revoke(objCrd(0x41, 0, 0x10)), 'revoke xcpu');
        got.push(yield* sys.call(0x41));
        got.push(k.objCap(k.root, 0x41)!.perms);
      },
      { cpus: 2 },
    );
    k.run();
    expect(got).toEqual([Status.SUCCESS, 42, Status.BAD_CPU, Status.BAD_CPU, 0x03]);
    expect(cpus).toEqual([1]);
    // The helper EC and SC are gone again.
    expect([...k.ecs].filter((e) => e.kind === 'xcpu')).toEqual([]);
  });

  it('S15 after replying a local EC waits for the next call; a reply without caller is no error', () => {
    const log: string[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'L');
      const ip = sys.entry(function* (s) {
        log.push(`L ${s.utcb.mr(0)}`);
        s.utcb.setWords([s.utcb.mr(0) + 100]);
        yield* s.reply();
      });
      ok(yield* sys.createPt(0x41, PD, 0x40, 0, ip), 'P');
      for (let i = 1; i <= 3; i++) {
        sys.utcb.setWords([i]);
        log.push(`call ${yield* sys.call(0x41)} ${sys.utcb.mr(0)}`);
      }
      // A global EC's reply has no caller either: it blocks for ever, without a status.
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x200,
        code: function* (s: Sys) {
          log.push('G replies');
          yield* s.reply();
        },
      });
      log.push('root done');
    });
    k.run();
    expect(log).toEqual([
      'L 1',
      'call 0 101',
      'L 2',
      'call 0 102',
      'L 3',
      'call 0 103',
      'G replies',
      'root done',
    ]);
    const l = k.objCap(k.root, 0x40)!.obj as Ec;
    expect(l.cont).toBe(0); // free: waits for the next call
    const g = k.objCap(k.root, 0x50)!.obj as Ec;
    expect(g.cont).toBe(0);
    expect([...g.scs][0]!.state).toBe('blocked');
  });
});
