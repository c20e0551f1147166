/**
 * One vCPU EC's guest execution on @genode-ts/x86-core's SVM model (DESIGN.md "The vCPU path"):
 * an x86-core {@link Cpu} in guest mode over the machine's RAM, nested paging through the vCPU
 * PD's guest space, NOVA's forced intercepts plus the VMM's `ctrl[0]`/`ctrl[1]`, event injection
 * and the interrupt-window request from the INJ state group, and a guest TSC derived from the
 * kernel's virtual clock.
 */
import {
  Cpu,
  type CpuidConfig,
  FXSAVE_IMAGE_BYTES,
  type NestedPageTable,
  readFxsaveImage,
  SvmExit,
  SvmVcpu,
  writeFxsaveImage,
  type PhysicalMemory as X86PhysicalMemory,
} from '@genode-ts/x86-core';
import { Mtd } from '../mtd.js';
import type { VcpuBackend, VcpuExit, VcpuPort } from '../vcpu-engine.js';
import { VcpuState } from '../vcpu-state.js';
import {
  Efer,
  effectiveControls,
  SVM_EXCEPTION_INTERCEPTS,
  SvmCtrl0,
  SvmCtrl1,
  vmrunCheck,
} from './svm-controls.js';
import { loadArchState, storeArchState } from './svm-state.js';

/** INJ word (spec/nova.md §5.2): bit 31 valid, bit 11 error code, bits 10:8 type, 7:0 vector. */
const INJ_VALID = 0x80000000;
const INJ_ERROR = 0x800;
/** INJ request bits: interrupt window (12) and NMI window (13); never part of EVENTINJ. */
const INJ_WINDOW = 0x1000;
const INJ_REQUESTS = 0x3000;

/** Frames at or above 4 GiB cannot be reached by this 32-bit processor. */
const MAX_FRAME = 2 ** 20;

/** Counters of one vCPU, for tests and benchmarks. */
export interface X86VcpuStats {
  /** Guest entries (runs of the processor). */
  runs: number;
  /** Guest instructions retired (x86-core's counting). */
  instructions: number;
  /** Exits, by reason (SVM numbering; budget ends are not exits). */
  readonly exits: Map<number, number>;
}

/** What a vCPU needs from its engine. */
export interface X86VcpuConfig {
  /** The machine's RAM as x86-core sees it (shared by every vCPU of the machine). */
  readonly memory: X86PhysicalMemory;
  /** TSC ticks per guest instruction (a positive integer). */
  readonly ticksPerInstruction: number;
  /** CPUID identity and features. */
  readonly cpuid?: Partial<CpuidConfig>;
  /** Block-compiler threshold (x86-core's `compileThreshold`). */
  readonly compileThreshold?: number;
  /** Initial APIC ID (CPUID leaf 1). */
  readonly apicId: number;
  /** Called when the kernel destroys the vCPU EC (the engine forgets it). */
  readonly onDestroy?: (v: X86Vcpu) => void;
}

/**
 * The x86-core backend of one vCPU EC. The kernel drives it ({@link VcpuBackend}); tests and
 * tools may read {@link cpu} (the architectural state), {@link svm} and {@link stats}.
 */
export class X86Vcpu implements VcpuBackend {
  /** What the kernel told the engine about this vCPU (its guest space, the clock). */
  readonly port: VcpuPort;
  /** The processor: the guest's architectural state (registers, segment caches, TLB). */
  readonly cpu: Cpu;
  /** The processor's SVM controls (intercepts, injection, nested paging). */
  readonly svm: SvmVcpu;
  /** Counters since creation. */
  readonly stats: X86VcpuStats = { runs: 0, instructions: 0, exits: new Map() };
  /** `ctrl[0]`, `ctrl[1]` as the VMM wrote them (the kernel adds what it forces). */
  ctrl0 = 0;
  ctrl1 = 0;
  /** Guest EFER (no long mode: only SVME and the reserved bits a VMM writes are kept). */
  efer: number = Efer.SVME;
  /** TSC offset: the guest's TSC is the kernel's virtual TSC plus this (signed). */
  tscOff = 0;
  /** Pending EVENTINJ (valid bit 31), delivered at the next guest entry. */
  injInfo = 0;
  injError = 0;
  /** Interrupt-window request (INJ bit 12): a VINTR exit (0x64) once the guest is interruptible. */
  windowRequested = false;
  private readonly memory: X86PhysicalMemory;
  private readonly k: number;
  private readonly onDestroy: ((v: X86Vcpu) => void) | undefined;
  /** State this processor has no registers for (r8–r15, PDPTEs, SYSCALL MSRs, ...). */
  private readonly extra = new VcpuState();
  /** EXITINTINFO of the exit being handled; `exitReason` < 0 once the handler replied. */
  private exitInt = 0;
  private exitIntError = 0;
  private exitReason = -1;
  /** Guest-physical page → frame of every translation the processor may cache. */
  private readonly seen = new Map<number, number>();

