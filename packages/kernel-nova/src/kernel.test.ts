import { describe, expect, it } from 'vitest';
import { Event, NUM_CPU, PAGE_SIZE, PfErr, RootSel, USER_ADDR } from './constants.js';
import { CrdType, ioCrd, memCrd, NULL_CRD, objCrd } from './crd.js';
import type { Ec } from './ec.js';
import { KernelNovaError } from './errors.js';
import { hipChecksum, parseHip } from './hip.js';
import { checkInvariants } from './invariants.js';
import type { Blocking } from './kernel-entry.js';
import { Mtd } from './mtd.js';
import type { Pd } from './pd.js';
import { boot, delegateObj, mapPhys, ok, PD, spawn, utcbAddr } from './scenarios/harness.js';
import { Status } from './status.js';
import type { Sys } from './sys.js';
import { TraceLog } from './trace.js';
import { ItemKind } from './typed-item.js';

function* kernelObj(sys: Sys, kernelSel: number, sel: number): Blocking<number> {
  const u = sys.utcb;
  u.setMsg(0, 1);
  u.setItem(0, objCrd(kernelSel, 0), { kind: ItemKind.DELEGATE, h: true });
  const s = yield* sys.delegate(PD, PD, objCrd(sel, 0));
  u.setMsg(0, 0);
  return s;
}

