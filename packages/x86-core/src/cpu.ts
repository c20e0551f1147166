import { writeSys8, writeSys16 } from './access.js';
import { compileBlock } from './block-compiler.js';
import { Block } from './code-cache.js';
import { Cr0, Flag, Seg } from './constants.js';
import { type CpuidConfig, CpuidTable, defaultCpuidConfig } from './cpuid.js';
import { decodeBlock } from './decoder.js';
import { X86Error } from './errors.js';
import { FAULT, VMEXIT } from './fault.js';
import { getFlags } from './flags.js';
import { Fpu } from './fpu.js';
import type { Insn } from './insn.js';
import { deliverEvent, type EventInterceptor, EventKind } from './interrupts.js';
import { ACC_FETCH, ACC_USER, translate } from './paging.js';
import type { PhysicalMemory } from './physical-memory.js';
import { PortBus, type PortIo } from './port-io.js';
import { RunExit } from './run-exit.js';
import { loadGuestState, saveGuestState } from './svm/guest-state.js';
import {
  TLB_CODE,
  TLB_MMIO,
  TLB_NOUSER,
  TLB_RO,
  TLB_VALID,
  tlbFlushAll,
  tlbFlushNonGlobal,
  tlbProtectCode,
} from './tlb.js';

/**
 * The source of external interrupt vectors: when the processor accepts INTR it calls
 * `acknowledge()` (the INTA cycle) to get the vector, as a PIC or a local APIC answers.
 */
export interface InterruptAcknowledge {
  acknowledge(): number;
}

/**
 * A second translation stage for guest-physical addresses (nested paging), consulted on TLB
 * misses only. `translate` gets a guest-physical address, the access kind (`ACC_WRITE`,
 * `ACC_USER`, `ACC_FETCH` bits of paging.ts) and whether the access belongs to the guest's page
 * walk; it returns the host-physical page base | `NPT_WRITABLE`, or ends the instruction with an
 * exit (see svm/nested-paging.ts).
 */
export interface NestedTranslator {
  translate(c: Cpu, gpa: number, acc: number, walk: boolean): number;
}

/** Options for a {@link Cpu}. */
export interface CpuOptions {
  /** The physical memory (RAM + MMIO) this processor sees; several CPUs may share one. */
  readonly memory: PhysicalMemory;
  /** The port-I/O bus; default: an empty {@link PortBus} (reads all ones, writes ignored). */
  readonly io?: PortIo;
  /** Who supplies vectors for INTR; default: vector 0x08 + line (never used without {@link Cpu.setIntr}). */
  readonly interrupts?: InterruptAcknowledge;
  /** CPUID identity and features (see {@link defaultCpuidConfig}). */
  readonly cpuid?: Partial<CpuidConfig>;
  /** TSC ticks per retired instruction (default 1): the TSC is derived from the instruction count. */
  readonly tscPerInstruction?: number;
  /** Initial APIC ID reported by CPUID leaf 1 (EBX bits 31:24); default 0. */
  readonly apicId?: number;
}

/** See {@link Cpu.ioHook}. */
export type IoHook = (
  c: Cpu,
  port: number,
  size: 1 | 2 | 4,
  write: boolean,
  value: number,
  i: Insn,
) => number | undefined;

// Event bits (Cpu.events): anything the run loop must look at between blocks.
/** Event bit: the INTR line is high. */
export const EV_INTR = 0x1;
/** Event bit: an NMI is pending. */
export const EV_NMI = 0x2;
/** Event bit: requestStop() was called. */
export const EV_STOP = 0x4;
/** Event bit: interrupt shadow (after STI or a load of SS) for the next instruction. */
export const EV_SHADOW = 0x8;
/** Event bit: the processor is halted. */
export const EV_HALT = 0x10;
/** A VM exit was decided outside an instruction (an intercepted event); run() returns VMEXIT. */
export const EV_VMEXIT = 0x20;
/** Guest mode asked for an exit as soon as interrupts are enabled (SVM's virtual interrupt window). */
export const EV_WINDOW = 0x40;

const FAST_SIZE = 0x10000;