  constructor(port: VcpuPort, config: X86VcpuConfig) {
    this.port = port;
    this.memory = config.memory;
    this.k = config.ticksPerInstruction;
    this.onDestroy = config.onDestroy;
    const guest = port.guest;
    this.cpu = new Cpu({
      memory: config.memory,
      io: {
        read: (p, size) => guest.ioIn?.(p, size) ?? 2 ** (8 * size) - 1,
        write: (p, size, value) => guest.ioOut?.(p, size, value),
      },
      tscPerInstruction: this.k,
      apicId: config.apicId & 0xff,
      ...(config.cpuid === undefined ? {} : { cpuid: config.cpuid }),
    });
    if (config.compileThreshold !== undefined) this.cpu.compileThreshold = config.compileThreshold;
    zeroState(this.cpu);
    const npt: NestedPageTable = { lookup: (page) => this.lookup(page) };
    this.svm = new SvmVcpu(this.cpu, {
      npt,
      intercepts: {
        io: (p) => !guest.ioPassThrough(p),
        hlt: true,
        cpuid: false,
        msr: true,
        invlpg: false,
        exceptions: SVM_EXCEPTION_INTERCEPTS,
        nmi: false,
      },
    });
    this.applyControls();
  }

  /** The nested page table: the vCPU PD's guest space (only G delegations), rights from the MDB. */
  private lookup(page: number): number {
    const gpaPage = Math.floor(page / 4096);
    const t = this.port.guest.translate(gpaPage);
    if (t === undefined || t.frame >= MAX_FRAME) return -1;
    this.seen.set(gpaPage, t.frame);
    return (t.frame * 4096) | (t.perms & 7);
  }

  private applyControls(): void {
    const [c0] = effectiveControls(this.ctrl0, this.ctrl1);
    this.svm.intercepts.cpuid = (c0 & SvmCtrl0.CPUID) !== 0;
    this.svm.intercepts.hlt = (c0 & SvmCtrl0.HLT) !== 0;
  }

  /** Why the next guest entry would fail (exit 0xfd), or null. */
  get invalidState(): string | null {
    return vmrunCheck(this.ctrl1, this.cpu.cr0, this.efer, this.injInfo);
  }

  run(maxTicks: number): VcpuExit {
    const c = this.cpu;
    const k = this.k;
    this.exitReason = -1;
    if (this.invalidState !== null) return this.exit(SvmExit.INVALID_STATE, 0, 0, 0, 0);
    const budget = Math.max(1, Math.floor(maxTicks / k));
    // Guest TSC at instruction boundary i of this slice = virtual TSC now + i·k + offset.
    c.tscOffset = this.port.now() - c.retired * k + this.tscOff;
    this.svm.requestInterruptWindow(this.windowRequested);
    if ((this.injInfo & INJ_VALID) !== 0) {
      const info = this.injInfo;
      this.svm.inject({
        vector: info & 0xff,
        type: (info >>> 8) & 7,
        ...((info & INJ_ERROR) !== 0 ? { errorCode: this.injError >>> 0 } : {}),
      });
      this.injInfo = 0;
    }
    const x = this.svm.run(budget);
    this.stats.runs++;
    this.stats.instructions += x.instructions;
    const ticks = x.instructions * k;
    if (x.code === SvmExit.RECALL) {
      // The instruction budget (the kernel's slice) ran out; a recall proper is the kernel's.
      return { reason: null, ticks, qual0: 0, qual1: 0, instLen: 0 };
    }
    this.exitInt = x.intInfo;
    this.exitIntError = x.intError;
    if (x.code >= SvmExit.EXCP_BASE && x.code < SvmExit.EXCP_BASE + 32 && (x.intInfo & INJ_VALID) !== 0) {
      // G-kernel `svm_exception`: an interrupted external interrupt or hardware exception
      // (not #BP/#OF) is re-injected at the next entry unless the VMM replaces it.
      const type = (x.intInfo >>> 8) & 7;
      const v = x.intInfo & 0xff;
      if (type === 0 || (type === 3 && v !== 3 && v !== 4)) {
        this.injInfo = x.intInfo;
        this.injError = x.intError;
      }
    }
    return this.exit(x.code, ticks, x.info1, x.info2, x.instLen);
  }

  private exit(reason: number, ticks: number, qual0: number, qual1: number, instLen: number): VcpuExit {
    this.exitReason = reason;
    const e = this.stats.exits;
    e.set(reason, (e.get(reason) ?? 0) + 1);
    return { reason, ticks, qual0, qual1, instLen };
  }

  /**
   * The guest's x87 state as a new 512-byte FXSAVE image (what `load` with MTD FPU delivers),
   * for tests and tools that look at a vCPU from outside the kernel.
   */
  fpuImage(): Uint8Array {
    const out = new Uint8Array(FXSAVE_IMAGE_BYTES);
    writeFxsaveImage(this.cpu, out);
    return out;
  }