describe('boot state and HIP (spec/nova.md §7)', () => {
  it('root selectors 32..36, HIP at USER_ADDR - 4K (read only), UTCB at USER_ADDR - 8K, RSP = HIP, RDI = boot CPU', () => {
    let view: { hip: number[]; regs: number[]; caps: unknown[] } | null = null;
    const k = boot(
      function* (sys) {
        const hip: number[] = [];
        for (let o = 0; o < 0x38; o += 4) hip.push(yield* sys.read32(sys.kernel.hipAddr + o));
        const caps: unknown[] = [];
        for (const sel of [32, 33, 34, 35, 36, 37]) caps.push(yield* sys.lookup(objCrd(sel, 0)));
        caps.push(yield* sys.lookup(memCrd((USER_ADDR - PAGE_SIZE) / PAGE_SIZE, 0)));
        caps.push(yield* sys.lookup(memCrd((USER_ADDR - 2 * PAGE_SIZE) / PAGE_SIZE, 0)));
        view = { hip, regs: [sys.regs.rsp, sys.regs.rdi, sys.regs.rflags], caps };
      },
      { cpus: 2, tscKhz: 2_000_000 },
    );
    k.run();
    expect(view!.regs).toEqual([USER_ADDR - PAGE_SIZE, 0, 0x202]);
    expect(view!.hip[0]).toBe(0x41564f4e);
    const h = parseHip(k.memory.view, k.hipFrame * PAGE_SIZE);
    expect(hipChecksum(k.memory.view, k.hipFrame * PAGE_SIZE)).toBe(0);
    expect([h.apiVersion, h.sel, h.exc, h.vmi, h.gsi, h.pageSizes, h.tscKhz, h.features]).toEqual([
      10,
      2 ** 26,
      32,
      256,
      192,
      4096,
      2_000_000,
      0x4,
    ]);
    expect(h.cpus.length).toBe(NUM_CPU);
    expect(h.cpus.filter((c) => c.flags & 1).length).toBe(2);
    expect(h.mem[0]).toEqual({ addr: 0, size: k.memory.kernelStart * PAGE_SIZE, type: 1, aux: 0 });
    expect(h.mem[1]!.type).toBe(-1);
    expect(view!.caps).toEqual([
      { type: CrdType.OBJ, base: 32, order: 0, perms: 0x1f },
      { type: CrdType.OBJ, base: 33, order: 0, perms: 0x0d },
      { type: CrdType.OBJ, base: 34, order: 0, perms: 0x01 },
      { type: CrdType.OBJ, base: 35, order: 0, perms: 0x03 },
      { type: CrdType.OBJ, base: 36, order: 0, perms: 0x03 },
      NULL_CRD,
      { type: CrdType.MEM, base: (USER_ADDR - PAGE_SIZE) / PAGE_SIZE, order: 0, perms: 1 },
      { type: CrdType.MEM, base: (USER_ADDR - 2 * PAGE_SIZE) / PAGE_SIZE, order: 0, perms: 3 },
    ]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('maps root image segments like ELF PT_LOAD segments', () => {
    let v = 0;
    const k = boot(
      function* (sys) {
        v = yield* sys.read32(0x400000 + 4);
        yield* sys.write32(0x400000 + 4, 1); // read-only: faults, no handler: root dies
      },
      { rootImage: [{ vaddr: 0x400000, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), perms: 5 }] },
    );
    const t = new TraceLog();
    k.tracer = t;
    k.run();
    expect(v).toBe(0x08070605);
    expect(t.lines().some((l) => l.includes('root killed (PT not found)'))).toBe(true);
  });
});

describe('semaphores: signals and GSIs (spec/nova.md §6.3, §6.4)', () => {
  it('[G] signal SMs queue on their chain: value and accumulated count go to the waiter; down on a signal SM => BAD_CAP', () => {
    const got: unknown[] = [];
    boot(function* (sys) {
      ok(yield* sys.createSm(0x40, PD, 0), 'plain');
      ok(yield* sys.createSm(0x41, PD, 0xaaa, 0x40), 'signal a');
      ok(yield* sys.createSm(0x42, PD, 0xbbb, 0x40), 'signal b');
      got.push(yield* sys.createSm(0x43, PD, 1, 0x41)); // chain to a signal SM: one level only
      got.push((yield* sys.smDown(0x41)).status);
      ok(yield* sys.smUp(0x41), 'up a');
      ok(yield* sys.smUp(0x41), 'up a');
      ok(yield* sys.smUp(0x42), 'up b');
      const r1 = yield* sys.smDown(0x40);
      const r2 = yield* sys.smDown(0x40);
      got.push([r1.status, r1.value, r1.count], [r2.status, r2.value, r2.count]);
      got.push((yield* sys.smDown(0x40, { timeout: sys.now() + 1 })).status);
    }).run();
    expect(got).toEqual([Status.BAD_CAP, Status.BAD_CAP, [0, 0xaaa, 2], [0, 0xbbb, 1], Status.TIMEOUT]);
  });

  it('a GSI raised by the machine ups its kernel semaphore; assign_gsi routes IOAPIC pins, refuses MSI without a device, chains to a signal SM', () => {
    const log: string[] = [];
    const got: unknown[] = [];
    const k = boot(function* (sys) {
      ok(yield* kernelObj(sys, NUM_CPU + 5, 0x50), 'GSI 5 SM');
      ok(yield* kernelObj(sys, NUM_CPU + 40, 0x51), 'GSI 40 SM');
      const a = yield* sys.assignGsi(0x50, { cpu: 0 });
      got.push(a.status, a.msiAddr, a.msiData);
      got.push((yield* sys.assignGsi(0x50, { dev: 0x1000 })).status);
      got.push((yield* sys.assignGsi(0x51, {})).status);
      got.push((yield* sys.assignGsi(0x50, { cpu: 9 })).status);
      ok(yield* sys.createSm(0x52, PD, 0), 'plain');
      got.push((yield* sys.assignGsi(0x52, {})).status);
      yield* spawn(sys, {
        pd: PD,
        sel: 0x60,
        evt: 0x600,
        prio: 5,
        code: function* (s) {
          for (let i = 0; i < 2; i++) {
            ok((yield* s.smDown(0x50)).status, 'irq');
            log.push(`irq at ${s.kernel.ticksToUs(s.now())}`);
          }
          // Chain GSI 5 to a signal SM of a plain SM.
          ok(yield* s.createSm(0x53, PD, 0), 'plain');
          ok(yield* s.createSm(0x54, PD, 0x5, 0x53), 'signal');
          ok((yield* s.assignGsi(0x50, { signal: 0x54 })).status, 'chain');
          for (let i = 0; i < 2; i++) {
            const r = yield* s.smDown(0x53);
            log.push(`signal ${r.value} x${r.count} at ${s.kernel.ticksToUs(s.now())}`);
          }
        },
      });
    });
    k.run();
    k.at(k.usToTicks(10), () => k.triggerGsi(5));
    k.at(k.usToTicks(20), () => k.triggerGsi(5));
    k.run();
    k.at(k.usToTicks(30), () => {
      k.triggerGsi(5);
      k.triggerGsi(5);
    });
    k.run();
    expect(got).toEqual([
      Status.SUCCESS,
      0xfee00000,
      0x25,
      Status.BAD_DEV,
      Status.BAD_DEV,
      Status.BAD_CPU,
      Status.BAD_CAP,
    ]);
    // The first up wakes the waiter with count 1; the second queues the signal again.
    expect(log).toEqual(['irq at 10', 'irq at 20', 'signal 5 x1 at 30', 'signal 5 x1 at 30']);
  });

  it('a level-triggered GSI stays masked until the next down unmasks it', () => {
    const downs: number[] = [];
    const k = boot(function* (sys) {
      ok(yield* kernelObj(sys, NUM_CPU + 3, 0x50), 'GSI 3 SM');
      ok(yield* sys.createSm(0x51, PD, 0), 'sleep');
      ok((yield* sys.smDown(0x50)).status, 'irq');
      downs.push(sys.kernel.ticksToUs(sys.now()));
      yield* sys.smDown(0x51, { timeout: sys.kernel.usToTicks(100) });
      ok((yield* sys.smDown(0x50)).status, 'irq'); // unmasks; the line is low by now: blocks
      downs.push(sys.kernel.ticksToUs(sys.now()));
    });
    const us = (t: number) => k.usToTicks(t);
    k.at(us(10), () => k.setGsiLevel(3, true));
    k.at(us(20), () => k.setGsiLevel(3, true)); // still masked: nothing signalled
    k.at(us(30), () => k.setGsiLevel(3, false));
    k.at(us(300), () => k.setGsiLevel(3, true));
    k.run({ maxTime: us(50) });
    expect(k.gsiSms[3]!.counter).toBe(0);
    k.run();
    expect(downs).toEqual([10, 300]);
  });
});

describe('ec_ctrl, sc_ctrl, pd_ctrl details [G]', () => {
  it('ec_ctrl op 2 switches to an EC of the same PD with the right TLS; op 3 reschedules; wrong TLS => BAD_PAR', () => {
    const log: string[] = [];
    boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x500,
        prio: 1,
        code: function* (s) {
          s.utcb.tls = 0x7e57;
          log.push('B runs');
          yield* s.spin(10);
          log.push(`B done at ${s.kernel.ticksToUs(s.now())}`);
        },
        noSc: true,
      });
      ok(yield* sys.createSc(0x51, PD, 0x50, { prio: 1, quantum: 1000 }), 'B SC');
      ok(yield* sys.reschedule(), 'reschedule'); // B is behind root: root keeps the CPU
      log.push('root after reschedule');
      ok(yield* sys.yieldSc(), 'yield'); // B runs first now
      log.push(`root back at ${sys.kernel.ticksToUs(sys.now())}`);
      // C: a global EC without SC of the root PD, with a STARTUP portal.
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'startup handler');
      const cCode = sys.entry(function* (s) {
        log.push(`C runs on ${s.kernel.executing!.sc.ec.label}'s SC`);
        yield* s.yieldSc();
        log.push('C again');
      });
      ok(
        yield* sys.createPt(
          0x600 + Event.STARTUP,
          PD,
          0x40,
          0,
          sys.entry(function* (s) {
            s.utcb.mtd = Mtd.EIP;
            s.utcb.rip = cCode;
            yield* s.reply();
          }),
        ),
        'startup portal',
      );
      ok(yield* sys.createEc(0x60, PD, { utcb: utcbAddr(), global: true, evt: 0x600 }), 'C without SC');
      log.push(`donate wrong tls ${yield* sys.donateSc(0x60, 1)}`);
      log.push(`donate to a blocked EC ${yield* sys.donateSc(0x50, 0x7e57)}`);
      log.push(`donate ${yield* sys.donateSc(0x60, 0)}`);
      log.push('root back');
    }).run();
    expect(log).toEqual([
      'root after reschedule',
      'B runs',
      'B done at 10',
      'root back at 10',
      `donate wrong tls ${Status.BAD_PAR}`,
      `donate to a blocked EC ${Status.BAD_PAR}`,
      "C runs on root's SC",
      `donate ${Status.SUCCESS}`,
      'root back',
    ]);
  });

  it('sc_ctrl on the idle SC: op 0 idle time, op 1 cross-CPU helper time, op 3 with an EC', () => {
    const got: number[] = [];
    boot(function* (sys) {
      ok(yield* kernelObj(sys, 0, 0x40), 'idle SC 0');
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      // Sleep 300 µs: CPU 0 idles.
      yield* sys.smDown(0x30, { timeout: sys.kernel.usToTicks(300) });
      got.push((yield* sys.scCtrl(0x40)).us);
      got.push((yield* sys.scCtrl(0x40, 1)).us);
      const r = yield* sys.scCtrl(34, 3, RootSel.EC);
      got.push(r.status, r.ecUs);
      got.push((yield* sys.scCtrl(0x40, 2)).status);
    }).run();
    expect(got).toEqual([300, 0, Status.SUCCESS, 0, Status.SUCCESS]);
  });

  it('pd_ctrl moves quota between PDs and reports limit and usage; too much => BAD_PAR', () => {
    const got: unknown[] = [];
    boot(function* (sys) {
      ok(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 10 }), 'pd');
      got.push(yield* sys.quotaQuery(0x100));
      got.push(yield* sys.quotaTransfer(PD, 0x100, 5));
      got.push((yield* sys.quotaQuery(0x100)).limit);
      got.push(yield* sys.quotaTransfer(0x100, PD, 100));
      got.push(yield* sys.quotaTransfer(0x100, 0x999, 1));
    }).run();
    expect(got).toEqual([{ status: 0, limit: 10, usage: 0 }, 0, 15, Status.BAD_PAR, Status.BAD_CAP]);
  });
});