/**
 * An i686 processor (one logical CPU). Construct it over a {@link PhysicalMemory}, optionally a
 * {@link PortIo} bus, then {@link reset} and {@link run}. All architectural state is in public
 * fields (registers in typed arrays, flags lazily in `fl`/`lz`/`lres`…); use the accessors
 * ({@link getEflags}, {@link setEflags}, {@link loadSegmentCache}) rather than poking derived
 * fields.
 */
export class Cpu {
  // --- general registers: r32[0..7] EAX..EDI; r32[8] is always 0 (absent EA base/index) ---
  readonly r32: Int32Array = new Int32Array(16);
  readonly r16: Uint16Array = new Uint16Array(this.r32.buffer);
  readonly r8: Uint8Array = new Uint8Array(this.r32.buffer);
  eip = 0;

  // --- flags: concrete bits in fl; lazy arithmetic state (see flags.ts) ---
  fl = 2;
  lz = 0;
  lres = 0;
  lop1 = 0;
  lop2 = 0;
  lsub = 0;

  // --- segment registers and their descriptor caches (attr = SVM layout: access byte | flags<<8) ---
  readonly segSel: Int32Array = new Int32Array(8);
  readonly segBase: Int32Array = new Int32Array(8);
  readonly segLimit: Int32Array = new Int32Array(8);
  readonly segAttr: Int32Array = new Int32Array(8);
  /** Highest offset a 1/2/4-byte read/write may start at on the fast path; -1 = always checked. */
  readonly lr1: Float64Array = new Float64Array(8);
  readonly lr2: Float64Array = new Float64Array(8);
  readonly lr4: Float64Array = new Float64Array(8);
  readonly lw1: Float64Array = new Float64Array(8);
  readonly lw2: Float64Array = new Float64Array(8);
  readonly lw4: Float64Array = new Float64Array(8);

  // --- system registers ---
  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr: Int32Array = new Int32Array(8);
  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0xffff;
  ldtAttr = 0x82;
  trSel = 0;
  trBase = 0;
  trLimit = 0xffff;
  trAttr = 0x8b;

  // --- derived mode state (refreshMode) ---
  cpl = 0;
  protectedMode = false;
  v86Mode = false;
  /** CS.D: 32-bit default operand/address size. */
  cs32 = false;
  /** SS.B: 32-bit stack pointer. */
  ss32 = false;
  /** ESP mask: 0xffff for a 16-bit stack, -1 for a 32-bit one. */
  spMask = 0xffff;

  // --- memory ---
  readonly mem: PhysicalMemory;
  readonly m8: Uint8Array;
  readonly dv: DataView;
  /** RAM as 16/32-bit elements (aligned bulk fills of REP STOS). */
  readonly m16: Uint16Array;
  readonly m32: Int32Array;
  readonly tlb: Int32Array = new Int32Array(0x100000);
  readonly tlbList: Int32Array = new Int32Array(0x4000);
  tlbCount = 0;
  /** Incremented whenever cached translations are dropped (block chains check it). */
  tlbGen = 0;
  /** Per 4 MiB region: 1 when an entry came from a large page (INVLPG must clear the region). */
  readonly tlbLarge: Uint8Array = new Uint8Array(1024);
  /** Entry bits that force the slow path on a read / write at the current CPL. */
  rmask: number = TLB_VALID | TLB_MMIO;
  wmask: number = TLB_VALID | TLB_MMIO | TLB_RO | TLB_CODE;
  /** Physical address mask of the A20 gate (bit 20 cleared when the gate is closed). */
  a20Mask = -1;
  /** Nested paging (guest mode), or null. */
  npt: NestedTranslator | null = null;

  // --- devices ---
  io: PortIo;
  interrupts: InterruptAcknowledge | null;
  readonly fpu: Fpu = new Fpu();
  readonly cpuid: CpuidConfig;
  /** CPUID results precomputed from {@link cpuid}. */
  readonly cpuidTable: CpuidTable;
  readonly apicId: number;

