/**
 * The hardware-virtualization model with AMD SVM semantics (AMD APM vol. 2, ch. 15): a vCPU runs
 * guest code until an intercepted event, and the run ends with an exit code in SVM numbering (NOVA
 * remaps: NPT fault 0xfc, recall 0xff; spec/nova.md §5.4) and SVM's qualifications.
 *
 * Intercepts: port I/O (all, none, an SVM I/O permission map or a predicate; EXITINFO1 carries
 * port, size, direction, string, REP, address size and segment, EXITINFO2 the next RIP), HLT,
 * CPUID, RDMSR/WRMSR, INVLPG, exceptions by vector (EXITINFO1 = error code, EXITINFO2 = the #PF
 * address; CR2 untouched), the virtual interrupt window (VINTR), shutdown. Event injection
 * (EVENTINJ) delivers an interrupt, NMI or exception before the first guest instruction. Nested
 * paging through a host-owned {@link NestedPageTable}. An instruction budget ends the run with a
 * recall exit, as does {@link SvmVcpu.recall}. The TSC offset is added to the guest's TSC.
 */
import { Flag } from '../constants.js';
import { type Cpu, EV_SHADOW, EV_VMEXIT, EV_WINDOW } from '../cpu.js';
import { raiseVmExit } from '../fault.js';
import type { Insn } from '../insn.js';
import { EventKind } from '../interrupts.js';
import { ins, outs } from '../ops/string.js';
import { RunExit } from '../run-exit.js';
import { SvmExit } from '../svm-exit.js';
import { type GuestState, loadGuestState, saveGuestState } from './guest-state.js';
import { type NestedPageTable, NestedTranslation } from './nested-paging.js';

/** Which guest events end a run (SVM's intercept vectors, the ones this model implements). */
export interface SvmIntercepts {
  /**
   * Port I/O: true (every port), false (none: ports reach the CPU's `io` bus), an SVM I/O
   * permission map (one bit per port, set = intercept; an access intercepts when any of its ports
   * does), or a predicate on the port.
   */
  io: boolean | Uint8Array | ((port: number) => boolean);
  hlt: boolean;
  cpuid: boolean;
  /** RDMSR/WRMSR. */
  msr: boolean;
  invlpg: boolean;
  /** Exceptions by vector: bit v set = exception v exits (SVM's exception intercept vector). */
  exceptions: number;
  /** NMI. */
  nmi: boolean;
}

/** The event types of SVM's EVENTINJ. */
export const EventType = {
  EXTERNAL: 0,
  NMI: 2,
  EXCEPTION: 3,
  SOFTWARE: 4,
} as const;

/** An event to inject at the next run (SVM EVENTINJ). */
export interface InjectedEvent {
  readonly vector: number;
  /** One of {@link EventType}. */
  readonly type: number;
  /** Error code to push (exceptions that have one). */
  readonly errorCode?: number;
}

/** How a guest run ended. */
export interface VmExit {
  /** Exit code in SVM numbering, NOVA's synthetic codes for NPT fault (0xfc) and recall (0xff). */
  readonly code: number;
  /** EXITINFO1 / EXITINFO2 (NPT fault: error code, faulting guest-physical address). */
  readonly info1: number;
  readonly info2: number;
  /** Length of the intercepted instruction (0 when the exit is not an instruction intercept). */
  readonly instLen: number;
  /** EXITINTINFO: the event that was being delivered when the exit happened (bit 31 = valid). */
  readonly intInfo: number;
  readonly intError: number;
  /** Guest instructions executed during the run. */
  readonly instructions: number;
}

/** Options of an {@link SvmVcpu}. */
export interface SvmVcpuOptions {
  /** The host's nested page table (null: guest-physical = host-physical). */
  readonly npt?: NestedPageTable | null;
  /** Guest-physical addresses at or above this fault with a nested page fault (default 4 GiB). */
  readonly guestPhysicalLimit?: number;
  /** Initial intercepts (default: every port, HLT, CPUID, MSR, shutdown; no exception, no INVLPG). */
  readonly intercepts?: Partial<SvmIntercepts>;
}

/** Default intercepts: what NOVA forces (I/O, HLT, CPUID, MSR). */
export function defaultIntercepts(): SvmIntercepts {
  return { io: true, hlt: true, cpuid: true, msr: true, invlpg: false, exceptions: 0, nmi: false };
}