describe('cross-CPU calls and recall state [G]', () => {
  it('a reply-and-block towards a cross-CPU caller restarts its call once the SM is up', () => {
    const log: string[] = [];
    const k = boot(
      function* (sys) {
        ok(yield* sys.createSm(0x30, PD, 0), 'pause');
        ok(yield* sys.createEc(0x40, PD, { cpu: 1, utcb: utcbAddr() }), 'L on CPU 1');
        let n = 0;
        ok(
          yield* sys.createPt(
            0x41,
            PD,
            0x40,
            0,
            sys.entry(function* (s) {
              n++;
              log.push(`L activation ${n} on cpu${s.cpu}`);
              s.utcb.setWords([n]);
              yield* s.reply(n === 1 ? 0x30 : 0); // the first activation blocks the caller on 0x30
            }),
          ),
          'P',
        );
        yield* spawn(sys, {
          pd: PD,
          sel: 0x50,
          evt: 0x500,
          prio: 5,
          code: function* (s) {
            const st = yield* s.call(0x41);
            log.push(`call ${st} reply ${s.utcb.mr(0)} at ${s.kernel.ticksToUs(s.now())}`);
          },
        });
        yield* sys.spin(50);
        log.push('up');
        ok(yield* sys.smUp(0x30), 'up');
      },
      { cpus: 2 },
    );
    k.run();
    expect(log).toEqual([
      'L activation 1 on cpu1',
      'up',
      'L activation 2 on cpu1',
      `call ${Status.SUCCESS} reply 2 at 50`,
    ]);
    expect([...k.ecs].filter((e) => e.kind === 'xcpu')).toEqual([]);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('[G] recall with state copies the registers of a local target into the UTCB', () => {
    const got: number[] = [];
    boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'handler');
      ok(yield* sys.createSm(0x30, PD, 0), 'sm');
      ok(
        yield* sys.createPt(
          0x500 + Event.BP,
          PD,
          0x40,
          Mtd.EIP,
          sys.entry(function* (s) {
            yield* s.smDown(0x30); // keep the exception pending
            yield* s.reply();
          }),
        ),
        'bp portal',
      );
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x500,
        prio: 5,
        code: function* (s) {
          s.regs.rbx = 0xb0b;
          yield* s.exception(Event.BP); // blocks while the handler waits
        },
      });
      got.push(yield* sys.recall(0x50, true));
      const u = sys.utcb;
      const mtd = Mtd.ACDB | Mtd.EBSD | Mtd.R8_R15 | Mtd.ESP | Mtd.EIP | Mtd.EFL | Mtd.QUAL;
      // qual[0] is 1 only while the handler has been entered but not run yet ([G]); here it runs.
      got.push(u.get('rbx'), u.qual0, u.mtd === mtd ? 1 : 0);
      ok(yield* sys.smUp(0x30), 'release');
    }).run();
    expect(got).toEqual([Status.SUCCESS, 0xb0b, 0, 1]);
  });

  it('a vCPU without an engine reports STARTUP and then blocks', () => {
    const exits: number[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 16 }), 'guest');
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'handler');
      ok(
        yield* sys.createPt(
          0x200,
          PD,
          0x40,
          0,
          sys.entry(function* (s) {
            exits.push(s.utcb.exitReason);
            s.utcb.mtd = 0;
            yield* s.reply();
          }),
        ),
        'startup portal',
      );
      ok(yield* delegateObj(sys, PD, 0x100, 0x200, 0xfe), 'into guest');
      ok(yield* sys.createEc(0x50, 0x100, { utcb: 0, evt: 0 }), 'vcpu');
      ok(yield* sys.createSc(0x51, PD, 0x50, { prio: 5, quantum: 100 }), 'sc');
    });
    expect(k.run().reason).toBe('quiescent');
    expect(exits).toEqual([0xfe]);
  });
});