  // --- execution ---
  /**
   * Instructions executed since construction (a double: exact up to 2^53): every instruction that
   * started counts once — one that faults counts too, and again when restarted; a REP string
   * instruction counts once per chunk (see ops/string.ts). These are v86's counting rules, so the
   * counts of the two emulators are comparable. Updated per block: in the middle of a block it
   * counts up to the block's start; {@link exactRetired} is exact during port I/O callbacks.
   */
  retired = 0;
  /** Instructions retired before the current one, set before every port-I/O callback. */
  exactRetired = 0;
  budgetEnd = 0;
  /** Pending-event bits (EV_*). */
  events = 0;
  halted = false;
  intrLine = false;
  nmiBlocked = false;
  shutdown = false;
  tscPerInstruction: number;
  tscOffset = 0;
  /** MSR state the core keeps (SYSENTER, misc); see msr.ts. */
  readonly msrs: Map<number, bigint> = new Map();

  // --- the last VM exit (guest mode; set by raiseVmExit or an intercept) ---
  /** Exit code in SVM numbering (svm-exit.ts). */
  exitCode = 0;
  /** EXITINFO1 / EXITINFO2 (e.g. the I/O qualification and next RIP; NPF error code and GPA). */
  exitInfo1 = 0;
  exitInfo2 = 0;
  /** The event being delivered when the exit happened (SVM EXITINTINFO: vector | type << 8 | valid << 31), else 0. */
  exitIntInfo = 0;
  /** Its error code, if it had one. */
  exitIntError = 0;

  // --- exception in flight (set by raiseFault) ---
  excVector = 0;
  excCode = -1;
  excAddr = 0;
  /** Error-code EXT bit while delivering an external event. */
  ext = 0;
  /** Undo log of a delivery in guest mode: (linear address, size, old value) triples. */
  readonly undoLog: number[] = [];

  // --- scratch state for handlers (no allocation on the hot path) ---
  /** Scratch registers for multi-step instructions (POPA, task switch, CPUID output…). */
  readonly scratch: Int32Array = new Int32Array(32);
  /** The descriptor most recently fetched (segmentation.ts). */
  descLo = 0;
  descHi = 0;
  descAddr = 0;
  /** Selector half of the far pointer most recently read. */
  farSel = 0;
  /** High dword of the last 32×32 multiply. */
  mulHi = 0;

  // --- hooks for a virtualization layer (null on a bare processor) ---
  /** Sees every event before delivery; returns true to consume it (an exit). */
  eventInterceptor: EventInterceptor | null = null;
  /**
   * Port I/O interception, called before the access with the instruction (for qualifications):
   * return a value (read) or any number (write) to claim the access, undefined to let it through,
   * or end the instruction with a VM exit.
   */
  ioHook: IoHook | null = null;
  /** HLT interception: return true when consumed. */
  hltHook: ((c: Cpu, i: Insn) => boolean) | null = null;
  /** CPUID interception: return true when consumed. */
  cpuidHook: ((c: Cpu, i: Insn) => boolean) | null = null;
  /** RDMSR/WRMSR interception: return true when consumed. */
  msrHook: ((c: Cpu, write: boolean, i: Insn) => boolean) | null = null;
  /** INVLPG interception: return true when consumed. */
  invlpgHook: ((c: Cpu, lin: number, i: Insn) => boolean) | null = null;
  /** Interrupt-window exit (EV_WINDOW set and IF = 1): return true to exit. */
  windowHook: ((c: Cpu) => boolean) | null = null;

  // --- code cache (per-CPU direct-mapped front of the shared cache) ---
  private readonly fast: (Block | null)[] = new Array<Block | null>(FAST_SIZE).fill(null);
  /** Last block executed (diagnostics). */
  lastBlock: Block | null = null;
  /** The compiled block whose successor the next full lookup should be chained to. */
  private chainFrom: Block | null = null;
  /**
   * Executions after which a block is compiled to JavaScript; Infinity disables the compiler.
   * 500: compiling costs about as much as interpreting a block some hundreds of times, and cold
   * kernel code (Linux's initcalls) has thousands of blocks that run only a few hundred times.
   */
  compileThreshold = 500;
  /**
   * Compatibility switch for 286-era test data: LOCK on a non-lockable instruction is ignored
   * instead of raising #UD. Changing it requires `mem.code.clear()`. Off by default.
   */
  ignoreInvalidLock = false;
  /** Optional tracer called before every instruction (slows everything down; for debugging). */
  tracer: ((c: Cpu, lin: number) => void) | null = null;

