/** spec/nova.md §9 acceptance scenarios S29–S33: STARTUP, page faults and the pager flow, RECALL, exception replies. */
import { afterEach, describe, expect, it } from 'vitest';
import { Event, PAGE_SIZE, PfErr, UTCB_WORDS } from '../constants.js';
import { memCrd } from '../crd.js';
import type { Ec } from '../ec.js';
import { Mtd } from '../mtd.js';
import { Status } from '../status.js';
import type { Sys } from '../sys.js';
import { ItemKind } from '../typed-item.js';
import { boot, childPd, delegateObj, mapPhys, ok, PD, spawn, utcbAddr, violations } from './harness.js';

/** Install a handler portal `evt + event` in PD `pd` (root selector) bound to a new root local EC. */
function* handler(
  sys: Sys,
  o: { pd: number; evt: number; event: number; sel: number; mtd: number; cpu?: number },
  code: (s: Sys) => Generator<import('../kernel-entry.js').KernelEntry, void, unknown>,
): Generator<import('../kernel-entry.js').KernelEntry, void, unknown> {
  ok(yield* sys.createEc(o.sel, PD, { cpu: o.cpu ?? 0, utcb: utcbAddr(), sp: 0x3000 }), 'handler EC');
  const ptSel = o.pd === PD ? o.evt + o.event : o.sel + 1;
  ok(yield* sys.createPt(ptSel, PD, o.sel, o.mtd, code), 'handler portal');
  if (o.pd !== PD) ok(yield* delegateObj(sys, PD, o.pd, ptSel, o.evt + o.event), 'portal into PD');
}

