/**
 * spec/nova.md §9 acceptance scenarios S1–S9: object creation and permissions, with the
 * G-kernel's check order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { USER_ADDR } from '../constants.js';
import { CrdType, objCrd } from '../crd.js';
import type { Pd } from '../pd.js';
import { Status } from '../status.js';
import { boot, childPd, delegateObj, ok, PD, spawn, utcbAddr, violations } from './harness.js';

const NOWHERE = 0x3fff; // an empty selector

describe('object creation and permissions (spec/nova.md §9)', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('S1 create_pt / create_sm with an empty owner selector => BAD_CAP (and G checks ip first)', () => {
    const got: number[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'local EC');
      const ip = sys.entry(function* () {});
      got.push(yield* sys.createPt(0x41, NOWHERE, 0x40, 0, ip));
      got.push(yield* sys.createSm(0x42, NOWHERE, 0));
      // Check order [G]: ip >= USER_ADDR is tested before the owner capability.
      got.push(yield* sys.createPt(0x41, NOWHERE, 0x40, 0, USER_ADDR));
      // The same calls with a real owner succeed.
      got.push(yield* sys.createPt(0x41, PD, 0x40, 0, ip));
      got.push(yield* sys.createSm(0x42, PD, 0));
    });
    k.run();
    expect(got).toEqual([Status.BAD_CAP, Status.BAD_CAP, Status.BAD_PAR, Status.SUCCESS, Status.SUCCESS]);
  });

  it('S2 create_sm(sel, 32, 5) => SUCCESS, the same sel again => BAD_CAP; the counter is 5', () => {
    const got: number[] = [];
    const k = boot(function* (sys) {
      got.push(yield* sys.createSm(0x50, PD, 5));
      got.push(yield* sys.createSm(0x50, PD, 5));
      for (let i = 0; i < 5; i++) got.push((yield* sys.smDown(0x50)).status);
      got.push((yield* sys.smDown(0x50, { timeout: sys.now() + 1 })).status);
    });
    k.run();
    expect(got).toEqual([0, Status.BAD_CAP, 0, 0, 0, 0, 0, Status.TIMEOUT]);
  });

  it('S3 create_ec: offline CPU => BAD_CPU, UTCB >= USER_ADDR or in use => BAD_PAR, vCPU without SVM/VMX => BAD_FTR', () => {
    const got: Record<string, number> = {};
    const root = function* (sys: import('../sys.js').Sys) {
      got.cpu = yield* sys.createEc(0x40, PD, { cpu: 1, utcb: utcbAddr() });
      got.high = yield* sys.createEc(0x40, PD, { utcb: USER_ADDR });
      // [spec] chosen over [G]: the page of the root's own UTCB is in use.
      got.inUse = yield* sys.createEc(0x40, PD, { utcb: sys.kernel.rootUtcbAddr });
      // x86-64 ABI: the low 12 bits of RDX carry the CPU, so an unaligned UTCB names a CPU.
      got.unaligned = yield* sys.createEc(0x40, PD, { utcb: 0x10_0001 });
      got.vcpu = yield* sys.createEc(0x40, PD, { utcb: 0 });
      // Check order: CPU before FTR before the owner cap before the UTCB before the selector.
      got.cpuFirst = yield* sys.createEc(0x40, NOWHERE, { cpu: 7, utcb: 0 });
      got.ftrBeforeCap = yield* sys.createEc(0x40, NOWHERE, { utcb: 0 });
      got.capBeforePar = yield* sys.createEc(0x40, NOWHERE, { utcb: USER_ADDR });
      got.parBeforeSel = yield* sys.createEc(PD, PD, { utcb: USER_ADDR });
      got.ok = yield* sys.createEc(0x40, PD, { utcb: utcbAddr() });
      got.selTaken = yield* sys.createEc(0x40, PD, { utcb: utcbAddr() });
    };
    boot(root, { features: { svm: false, vmx: false } }).run();
    expect(got).toEqual({
      cpu: Status.BAD_CPU,
      high: Status.BAD_PAR,
      inUse: Status.BAD_PAR,
      unaligned: Status.BAD_CPU,
      vcpu: Status.BAD_FTR,
      cpuFirst: Status.BAD_CPU,
      ftrBeforeCap: Status.BAD_FTR,
      capBeforePar: Status.BAD_CAP,
      parBeforeSel: Status.BAD_PAR,
      ok: Status.SUCCESS,
      selTaken: Status.BAD_CAP,
    });
    // With SVM present the same vCPU creation succeeds.
    let vcpu = -1;
    boot(function* (sys) {
      vcpu = yield* sys.createEc(0x40, PD, { utcb: 0 });
    }).run();
    expect(vcpu).toBe(Status.SUCCESS);
  });

  it('S4 create_sc on a local EC => BAD_CAP; priority 0 or 128, quantum 0 => BAD_PAR', () => {
    const got: number[] = [];
    boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'local');
      ok(yield* sys.createEc(0x41, PD, { utcb: utcbAddr(), global: true, evt: 0x100 }), 'global');
      got.push(yield* sys.createSc(0x50, PD, 0x40, { prio: 10, quantum: 1000 }));
      // [G] the EC checks come before the QPD check.
      got.push(yield* sys.createSc(0x50, PD, 0x40, { prio: 0, quantum: 1000 }));
      got.push(yield* sys.createSc(0x50, PD, 0x41, { prio: 0, quantum: 1000 }));
      got.push(yield* sys.createSc(0x50, PD, 0x41, { prio: 128, quantum: 1000 }));
      got.push(yield* sys.createSc(0x50, PD, 0x41, { prio: 10, quantum: 0 }));
      // BAD_PAR wins over an occupied selector.
      got.push(yield* sys.createSc(PD, PD, 0x41, { prio: 10, quantum: 0 }));
    }).run();
    expect(got).toEqual([
      Status.BAD_CAP,
      Status.BAD_CAP,
      Status.BAD_PAR,
      Status.BAD_PAR,
      Status.BAD_PAR,
      Status.BAD_PAR,
    ]);
  });

  it('S5 create_pt on a global EC or a vCPU => BAD_CAP; ip >= USER_ADDR => BAD_PAR', () => {
    const got: number[] = [];
    boot(function* (sys) {
      ok(yield* sys.createEc(0x41, PD, { utcb: utcbAddr(), global: true, evt: 0x100 }), 'global');
      ok(yield* sys.createEc(0x42, PD, { utcb: 0 }), 'vcpu');
      ok(yield* sys.createEc(0x43, PD, { utcb: utcbAddr() }), 'local');
      const ip = sys.entry(function* () {});
      got.push(yield* sys.createPt(0x50, PD, 0x41, 0, ip));
      got.push(yield* sys.createPt(0x50, PD, 0x42, 0, ip));
      got.push(yield* sys.createPt(0x50, PD, 0x43, 0, USER_ADDR));
      got.push(yield* sys.createPt(0x50, PD, 0x43, 0, ip));
    }).run();
    expect(got).toEqual([Status.BAD_CAP, Status.BAD_CAP, Status.BAD_PAR, Status.SUCCESS]);
  });

  it('S6 an EC cap delegated with ct only cannot bind a PT or an SC in the receiving PD', () => {
    const got: number[] = [];
    const k = boot(function* (sys) {
      yield* childPd(sys, 0x100);
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'local');
      ok(yield* sys.createEc(0x41, PD, { utcb: utcbAddr(), global: true, evt: 0x400 }), 'global');
      ok(yield* delegateObj(sys, PD, 0x100, 0x40, 0x30, 0x1), 'local ct');
      ok(yield* delegateObj(sys, PD, 0x100, 0x41, 0x31, 0x1), 'global ct');
      ok(yield* delegateObj(sys, PD, 0x100, 0x40, 0x32), 'local full');
      yield* spawn(sys, {
        pd: 0x100,
        sel: 0x200,
        evt: 0x1000,
        code: function* (s) {
          const ip = s.entry(function* () {});
          got.push(yield* s.createPt(0x60, 0x20, 0x30, 0, ip));
          got.push(yield* s.createSc(0x61, 0x20, 0x31, { prio: 5, quantum: 100 }));
          got.push(yield* s.createPt(0x60, 0x20, 0x32, 0, ip));
        },
      });
    });
    k.run();
    expect(got).toEqual([Status.BAD_CAP, Status.BAD_CAP, Status.SUCCESS]);
    const child = k.objCap(k.root, 0x100)!.obj as Pd;
    expect(k.objCap(child, 0x30)!.perms).toBe(0x1);
  });

  it('S7 a PD cap delegated with sm only (0x10): create_sm works, create_pt through it => BAD_CAP', () => {
    const got: number[] = [];
    boot(function* (sys) {
      yield* childPd(sys, 0x100, 0x20, 0x10);
      ok(yield* delegateObj(sys, PD, 0x100, 0x100, 0x21), 'full PD cap');
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'local');
      ok(yield* delegateObj(sys, PD, 0x100, 0x40, 0x30), 'EC cap');
      yield* spawn(sys, {
        pd: 0x100,
        sel: 0x200,
        evt: 0x1000,
        code: function* (s) {
          got.push(yield* s.createSm(0x60, 0x20, 0));
          got.push(
            yield* s.createPt(
              0x61,
              0x20,
              0x30,
              0,
              s.entry(function* () {}),
            ),
          );
          got.push(yield* s.createEc(0x62, 0x20, { utcb: 0x1000 }));
          got.push(
            yield* s.createPt(
              0x61,
              0x21,
              0x30,
              0,
              s.entry(function* () {}),
            ),
          );
        },
      });
    }).run();
    expect(got).toEqual([Status.SUCCESS, Status.BAD_CAP, Status.BAD_CAP, Status.SUCCESS]);
  });

  it('S8 pt_ctrl without CTRL => BAD_CAP on all 32 exception portals; with CTRL the next call delivers the new PID', () => {
    const got: number[] = [];
    const pids: number[] = [];
    boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'pager');
      const handler = sys.entry(function* (s) {
        pids.push(s.regs.rdi);
        yield* s.reply();
      });
      for (let i = 0; i < 32; i++) ok(yield* sys.createPt(0x100 + i, PD, 0x40, 0, handler), 'pt');
      // Like core: revoke PT_CTRL from the thread's exception portals.
      ok(yield* sys.revoke(objCrd(0x100, 5, 0x1)), 'revoke ctrl');
      for (let i = 0; i < 32; i++) got.push(yield* sys.ptCtrl(0x100 + i, 0xbadbad));
      ok(yield* sys.call(0x100), 'call');
      ok(yield* sys.createPt(0x200, PD, 0x40, 0, handler), 'pt with ctrl');
      got.push(yield* sys.ptCtrl(0x200, 0x1234));
      ok(yield* sys.call(0x200), 'call');
    }).run();
    expect(got).toEqual([...new Array(32).fill(Status.BAD_CAP), Status.SUCCESS]);
    expect(pids).toEqual([0, 0x1234]);
  });

  it('S9 create_pd with Obj_crd(B, 2, mask) puts B..B+3 at selectors 0..3, order 0 each, perms = source perms & mask', () => {
    const seen: { type: number; base: number; order: number; perms: number }[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createSm(0x40, PD, 0), 'sm'); // perms 0x03
      ok(yield* sys.createEc(0x41, PD, { utcb: utcbAddr() }), 'ec'); // perms 0x0d
      ok(
        yield* sys.createPt(
          0x42,
          PD,
          0x41,
          0,
          sys.entry(function* () {}),
        ),
        'pt',
      ); // perms 0x13
      ok(yield* sys.createSm(0x43, PD, 0), 'sm');
      ok(yield* sys.createPd(0x100, PD, objCrd(0x40, 2, 0x19)), 'create_pd');
      ok(yield* delegateObj(sys, PD, 0x100, 0x100, 0x20), 'own PD cap');
      yield* spawn(sys, {
        pd: 0x100,
        sel: 0x200,
        evt: 0x1000,
        code: function* (s) {
          for (let i = 0; i < 4; i++) seen.push(yield* s.lookup(objCrd(i, 0)));
          seen.push(yield* s.lookup(objCrd(4, 0)));
        },
      });
    });
    k.run();
    expect(seen).toEqual([
      { type: CrdType.OBJ, base: 0, order: 0, perms: 0x03 & 0x19 },
      { type: CrdType.OBJ, base: 1, order: 0, perms: 0x0d & 0x19 },
      { type: CrdType.OBJ, base: 2, order: 0, perms: 0x13 & 0x19 },
      { type: CrdType.OBJ, base: 3, order: 0, perms: 0x03 & 0x19 },
      { type: CrdType.NULL, base: 0, order: 0, perms: 0 },
    ]);
    // Each is its own order-0 child of the root's node for the same object.
    const child = k.objCap(k.root, 0x100)!.obj as Pd;
    for (let i = 0; i < 4; i++) {
      const n = k.objCap(child, i)!;
      expect(n.parent).toBe(k.objCap(k.root, 0x40 + i));
      expect(n.obj).toBe(k.objCap(k.root, 0x40 + i)!.obj);
    }
  });
});