  constructor(options: CpuOptions) {
    this.mem = options.memory;
    this.m8 = this.mem.u8;
    this.dv = this.mem.dv;
    this.m16 = new Uint16Array(this.m8.buffer, this.m8.byteOffset, this.m8.byteLength >>> 1);
    this.m32 = new Int32Array(this.m8.buffer, this.m8.byteOffset, this.m8.byteLength >>> 2);
    this.io = options.io ?? new PortBus();
    this.interrupts = options.interrupts ?? null;
    this.cpuid = { ...defaultCpuidConfig(), ...(options.cpuid ?? {}) };
    this.tscPerInstruction = options.tscPerInstruction ?? 1;
    if (!(this.tscPerInstruction > 0)) {
      throw new X86Error('INVALID_CONFIG', 'tscPerInstruction must be positive');
    }
    this.apicId = options.apicId ?? 0;
    this.cpuidTable = new CpuidTable(this.cpuid, this.apicId);
    this.mem.attach(this);
    this.reset();
  }

  // ===========================================================================================
  // Reset

  /**
   * The INIT signal (SDM vol. 3A, §9.1 and table 9-1): like a reset, but the x87 state, the MSRs
   * and CR0.CD/NW survive. An application processor waits in this state for a startup IPI.
   */
  init(): void {
    const fpu = this.fpu.regs.slice();
    const { cw, sw, top, tw } = this.fpu;
    const msrs = new Map(this.msrs);
    const cache = this.cr0 & (Cr0.CD | Cr0.NW);
    this.reset();
    for (let k = 0; k < 8; k++) this.fpu.regs[k] = fpu[k]!;
    Object.assign(this.fpu, { cw, sw, top, tw });
    for (const [k, v] of msrs) this.msrs.set(k, v);
    this.cr0 = (this.cr0 & ~(Cr0.CD | Cr0.NW)) | cache;
  }

  /** Power-on reset (SDM vol. 3A, §9.1.1): real mode, CS:IP = F000:FFF0 with CS base FFFF0000. */
  reset(): void {
    this.r32.fill(0);
    this.r32[2] = (this.cpuid.family << 8) | (this.cpuid.model << 4) | this.cpuid.stepping;
    this.eip = 0xfff0;
    this.fl = 2;
    this.lz = 0;
    this.cr0 = 0x60000010;
    this.cr2 = 0;
    this.cr3 = 0;
    this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.gdtBase = 0;
    this.gdtLimit = 0xffff;
    this.idtBase = 0;
    this.idtLimit = 0xffff;
    this.ldtSel = 0;
    this.ldtBase = 0;
    this.ldtLimit = 0xffff;
    this.ldtAttr = 0x82;
    this.trSel = 0;
    this.trBase = 0;
    this.trLimit = 0xffff;
    this.trAttr = 0x8b;
    for (let s = 0; s < 6; s++) {
      this.segSel[s] = 0;
      this.segBase[s] = 0;
      this.segLimit[s] = 0xffff;
      this.segAttr[s] = s === Seg.CS ? 0x9b : 0x93;
    }
    this.segSel[Seg.CS] = 0xf000;
    this.segBase[Seg.CS] = 0xffff0000 | 0;
    this.halted = false;
    this.shutdown = false;
    this.events &= EV_INTR;
    this.nmiBlocked = false;
    this.a20Mask = -1;
    this.npt = null;
    this.msrs.clear();
    this.fpu.reset();
    this.refreshMode();
    this.flushTlb();
  }

  // ===========================================================================================
  // Mode and segment caches

  /** Recomputes everything derived from CR0, EFLAGS.VM and the CS/SS caches. */
  refreshMode(): void {
    this.protectedMode = (this.cr0 & Cr0.PE) !== 0;
    this.v86Mode = this.protectedMode && (this.fl & Flag.VM) !== 0;
    if (!this.protectedMode) this.cpl = 0;
    else if (this.v86Mode) this.cpl = 3;
    else this.cpl = (this.segAttr[Seg.CS]! >> 5) & 3;
    const user = this.cpl === 3 ? TLB_NOUSER : 0;
    this.rmask = TLB_VALID | TLB_MMIO | user;
    this.wmask = TLB_VALID | TLB_MMIO | TLB_RO | TLB_CODE | user;
    this.cs32 = !this.v86Mode && (this.segAttr[Seg.CS]! & 0x400) !== 0;
    this.ss32 = !this.v86Mode && (this.segAttr[Seg.SS]! & 0x400) !== 0;
    this.spMask = this.ss32 ? -1 : 0xffff;
    for (let s = 0; s < 6; s++) this.updateSegChecks(s);
  }