/**
 * A vCPU in guest mode: a {@link Cpu} (the guest's architectural state and its memory view) plus
 * the controls of SVM's VMCB control area.
 *
 * @example
 * ```ts
 * const vcpu = new SvmVcpu(new Cpu({ memory: machineRam }), { npt: guestSpace });
 * vcpu.setState(startupState);
 * const exit = vcpu.run(100_000);        // e.g. { code: SvmExit.IOIO, info1, info2, instLen }
 * // … handle, update the state (vcpu.state() / vcpu.setState()), run again
 * ```
 */
export class SvmVcpu {
  readonly cpu: Cpu;
  intercepts: SvmIntercepts;
  private pending: InjectedEvent | null = null;
  private instLen = 0;

  constructor(cpu: Cpu, options: SvmVcpuOptions = {}) {
    this.cpu = cpu;
    this.intercepts = { ...defaultIntercepts(), ...(options.intercepts ?? {}) };
    const npt = options.npt ?? null;
    cpu.npt = npt === null ? null : new NestedTranslation(npt, options.guestPhysicalLimit ?? 2 ** 32);
    cpu.flushTlb();
    cpu.ioHook = (c, port, size, write, _value, i) => this.onIo(c, port, size, write, i);
    cpu.hltHook = (c, i) => this.instruction(c, i, this.intercepts.hlt, SvmExit.HLT, 0);
    cpu.cpuidHook = (c, i) => this.instruction(c, i, this.intercepts.cpuid, SvmExit.CPUID, 0);
    cpu.msrHook = (c, write, i) => this.instruction(c, i, this.intercepts.msr, SvmExit.MSR, write ? 1 : 0);
    cpu.invlpgHook = (c, lin, i) => this.instruction(c, i, this.intercepts.invlpg, SvmExit.INVLPG, lin >>> 0);
    cpu.eventInterceptor = (c, vector, code, kind) => this.onEvent(c, vector, code, kind);
    cpu.windowHook = (c) => {
      if ((c.events & EV_SHADOW) !== 0) return false;
      c.events &= ~EV_WINDOW;
      c.exitCode = SvmExit.VINTR;
      c.exitInfo1 = 0;
      c.exitInfo2 = 0;
      return true;
    };
  }

  /** The guest state block (a copy). */
  state(): GuestState {
    return saveGuestState(this.cpu);
  }

  /** Loads a guest state block. */
  setState(s: GuestState): void {
    loadGuestState(this.cpu, s);
  }

  /** Injects an event at the next {@link run} (replaces a not-yet-delivered one). */
  inject(ev: InjectedEvent): void {
    this.pending = ev;
  }

  /** The event waiting for injection, if any. */
  get pendingInjection(): InjectedEvent | null {
    return this.pending;
  }

  /** Requests a VINTR exit as soon as the guest can take an interrupt (EFLAGS.IF = 1, no shadow). */
  requestInterruptWindow(on: boolean): void {
    if (on) this.cpu.events |= EV_WINDOW;
    else this.cpu.events &= ~EV_WINDOW;
  }

  /** Ends the current (or next) run with a recall exit at the next instruction boundary. */
  recall(): void {
    this.cpu.requestStop();
  }

  /** The guest's TSC = instructions × rate + offset. */
  set tscOffset(v: number) {
    this.cpu.tscOffset = v;
  }
  get tscOffset(): number {
    return this.cpu.tscOffset;
  }

  /**
   * Host-side invalidation: drops every cached translation (call after changing the nested page
   * table, or the guest's page tables behind its back). Nothing stale survives.
   */
  invalidate(): void {
    this.cpu.flushTlb();
  }

  /** Runs the guest for at most `budget` instructions; returns the exit. */
  run(budget: number): VmExit {
    const c = this.cpu;
    const start = c.retired;
    this.instLen = 0;
    c.exitIntInfo = 0;
    c.exitIntError = 0;
    if (this.pending !== null) {
      const ev = this.pending;
      this.pending = null;
      c.halted = false;
      const kind =
        ev.type === EventType.NMI
          ? EventKind.NMI
          : ev.type === EventType.EXCEPTION
            ? EventKind.EXCEPTION
            : ev.type === EventType.SOFTWARE
              ? EventKind.SOFTWARE
              : EventKind.EXTERNAL;
      const saved = c.eventInterceptor;
      c.eventInterceptor = null;
      const ok = c.deliver(ev.vector, ev.errorCode ?? -1, kind);
      c.eventInterceptor = saved;
      if (!ok) return this.exit(start);
      if (c.shutdown) return this.done(SvmExit.SHUTDOWN, start);
    }
    const r = c.run(budget);
    switch (r) {
      case RunExit.VMEXIT:
        return this.exit(start);
      case RunExit.SHUTDOWN:
        return this.done(SvmExit.SHUTDOWN, start);
      default:
        // Budget, recall, or a halted guest with HLT not intercepted: all end as a recall.
        return this.done(SvmExit.RECALL, start);
    }
  }

