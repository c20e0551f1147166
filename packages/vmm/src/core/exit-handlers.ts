import { type Blocking, MTD, NPT_ERROR, VCPU_EXIT, type Vcpu_state } from '@genode-ts/genode-base';
import type { EmulationResult } from '@genode-ts/x86-core';
import type { InitialCpuState } from '../loaders/cpu-state.js';
import type { Motherboard } from '../motherboard.js';
import type { Backed_region, Npt_block } from '../npt/npt-block.js';
import type { Cpuid_model } from '../vcpu/cpuid-model.js';
import { Exit_dispatcher, type Exit_dispatcher_options, type Exit_handler } from '../vcpu/exit-dispatcher.js';
import {
  checkIrq,
  EFLAGS_IF,
  hardwareException,
  INJ,
  INTR_STATE_BLOCKING,
  type Injection_tracker,
} from '../vcpu/injection.js';
import { decodeIoio } from '../vcpu/ioio.js';
import { readMsr, writeMsr } from '../vcpu/msr-model.js';
import { chargeInitialState } from '../vcpu/state-convert.js';
import { exitName } from './exit-names.js';
import { type State_snapshot, snapshotState } from './state-snapshot.js';
import type { Vmm_stats } from './vmm-stats.js';

/** How a VM ended. */
export type Vmm_result =
  | {
      /** The guest wrote `value` to the debug-exit port (isa-debug-exit). */
      readonly kind: 'debug-exit';
      readonly value: number;
    }
  | {
      /** Shutdown: the guest triple-faulted (exit 0x7f). */
      readonly kind: 'triple-fault';
      readonly vcpu: number;
      readonly state: State_snapshot;
    }
  | {
      /** No exit within the runaway budget of virtual time. */
      readonly kind: 'runaway';
      readonly vcpu: number;
      readonly state: State_snapshot;
      readonly budgetUs: number;
    }
  | {
      /** HLT with interrupts disabled: nothing can wake the vCPU. */
      readonly kind: 'halted';
      readonly vcpu: number;
      readonly state: State_snapshot;
    }
  | {
      /** HLT with interrupts enabled, but no timer is armed and no input can come. */
      readonly kind: 'idle';
      readonly vcpu: number;
      readonly state: State_snapshot;
    }
  | {
      /** The guest requested a system reset (port 0x92, i8042); the VMM does not reboot. */
      readonly kind: 'reset';
      readonly reason: string;
    }
  | {
      /** Invalid guest state, a malformed exit, or an exit nobody handles. */
      readonly kind: 'invalid-state' | 'unhandled-exit';
      readonly vcpu: number;
      readonly reason: number;
      readonly message: string;
      readonly state: State_snapshot;
    }
  | {
      /** The host stopped the VM. */
      readonly kind: 'stopped';
    };

/** What the exit handlers need from the VMM. */
export interface Vmm_services {
  readonly board: Motherboard;
  readonly stats: Vmm_stats;
  readonly cpuid: Cpuid_model;
  /** The boot vCPU's initial state (the loader's). */
  readonly initialState: InitialCpuState;
  stopped(): boolean;
  stop(result: Vmm_result): void;
  /** Bring the device clock up to the current virtual time (fires due timers). */
  syncClock(): void;
  /** The backed region of `gpa`, or `undefined` (MMIO). */
  backedRegion(gpa: number): Backed_region | undefined;
  /** Make the VMM's page present and choose the block to delegate (Seoul's `max_map_crd`). */
  mapBlock(gpa: number, region: Backed_region): Blocking<Npt_block>;
  /** Emulate the instruction at CS:EIP (MMIO, string I/O). */
  emulate(state: Vcpu_state): Blocking<EmulationResult>;
  /**
   * Wait in HLT until the next device deadline, or until an external event when none is armed;
   * returns false when nothing can ever wake the vCPU.
   */
  idle(ctx: Vcpu_context): Blocking<boolean>;
  /** A VMM message (stderr in the demo). */
  log(line: string): void;
  /** Port-access trace (`--trace io`); `undefined` when off. */
  readonly traceIo: ((line: string) => void) | undefined;
}

