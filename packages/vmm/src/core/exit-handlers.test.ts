import {
  type Blocking,
  createVcpuState,
  MTD,
  NPT_ERROR,
  VCPU_EXIT,
  Vcpu_state,
  type VcpuState,
} from '@genode-ts/genode-base';
import type { EmulationResult } from '@genode-ts/x86-core';
import { describe, expect, it } from 'vitest';
import { PC_MACHINE_CONFIG, standardDevices } from '../devices/standard-devices.js';
import { flatProtectedModeState } from '../loaders/cpu-state.js';
import { Motherboard } from '../motherboard.js';
import { type Backed_region, chooseNptBlock, type Npt_block } from '../npt/npt-block.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { Cpuid_model } from '../vcpu/cpuid-model.js';
import { Exit_dispatcher } from '../vcpu/exit-dispatcher.js';
import { INJ } from '../vcpu/injection.js';
import { encodeIoio } from '../vcpu/ioio.js';
import type { Register_access } from '../vcpu/mtd-discipline.js';
import {
  EXIT_HANDLERS,
  EXIT_MTD,
  STARTUP_CTRL,
  type Vcpu_context,
  type Vmm_result,
  type Vmm_services,
  vmmExitDispatcher,
} from './exit-handlers.js';
import { Vmm_stats } from './vmm-stats.js';