describe('events and the pager (spec/nova.md §9)', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('S29 STARTUP at evt + 0x1e carries RSP = initial sp; a reply with mtd = RIP|RSP starts the EC there', () => {
    const seen: Record<string, number> = {};
    let ran: Record<string, number> = {};
    const k = boot(function* (sys) {
      // biome-ignore lint/correctness/useYield: EC code that never enters the kernel
      const entry = sys.entry(function* (s) {
        ran = { rip: s.regs.rip, rsp: s.regs.rsp };
      });
      yield* handler(
        sys,
        { pd: PD, evt: 0x400, event: Event.STARTUP, sel: 0x40, mtd: Mtd.ESP | Mtd.EIP },
        function* (s) {
          const u = s.utcb;
          Object.assign(seen, { pid: s.regs.rdi, mtd: u.mtd, rsp: u.rsp, rip: u.rip, u: u.u, t: u.t });
          u.mtd = Mtd.EIP | Mtd.ESP;
          u.rip = entry;
          u.rsp = 0x9000;
          yield* s.reply();
        },
      );
      ok(yield* sys.ptCtrl(0x41e, 0x77), 'pid');
      ok(yield* sys.createEc(0x50, PD, { utcb: utcbAddr(), sp: 0x7000, evt: 0x400, global: true }), 'G');
      ok(yield* sys.createSc(0x51, PD, 0x50, { prio: 5, quantum: 1000 }), 'SC');
      seen.entry = entry;
    });
    k.run();
    expect(seen).toEqual({
      pid: 0x77,
      mtd: Mtd.ESP | Mtd.EIP,
      rsp: 0x7000,
      rip: 0,
      u: UTCB_WORDS,
      t: 0,
      entry: seen.entry,
    });
    expect(ran).toEqual({ rip: seen.entry, rsp: 0x9000 });
  });

  it('S30 page fault: qual[1] = address, qual[0] bit 1 = 0 for reads, RIP/RSP; no mapping => same fault again; a delegate item at the hotspot => the load succeeds', () => {
    const faults: number[][] = [];
    let loaded = -1;
    let entry = 0;
    const A = 0x12345678;
    boot(function* (sys) {
      yield* childPd(sys, 0x100);
      ok(yield* mapPhys(sys, PD, 0x1800, 0x500, 0), 'pager page');
      yield* sys.write32(0x500 * PAGE_SIZE + (A % PAGE_SIZE), 0xcafe);
      yield* handler(
        sys,
        { pd: 0x100, evt: 0x1000, event: Event.PF, sel: 0x40, mtd: Mtd.QUAL | Mtd.EIP | Mtd.ESP },
        function* (s) {
          const u = s.utcb;
          faults.push([u.qual0, u.qual1, u.rip, u.rsp]);
          u.mtd = 0;
          if (faults.length === 2) {
            // Map the pager's page at the fault address: implicit window, hotspot = fault address.
            u.setMsg(0, 1);
            u.setItem(0, memCrd(0x500, 0, 3), {
              kind: ItemKind.DELEGATE,
              hotspot: Math.floor(A / PAGE_SIZE),
            });
          } else u.setMsg(0, 0);
          yield* s.reply();
        },
      );
      yield* spawn(sys, {
        pd: 0x100,
        sel: 0x200,
        evt: 0x1000,
        sp: 0xbeef0,
        code: function* (s) {
          entry = s.regs.rip;
          loaded = yield* s.read32(A);
        },
      });
    }).run();
    const q = [PfErr.U, A, entry, 0xbeef0];
    expect(faults).toEqual([q, q]);
    expect(loaded).toBe(0xcafe);
  });

  it('S31 a write to a read-only delegated page faults with qual[0] = P | W (| U)', () => {
    const faults: number[][] = [];
    let wrote = false;
    boot(function* (sys) {
      yield* childPd(sys, 0x100);
      ok(yield* mapPhys(sys, PD, 0x1801, 0x500, 0, 1), 'read-only page');
      const u = sys.utcb;
      u.setMsg(0, 1);
      u.setItem(0, memCrd(0x500, 0, 1), { kind: ItemKind.DELEGATE });
      ok(yield* sys.delegate(PD, 0x100, memCrd(0x600, 0, 7)), 'ro into B');
      u.setMsg(0, 0);
      yield* handler(
        sys,
        { pd: 0x100, evt: 0x1000, event: Event.PF, sel: 0x40, mtd: Mtd.QUAL },
        function* (s) {
          faults.push([s.utcb.qual0, s.utcb.qual1]);
          if (faults.length === 1) {
            // Give it a writable page instead (same virtual page: overmap is refused, so revoke first).
            ok(yield* s.revoke(memCrd(0x500, 0, 7), { self: false }), 'revoke');
            ok(yield* mapPhys(s, PD, 0x1802, 0x501, 0, 3), 'rw page');
            s.utcb.setMsg(0, 1);
            s.utcb.setItem(0, memCrd(0x501, 0, 3), { kind: ItemKind.DELEGATE, hotspot: 0x600 });
          }
          s.utcb.mtd = 0;
          yield* s.reply();
        },
      );
      yield* spawn(sys, {
        pd: 0x100,
        sel: 0x200,
        evt: 0x1000,
        code: function* (s) {
          yield* s.write32(0x600 * PAGE_SIZE + 8, 1);
          wrote = true;
        },
      });
    }).run();
    expect(faults).toEqual([[PfErr.P | PfErr.W | PfErr.U, 0x600 * PAGE_SIZE + 8]]);
    expect(wrote).toBe(true);
  });

  it('S32 recall: RECALL at evt + 0x1f before the next return to user (running and blocked ECs); coalesced; BAD_CAP without ct', () => {
    const log: string[] = [];
    const got: number[] = [];
    const k = boot(
      function* (sys) {
        const us = () => sys.kernel.ticksToUs(sys.now());
        ok(yield* sys.createSm(0x30, PD, 0), 'sm');
        // RECALL handlers on both CPUs.
        for (const [cpu, evt] of [
          [1, 0x400],
          [0, 0x500],
        ] as const) {
          yield* handler(
            sys,
            { pd: PD, evt, event: Event.RECALL, sel: 0x40 + cpu * 2, mtd: Mtd.EIP, cpu },
            function* (s) {
              log.push(`recall ${s.regs.rdi === 1 ? 'T' : 'W'} at ${s.kernel.ticksToUs(s.now())}`);
              s.utcb.mtd = 0;
              yield* s.reply();
            },
          );
          ok(yield* sys.ptCtrl(evt + Event.RECALL, cpu), 'pid');
        }
        // T: computes 1000 µs on CPU 1.
        yield* spawn(sys, {
          pd: PD,
          sel: 0x50,
          evt: 0x400,
          cpu: 1,
          code: function* (s) {
            yield* s.spin(1000);
            log.push(`T done at ${s.kernel.ticksToUs(s.now())}`);
          },
        });
        // W: blocked on an SM on CPU 0.
        yield* spawn(sys, {
          pd: PD,
          sel: 0x60,
          evt: 0x500,
          code: function* (s) {
            const r = yield* s.smDown(0x30);
            log.push(`W down ${r.status} at ${s.kernel.ticksToUs(s.now())}`);
          },
        });
        yield* sys.spin(500);
        got.push(yield* sys.recall(0x50, true)); // [G] state requested while running remotely
        got.push(yield* sys.recall(0x60));
        got.push(yield* sys.recall(0x60)); // coalesced
        ok(yield* delegateObj(sys, PD, PD, 0x60, 0x70, 0x0c), 'no ct');
        got.push(yield* sys.recall(0x70));
        log.push(`root up at ${us()}`);
        ok(yield* sys.smUp(0x30), 'up');
      },
      { cpus: 2 },
    );
    k.run();
    expect(got).toEqual([Status.TIMEOUT, Status.SUCCESS, Status.SUCCESS, Status.BAD_CAP]);
    expect(log).toEqual([
      'recall T at 500',
      'root up at 500',
      'recall W at 500',
      `W down ${Status.SUCCESS} at 500`,
      'T done at 1000',
    ]);
    expect((k.objCap(k.root, 0x50)!.obj as Ec).recall).toBe(false);
  });

  it('S33 an exception reply with mtd = 0 leaves the registers alone; with RIP changed and mtd = RIP the EC resumes there', () => {
    const log: string[] = [];
    boot(function* (sys) {
      let next = 0;
      yield* handler(
        sys,
        { pd: PD, evt: 0x400, event: Event.UD, sel: 0x40, mtd: Mtd.ACDB | Mtd.EIP },
        function* (s) {
          log.push(`#UD rax=${s.utcb.get('rax').toString(16)} rip ok=${s.utcb.rip === s.utcb.get('rip')}`);
          s.utcb.set('rax', 0x2222);
          s.utcb.mtd = 0;
          yield* s.reply();
        },
      );
      yield* handler(
        sys,
        { pd: PD, evt: 0x400, event: Event.BP, sel: 0x42, mtd: Mtd.ACDB | Mtd.EIP },
        function* (s) {
          log.push(`#BP rax=${s.utcb.get('rax').toString(16)}`);
          s.utcb.set('rax', 0x3333);
          s.utcb.rip = next;
          s.utcb.mtd = Mtd.EIP | Mtd.ACDB;
          yield* s.reply();
        },
      );
      // biome-ignore lint/correctness/useYield: EC code that never enters the kernel
      next = sys.entry(function* (s) {
        log.push(`resumed at new RIP, rax=${s.regs.rax.toString(16)}`);
      });
      yield* spawn(sys, {
        pd: PD,
        sel: 0x50,
        evt: 0x400,
        code: function* (s) {
          s.regs.rax = 0x1111;
          yield* s.exception(Event.UD);
          log.push(`after #UD rax=${s.regs.rax.toString(16)}`);
          yield* s.exception(Event.BP);
          log.push('not reached');
        },
      });
    }).run();
    expect(log).toEqual([
      '#UD rax=1111 rip ok=true',
      'after #UD rax=1111',
      '#BP rax=1111',
      'resumed at new RIP, rax=3333',
    ]);
  });
});