/** One vCPU as its exit handlers see it. */
export interface Vcpu_context {
  /** 0 = the boot vCPU. */
  readonly index: number;
  readonly vmm: Vmm_services;
  readonly injection: Injection_tracker;
  /** Per-vCPU MSR state the architectural state does not hold. */
  readonly msr: { miscEnable: bigint; tscOffset: bigint };
  /** Set by the watchdog when the vCPU ran the whole budget without an exit. */
  runaway: boolean;
  /** The runaway budget in virtual µs (for the report). */
  readonly runawayUs: number;
  /** An AP waiting for INIT/SIPI (no local APIC is modelled): it never runs. */
  parked: boolean;
  /**
   * A string I/O instruction waits for emulation: the IOIO handler cleared the VMRUN intercept
   * so that the next entry fails with an invalid-state exit (0xfd), which carries the whole
   * state (Seoul's `_svm_invalid` path).
   */
  emulationPending: boolean;
  /** Add a G delegation to the reply of the exit being handled. */
  delegate(block: Npt_block): void;
}

/** `Mtd::IRQ`: what injection needs (EFL, STA, INJ, TSC). */
const IRQ = MTD.IRQ;
/** What a report of the last state needs. */
const REPORT = MTD.EIP | MTD.ACDB | MTD.EBSD | MTD.ESP | MTD.CSSS | MTD.CR | MTD.EFL;

/**
 * The MTD of every handled exit — Seoul's table for SVM (spec/genode.md §4.6), with two
 * deliberate differences: IOIO also carries `Mtd::IRQ`, so that interrupts are injected on the
 * most frequent exit without a recall; MSR exits are answered instead of being treated as an
 * invalid state. Small MTDs matter: every group is copied through the UTCB on each exit.
 */
export const EXIT_MTD: Readonly<Record<string, number>> = {
  startup: MTD.ALL,
  npt: MTD.ALL,
  ioio: MTD.EIP | MTD.QUAL | MTD.ACDB | IRQ,
  hlt: MTD.EIP | IRQ,
  cpuid: MTD.EIP | MTD.ACDB | IRQ,
  msr: MTD.EIP | MTD.ACDB | MTD.QUAL | MTD.SYS | IRQ, // IRQ carries TSC
  vintr: IRQ,
  recall: IRQ | REPORT,
  shutdown: MTD.ALL,
  invalid: MTD.ALL,
  unhandled: MTD.ALL,
};

/** Skips the instruction at RIP and ends an STI / MOV SS shadow (Seoul's `_handle_vcpu(skip)`). */
function skip(s: Vcpu_state, len: number): void {
  s.ip.charge((s.ip.value() + len) >>> 0);
  const st = s.intr_state.value();
  if ((st & INTR_STATE_BLOCKING) !== 0) s.intr_state.charge(st & ~INTR_STATE_BLOCKING);
}

/** CHECK_IRQ on an exit carrying `Mtd::IRQ`; counts injections and window requests. */
function irq(ctx: Vcpu_context, s: Vcpu_state): void {
  const before = ctx.injection.window;
  const v = checkIrq(s, ctx.vmm.board.pins, ctx.injection);
  if (v !== undefined) ctx.vmm.stats.injected++;
  if (ctx.injection.window && !before) ctx.vmm.stats.windows++;
}

/** Injects the exception an emulated instruction raised (#PF with CR2). */
function injectException(s: Vcpu_state, r: Extract<EmulationResult, { status: 'exception' }>): void {
  const withCode = [8, 10, 11, 12, 13, 14, 17].includes(r.vector);
  s.inj_info.charge(hardwareException(r.vector, withCode ? Math.max(0, r.errorCode) : -1));
  if (withCode) s.inj_error.charge(Math.max(0, r.errorCode));
  if (r.vector === 14) s.cr2.charge(r.address >>> 0);
}

function stopWith(
  ctx: Vcpu_context,
  s: Vcpu_state,
  kind: 'invalid-state' | 'unhandled-exit',
  message: string,
): boolean {
  ctx.vmm.stop({
    kind,
    vcpu: ctx.index,
    reason: s.exit_reason,
    message,
    state: snapshotState(s, MTD.ALL),
  });
  return false;
}