  /** Sets CPL (the DPL of CS after a privilege change) and the TLB masks that depend on it. */
  setCpl(cpl: number): void {
    this.cpl = cpl;
    const user = cpl === 3 ? TLB_NOUSER : 0;
    this.rmask = TLB_VALID | TLB_MMIO | user;
    this.wmask = TLB_VALID | TLB_MMIO | TLB_RO | TLB_CODE | user;
  }

  /**
   * Loads a segment register's visible selector and hidden cache directly (no checks): for
   * reset, state restore by a VMM, and the segmentation code. `attr` is the SVM layout:
   * descriptor access byte in bits 0–7, the flags nibble (AVL, L, D/B, G) in bits 8–11; `limit`
   * is the byte-granular limit.
   */
  loadSegmentCache(seg: number, sel: number, base: number, limit: number, attr: number): void {
    this.segSel[seg] = sel & 0xffff;
    this.segBase[seg] = base | 0;
    this.segLimit[seg] = limit | 0;
    this.segAttr[seg] = attr & 0xfff;
    if (seg === Seg.CS) {
      // A new CS (a far transfer, a state load by a VMM): no block chain may span it.
      this.chainFrom = null;
      this.cs32 = !this.v86Mode && (attr & 0x400) !== 0;
    } else if (seg === Seg.SS) {
      this.ss32 = !this.v86Mode && (attr & 0x400) !== 0;
      this.spMask = this.ss32 ? -1 : 0xffff;
    }
    this.updateSegChecks(seg);
  }

  /** Recomputes the fast-path limit bounds of one segment register. */
  updateSegChecks(seg: number): void {
    const attr = this.segAttr[seg]!;
    const limit = this.segLimit[seg]! >>> 0;
    let readable = true;
    let writable = true;
    let fast = true;
    const code = (attr & 0x18) === 0x18;
    if (this.protectedMode && !this.v86Mode) {
      if ((attr & 0x90) !== 0x90) fast = false;
      if (code) {
        writable = false;
        readable = (attr & 2) !== 0;
      } else {
        writable = (attr & 2) !== 0;
      }
    }
    if (!code && (attr & 0x14) === 0x14) fast = false;
    const r = fast && readable;
    const w = fast && writable;
    this.lr1[seg] = r ? limit : -1;
    this.lr2[seg] = r && limit >= 1 ? limit - 1 : -1;
    this.lr4[seg] = r && limit >= 3 ? limit - 3 : -1;
    this.lw1[seg] = w ? limit : -1;
    this.lw2[seg] = w && limit >= 1 ? limit - 1 : -1;
    this.lw4[seg] = w && limit >= 3 ? limit - 3 : -1;
  }

  // ===========================================================================================
  // Flags

  /** EFLAGS with all lazy flags computed. */
  getEflags(): number {
    return getFlags(this);
  }

  /**
   * Writes EFLAGS as is (no privilege filtering: that is POPF/IRET's job) and refreshes the mode
   * when VM changes. Bit 1 is forced to 1; bits 3, 5, 15 and 22+ to 0.
   */
  setEflags(v: number): void {
    const old = this.fl;
    this.fl = (v & 0x3f7fd5) | 2;
    this.lz = 0;
    if (((old ^ this.fl) & Flag.VM) !== 0) this.refreshMode();
  }

  // ===========================================================================================
  // External signals

  /** Drives the INTR line (level): while high and EFLAGS.IF = 1, the CPU acknowledges an interrupt. */
  setIntr(level: boolean): void {
    this.intrLine = level;
    if (level) this.events |= EV_INTR;
    else this.events &= ~EV_INTR;
  }

  /** Raises NMI (edge): delivered at the next instruction boundary unless NMIs are blocked. */
  nmi(): void {
    this.events |= EV_NMI;
  }

  /** Asks {@link run} to return {@link RunExit.STOPPED} at the next instruction boundary it checks. */
  requestStop(): void {
    this.events |= EV_STOP;
  }