/** Drives a handler's generator to the end (the fake services never block). */
function drain<T>(g: Blocking<T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

interface Fake {
  readonly ctx: Vcpu_context;
  readonly vmm: Vmm_services;
  readonly board: Motherboard;
  readonly results: Vmm_result[];
  readonly delegations: Npt_block[];
  readonly emulated: number[];
  readonly serial: number[];
  readonly logs: string[];
  idleResult: boolean;
}

const RAM: Backed_region = { gpa: 0x100000, size: 15 << 20, local: 0x1_0010_0000 };

function fake(index = 0): Fake {
  const clock = new VirtualClock();
  const board = new Motherboard({ clock });
  standardDevices().build(board, PC_MACHINE_CONFIG);
  const results: Vmm_result[] = [];
  const delegations: Npt_block[] = [];
  const emulated: number[] = [];
  const serial: number[] = [];
  const logs: string[] = [];
  let stopped = false;
  board.host.handle((m) => {
    if (m.op === 'serial-output') serial.push(m.byte);
    else if (m.op === 'stop') {
      results.push({ kind: 'debug-exit', value: m.value });
      stopped = true;
    }
    return true;
  });
  const f: Fake = {
    board,
    results,
    delegations,
    emulated,
    serial,
    logs,
    idleResult: true,
    vmm: undefined as never,
    ctx: undefined as never,
  };
  const vmm: Vmm_services = {
    board,
    stats: new Vmm_stats(),
    cpuid: new Cpuid_model(),
    initialState: flatProtectedModeState(0x100000, { eax: 0x2badb002, ebx: 0x9000 }),
    stopped: () => stopped,
    stop: (r) => {
      if (stopped) return;
      stopped = true;
      results.push(r);
    },
    syncClock: () => {},
    backedRegion: (gpa) => (gpa >= RAM.gpa && gpa < RAM.gpa + RAM.size ? RAM : undefined),
    // biome-ignore lint/correctness/useYield: the fake's VMM page is always present
    *mapBlock(gpa, region): Blocking<Npt_block> {
      return chooseNptBlock({ gpa, region });
    },
    // biome-ignore lint/correctness/useYield: the fake emulator never faults
    *emulate(s): Blocking<EmulationResult> {
      // what the real emulator reads: the whole emulation state (within Mtd::ALL)
      emulated.push(s.ip.value(), s.cs.value().sel, s.cr0.value(), s.si.value());
      s.ip.charge(s.ip.value() + 2);
      return { status: 'done', instLen: 2 };
    },
    // biome-ignore lint/correctness/useYield: idles without waiting
    *idle(): Blocking<boolean> {
      return f.idleResult;
    },
    log: (l) => logs.push(l),
    traceIo: undefined,
  };
  const ctx: Vcpu_context = {
    index,
    vmm,
    injection: { window: false },
    msr: { miscEnable: 1n, tscOffset: 0n },
    runaway: false,
    runawayUs: 1000,
    parked: false,
    emulationPending: false,
    delegate: (b) => delegations.push(b),
  };
  Object.assign(f, { vmm, ctx });
  return f;
}

function exitState(reason: number, fields: Partial<VcpuState> = {}): Vcpu_state {
  const s = createVcpuState();
  Object.assign(s, { ip: 0x100010, instLen: 1, flags: 0x202, ...fields, exitReason: reason });
  return new Vcpu_state(s);
}

/** Dispatches one exit with the MTD watch on; returns resume, the accesses and the violations. */
function handle(f: Fake, s: Vcpu_state) {
  const accesses: Register_access[] = [];
  const violations: Register_access[] = [];
  const d = vmmExitDispatcher({
    strict: true,
    onAccess: (_r, _h, a) => accesses.push(a),
    onViolation: (_r, _h, a) => violations.push(a),
  });
  const resume = drain(d.dispatch(f.ctx, s));
  return { resume, accesses, violations, mtd: s.charged_mtd() };
}

function picWithIrq5Pending(board: Motherboard): void {
  for (const [port, v] of [
    [0x20, 0x11],
    [0x21, 0x20],
    [0x21, 0x04],
    [0x21, 0x01],
    [0x21, 0xdf],
  ] as const) {
    board.io.write(port, 1, v);
  }
  board.irq.line(5, { owner: 'test', trigger: 'edge' }).pulse(); // IRQ 5: vector 0x25
}

describe('exit handlers (one per reason), each within its MTD', () => {
  it('every handled reason has its own MTD; the portal MTDs are what the kernel is told', () => {
    const d = vmmExitDispatcher();
    expect(d.reasons()).toEqual([0x64, 0x72, 0x78, 0x7b, 0x7c, 0x7f, 0xfc, 0xfd, 0xfe, 0xff]);
    expect(d.mtd(VCPU_EXIT.IOIO)).toBe(MTD.EIP | MTD.QUAL | MTD.ACDB | MTD.IRQ);
    expect(d.mtd(VCPU_EXIT.HLT)).toBe(MTD.EIP | MTD.IRQ);
    expect(d.mtd(VCPU_EXIT.VINTR)).toBe(MTD.IRQ);
    expect(d.mtd(VCPU_EXIT.NPT)).toBe(MTD.ALL);
    expect(d.mtd(0x51)).toBe(MTD.ALL); // unhandled: everything, for the report
    for (const [reason, h] of Object.entries(EXIT_HANDLERS)) expect(d.mtd(Number(reason))).toBe(h.mtd);
  });

  it('STARTUP: the boot vCPU gets the loader’s state and the intercepts; an AP is parked', () => {
    const f = fake();
    const s = exitState(VCPU_EXIT.STARTUP);
    const r = handle(f, s);
    expect(r.resume).toBe(true);
    expect(r.violations).toEqual([]);
    expect([s.ip.value(), s.ax.value(), s.bx.value(), s.cr0.value(), s.cs.value().sel]).toEqual([
      0x100000, 0x2badb002, 0x9000, 0x11, 0x8,
    ]);
    expect([s.ctrl_primary.value(), s.ctrl_secondary.value()]).toEqual([...STARTUP_CTRL]);
    expect(r.mtd & MTD.CTRL).toBe(MTD.CTRL);
    expect(r.mtd & MTD.EFER).toBe(0); // EFER stays as the kernel set it (SVME)
    const ap = fake(1);
    const r2 = handle(ap, exitState(VCPU_EXIT.STARTUP));
    expect(r2.resume).toBe(false);
    expect(ap.ctx.parked).toBe(true);
    expect(ap.logs).toEqual(['vCPU 1: waiting for INIT/SIPI (no local APIC is modelled), stays stopped']);
  });

  it('NPT in RAM: delegates the largest co-aligned block and keeps a pending event', () => {
    const f = fake();
    const pending = (INJ.VALID | 0x20) >>> 0;
    const s = exitState(VCPU_EXIT.NPT, {
      qual0: NPT_ERROR.WRITE | NPT_ERROR.USER,
      qual1: 0x4ab123,
      injInfo: pending,
    });
    const r = handle(f, s);
    expect(r.resume).toBe(true);
    expect(r.violations).toEqual([]);
    expect(f.delegations).toEqual([{ local: 0x1_0040_0000, gpa: 0x400000, log2: 22 }]);
    expect(s.inj_info.value()).toBe(pending); // re-injected (Seoul keeps INJ)
    expect(f.vmm.stats.blockCounts()).toEqual({ '4M': 1 });
  });

  it('NPT on a present page stops the VM (Seoul: need_unmap is not handled)', () => {
    const f = fake();
    const r = handle(
      f,
      exitState(VCPU_EXIT.NPT, { qual0: NPT_ERROR.PRESENT | NPT_ERROR.WRITE, qual1: 0x200000 }),
    );
    expect(r.resume).toBe(false);
    expect(f.results[0]?.kind).toBe('invalid-state');
    expect(f.delegations).toEqual([]);
  });

  it('NPT outside RAM: emulated against the MMIO bus', () => {
    const f = fake();
    const r = handle(f, exitState(VCPU_EXIT.NPT, { qual0: NPT_ERROR.USER, qual1: 0xe0000000 }));
    expect(r.resume).toBe(true);
    expect(r.violations).toEqual([]);
    expect(f.emulated).toHaveLength(4);
    expect(f.vmm.stats.nptMmio).toBe(1);
  });

  it('IOIO: OUT reaches the UART, IN merges into AL, the instruction is skipped', () => {
    const f = fake();
    f.board.io.write(0x3fb, 1, 3); // 8N1
    const out = exitState(VCPU_EXIT.IOIO, {
      qual0: encodeIoio({ port: 0x3f8, size: 1, input: false, addressSize: 32 }),
      qual1: 0x100011,
      ax: 0x41,
    });
    const r = handle(f, out);
    expect(r.resume).toBe(true);
    expect(r.violations).toEqual([]);
    expect(f.serial).toEqual([0x41]);
    expect(out.ip.value()).toBe(0x100011);
    const inp = exitState(VCPU_EXIT.IOIO, {
      qual0: encodeIoio({ port: 0x3fd, size: 1, input: true, addressSize: 32 }),
      qual1: 0x100012,
      ax: 0x12345678,
      intrState: 1,
    });
    const r2 = handle(f, inp);
    expect(r2.violations).toEqual([]);
    expect(inp.ax.value()).toBe(0x12345660); // LSR 0x60 in AL
    expect(inp.ip.value()).toBe(0x100012);
    expect(inp.intr_state.value()).toBe(0); // the STI shadow ended with the skipped instruction
    expect(r2.mtd & ~(MTD.ACDB | MTD.EIP | MTD.STA)).toBe(0);
  });

  it('IOIO string: hands over to the invalid-state exit, which emulates with the whole state', () => {
    const f = fake();
    const s = exitState(VCPU_EXIT.IOIO, {
      qual0: encodeIoio({
        port: 0x80,
        size: 1,
        input: false,
        string: true,
        rep: true,
        addressSize: 32,
        segment: 3,
      }),
      qual1: 0x100012,
    });
    const r = handle(f, s);
    expect(r.resume).toBe(true);
    expect(r.violations).toEqual([]);
    expect(f.ctx.emulationPending).toBe(true);
    expect(s.ctrl_secondary.value()).toBe(0); // VMRUN intercept off: the next entry fails (0xfd)
    expect(s.ip.value()).toBe(0x100010); // not skipped
    const inv = exitState(VCPU_EXIT.INVALID, { cr0: 0x11 });
    const r2 = handle(f, inv);
    expect(r2.resume).toBe(true);
    expect(r2.violations).toEqual([]);
    expect(f.ctx.emulationPending).toBe(false);
    expect(f.emulated).toEqual([0x100010, 0, 0x11, 0]);
    expect([inv.ctrl_primary.value(), inv.ctrl_secondary.value()]).toEqual([...STARTUP_CTRL]);
    expect(f.vmm.stats.stringIo).toBe(1);
  });

  it('IOIO: a malformed qualification is an invalid state', () => {
    const f = fake();
    const r = handle(f, exitState(VCPU_EXIT.IOIO, { qual0: 0x3f8_0000, qual1: 0x100011 }));
    expect(r.resume).toBe(false);
    expect(f.results[0]?.kind).toBe('invalid-state');
  });

  it('HLT: skipped; injects a pending interrupt at once, stops with IF = 0, stops when idle for good', () => {
    const f = fake();
    picWithIrq5Pending(f.board);
    const s = exitState(VCPU_EXIT.HLT);
    const r = handle(f, s);
    expect(r.resume).toBe(true);
    expect(r.violations).toEqual([]);
    expect(s.ip.value()).toBe(0x100011);
    expect(s.inj_info.value()).toBe((INJ.VALID | 0x25) >>> 0);
    const g = fake();
    const r2 = handle(g, exitState(VCPU_EXIT.HLT, { flags: 0x2 }));
    expect(r2.resume).toBe(false);
    expect(g.results[0]).toMatchObject({ kind: 'halted', vcpu: 0, state: { eip: 0x100011, eflags: 0x2 } });
    const h = fake();
    h.idleResult = false;
    expect(handle(h, exitState(VCPU_EXIT.HLT)).resume).toBe(false);
    expect(h.results[0]?.kind).toBe('idle');
  });

  it('CPUID: the processor’s identity, skipped', () => {
    const f = fake();
    const s = exitState(VCPU_EXIT.CPUID, { ax: 0, instLen: 2 });
    const r = handle(f, s);
    expect(r.violations).toEqual([]);
    expect([s.ax.value(), s.bx.value(), s.dx.value(), s.cx.value()]).toEqual([
      1, 0x756e6547, 0x49656e69, 0x6c65746e,
    ]);
    expect(s.ip.value()).toBe(0x100012);
  });

  it('MSR: SYSENTER and TSC through the state, #GP(0) for an absent MSR', () => {
    const f = fake();
    const w = exitState(VCPU_EXIT.MSR, { qual0: 1, cx: 0x174, ax: 0x1234, dx: 0, instLen: 2 });
    expect(handle(f, w).violations).toEqual([]);
    expect(w.sysenter_cs.value()).toBe(0x1234);
    expect(w.ip.value()).toBe(0x100012);
    const t = exitState(VCPU_EXIT.MSR, { qual0: 1, cx: 0x10, ax: 0, dx: 1, instLen: 2, tsc: 0x100n });
    expect(handle(f, t).violations).toEqual([]);
    expect(t.tsc_offset.value()).toBe(0x1_0000_0000n - 0x100n);
    const rd = exitState(VCPU_EXIT.MSR, { qual0: 0, cx: 0x10, instLen: 2, tsc: 0x200n });
    handle(f, rd);
    expect([rd.ax.value(), rd.dx.value()]).toEqual([0x100, 1]); // host TSC + the offset written
    const gp = exitState(VCPU_EXIT.MSR, { qual0: 0, cx: 0x1b, instLen: 2 });
    const r = handle(f, gp);
    expect(r.violations).toEqual([]);
    expect(gp.inj_info.value()).toBe(0x80000b0d);
    expect(gp.ip.value()).toBe(0x100010); // a fault: not skipped
  });

  it('VINTR: injects, or withdraws the window request when INTR has gone', () => {
    const f = fake();
    picWithIrq5Pending(f.board);
    f.ctx.injection.window = true;
    const s = exitState(VCPU_EXIT.VINTR);
    const r = handle(f, s);
    expect(r.violations).toEqual([]);
    expect(s.inj_info.value()).toBe((INJ.VALID | 0x25) >>> 0);
    expect(f.ctx.injection.window).toBe(false);
    const g = fake();
    g.ctx.injection.window = true;
    const s2 = exitState(VCPU_EXIT.VINTR);
    handle(g, s2);
    expect(s2.inj_info.charged()).toBe(true);
    expect(s2.inj_info.value()).toBe(0);
  });

  it('RECALL: the watchdog’s runaway stops the VM with the state; otherwise injection', () => {
    const f = fake();
    f.ctx.runaway = true;
    const r = handle(f, exitState(VCPU_EXIT.RECALL, { ax: 7 }));
    expect(r.resume).toBe(false);
    expect(r.violations).toEqual([]);
    expect(f.results[0]).toMatchObject({ kind: 'runaway', budgetUs: 1000, state: { eip: 0x100010, eax: 7 } });
    const g = fake();
    expect(handle(g, exitState(VCPU_EXIT.RECALL)).resume).toBe(true);
  });

  it('SHUTDOWN, invalid state and unknown exits stop the VM with the last state', () => {
    for (const [reason, kind] of [
      [VCPU_EXIT.SHUTDOWN, 'triple-fault'],
      [VCPU_EXIT.INVALID, 'invalid-state'],
      [0x51, 'unhandled-exit'],
    ] as const) {
      const f = fake();
      const r = handle(f, exitState(reason, { cr0: 0x80000011 }));
      expect(r.resume).toBe(false);
      expect(r.violations).toEqual([]);
      expect(f.results[0]).toMatchObject({ kind, state: { cr0: 0x80000011 } });
    }
  });

  it('reads and writes only what each MTD selects (every access recorded)', () => {
    const f = fake();
    f.idleResult = false; // HLT without a pending interrupt ends as idle instead of waiting
    picWithIrq5Pending(f.board);
    const seen = new Map<string, number>();
    for (const reason of [0x64, 0x72, 0x7b, 0x7c, 0xfc, 0xfe, 0xff, 0x78]) {
      const s = exitState(reason, {
        qual0: reason === 0x7b ? encodeIoio({ port: 0x80, size: 1, input: false }) : 0,
        qual1: reason === 0xfc ? 0x300000 : 0x100011,
      });
      const r = handle(f, s);
      expect(r.violations, `exit 0x${reason.toString(16)}`).toEqual([]);
      const mtd = vmmExitDispatcher().mtd(reason);
      for (const a of r.accesses) {
        expect(
          mtd & a.group || a.group === MTD.CTRL,
          `${a.register} in exit 0x${reason.toString(16)}`,
        ).toBeTruthy();
      }
      seen.set(`0x${reason.toString(16)}`, r.accesses.length);
      // the reply's MTD never exceeds the portal's (CTRL aside: write-only)
      expect(r.mtd & ~(mtd | MTD.CTRL)).toBe(0);
    }
    expect([...seen.values()].every((n) => n > 0)).toBe(true);
    expect(EXIT_MTD.hlt).toBe(MTD.EIP | MTD.IRQ);
  });

  it('the watch catches a handler that strays outside its MTD', () => {
    const violations: Register_access[] = [];
    const bad = new Exit_dispatcher<Vcpu_context>(
      {
        [VCPU_EXIT.CPUID]: {
          name: 'bad',
          mtd: MTD.EIP | MTD.ACDB,
          handle: (_c, st) => {
            st.cr3.value(); // CR is not delivered with this MTD
            st.qual_primary.charge(1); // QUAL is read-only
            st.ctrl_primary.charge(0); // CTRL is write-only: allowed
            st.ax.charge(st.ax.value() + 1);
            return true;
          },
        },
      },
      EXIT_HANDLERS[VCPU_EXIT.SHUTDOWN]!,
      { strict: true, onViolation: (_r, _h, a) => violations.push(a) },
    );
    drain(bad.dispatch(fake().ctx, exitState(VCPU_EXIT.CPUID)));
    expect(violations.map((v) => [v.register, v.kind])).toEqual([
      ['cr3', 'read'],
      ['qual_primary', 'write'],
    ]);
    // without a handler for the violation, strict mode throws
    const strict = new Exit_dispatcher<Vcpu_context>(
      { [VCPU_EXIT.CPUID]: bad.handler(VCPU_EXIT.CPUID) },
      bad.handler(0),
      {
        strict: true,
      },
    );
    expect(() => drain(strict.dispatch(fake().ctx, exitState(VCPU_EXIT.CPUID)))).toThrow(
      /read of cr3 outside MTD 0x9/,
    );
  });
});