describe('more delegation and IPC details', () => {
  it('a normal caller blocked by reply-and-block restarts its call after sm_ctrl(up)', () => {
    const log: string[] = [];
    boot(function* (sys) {
      ok(yield* sys.createSm(0x30, PD, 0), 'pause');
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'L');
      let n = 0;
      ok(
        yield* sys.createPt(
          0x41,
          PD,
          0x40,
          0,
          sys.entry(function* (s) {
            n++;
            log.push(`L ${n} got ${s.utcb.mr(0)}`);
            s.utcb.setWords([n * 10]);
            yield* s.reply(n === 1 ? 0x30 : 0);
          }),
        ),
        'P',
      );
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x500,
        prio: 5,
        code: function* (s) {
          s.utcb.setWords([7]);
          const st = yield* s.call(0x41);
          log.push(`call ${st} -> ${s.utcb.mr(0)} at ${s.kernel.ticksToUs(s.now())}`);
        },
      });
      yield* sys.spin(20);
      log.push('up');
      ok(yield* sys.smUp(0x30), 'up');
    }).run();
    // The restarted call sends the caller's message again.
    expect(log).toEqual(['L 1 got 7', 'up', 'L 2 got 7', `call ${Status.SUCCESS} -> 20 at 20`]);
  });

  it('memory delegated with D appears in the DMA table and leaves it on revoke; revoke notifies an SM', () => {
    const got: number[] = [];
    const k = boot(function* (sys) {
      ok(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 16 }), 'pd');
      const u = sys.utcb;
      u.setMsg(0, 1);
      u.setItem(0, memCrd(0x300, 2, 3), { kind: ItemKind.DELEGATE, h: true, d: true });
      ok(yield* sys.delegate(PD, 0x100, memCrd(0x800, 2, 3)), 'D');
      u.setMsg(0, 0);
      const b = sys.kernel.objCap(sys.kernel.root, 0x100)!.obj as Pd;
      got.push(b.dma.translate(0x802)!.frame, b.host.translate(0x802)!.frame, b.guest.size);
      ok(yield* sys.createSm(0x30, PD, 0), 'notify');
      ok(yield* sys.revoke(memCrd(0x800, 2, 7), { remote: 0x100, notifySm: 0x30 }), 'revoke');
      got.push(b.dma.size, b.host.size);
      got.push((yield* sys.smDown(0x30, { timeout: sys.now() + 1 })).status);
    });
    k.run();
    expect(got).toEqual([0x302, 0x302, 0, 0, 0, Status.SUCCESS]);
  });
});