  /** Opens (true) or closes (false) the A20 gate; closing masks physical address bit 20. */
  setA20(enabled: boolean): void {
    const mask = enabled ? -1 : ~0x100000;
    if (mask !== this.a20Mask) {
      this.a20Mask = mask;
      this.flushTlb();
    }
  }

  /** The time-stamp counter: retired instructions × tscPerInstruction + offset. */
  get tsc(): bigint {
    return BigInt.asUintN(
      64,
      BigInt(Math.floor(this.retired * this.tscPerInstruction)) + BigInt(this.tscOffset),
    );
  }

  /**
   * The TSC as a number (exact below 2^53, i.e. for years of guest time); modulo 2^64. `retired`
   * defaults to {@link retired}; instructions pass their exact count (`c.retired + i.pos`).
   */
  tscNumber(retired: number = this.retired): number {
    const t = Math.floor(retired * this.tscPerInstruction) + this.tscOffset;
    return t >= 0 ? t : t + 2 ** 64;
  }

  // ===========================================================================================
  // TLB

  /** Drops every cached translation (global ones too). */
  flushTlb(): void {
    tlbFlushAll(this);
  }

  /** Drops non-global cached translations (what a CR3 write does). */
  flushTlbNonGlobal(): void {
    tlbFlushNonGlobal(this);
  }

  /** {@link CodePageListener}: writes to `page` must now invalidate decoded code. */
  protectCodePage(page: number): void {
    tlbProtectCode(this, page);
  }

  // ===========================================================================================
  // Running

  /**
   * Runs until `budget` instructions have retired, HLT with no wake-up, a shutdown, or a stop
   * request; returns the reason ({@link RunExit}). Interrupts and exceptions are delivered on
   * the way. Deterministic: the same state and inputs give the same instructions and counts.
   */
  run(budget: number): number {
    this.budgetEnd = this.retired + budget;
    if (this.shutdown) return RunExit.SHUTDOWN;
    for (;;) {
      if (this.retired >= this.budgetEnd) return RunExit.BUDGET;
      let single = false;
      // INTR alone while IF = 0 (a timer interrupt pending across a long interrupts-off stretch)
      // needs no look: checkEvents would do nothing, and the block chain stays intact.
      if (
        (this.events | (this.fl & Flag.TF)) !== 0 &&
        (this.events !== EV_INTR || (this.fl & (Flag.IF | Flag.TF)) !== 0 || this.halted)
      ) {
        // Whatever happens here (an interrupt, a stop), the next block is no successor to chain.
        this.chainFrom = null;
        const x = this.checkEvents();
        if (x >= 0) return x;
        single = x === -2 || (this.fl & Flag.TF) !== 0;
      }
      try {
        this.execute(single);
      } catch (e) {
        this.chainFrom = null;
        if (e === VMEXIT) return RunExit.VMEXIT;
        if (e !== FAULT) throw e;
        if (!this.deliver(this.excVector, this.excCode, EventKind.EXCEPTION)) return RunExit.VMEXIT;
        if (this.shutdown) return RunExit.SHUTDOWN;
        if ((this.events & EV_VMEXIT) !== 0) {
          this.events &= ~EV_VMEXIT;
          return RunExit.VMEXIT;
        }
      }
    }
  }

  /**
   * Looks at pending events between blocks. Returns a RunExit code to stop, -2 to execute exactly
   * one instruction next (interrupt shadow), or -1 to continue normally.
   */
  private checkEvents(): number {
    const ev = this.events;
    if ((ev & EV_VMEXIT) !== 0) {
      this.events &= ~EV_VMEXIT;
      return RunExit.VMEXIT;
    }
    if ((ev & EV_STOP) !== 0) {
      this.events &= ~EV_STOP;
      return RunExit.STOPPED;
    }
    if ((ev & EV_SHADOW) !== 0) {
      this.events &= ~EV_SHADOW;
      return -2;
    }
    if ((ev & EV_NMI) !== 0 && !this.nmiBlocked) {
      this.events &= ~EV_NMI;
      this.halted = false;
      this.events &= ~EV_HALT;
      this.nmiBlocked = true;
      this.deliverExternal(2, EventKind.NMI);
      if (this.shutdown) return RunExit.SHUTDOWN;
      return -1;
    }
    if ((ev & EV_WINDOW) !== 0 && (this.fl & Flag.IF) !== 0 && this.windowHook?.(this)) {
      return RunExit.VMEXIT;
    }
    if ((ev & EV_INTR) !== 0 && (this.fl & Flag.IF) !== 0) {
      const vector = this.interrupts !== null ? this.interrupts.acknowledge() & 0xff : 0x08;
      this.halted = false;
      this.events &= ~EV_HALT;
      this.deliverExternal(vector, EventKind.EXTERNAL);
      if (this.shutdown) return RunExit.SHUTDOWN;
      return -1;
    }
    if (this.halted) return RunExit.HLT;
    return -1;
  }