/**
 * SVM intercept vectors the VMM asks for at STARTUP (`ctrl[0]`, `ctrl[1]`; AMD APM vol. 2,
 * table B-1): CPUID (0x40000 in CPU0 — NOVA does not force it on SVM; Seoul answers CPUID
 * itself) and VMRUN (bit 0 of CPU1 — AMD requires it, or VMRUN fails with an invalid state, as
 * Genode's vmm_x86 sets it). The kernel adds what it always forces (I/O, HLT, MSR, shutdown, …).
 */
export const STARTUP_CTRL: readonly [number, number] = [0x40000, 0x1];

/** STARTUP (0xfe): the boot vCPU gets the loader's state; APs wait for INIT/SIPI (no APIC). */
const startup: Exit_handler<Vcpu_context> = {
  name: 'startup',
  mtd: EXIT_MTD.startup!,
  handle(ctx, s) {
    s.ctrl_primary.charge(STARTUP_CTRL[0]);
    s.ctrl_secondary.charge(STARTUP_CTRL[1]);
    if (ctx.index === 0) {
      chargeInitialState(s, ctx.vmm.initialState);
      return true;
    }
    ctx.parked = true;
    ctx.vmm.log(`vCPU ${ctx.index}: waiting for INIT/SIPI (no local APIC is modelled), stays stopped`);
    return false;
  },
};

/**
 * NPT fault (0xfc), Seoul's `_handle_map_memory`: guest RAM → touch the VMM's page and delegate
 * the largest co-aligned block with G; outside RAM → emulate the instruction against the MMIO bus.
 */
const npt: Exit_handler<Vcpu_context> = {
  name: 'npt',
  mtd: EXIT_MTD.npt!,
  *handle(ctx, s) {
    const vmm = ctx.vmm;
    const gpa = s.qual_secondary.value();
    const error = s.qual_primary.value();
    const region = vmm.backedRegion(gpa);
    if (region !== undefined) {
      if ((error & NPT_ERROR.PRESENT) !== 0) {
        // Seoul: "need_unmap not handled, yet" — every delegation is rwx, so a present fault is a bug
        return stopWith(
          ctx,
          s,
          'invalid-state',
          `NPT fault on a present page at 0x${gpa.toString(16)} (error 0x${error.toString(16)})`,
        );
      }
      const block = yield* vmm.mapBlock(gpa, region);
      ctx.delegate(block);
      vmm.stats.nptRam++;
      vmm.stats.block(block.log2);
      irq(ctx, s);
      return true;
    }
    vmm.stats.nptMmio++;
    vmm.syncClock();
    const r = yield* vmm.emulate(s);
    if (r.status === 'exception') injectException(s, r);
    if (vmm.stopped()) return false;
    if (r.status === 'halted') {
      if (!(yield* vmm.idle(ctx))) return false;
    }
    irq(ctx, s);
    return true;
  },
};

/** I/O (0x7b): decode the SVM qualification, dispatch to the port-I/O bus, skip. */
function portName(port: number): string {
  return `0x${port.toString(16).padStart(4, '0')}`;
}

const ioio: Exit_handler<Vcpu_context> = {
  name: 'ioio',
  mtd: EXIT_MTD.ioio!,
  handle(ctx, s) {
    const vmm = ctx.vmm;
    const a = decodeIoio(s.qual_primary.value(), s.qual_secondary.value(), s.ip.value(), s.ip_len.value());
    if (a === undefined) {
      return stopWith(
        ctx,
        s,
        'invalid-state',
        `malformed IOIO information 0x${s.qual_primary.value().toString(16)}`,
      );
    }
    vmm.syncClock();
    if (a.string) {
      // Seoul (SVM): INS/OUTS need the whole state for the emulator, which this portal does not
      // deliver. Clear the VMRUN intercept: the next entry fails with an invalid-state exit
      // (0xfd, Mtd::ALL), whose handler emulates the instruction and sets VMRUN again.
      ctx.emulationPending = true;
      s.ctrl_primary.charge(STARTUP_CTRL[0]);
      s.ctrl_secondary.charge(0);
      return true;
    }
    const mask = a.size === 4 ? 0xffffffff : a.size === 2 ? 0xffff : 0xff;
    const ax = s.ax.value() >>> 0;
    const trace = vmm.traceIo;
    if (a.input) {
      const v = vmm.board.io.read(a.port, a.size) & mask;
      vmm.stats.ioReads++;
      s.ax.charge(a.size === 4 ? v >>> 0 : ((ax & ~mask) | v) >>> 0);
      trace?.(`vcpu${ctx.index} in  ${portName(a.port)} -> 0x${(v >>> 0).toString(16)} (${a.size})`);
    } else {
      vmm.board.io.write(a.port, a.size, ax & mask);
      vmm.stats.ioWrites++;
      trace?.(
        `vcpu${ctx.index} out ${portName(a.port)} <- 0x${((ax & mask) >>> 0).toString(16)} (${a.size})`,
      );
    }
    skip(s, a.instLen);
    if (vmm.stopped()) return false;
    irq(ctx, s);
    return true;
  },
};