describe('user mode: memory, ports, code', () => {
  it('accesses across a page boundary, ports with and without I/O permission (#GP otherwise)', () => {
    const got: number[] = [];
    const faults: number[] = [];
    const k = boot(function* (sys) {
      ok(yield* mapPhys(sys, PD, 0x100, 0x100, 1), 'two pages');
      yield* sys.write32(0x101000 - 2, 0xa1b2c3d4);
      got.push(yield* sys.read32(0x101000 - 2), yield* sys.read16(0x101000));
      const u = sys.utcb;
      u.setMsg(0, 1);
      u.setItem(0, ioCrd(0x60, 0), { kind: ItemKind.DELEGATE, h: true });
      ok(yield* sys.delegate(PD, PD, ioCrd(0x60, 0)), 'port 0x60');
      u.setMsg(0, 0);
      got.push(yield* sys.in(0x60));
      yield* sys.out(0x60, 0x55);
      // Port 0x61 is not ours: #GP to the handler at evt + 0x0d, which skips the instruction.
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'handler');
      ok(
        yield* sys.createPt(
          Event.GP,
          PD,
          0x40,
          Mtd.QUAL,
          sys.entry(function* (s) {
            faults.push(s.utcb.qual0);
            s.utcb.mtd = Mtd.EIP;
            s.utcb.rip = after;
            yield* s.reply();
          }),
        ),
        'gp portal',
      );
      const after = sys.entry(function* (s) {
        got.push(0x61);
        yield* s.spin(0);
      });
      got.push(yield* sys.in(0x61));
    });
    const io: number[][] = [];
    k.ioBus = {
      in: (p) => (p === 0x60 ? 0x1c : 0xff),
      out: (p, _s, v) => {
        io.push([p, v]);
      },
    };
    k.run();
    expect(got).toEqual([0xa1b2c3d4, 0xa1b2, 0x1c, 0x61]);
    expect(io).toEqual([[0x60, 0x55]]);
    expect(faults).toEqual([0]);
  });

  it('a start at an IP without code faults: #PF with I when unmapped, #UD when mapped; RIP >= USER_ADDR => #GP', () => {
    const faults: number[][] = [];
    boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'handler');
      for (const e of [Event.PF, Event.UD, Event.GP]) {
        ok(
          yield* sys.createPt(
            0x700 + e,
            PD,
            0x40,
            Mtd.QUAL | Mtd.EIP,
            sys.entry(function* (s) {
              faults.push([e, s.utcb.qual0, s.utcb.qual1, s.utcb.rip]);
              s.utcb.mtd = Mtd.EIP;
              s.utcb.rip = [0x100008, USER_ADDR + 0x1000, done][faults.length - 1]!;
              yield* s.reply();
            }),
          ),
          'portal',
        );
      }
      const done = sys.entry(function* () {});
      ok(yield* mapPhys(sys, PD, 0x100, 0x100, 0), 'a page without code');
      ok(yield* sys.createEc(0x50, PD, { utcb: utcbAddr(), global: true, evt: 0x700 }), 'G');
      // STARTUP portal: start at 0x5000 (nothing mapped, no code).
      ok(
        yield* sys.createPt(
          0x700 + Event.STARTUP,
          PD,
          0x40,
          0,
          sys.entry(function* (s) {
            s.utcb.mtd = Mtd.EIP;
            s.utcb.rip = 0x5000;
            yield* s.reply();
          }),
        ),
        'startup',
      );
      ok(yield* sys.createSc(0x51, PD, 0x50, { prio: 5, quantum: 100 }), 'SC');
    }).run();
    expect(faults).toEqual([
      [Event.PF, PfErr.I | PfErr.U, 0x5000, 0x5000],
      [Event.UD, 0, 0x5000, 0x100008],
      [Event.GP, 0, 0x5000, USER_ADDR + 0x1000],
    ]);
  });
});