  private deliverExternal(vector: number, kind: number): void {
    if (!this.deliver(vector, -1, kind)) this.events |= EV_VMEXIT;
  }

  /**
   * Delivers an event; returns false when delivery ended in a VM exit (the event is then recorded
   * in `exitIntInfo` for re-injection, as SVM's EXITINTINFO does).
   */
  deliver(vector: number, code: number, kind: number): boolean {
    // In guest mode a nested page fault can interrupt a delivery half-way (a task switch, an error
    // code on a new stack): the delivery is undone so that the host can re-inject the event.
    const snapshot = this.npt !== null ? saveGuestState(this) : null;
    this.undoLog.length = 0;
    try {
      deliverEvent(this, vector, code, kind);
      return true;
    } catch (e) {
      if (e !== VMEXIT) throw e;
      if (snapshot !== null) {
        const log = this.undoLog;
        for (let k = log.length - 3; k >= 0; k -= 3) {
          if (log[k + 1] === 1) writeSys8(this, log[k]!, log[k + 2]!);
          else writeSys16(this, log[k]!, log[k + 2]!);
        }
        loadGuestState(this, snapshot);
      }
      const type =
        kind === EventKind.EXTERNAL ? 0 : kind === EventKind.NMI ? 2 : kind === EventKind.SOFTWARE ? 4 : 3;
      this.exitIntInfo = (vector & 0xff) | (type << 8) | (code >= 0 ? 0x800 : 0) | 0x80000000;
      this.exitIntError = Math.max(code, 0);
      return false;
    }
  }

  /** Enters the HLT state (the HLT instruction). */
  halt(): void {
    this.halted = true;
    this.events |= EV_HALT;
  }

  /** Fetches (or decodes) the block at CS:EIP and executes it, or one instruction of it. */
  /** The block at CS:EIP (decoding it when needed); may raise a fetch fault. */
  private fetchBlock(eip: number): Block {
    const csLimit = this.segLimit[Seg.CS]! >>> 0;
    if (eip >>> 0 > csLimit) throw this.gpFault();
    const lin = (this.segBase[Seg.CS]! + eip) | 0;
    const vpage = lin >>> 12;
    let e = this.tlb[vpage]!;
    if ((e & this.rmask) !== TLB_VALID) {
      e = translate(this, lin, ACC_FETCH | (this.cpl === 3 ? ACC_USER : 0));
    }
    const mode = this.cs32 ? 1 : 0;
    let b: Block | null = null;
    let cacheable = (e & TLB_MMIO) === 0;
    const phys = (e & ~0xfff) ^ lin;
    if (cacheable) {
      const h = (phys ^ (phys >>> 16)) & (FAST_SIZE - 1);
      b = this.fast[h]!;
      if (b === null || b.phys !== phys || b.mode !== mode || !b.valid) {
        b = this.mem.code.get(phys, mode) ?? null;
        if (b === null) {
          b = decodeBlock(this, eip, phys, mode, csLimit);
          if (b.phys === phys) {
            const fresh = this.mem.code.add(b);
            if ((fresh & 1) !== 0) this.mem.protectCodePage(phys >>> 12);
            if ((fresh & 2) !== 0) this.mem.protectCodePage(b.phys2 >>> 12);
          } else {
            cacheable = false;
          }
        }
        if (cacheable) this.fast[h] = b;
      }
      if (b.phys2 >= 0) {
        // An instruction running into the next page: that page must still map to phys2 (a TLB
        // miss there re-decodes uncached, which also raises the right fault).
        const next = ((lin | 0xfff) + 1) | 0;
        const e2 = this.tlb[next >>> 12]!;
        if ((e2 & this.rmask) !== TLB_VALID || ((e2 & ~0xfff) ^ next) !== b.phys2) {
          return decodeBlock(this, eip, -1, mode, csLimit);
        }
      }
      if (cacheable && ((eip + b.bytes - 1) >>> 0 > csLimit || (!this.cs32 && eip + b.bytes > 0x10000))) {
        b = decodeBlock(this, eip, -1, mode, csLimit);
      }
    } else {
      b = decodeBlock(this, eip, -1, mode, csLimit);
    }
    return b;
  }

