/** spec/nova.md §9 acceptance scenarios S34–S40: semaphores and the scheduler. */
import { afterEach, describe, expect, it } from 'vitest';
import { objCrd } from '../crd.js';
import type { Sm } from '../sm.js';
import { Status } from '../status.js';
import type { Sys } from '../sys.js';
import { boot, delegateObj, ok, PD, spawn, violations } from './harness.js';

const us = (s: Sys): number => s.kernel.ticksToUs(s.now());

describe('semaphores and scheduling (spec/nova.md §9)', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('S34 down on 0 blocks; up from another EC releases it; two waiters are released in FIFO order', () => {
    const log: string[] = [];
    boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      for (const [name, sel, prio] of [
        ['A', 0x50, 20],
        ['B', 0x60, 30],
      ] as const) {
        yield* spawn(sys, {
          pd: PD,
          sel,
          evt: sel * 0x10,
          prio,
          code: function* (s) {
            log.push(`${name} down`);
            const r = yield* s.smDown(0x30);
            log.push(`${name} released ${r.status}`);
          },
        });
      }
      log.push('up 1');
      ok(yield* sys.smUp(0x30), 'up');
      log.push('up 2');
      ok(yield* sys.smUp(0x30), 'up');
    }).run();
    // A queued first (it was created first and ran first), so the first up releases A even
    // though B has the higher priority.
    expect(log).toEqual([
      'A down',
      'B down',
      'up 1',
      `A released ${Status.SUCCESS}`,
      'up 2',
      `B released ${Status.SUCCESS}`,
    ]);
  });

  it('S35 down with counter 3 and ZC returns at once and leaves 0; up without waiters adds 1', () => {
    const got: number[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 3), 'sm');
      got.push((yield* sys.smDown(0x30, { zc: true })).status);
      got.push((yield* sys.smDown(0x30, { timeout: sys.now() + 10 })).status);
      ok(yield* sys.smUp(0x30), 'up');
      got.push((yield* sys.smDown(0x30, { timeout: sys.now() + 10 })).status);
      got.push((yield* sys.smDown(0x30, { timeout: sys.now() + 10 })).status);
    });
    k.run();
    expect(got).toEqual([Status.SUCCESS, Status.TIMEOUT, Status.SUCCESS, Status.TIMEOUT]);
    expect((k.objCap(k.root, 0x30)!.obj as Sm).counter).toBe(0);
  });

  it('S36 down with absolute timeout T returns TIMEOUT once time >= T; timeout 0 waits for ever', () => {
    const log: string[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      const T = sys.now() + sys.kernel.usToTicks(250);
      const r = yield* sys.smDown(0x30, { timeout: T });
      log.push(`${r.status} at ${sys.now() - T}`);
      // A deadline in the past times out at once.
      log.push(`${(yield* sys.smDown(0x30, { timeout: 1 })).status}`);
      log.push('forever');
      yield* sys.smDown(0x30, { timeout: 0 });
      log.push('not reached');
    });
    const r = k.run();
    expect(log).toEqual([`${Status.TIMEOUT} at 0`, `${Status.TIMEOUT}`, 'forever']);
    expect(r.reason).toBe('quiescent');
    expect(k.rootEc.waitingOn).toBe(k.objCap(k.root, 0x30)!.obj);
  });

  it('S37 up without the up permission => BAD_CAP; down without the down permission => BAD_CAP', () => {
    const got: number[] = [];
    boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 1), 'sm');
      ok(yield* delegateObj(sys, PD, PD, 0x30, 0x31, 0x2), 'down only');
      ok(yield* delegateObj(sys, PD, PD, 0x30, 0x32, 0x1), 'up only');
      got.push(yield* sys.smUp(0x31));
      got.push((yield* sys.smDown(0x32)).status);
      got.push(yield* sys.smUp(0x32));
      got.push((yield* sys.smDown(0x31)).status);
    }).run();
    expect(got).toEqual([Status.BAD_CAP, Status.BAD_CAP, Status.SUCCESS, Status.SUCCESS]);
  });

  it('S38 destroying an SM with waiters releases every waiter with BAD_CAP', () => {
    const log: string[] = [];
    boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      for (const [name, sel] of [
        ['A', 0x50],
        ['B', 0x60],
      ] as const) {
        yield* spawn(sys, {
          pd: PD,
          sel,
          evt: sel * 0x10,
          code: function* (s) {
            log.push(`${name} ${(yield* s.smDown(0x30)).status}`);
          },
        });
      }
      ok(yield* sys.revoke(objCrd(0x30, 0)), 'destroy');
      log.push('revoked');
    }).run();
    // Waiters are released in FIFO order, each SC to the head of its queue (budget left), so
    // the last one released runs first.
    expect(log).toEqual([`B ${Status.BAD_CAP}`, `A ${Status.BAD_CAP}`, 'revoked']);
  });

  it('S39 equal priorities alternate every quantum; a higher priority preempts at once; yield goes behind the peers', () => {
    const log: string[] = [];
    const Q = 1000;
    boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      // A setup EC above everyone creates A, B and C, so that they start together.
      yield* spawn(sys, {
        pd: PD,
        sel: 0x80,
        evt: 0x800,
        prio: 50,
        code: function* (sys) {
          for (const [name, sel, work] of [
            ['A', 0x50, 15],
            ['B', 0x60, 28],
          ] as const) {
            yield* spawn(sys, {
              pd: PD,
              sel,
              evt: sel * 0x10,
              prio: 10,
              quantumUs: Q,
              code: function* (s) {
                let last = -1;
                for (let i = 0; i < work; i++) {
                  const t = us(s);
                  if (t !== last + 100) log.push(`${name}@${t}`);
                  last = t;
                  yield* s.spin(100);
                }
                log.push(`${name} done@${us(s)}`);
                if (name === 'A') {
                  log.push(`A yields@${us(s)}`);
                  yield* s.yieldSc();
                  log.push(`A back@${us(s)}`);
                }
              },
            });
          }
          // C: higher priority, wakes at 1500 µs by timeout.
          yield* spawn(sys, {
            pd: PD,
            sel: 0x70,
            evt: 0x700,
            prio: 20,
            code: function* (s) {
              yield* s.smDown(0x30, { timeout: s.kernel.usToTicks(1500) });
              log.push(`C@${us(s)}`);
              yield* s.spin(200);
              log.push(`C done@${us(s)}`);
            },
          });
        },
      });
    }).run();
    // SCs enter their ready queue at the head (budget left, G `remote_enqueue`): B, created
    // after A, runs first.
    expect(log).toEqual([
      'B@0',
      'A@1000', // B's quantum ended: A runs
      'C@1500', // C preempts A at once
      'C done@1700',
      'A@1700', // A resumes first (head of its queue, 500 µs left)
      'B@2200', // A's quantum ended
      'A@3200',
      'A done@3700', // 1500 µs of A's work
      'A yields@3700',
      'B@3700', // behind its peer
      'B done@4500', // 2800 µs of B's work
      'A back@4500',
    ]);
  });

  it('S40 sc_ctrl returns increasing µs values; without the ct permission => BAD_CAP', () => {
    const got: number[] = [];
    boot(function* (sys) {
      for (let i = 0; i < 5; i++) {
        const r = yield* sys.scCtrl(34);
        ok(r.status, 'sc_ctrl');
        got.push(r.us);
        yield* sys.spin(37 + i);
      }
      ok(yield* delegateObj(sys, PD, PD, 34, 0x40, 0x1e), 'no ct');
      got.push((yield* sys.scCtrl(0x40)).status);
      // [G] the idle SC of CPU 0 (kernel selector 0) reports idle time once mapped to the root.
      ok(yield* delegateKernelSel(sys, 0, 0x41), 'idle SC');
      got.push((yield* sys.scCtrl(0x41)).status);
    }).run();
    expect(got).toEqual([0, 37, 75, 114, 154, Status.BAD_CAP, Status.SUCCESS]);
  });
});

/** Delegate kernel object selector `sel` (idle SC, GSI SM) into the root at `dst` (H item). */
function* delegateKernelSel(sys: Sys, sel: number, dst: number) {
  const u = sys.utcb;
  u.setMsg(0, 1);
  u.setItem(0, objCrd(sel, 0), { kind: 1, h: true });
  const s = yield* sys.delegate(PD, PD, objCrd(dst, 0));
  u.setMsg(0, 0);
  return s;
}