describe('object lifetime', () => {
  it('destroying a PD revokes its spaces, frees its UTCBs and returns its quota to the creator', () => {
    const got: number[] = [];
    const k = boot(function* (sys) {
      const before = (yield* sys.quotaQuery(PD)).usage;
      ok(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 32 }), 'pd');
      ok(yield* delegateObj(sys, PD, 0x100, 0x100, 0x20), 'self cap');
      ok(yield* sys.createEc(0x101, 0x100, { utcb: 0x10000 }), 'ec in pd');
      ok(yield* sys.createSm(0x102, PD, 0), 'sm');
      ok(yield* delegateObj(sys, PD, 0x100, 0x102, 0x30), 'sm into pd');
      got.push((yield* sys.quotaQuery(0x100)).usage);
      ok(yield* sys.revoke(objCrd(0x100, 1)), 'revoke pd + ec');
      got.push((yield* sys.lookup(objCrd(0x100, 0))).type, (yield* sys.lookup(objCrd(0x101, 0))).type);
      got.push(((yield* sys.quotaQuery(PD)).usage - before) | 0);
      ok(yield* sys.revoke(objCrd(0x102, 0)), 'sm');
      got.push((yield* sys.quotaQuery(PD)).usage - before);
    });
    const free0 = k.memory.kernelFree;
    k.run();
    expect(got.slice(1)).toEqual([0, 0, got[3]!, 0]);
    expect(got[0]).toBe(4); // UTCB page + EC slab page + MDB slab page + leaf page table
    expect(k.memory.kernelFree).toBe(free0);
    expect([...k.pds].map((p) => p.label)).toEqual(['kern', 'root']);
    expect(checkInvariants(k)).toEqual([]);
  });

  it('invalidation listeners see every unmap and permission reduction', () => {
    const seen: string[] = [];
    const k = boot(function* (sys) {
      ok(yield* mapPhys(sys, PD, 0x100, 0x100, 1), 'map');
      ok(yield* sys.revoke(memCrd(0x100, 0, 2)), 'ro');
      ok(yield* sys.revoke(memCrd(0x100, 1, 7)), 'unmap');
    });
    k.onInvalidate((pd: Pd, table, base, pages) =>
      seen.push(`${pd.label} ${table} ${base.toString(16)} +${pages}`),
    );
    k.run();
    expect(seen).toEqual(['root host 100 +2', 'root host 100 +2']);
  });
});