  private execute(single: boolean): void {
    const eip = this.eip;
    const b = this.fetchBlock(eip);
    const prev = this.chainFrom;
    if (prev !== null) {
      this.chainFrom = null;
      if (b.phys >= 0 && prev.valid) {
        // Remember the successor (two slots: taken / not taken; the older one is replaced).
        if (prev.sg !== this.tlbGen) {
          prev.s0 = null;
          prev.s1 = null;
          prev.s0e = prev.s1e = -1;
          prev.sg = this.tlbGen;
        }
        if (prev.s0 === null) {
          prev.s0 = b;
          prev.s0e = eip;
        } else {
          prev.s1 = b;
          prev.s1e = eip;
        }
      }
    }
    this.lastBlock = b;
    if (
      b.compiled !== null &&
      !single &&
      this.tracer === null &&
      this.retired + b.insns.length <= this.budgetEnd
    ) {
      // Run the chain of compiled blocks until one has no known successor.
      let nb: Block | null = b;
      do {
        this.chainFrom = nb;
        nb = nb.compiled!(this);
      } while (nb !== null && nb.compiled !== null && this.retired + nb.insns.length <= this.budgetEnd);
      if (nb === null || nb.compiled === null) {
        if (!(this.chainFrom?.linkable ?? false)) this.chainFrom = null;
      } else {
        this.chainFrom = null;
      }
      return;
    }
    this.runBlock(b, single);
  }

  private gpFault(): unknown {
    this.excVector = 13;
    this.excCode = 0;
    return FAULT;
  }

  private runBlock(b: Block, single: boolean): void {
    const ins = b.insns;
    const n = ins.length;
    const remaining = this.budgetEnd - this.retired;
    let lim = Math.min(n, remaining);
    if (single) lim = 1;
    const mask = b.ipMask;
    const tf = (this.fl & Flag.TF) !== 0;
    let k = 0;
    if (this.tracer !== null) {
      for (; k < lim; k++) {
        const i = ins[k]!;
        this.tracer(this, (this.segBase[Seg.CS]! + this.eip) | 0);
        const start = this.eip;
        this.eip = (this.eip + i.len) & mask;
        try {
          i.fn(this, i);
        } catch (e) {
          if (e === FAULT || e === VMEXIT) this.eip = start;
          this.retired += k + 1;
          throw e;
        }
        if (!b.valid) {
          k++;
          break;
        }
      }
    } else {
      try {
        for (; k < lim; k++) {
          const i = ins[k]!;
          this.eip = (this.eip + i.len) & mask;
          i.fn(this, i);
          if (!b.valid) {
            k++;
            break;
          }
        }
      } catch (e) {
        if (e === FAULT || e === VMEXIT) this.eip = (this.eip - ins[k]!.len) & mask;
        // The faulting instruction counts too (it started; it counts again when restarted).
        this.retired += k + 1;
        throw e;
      }
      if (++b.hits >= this.compileThreshold && b.compiled === null && b.valid && b.phys >= 0) {
        this.compile(b);
      }
    }
    this.retired += k;
    if (tf && k === 1 && !this.shutdown) {
      // Single-step trap after the instruction (SDM vol. 3A, §17.3.1.4).
      this.dr[6] = this.dr[6]! | 0x4000;
      if (!this.deliver(1, -1, EventKind.TRAP)) this.events |= EV_VMEXIT;
    }
  }

  /** Compiles a hot block (block-compiler.ts); keeps interpreting when that is impossible. */
  compile(b: Block): void {
    const f = compileBlock(b);
    if (f !== null) b.compiled = f;
    else b.hits = Number.NEGATIVE_INFINITY;
  }
}

export { Block };