/**
 * HLT (0x78): skip it, then wait — inject at once if an interrupt can be taken, otherwise skip
 * virtual time to the next device deadline (the guest idles). HLT with IF = 0 stops the VM.
 */
const hlt: Exit_handler<Vcpu_context> = {
  name: 'hlt',
  mtd: EXIT_MTD.hlt!,
  *handle(ctx, s) {
    const vmm = ctx.vmm;
    skip(s, s.ip_len.value() || 1);
    for (;;) {
      vmm.syncClock();
      if (vmm.stopped()) return false;
      irq(ctx, s);
      if ((s.inj_info.value() & INJ.VALID) !== 0) return true;
      if ((s.flags.value() & EFLAGS_IF) === 0) {
        vmm.stop({ kind: 'halted', vcpu: ctx.index, state: snapshotState(s, EXIT_MTD.hlt!) });
        return false;
      }
      if (!(yield* vmm.idle(ctx))) {
        if (!vmm.stopped())
          vmm.stop({ kind: 'idle', vcpu: ctx.index, state: snapshotState(s, EXIT_MTD.hlt!) });
        return false;
      }
    }
  },
};

/** CPUID (0x72): the processor's own identity (see {@link Cpuid_model}). */
const cpuid: Exit_handler<Vcpu_context> = {
  name: 'cpuid',
  mtd: EXIT_MTD.cpuid!,
  handle(ctx, s) {
    const r = ctx.vmm.cpuid.query(s.ax.value(), ctx.index);
    s.ax.charge(r.eax);
    s.bx.charge(r.ebx);
    s.cx.charge(r.ecx);
    s.dx.charge(r.edx);
    skip(s, s.ip_len.value() || 2);
    irq(ctx, s);
    return true;
  },
};

/** RDMSR/WRMSR (0x7c, EXITINFO1 = 1 for WRMSR): the MSRs of the processor, #GP for others. */
const msr: Exit_handler<Vcpu_context> = {
  name: 'msr',
  mtd: EXIT_MTD.msr!,
  handle(ctx, s) {
    const write = (s.qual_primary.value() & 1) === 1;
    const index = s.cx.value() >>> 0;
    const sysenter = {
      cs: s.sysenter_cs.value(),
      esp: s.sysenter_sp.value(),
      eip: s.sysenter_ip.value(),
    };
    // NOVA: the exit's TSC is the host's; the guest's adds the offsets this VMM wrote
    const m = {
      tsc: s.tsc.value() + ctx.msr.tscOffset,
      sysenter,
      miscEnable: ctx.msr.miscEnable,
    };
    let ok: boolean;
    if (write) {
      const value = (BigInt(s.dx.value() >>> 0) << 32n) | BigInt(s.ax.value() >>> 0);
      const r = writeMsr(m, index, value);
      ok = r.ok;
      if (r.ok && r.tscDelta !== undefined) {
        ctx.msr.tscOffset += r.tscDelta;
        s.tsc_offset.charge(r.tscDelta); // a written offset is added (NOVA)
      }
      if (sysenter.cs !== s.sysenter_cs.value()) s.sysenter_cs.charge(sysenter.cs);
      if (sysenter.esp !== s.sysenter_sp.value()) s.sysenter_sp.charge(sysenter.esp);
      if (sysenter.eip !== s.sysenter_ip.value()) s.sysenter_ip.charge(sysenter.eip);
      ctx.msr.miscEnable = m.miscEnable;
    } else {
      const v = readMsr(m, index);
      ok = v !== undefined;
      if (v !== undefined) {
        s.ax.charge(Number(v & 0xffffffffn));
        s.dx.charge(Number((v >> 32n) & 0xffffffffn));
      }
    }
    if (ok) skip(s, s.ip_len.value() || 2);
    else {
      s.inj_info.charge(hardwareException(13, 0));
      s.inj_error.charge(0);
    }
    irq(ctx, s);
    return true;
  },
};