describe('running the machine', () => {
  it('run() stops on until / maxTime / maxSteps and reports why; host code errors surface as KernelNovaError', () => {
    let n = 0;
    const k = boot(function* (sys) {
      for (;;) {
        n++;
        yield* sys.spin(10);
      }
    });
    expect(k.run({ until: () => n === 3 }).reason).toBe('until');
    expect(k.run({ maxTime: k.usToTicks(100) })).toMatchObject({ reason: 'time', now: k.usToTicks(100) });
    expect(k.run({ maxSteps: 5 })).toMatchObject({ reason: 'steps', steps: 5 });
    const bad = boot(function* (sys) {
      yield* sys.spin(1);
      throw new Error('boom');
    });
    expect(() => bad.run()).toThrow(KernelNovaError);
    expect((bad.rootEc as Ec).cont).toBe(9);
  });

  it('sys methods refuse to run for an EC that is not the current one', () => {
    let other: Sys | null = null;
    let caught: unknown = null;
    boot(function* (sys) {
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'local');
      ok(
        yield* sys.createPt(
          0x41,
          PD,
          0x40,
          0,
          sys.entry(function* (s) {
            other = s;
            yield* s.reply();
          }),
        ),
        'pt',
      );
      ok(yield* sys.call(0x41), 'call');
      try {
        yield* other!.smUp(0);
      } catch (e) {
        caught = e;
      }
    }).run();
    expect(caught).toBeInstanceOf(KernelNovaError);
    expect((caught as KernelNovaError).code).toBe('NOT_CURRENT');
  });

  it('is deterministic: the same root task gives the same trace', () => {
    const lines = () => {
      const t = new TraceLog();
      boot(
        function* (sys) {
          ok(yield* sys.createSm(0x30, PD, 0), 'sm');
          for (const cpu of [0, 1]) {
            yield* spawn(sys, {
              pd: PD,
              sel: 0x50 + cpu * 8,
              evt: 0x400 + cpu * 0x40,
              cpu,
              code: function* (s) {
                for (let i = 0; i < 5; i++) {
                  yield* s.spin(7 + cpu);
                  yield* s.smUp(0x30);
                }
              },
            });
          }
          for (let i = 0; i < 10; i++) yield* sys.smDown(0x30);
        },
        { cpus: 2, trace: t },
      ).run();
      return t.lines();
    };
    const a = lines();
    expect(a.length).toBeGreaterThan(50);
    expect(lines()).toEqual(a);
  });
});