  private done(code: number, start: number): VmExit {
    const c = this.cpu;
    c.exitCode = code;
    c.exitInfo1 = 0;
    c.exitInfo2 = 0;
    return this.exit(start);
  }

  private exit(start: number): VmExit {
    const c = this.cpu;
    return {
      code: c.exitCode,
      info1: c.exitInfo1,
      info2: c.exitInfo2,
      instLen: this.instLen,
      intInfo: c.exitIntInfo >>> 0,
      intError: c.exitIntError,
      instructions: c.retired - start,
    };
  }

  private instruction(c: Cpu, i: Insn, intercepted: boolean, code: number, info1: number): boolean {
    if (!intercepted) return false;
    this.softExit(c, i, code, info1, c.eip >>> 0);
    return true;
  }

  /**
   * Ends an intercepted instruction without an exception: the instruction (which ends its block)
   * returns without effect, EIP goes back to it, and the run returns at the next boundary.
   */
  private softExit(c: Cpu, i: Insn, code: number, info1: number, info2: number): void {
    this.instLen = i.len;
    c.exitCode = code;
    c.exitInfo1 = info1;
    c.exitInfo2 = info2;
    c.eip = (c.eip - i.len) & (c.cs32 ? -1 : 0xffff);
    c.events |= EV_VMEXIT;
  }

  private ioIntercepted(port: number, size: number): boolean {
    const io = this.intercepts.io;
    if (typeof io === 'boolean') return io;
    if (typeof io === 'function') {
      for (let k = 0; k < size; k++) if (io((port + k) & 0xffff)) return true;
      return false;
    }
    for (let k = 0; k < size; k++) {
      const p = port + k;
      if ((((io[p >>> 3] ?? 0xff) >>> (p & 7)) & 1) !== 0) return true;
    }
    return false;
  }

  private onIo(c: Cpu, port: number, size: 1 | 2 | 4, write: boolean, i: Insn): number | undefined {
    if (!this.ioIntercepted(port, size)) return undefined;
    const string = i.fn === ins || i.fn === outs;
    const info1 =
      (port << 16) |
      (write ? 0 : 1) |
      (string ? 0x4 : 0) |
      ((i.flags & 0xc) !== 0 && string ? 0x8 : 0) |
      (size === 1 ? 0x10 : size === 2 ? 0x20 : 0x40) |
      (i.amask === -1 ? 0x100 : 0x80) |
      (string ? (i.seg & 7) << 10 : 0);
    this.softExit(c, i, SvmExit.IOIO, info1 >>> 0, c.eip >>> 0);
    return 0;
  }

  private onEvent(c: Cpu, vector: number, code: number, kind: number): boolean {
    if (kind === EventKind.NMI) {
      if (!this.intercepts.nmi) return false;
      c.exitCode = SvmExit.NMI;
      c.exitInfo1 = 0;
      c.exitInfo2 = 0;
      c.nmiBlocked = false;
      c.events |= EV_VMEXIT;
      return true;
    }
    if (kind === EventKind.EXTERNAL || vector >= 32) return false;
    if (((this.intercepts.exceptions >>> vector) & 1) === 0) return false;
    if (kind === EventKind.SOFTWARE || kind === EventKind.SOFTWARE_EXCEPTION || kind === EventKind.ICEBP) {
      // INT3/INTO/INT1 intercepted by their exception vector: the instruction does not execute.
      return raiseVmExit(c, SvmExit.EXCP_BASE + vector, 0, 0);
    }
    c.exitCode = SvmExit.EXCP_BASE + vector;
    c.exitInfo1 = Math.max(code, 0);
    c.exitInfo2 = vector === 14 ? c.excAddr >>> 0 : 0;
    c.events |= EV_VMEXIT;
    return true;
  }

  /**
   * SVM's INTERRUPT_SHADOW (VMCB offset 0x68, bit 0): the next guest instruction runs before an
   * interrupt is taken (after STI or a load of SS). A kernel reads and writes it as part of the
   * guest state (NOVA's STA state group).
   */
  get interruptShadow(): boolean {
    return (this.cpu.events & EV_SHADOW) !== 0;
  }
  set interruptShadow(on: boolean) {
    if (on) this.cpu.events |= EV_SHADOW;
    else this.cpu.events &= ~EV_SHADOW;
  }

  /** Whether the guest can take an external interrupt now (IF = 1 and no interrupt shadow). */
  get interruptible(): boolean {
    return (this.cpu.fl & Flag.IF) !== 0 && (this.cpu.events & EV_SHADOW) === 0;
  }
}