/** Interrupt window (VINTR, 0x64): the guest can take an interrupt now. */
const vintr: Exit_handler<Vcpu_context> = {
  name: 'vintr',
  mtd: EXIT_MTD.vintr!,
  handle(ctx, s) {
    // the request stays set until a reply writes INJ without bit 12 (G-kernel `save_svm`):
    // checkIrq injects and withdraws it, or withdraws it when INTR has gone
    irq(ctx, s);
    return true;
  },
};

/** RECALL (0xff): interrupt delivery, the runaway watchdog, or a stop. */
const recall: Exit_handler<Vcpu_context> = {
  name: 'recall',
  mtd: EXIT_MTD.recall!,
  handle(ctx, s) {
    if (ctx.vmm.stopped()) return false;
    if (ctx.runaway) {
      ctx.vmm.stop({
        kind: 'runaway',
        vcpu: ctx.index,
        budgetUs: ctx.runawayUs,
        state: snapshotState(s, EXIT_MTD.recall!),
      });
      return false;
    }
    irq(ctx, s);
    return true;
  },
};

/** Shutdown (0x7f): a triple fault stops the VM with the last state. */
const shutdown: Exit_handler<Vcpu_context> = {
  name: 'shutdown',
  mtd: EXIT_MTD.shutdown!,
  handle(ctx, s) {
    ctx.vmm.stop({ kind: 'triple-fault', vcpu: ctx.index, state: snapshotState(s, MTD.ALL) });
    return false;
  },
};

/**
 * Invalid guest state (0xfd): either the VMM's own doing — a string I/O instruction waiting for
 * emulation (see the IOIO handler): emulate it with the whole state, set VMRUN again — or a
 * real invalid state, which stops the VM.
 */
const invalid: Exit_handler<Vcpu_context> = {
  name: 'invalid',
  mtd: EXIT_MTD.invalid!,
  *handle(ctx, s) {
    if (!ctx.emulationPending) return stopWith(ctx, s, 'invalid-state', 'invalid guest state (exit 0xfd)');
    ctx.emulationPending = false;
    const vmm = ctx.vmm;
    s.ctrl_primary.charge(STARTUP_CTRL[0]);
    s.ctrl_secondary.charge(STARTUP_CTRL[1]);
    vmm.stats.stringIo++;
    vmm.syncClock();
    const r = yield* vmm.emulate(s);
    if (r.status === 'exception') injectException(s, r);
    if (vmm.stopped()) return false;
    irq(ctx, s);
    return true;
  },
};

/** Any exit without a handler of its own (Seoul: "nobody to execute"). */
const unhandled: Exit_handler<Vcpu_context> = {
  name: 'unhandled',
  mtd: EXIT_MTD.unhandled!,
  handle(ctx, s) {
    return stopWith(ctx, s, 'unhandled-exit', `unhandled ${exitName(s.exit_reason)}`);
  },
};

/** The exit handlers by reason. */
export const EXIT_HANDLERS: Readonly<Record<number, Exit_handler<Vcpu_context>>> = {
  [VCPU_EXIT.STARTUP]: startup,
  [VCPU_EXIT.NPT]: npt,
  [VCPU_EXIT.IOIO]: ioio,
  [VCPU_EXIT.HLT]: hlt,
  [VCPU_EXIT.CPUID]: cpuid,
  [VCPU_EXIT.MSR]: msr,
  [VCPU_EXIT.VINTR]: vintr,
  [VCPU_EXIT.RECALL]: recall,
  [VCPU_EXIT.SHUTDOWN]: shutdown,
  [VCPU_EXIT.INVALID]: invalid,
};

/** The VMM's exit dispatcher: {@link EXIT_HANDLERS}, everything else to the "unhandled" handler. */
export function vmmExitDispatcher(options: Exit_dispatcher_options = {}): Exit_dispatcher<Vcpu_context> {
  return new Exit_dispatcher(EXIT_HANDLERS, unhandled, options);
}