  load(into: VcpuState, mtd: number): void {
    loadArchState(this.cpu, into, mtd, this.extra);
    if (mtd & Mtd.INJ) {
      // G-kernel `load_svm`: EXITINTINFO of the exit, or the pending injection for an invalid
      // state, a recall, or a state request outside an exit.
      const exit = this.exitReason >= 0 && this.exitReason !== SvmExit.INVALID_STATE;
      into.intrInfo = (exit ? this.exitInt : this.injInfo) >>> 0;
      into.intrError = (exit ? this.exitIntError : this.injError) >>> 0;
    }
    if (mtd & Mtd.STA) {
      into.intrState = this.svm.interruptShadow ? 1 : 0;
      into.actvState = 0; // SVM has no activity state (HLT always exits)
    }
    if (mtd & Mtd.TSC) into.tscOff = this.tscOff;
    if (mtd & Mtd.EFER) into.efer = this.efer;
    // MTD FPU: the guest's x87 state as the 512-byte FXSAVE image (x86-core: x87 only, so the
    // legacy region is the whole state; the G-kernel copies its FPU save area the same way).
    if (mtd & Mtd.FPU) writeFxsaveImage(this.cpu, into.fpu);
  }

  store(from: VcpuState, mtd: number): void {
    storeArchState(this.cpu, from, mtd, this.extra);
    if (mtd & (Mtd.EIP | Mtd.CSSS | Mtd.CR)) this.cpu.shutdown = false;
    if (mtd & Mtd.CTRL) {
      this.ctrl0 = from.ctrl0 >>> 0;
      this.ctrl1 = from.ctrl1 >>> 0;
      this.applyControls();
    }
    if (mtd & Mtd.INJ) {
      // G-kernel `save_svm`: bit 12 sets V_IRQ with the VINTR intercept; EVENTINJ = inj & ~0x3000.
      this.windowRequested = (from.intrInfo & INJ_WINDOW) !== 0;
      this.injInfo = (from.intrInfo & ~INJ_REQUESTS) >>> 0;
      this.injError = from.intrError >>> 0;
    }
    if (mtd & Mtd.STA) this.svm.interruptShadow = (from.intrState & 1) !== 0;
    if (mtd & Mtd.TSC) this.tscOff = from.tscOff;
    if (mtd & Mtd.EFER) this.efer = from.efer >>> 0;
    if (mtd & Mtd.FPU) readFxsaveImage(this.cpu, from.fpu);
    // After a reply the next exit's INJ comes from the pending injection (dst_portal = RECALL).
    this.exitReason = -1;
  }

  invalidate(gpaPage: number, pages: number): void {
    // Nothing cached survives: the processor's TLB holds complete guest-virtual → host-physical
    // translations, so the whole TLB goes (x86-core flushes only the entries it holds).
    this.svm.invalidate();
    // Decoded code of the unmapped frames goes too: the frame may be reused for anything.
    const seen = this.seen;
    if (pages <= seen.size) {
      for (let p = gpaPage; p < gpaPage + pages; p++) {
        const f = seen.get(p);
        if (f === undefined) continue;
        seen.delete(p);
        this.memory.code.invalidatePage(f);
      }
    } else {
      for (const [p, f] of seen) {
        if (p < gpaPage || p >= gpaPage + pages) continue;
        seen.delete(p);
        this.memory.code.invalidatePage(f);
      }
    }
  }

  destroy(): void {
    this.memory.detach(this.cpu);
    this.seen.clear();
    this.onDestroy?.(this);
  }

  /** `ctrl[1]` has VMRUN set (what a VMM must do at STARTUP, as Genode's vmm_x86 does). */
  get vmrunIntercepted(): boolean {
    return (this.ctrl1 & SvmCtrl1.VMRUN) !== 0;
  }
}

/**
 * The G-kernel's fresh VMCB: zeroed state (all segments null, RIP 0, no paging), EFLAGS 2.
 * The VMM's STARTUP reply sets the real state (e.g. the real-mode reset state of vmm_x86).
 */
function zeroState(c: Cpu): void {
  c.r32.fill(0);
  c.eip = 0;
  c.cr0 = 0;
  c.cr2 = 0;
  c.cr3 = 0;
  c.cr4 = 0;
  c.dr.fill(0);
  c.setEflags(2);
  c.refreshMode();
  for (let s = 0; s < 6; s++) c.loadSegmentCache(s, 0, 0, 0, 0);
  c.ldtSel = 0;
  c.ldtAttr = 0;
  c.ldtLimit = 0;
  c.ldtBase = 0;
  c.trSel = 0;
  c.trAttr = 0;
  c.trLimit = 0;
  c.trBase = 0;
  c.gdtBase = 0;
  c.gdtLimit = 0;
  c.idtBase = 0;
  c.idtLimit = 0;
  c.refreshMode();
  c.flushTlb();
}
