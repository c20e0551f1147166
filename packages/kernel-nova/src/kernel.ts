import {
  Event,
  HipFeature,
  NUM_CPU,
  NUM_GSI,
  NUM_SEL,
  NUM_VMI,
  ObjType,
  PAGE_SIZE,
  PfErr,
  PtPerm,
  Rflags,
  RootSel,
  USER_ADDR,
  USER_PAGES,
} from './constants.js';
import { Cpu } from './cpu.js';
import { type Crd, CrdType } from './crd.js';
import { delegateCrd, transferItems } from './delegation.js';
import { Cont, type ContCode, Ec, type EcKind } from './ec.js';
import { KernelNovaError } from './errors.js';
import { buildHip, type HipInfo } from './hip.js';
import { HostMsrs } from './host-msr.js';
import { Hypercall } from './hypercall.js';
import { dispatchHypercall, sysCall } from './hypercalls.js';
import { ENTRY_EXCEPTION, ENTRY_SPIN, ENTRY_SYSCALL, type KernelEntry } from './kernel-entry.js';
import type { Kobject } from './kobject.js';
import { MdbNode, Sub } from './mdb.js';
import type { PageTable, TableKind } from './page-table.js';
import { Pd } from './pd.js';
import { PhysicalMemory } from './physical-memory.js';
import type { Pt } from './pt.js';
import type { Quota } from './quota.js';
import { revokeRange } from './revocation.js';
import { Sc } from './sc.js';
import { Sm } from './sm.js';
import { Status, type StatusCode } from './status.js';
import { Sys } from './sys.js';
import { TimerQueue } from './timer-queue.js';
import type { TraceRecord, Tracer } from './trace.js';
import { Utcb } from './utcb.js';
import type { GuestSpace, VcpuEngine, VcpuExit } from './vcpu-engine.js';
import { pow2, toWord } from './word.js';

/** Host code of an EC: a generator function started at an entry IP with the EC's `sys` object. */
export type EntryFn = (sys: Sys) => Generator<KernelEntry, unknown, unknown>;

/** A segment of the root task's image, mapped like an ELF PT_LOAD segment at boot. */
export interface RootSegment {
  /** Page-aligned user virtual address. */
  readonly vaddr: number;
  /** Contents (zero-filled up to `size`). */
  readonly data?: Uint8Array;
  /** Size in bytes (default: `data.length`). */
  readonly size?: number;
  /** Memory permissions (r = 1, w = 2, x = 4). */
  readonly perms: number;
}

/** Boot options of {@link NovaKernel}. */
export interface NovaOptions {
  /** The root task: runs as the root EC (RIP = its entry, RSP = HIP address, RDI = boot CPU). */
  readonly root: EntryFn;
  /** Online CPUs (1..64, default 1). */
  readonly cpus?: number;
  /** Physical memory in bytes (default 64 MiB). */
  readonly memory?: number;
  /** Bytes at the top of memory reserved for the kernel (default memory / 8): the quota pool. */
  readonly kernelMemory?: number;
  /** TSC frequency in kHz (default 1,000,000: one tick is one nanosecond). */
  readonly tscKhz?: number;
  /** Hardware features in the HIP (default: SVM present, no VMX, no IOMMU). */
  readonly features?: { readonly svm?: boolean; readonly vmx?: boolean; readonly iommu?: boolean };
  /** Guest execution for vCPUs. */
  readonly vcpuEngine?: VcpuEngine;
  /** Trace receiver (opt-in; no records are built without one). */
  readonly trace?: Tracer;
  /** Ticks one iteration of a helping livelock costs (default 100). */
  readonly helpTicks?: number;
  /** Longest guest-execution slice in ticks (default 1 ms). */
  readonly vcpuSliceTicks?: number;
  /** GSIs (default 192); the first `ioapicPins` (default 24) are IOAPIC pins. */
  readonly gsis?: number;
  readonly ioapicPins?: number;
  /** Root task image segments. */
  readonly rootImage?: readonly RootSegment[];
}

/** When {@link NovaKernel.run} stops. */
export interface RunOptions {
  /** Stop as soon as this returns true (checked between steps). */
  readonly until?: () => boolean;
  /** Stop after this many steps (default 10,000,000). */
  readonly maxSteps?: number;
  /** Do not advance the clock beyond this absolute tick. */
  readonly maxTime?: number;
}

/** Why {@link NovaKernel.run} returned. */
export interface RunResult {
  readonly reason: 'until' | 'quiescent' | 'steps' | 'time';
  readonly steps: number;
  readonly now: number;
}

/** Result registers of {@link NovaKernel.hypercallNow}. */
export interface SyncHypercallResult {
  /** Status (low 8 bits of RDI). */
  readonly status: StatusCode;
  readonly rsi: number;
  readonly rdx: number;
  readonly rax: number;
  readonly r8: number;
}

/** The machine's port-I/O bus as host code sees it (ports the PD holds in its I/O space). */
export interface IoBus {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

/** A listener for page-table invalidations (host, guest or DMA table of a PD). */
export type InvalidationListener = (pd: Pd, table: TableKind, base: number, pages: number) => void;

const TEXT_BASE = 0x1000;
const TABLE_MAP = 0;
const TABLE_UNMAP = 1;
const TABLE_PROTECT = 2;
const TEXT_STEP = 0x10;

/**
 * The NOVA microhypervisor as an executable model: the classic interface of the G-kernel
 * (alex-ab/NOVA r10), spec/nova.md. Boot it with a root task, then drive it with
 * {@link NovaKernel.run}; everything runs on one deterministic virtual clock.
 *
 * @example
 * ```ts
 * const k = NovaKernel.boot({ root: function* (sys) { yield* sys.smCtrlUp(0); } });
 * k.run();
 * ```
 */
export class NovaKernel {
  /** Physical memory (one ArrayBuffer; frame n at byte n·4096). */
  readonly memory: PhysicalMemory;
  /** The CPUs (index = CPU number in hypercalls). */
  readonly cpus: Cpu[] = [];
  /** TSC frequency in kHz (HIP). */
  readonly tscKhz: number;
  /** HIP feature flags (IOMMU 1, VMX 2, SVM 4). */
  readonly features: number;
  /** The kernel's own space: physical memory, all ports, idle SCs, GSI semaphores. */
  readonly kern: Pd;
  /** The root PD. */
  readonly root: Pd;
  /** [G] ACPI-suspend and MSR-access authority semaphores (root selectors 35, 36). */
  readonly suspendSm: Sm;
  readonly msrSm: Sm;
  /** [G] Per CPU: the host MSRs that guarded access (`ec_ctrl` op 8) reaches. */
  readonly hostMsrs: HostMsrs[] = [];
  /** The root EC (selector 33 of the root). */
  readonly rootEc: Ec;
  /** The root SC (selector 34 of the root). */
  readonly rootSc: Sc;
  /** Kernel GSI semaphores, index = GSI. */
  readonly gsiSms: Sm[] = [];
  /** GSIs below this number are IOAPIC pins (assign_gsi needs no device for them). */
  readonly ioapicPins: number;
  /** Physical frame of the HIP. */
  readonly hipFrame: number;
  /** Address of the HIP in the root PD. */
  readonly hipAddr: number = USER_ADDR - PAGE_SIZE;
  /** Address of the root UTCB. */
  readonly rootUtcbAddr: number = USER_ADDR - 2 * PAGE_SIZE;
  /** Quota pages set aside per CPU at boot (G: 4 per CPU). */
  readonly cpuReserve: number;
  /** Total pages of the quota pool (the kernel region). */
  readonly quotaTotal: number;
  /** Guest execution for vCPUs (null: vCPUs block after STARTUP). */
  readonly vcpuEngine: VcpuEngine | null;
  /** Ticks one helping-livelock iteration costs. */
  readonly helpTicks: number;
  /** Longest guest-execution slice in ticks. */
  readonly vcpuSliceTicks: number;
  /** Trace receiver, or null (no trace records built). */
  tracer: Tracer | null;
  /** Devices behind host port I/O (unclaimed ports read as all-ones). */
  ioBus: IoBus | null = null;
  /** Current virtual time in TSC ticks. */
  now = 0;
  /** Steps executed since boot. */
  steps = 0;
  /** SM timeouts and machine events on the virtual clock. */
  readonly timers: TimerQueue = new TimerQueue();
  /** Every live EC, for inspection and invariants. */
  readonly ecs: Set<Ec> = new Set();
  /** Every PD ever created that is not destroyed. */
  readonly pds: Set<Pd> = new Set();
  /** Quotas that took over the charges of a destroyed PD (their slab counts include foreign objects). */
  readonly quotaMerged: Set<Quota> = new Set();
  private readonly code = new Map<number, EntryFn>();
  private readonly codeIps = new Map<EntryFn, number>();
  private nextIp = TEXT_BASE;
  private nextId = 0;
  private rr = 0;
  private readonly listeners: InvalidationListener[] = [];
  private readonly reap = new Set<Ec>();
  private userError: { ec: Ec; error: unknown } | null = null;
  /** Level-triggered GSIs: line high. */
  private readonly gsiLevel: boolean[] = [];
  private readonly gsiMasked: boolean[] = [];
  /** Hypercall trace record awaiting its status. */
  pendingTrace: (TraceRecord & { kind: 'hypercall' }) | null = null;

  /** Boot the kernel: build the kernel space, the root PD, EC and SC and the HIP. */
  static boot(options: NovaOptions): NovaKernel {
    return new NovaKernel(options);
  }

  private constructor(o: NovaOptions) {
    const ncpu = o.cpus ?? 1;
    if (!Number.isInteger(ncpu) || ncpu < 1 || ncpu > NUM_CPU) {
      throw new KernelNovaError('BAD_CONFIG', `cpus must be 1..${NUM_CPU}, got ${ncpu}`);
    }
    const memory = o.memory ?? 64 * 1024 * 1024;
    const kernelBytes = o.kernelMemory ?? Math.floor(memory / 8 / PAGE_SIZE) * PAGE_SIZE;
    this.memory = new PhysicalMemory(memory, Math.floor(kernelBytes / PAGE_SIZE));
    this.tscKhz = o.tscKhz ?? 1_000_000;
    if (!Number.isSafeInteger(this.tscKhz) || this.tscKhz < 1000) {
      throw new KernelNovaError('BAD_CONFIG', `tscKhz must be an integer >= 1000, got ${this.tscKhz}`);
    }
    const f = o.features ?? {};
    this.features =
      ((f.svm ?? true) ? HipFeature.SVM : 0) |
      (f.vmx ? HipFeature.VMX : 0) |
      (f.iommu ? HipFeature.IOMMU : 0);
    this.vcpuEngine = o.vcpuEngine ?? null;
    this.tracer = o.trace ?? null;
    this.helpTicks = Math.max(1, o.helpTicks ?? 100);
    this.vcpuSliceTicks = Math.max(1, o.vcpuSliceTicks ?? this.tscKhz);
    const gsis = o.gsis ?? NUM_GSI;
    if (!Number.isInteger(gsis) || gsis < 1 || gsis > NUM_GSI) {
      throw new KernelNovaError('BAD_CONFIG', `gsis must be 1..${NUM_GSI}`);
    }
    this.ioapicPins = Math.min(gsis, o.ioapicPins ?? 24);
    this.quotaTotal = this.memory.kernelPages;

    // The kernel PD and its spaces (spec/nova.md §7, §10).
    this.kern = new Pd(this.newId(), null, true, 'kern');
    this.kern.quota.limit = this.quotaTotal;
    this.pds.add(this.kern);
    this.buildKernelMemorySpace();
    this.addRootNode(this.kern, CrdType.IO, 0, 16, 7, 0, null);

    const hip = this.memory.allocKernelPage();
    if (hip === undefined) throw new KernelNovaError('BAD_CONFIG', 'no kernel memory for the HIP');
    this.hipFrame = hip;
    this.kern.quota.chargePages(1);
    this.addRootNode(this.kern, CrdType.MEM, hip, 0, 1, hip, null);

    // CPUs with their idle ECs and SCs at kernel selectors 0..ncpu-1.
    for (let c = 0; c < ncpu; c++) {
      const idleEc = new Ec(this.newId(), 'global', this.kern, c, 0, 0, 0, -1, null, Cont.NONE, `idle${c}`);
      this.kern.ecs++;
      const idleSc = new Sc(this.newId(), idleEc, c, 0, 0, Number.POSITIVE_INFINITY, true);
      idleEc.scs.add(idleSc);
      idleSc.state = 'current';
      this.cpus.push(new Cpu(c, idleSc));
      this.hostMsrs.push(new HostMsrs());
      this.addRootNode(this.kern, CrdType.OBJ, c, 0, 0x1f, 0, idleSc);
    }
    // GSI semaphores at NUM_CPU + gsi.
    for (let g = 0; g < gsis; g++) {
      const sm = new Sm(this.newId(), 0, null, 0, g);
      this.gsiSms.push(sm);
      this.gsiLevel.push(false);
      this.gsiMasked.push(false);
      this.addRootNode(this.kern, CrdType.OBJ, NUM_CPU + g, 0, 0x1f, 0, sm);
    }

    // The root PD: quota = pool minus what the kernel used, minus 4 pages per CPU (G bootstrap).
    this.root = new Pd(this.newId(), this.kern, false, 'root');
    this.root.isRoot = true;
    this.pds.add(this.root);
    this.cpuReserve = 4 * ncpu;
    const kernUsed = this.kern.quota.used;
    this.kern.quota.limit = kernUsed;
    this.root.quota.limit = this.quotaTotal - kernUsed - this.cpuReserve;
    this.root.quota.reserve = Math.min(256, this.root.quota.limit);
    this.root.quota.chargeSlab('PD');

    const utcbFrame = this.allocUtcb(this.root);
    if (utcbFrame === undefined)
      throw new KernelNovaError('BAD_CONFIG', 'no kernel memory for the root UTCB');
    this.rootEc = this.newEc('global', this.root, 0, 0, this.hipAddr, this.rootUtcbAddr, utcbFrame, 'root');
    this.root.quota.chargeSlab('EC');
    const rootIp = this.defineEntry(o.root);
    const r = this.rootEc.regs;
    r.rip = rootIp;
    r.rsp = this.hipAddr;
    r.rdi = 0;
    r.rflags = Rflags.INITIAL;
    this.rootEc.cont = Cont.IRET;
    this.rootSc = new Sc(this.newId(), this.rootEc, 0, 1, 10_000, this.usToTicks(10_000));
    this.rootEc.scs.add(this.rootSc);
    this.root.quota.chargeSlab('SC');

    this.insertRoot(this.root, RootSel.PD, this.root, 0x1f);
    this.insertRoot(this.root, RootSel.EC, this.rootEc, 0x0d);
    this.insertRoot(this.root, RootSel.SC, this.rootSc, 0x01);
    this.suspendSm = new Sm(this.newId(), 0, null, 0, null);
    this.msrSm = new Sm(this.newId(), 0, null, 0, null);
    for (const [sel, sm] of [
      [RootSel.SM_ACPI_SUSPEND, this.suspendSm],
      [RootSel.SM_MSR, this.msrSm],
    ] as const) {
      sm.owner = this.root;
      this.root.quota.chargeSlab('SM');
      this.insertRoot(this.root, sel, sm, 0x03);
    }

    // Root memory: image segments, the HIP (read only).
    const modules = this.loadRootImage(o.rootImage ?? []);
    this.delegateFromKernel(this.root, hip, this.hipAddr / PAGE_SIZE, 0, 1);

    const info: HipInfo = {
      cpus: ncpu,
      features: this.features,
      tscKhz: this.tscKhz,
      gsis,
      ramBytes: this.memory.pages * PAGE_SIZE,
      kernelStart: this.memory.kernelStart * PAGE_SIZE,
      modules,
    };
    buildHip(this.memory.view, hip * PAGE_SIZE, info);

    this.enqueueSc(this.rootSc);
  }

  // ---------------------------------------------------------------- public API

  /** Register `fn` as code at an instruction pointer (auto-assigned unless `ip` is given). */
  defineEntry(fn: EntryFn, ip?: number): number {
    if (ip === undefined) {
      const known = this.codeIps.get(fn);
      if (known !== undefined) return known;
      while (this.code.has(this.nextIp)) this.nextIp += TEXT_STEP;
      ip = this.nextIp;
      this.nextIp += TEXT_STEP;
    }
    if (!Number.isSafeInteger(ip) || ip <= 0 || ip >= USER_ADDR) {
      throw new KernelNovaError('BAD_ENTRY', `entry IP ${ip} is not a user address`);
    }
    this.code.set(ip, fn);
    if (!this.codeIps.has(fn)) this.codeIps.set(fn, ip);
    return ip;
  }

  /** The code registered at `ip`. */
  entryAt(ip: number): EntryFn | undefined {
    return this.code.get(ip);
  }

  /** Convert µs to TSC ticks. */
  usToTicks(us: number): number {
    return Math.round((us * this.tscKhz) / 1000);
  }

  /** Convert TSC ticks to µs (rounded down, as sc_ctrl reports). */
  ticksToUs(ticks: number): number {
    return Math.floor((ticks * 1000) / this.tscKhz);
  }

  /** Run `fn` at absolute tick `at` (machine events: device timers, interrupts). */
  at(at: number, fn: () => void): void {
    this.timers.add(Math.max(at, this.now), fn);
  }

  /** Subscribe to page-table invalidations (every unmap or permission reduction). */
  onInvalidate(l: InvalidationListener): void {
    this.listeners.push(l);
  }

  /** An edge on GSI `gsi`: `up` on its kernel semaphore (or the signal SM chained to it). */
  triggerGsi(gsi: number): void {
    const sm = this.gsiSms[gsi];
    if (sm === undefined) throw new KernelNovaError('BAD_CONFIG', `no GSI ${gsi}`);
    this.smSubmit(sm);
  }

  /**
   * Drive a level-triggered GSI line. A rising line signals once and masks the GSI until the
   * next `down` on its semaphore unmasks it (and signals again if the line is still high).
   */
  setGsiLevel(gsi: number, high: boolean): void {
    const sm = this.gsiSms[gsi];
    if (sm === undefined) throw new KernelNovaError('BAD_CONFIG', `no GSI ${gsi}`);
    this.gsiLevel[gsi] = high;
    if (high && !this.gsiMasked[gsi]) {
      this.gsiMasked[gsi] = true;
      this.smSubmit(sm);
    }
  }

  /** Unmask a GSI (a `down` on its semaphore does this). */
  unmaskGsi(gsi: number): void {
    this.gsiMasked[gsi] = false;
    if (this.gsiLevel[gsi]) this.setGsiLevel(gsi, true);
  }

  /**
   * Run the machine: steps ECs on all CPUs in virtual-time order until `until` holds, nothing is
   * runnable and no timer is pending (quiescent), or a limit is reached.
   */
  run(o: RunOptions = {}): RunResult {
    const maxSteps = o.maxSteps ?? 10_000_000;
    const maxTime = o.maxTime ?? Number.POSITIVE_INFINITY;
    let steps = 0;
    const result = (reason: RunResult['reason']): RunResult => ({ reason, steps, now: this.now });
    for (;;) {
      this.raiseUserError();
      if (o.until?.()) return result('until');
      for (let t = this.timers.pop(this.now); t !== undefined; t = this.timers.pop(this.now)) t.fire();
      for (const cpu of this.cpus) if (cpu.mode === 'busy' && cpu.busyEnd <= this.now) this.endBusy(cpu);
      const cpu = this.pickCpu();
      if (cpu !== undefined) {
        this.step(cpu);
        this.steps++;
        if (this.reap.size > 0) this.reapEcs();
        if (++steps >= maxSteps) {
          this.raiseUserError();
          return result('steps');
        }
        continue;
      }
      let next = this.timers.next();
      for (const c of this.cpus) if (c.mode === 'busy' && c.busyEnd < next) next = c.busyEnd;
      if (next === Number.POSITIVE_INFINITY) return result('quiescent');
      if (next > maxTime) {
        if (maxTime > this.now) this.now = maxTime;
        return result('time');
      }
      this.now = next;
    }
  }

  // ---------------------------------------------------------------- synchronous entries

  /**
   * Execute a hypercall on behalf of `ec` at once, outside the scheduler, and return the result
   * registers. For code that runs to completion inside another EC's step and cannot `yield*` —
   * Genode core's RPC functions and pager, which on NOVA issue hypercalls from core's threads
   * (the genode-base backend uses it). Only hypercalls that never block or switch are accepted:
   * `call` (use {@link NovaKernel.callNow}), `reply`, `sm_ctrl` down and the scheduling ops of
   * `ec_ctrl` (yield, donate, reschedule) throw `WOULD_BLOCK`. `ec`'s registers and continuation
   * are left as they were.
   */
  hypercallNow(ec: Ec, rdi: number, rsi = 0, rdx = 0, rax = 0, r8 = 0): SyncHypercallResult {
    const word = toWord(rdi);
    const num = word % 16;
    const flags = Math.floor(word / 16) % 16;
    if (
      num === Hypercall.CALL ||
      num === Hypercall.REPLY ||
      (num === Hypercall.SM_CTRL && (flags & 1) !== 0) ||
      (num === Hypercall.EC_CTRL && flags >= 1 && flags <= 3)
    ) {
      throw new KernelNovaError('WOULD_BLOCK', `hypercall ${num} (op ${flags}) may block; not synchronous`);
    }
    const cpu = this.cpus[ec.cpu];
    if (cpu === undefined || ec.destroyed) throw new KernelNovaError('BAD_ENTRY', `${ec.label} cannot enter`);
    const r = ec.regs;
    const saved = [r.rdi, r.rsi, r.rdx, r.rax, r.r8] as const;
    const cont = ec.cont;
    r.rdi = rdi;
    r.rsi = rsi;
    r.rdx = rdx;
    r.rax = rax;
    r.r8 = r8;
    dispatchHypercall(this, cpu, ec);
    const out: SyncHypercallResult = {
      status: (toWord(r.rdi) % 256) as StatusCode,
      rsi: r.rsi,
      rdx: r.rdx,
      rax: r.rax,
      r8: r.r8,
    };
    [r.rdi, r.rsi, r.rdx, r.rax, r.r8] = saved;
    ec.cont = cont;
    return out;
  }

  /** ECs whose host code sits on the JavaScript stack below a synchronous call, innermost last. */
  private readonly syncCallers: Ec[] = [];

  /**
   * A synchronous `call` of portal `sel` by `ec`: the real rendezvous (message and typed items
   * from `ec`'s UTCB into the callee's, PID in RDI, the callee on the donated SC), the callee's
   * code run at the portal IP until it replies (reply items processed into `ec`'s windows), all
   * inside the current JavaScript frame. For code that must call and cannot `yield*`: Genode's
   * RPC is synchronous for its caller and the callee's RPC function runs to completion
   * (docs/execution-model.md, rule 3). Returns the call's status; a busy or dead callee gives
   * TIMEOUT (a synchronous caller cannot help, exactly like the DB flag). If the callee blocks
   * instead of replying, `SYNC_BLOCKED` is thrown. Usable from host code outside `run` too.
   */
  callNow(ec: Ec, sel: number): StatusCode {
    let rec: (TraceRecord & { kind: 'hypercall' }) | null = null;
    if (this.tracer !== null) {
      rec = {
        kind: 'hypercall',
        time: this.now,
        cpu: ec.cpu,
        ec: ec.label,
        name: 'call',
        args: [wrapSel(sel), 0, 0, 0, 0],
        status: undefined,
      };
      this.trace(rec);
    }
    const done = (s: StatusCode): StatusCode => {
      if (rec !== null) rec.status = s;
      return s;
    };
    const node = this.objCap(ec.pd, sel);
    if (node === undefined || node.obj === null || node.obj.type !== ObjType.PT) return done(Status.BAD_CAP);
    if (ec.pd.quota.hitLimit()) return done(Status.QUO_OOM);
    const pt = node.obj as Pt;
    const callee = pt.ec;
    if (callee.cpu !== ec.cpu && (node.perms & PtPerm.XCPU) === 0) return done(Status.BAD_CPU);
    // [G] a call to a busy callee helps it; a synchronous caller cannot, so it is answered like DB.
    if (callee.cont !== Cont.NONE || this.syncCallers.includes(callee)) return done(Status.TIMEOUT);
    // A cross-CPU call runs the activation on the callee's CPU (the G-kernel's helper EC/SC).
    const cpu = this.cpus[callee.cpu]!;
    const saved = {
      ec: cpu.ec,
      mode: cpu.mode,
      busyKind: cpu.busyKind,
      busyStart: cpu.busyStart,
      busyEnd: cpu.busyEnd,
      idleSince: cpu.idleSince,
      ctrLink: cpu.ctrLink,
      needResched: cpu.needResched,
      executing: this.executing,
      cont: ec.cont,
      sc: cpu.sc,
    };
    ec.cont = Cont.SYSEXIT;
    ec.partner = callee;
    callee.rcap = ec;
    cpu.ctrLink++;
    callee.cont = Cont.RECV_USER;
    callee.regs.rip = pt.ip;
    callee.regs.rdi = pt.pid;
    cpu.ec = callee;
    cpu.mode = 'run';
    cpu.needResched = false;
    this.syncCallers.push(ec);
    let status: StatusCode;
    try {
      for (let n = 0; ec.partner !== null || cpu.ec !== ec; n++) {
        const cur = cpu.ec;
        if (
          cur === null ||
          cpu.mode !== 'run' ||
          cpu.sc !== saved.sc ||
          this.syncCallers.includes(cur) ||
          n > 1_000_000
        ) {
          throw new KernelNovaError(
            'SYNC_BLOCKED',
            `${callee.label} did not reply to the synchronous call of ${ec.label} (it blocked or switched)`,
          );
        }
        this.executing = cpu;
        this.continueEc(cpu, cur);
        if (this.reap.size > 0) this.reapEcs();
      }
      status = (toWord(ec.regs.rdi) % 256) as StatusCode;
    } finally {
      this.syncCallers.pop();
      this.executing = saved.executing;
    }
    ec.cont = saved.cont;
    cpu.ec = saved.ec;
    cpu.mode = saved.mode;
    cpu.busyKind = saved.busyKind;
    cpu.busyStart = saved.busyStart;
    cpu.busyEnd = saved.busyEnd;
    cpu.idleSince = saved.idleSince;
    cpu.ctrLink = saved.ctrLink;
    cpu.needResched = saved.needResched || cpu.needResched;
    // Host code of the callee that threw killed it (the caller got ABORTED); report it now.
    if (this.userError !== null && this.userError.ec === callee) this.raiseUserError();
    return done(status);
  }

  /** The `sys` object of an EC (what its code receives). */
  sysFor(ec: Ec): Sys {
    if (ec.sys === null) ec.sys = new Sys(this, ec);
    return ec.sys;
  }

  /** The capability at object selector `sel` of `pd` (selectors wrap modulo 2^26). */
  objCap(pd: Pd, sel: number): MdbNode | undefined {
    return pd.obj.at(wrapSel(sel));
  }

  /** The EC currently executing on the CPU being stepped (null outside a step). */
  executing: Cpu | null = null;

  // ---------------------------------------------------------------- ids, labels, trace

  /** A fresh object id (creation order; stable across runs). */
  newId(): number {
    return this.nextId++;
  }

  /** Hand a record to the tracer, if any. */
  trace(r: TraceRecord): void {
    this.tracer?.record(r);
  }

  /** Trace a free-form note. */
  note(cpu: number, text: string): void {
    if (this.tracer !== null) this.tracer.record({ kind: 'note', time: this.now, cpu, text });
  }

  // ---------------------------------------------------------------- boot helpers

  private buildKernelMemorySpace(): void {
    // Physical memory except the kernel's own region, up to 2^52 bytes (2^40 pages).
    const ks = this.memory.kernelStart;
    const ke = this.memory.pages;
    for (const [b, e] of [
      [0, ks],
      [ke, 2 ** 40],
    ] as const) {
      for (const [base, order] of alignedBlocks(b, e))
        this.addRootNode(this.kern, CrdType.MEM, base, order, 7, base, null);
    }
  }

  private loadRootImage(segs: readonly RootSegment[]): { addr: number; size: number }[] {
    const modules: { addr: number; size: number }[] = [];
    let phys = this.memory.kernelStart;
    for (const s of segs) {
      const size = s.size ?? s.data?.length ?? 0;
      if (!Number.isSafeInteger(s.vaddr) || s.vaddr % PAGE_SIZE !== 0 || size <= 0) {
        throw new KernelNovaError(
          'BAD_CONFIG',
          `root segment at ${s.vaddr} must be page aligned and non-empty`,
        );
      }
      const pages = Math.ceil(size / PAGE_SIZE);
      if (s.vaddr / PAGE_SIZE + pages > USER_PAGES - 2) {
        throw new KernelNovaError('BAD_CONFIG', `root segment at ${s.vaddr} overlaps the UTCB/HIP`);
      }
      phys -= pages;
      if (phys < 16) throw new KernelNovaError('BAD_CONFIG', 'root image does not fit in memory');
      if (s.data !== undefined) this.memory.bytes.set(s.data, phys * PAGE_SIZE);
      for (let i = 0; i < pages; i++)
        this.delegateFromKernel(this.root, phys + i, s.vaddr / PAGE_SIZE + i, 0, s.perms & 7);
      modules.push({ addr: phys * PAGE_SIZE, size: pages * PAGE_SIZE });
    }
    return modules;
  }

  /** Map kernel-space memory page(s) into `pd` as children of the kernel roots (boot only). */
  private delegateFromKernel(pd: Pd, phys: number, virt: number, order: number, perms: number): void {
    const src = this.kern.mem.find(phys);
    if (src === undefined) throw new KernelNovaError('INTERNAL', `no kernel node for frame ${phys}`);
    const node = new MdbNode(pd, CrdType.MEM, virt, order, src.perms & perms, phys, null, 0, src);
    this.addNode(node);
  }

  private addRootNode(
    pd: Pd,
    kind: 1 | 2 | 3,
    base: number,
    order: number,
    perms: number,
    phys: number,
    obj: Kobject | null,
  ): void {
    const node = new MdbNode(pd, kind, base, order, perms, phys, obj, 0, null);
    this.addNode(node);
  }

  // ---------------------------------------------------------------- capabilities and the MDB

  /** Install a root capability for a new object at `sel` of `pd`; false if the slot is taken. */
  insertRoot(pd: Pd, sel: number, obj: Kobject, perms: number): boolean {
    const s = wrapSel(sel);
    if (pd.obj.at(s) !== undefined) return false;
    obj.createdIn = pd.id;
    this.addNode(new MdbNode(pd, CrdType.OBJ, s, 0, perms, 0, obj, 0, null));
    return true;
  }

  /**
   * Insert a node into its space, link it to its parent, count the capability, charge the MDB
   * slab and update the derived tables. The slot must be free.
   */
  addNode(node: MdbNode): void {
    const space = node.pd.space(node.kind)!;
    if (!space.insert(node)) throw new KernelNovaError('INTERNAL', `overlapping MDB insert at ${node.base}`);
    node.parent?.addChild(node);
    if (node.obj !== null) node.obj.capRefs++;
    node.pd.quota.chargeSlab('MDB');
    if (node.kind === CrdType.MEM) this.mapNode(node);
  }

  /** Remove a node from its space and the tree (children, if any, move to its parent). */
  dropNode(node: MdbNode): void {
    if (node.removed) return;
    const space = node.pd.space(node.kind)!;
    space.remove(node);
    node.removed = true;
    const parent = node.parent;
    parent?.removeChild(node);
    if (node.children !== null) {
      const kids = node.children;
      node.children = null;
      for (const c of kids) {
        c.parent = parent;
        c.childIndex = -1;
        parent?.addChild(c);
        this.shiftDepth(c, -1);
      }
    }
    if (node.kind === CrdType.MEM && node.perms !== 0) this.unmapNode(node);
    node.pd.quota.refundSlab('MDB');
    const obj = node.obj;
    if (obj !== null && --obj.capRefs === 0) this.lastCapGone(obj);
  }

  private shiftDepth(n: MdbNode, d: number): void {
    n.depth += d;
    if (n.children !== null) for (const c of n.children) this.shiftDepth(c, d);
  }

  /** Remove `attr` permissions from `node`, updating the derived tables. */
  demoteNode(node: MdbNode, attr: number): void {
    const perms = node.perms & ~attr & 0x1f;
    if (perms === node.perms) return;
    const before = node.perms;
    node.perms = perms;
    if (node.kind === CrdType.MEM && before !== 0)
      this.applyTables(node, perms === 0 ? TABLE_UNMAP : TABLE_PROTECT);
  }

  /** Map, unmap or re-protect `node` in the tables it belongs to (host below USER_ADDR, guest with G, DMA with D). */
  private applyTables(node: MdbNode, op: number): void {
    const pd = node.pd;
    if (!pd.isKernel) {
      const end = node.base + pow2(node.order);
      if (end <= USER_PAGES) this.tableOp(pd, pd.host, node, node.base, node.order, op);
      else if (node.base < USER_PAGES) {
        for (const [b, o] of alignedBlocks(node.base, USER_PAGES)) this.tableOp(pd, pd.host, node, b, o, op);
      }
    }
    if (node.sub & Sub.G) this.tableOp(pd, pd.guest, node, node.base, node.order, op);
    if (node.sub & Sub.D) this.tableOp(pd, pd.dma, node, node.base, node.order, op);
  }

  private tableOp(pd: Pd, t: PageTable, node: MdbNode, b: number, o: number, op: number): void {
    if (op === TABLE_MAP) {
      t.map(b, o, node.phys + (b - node.base), node.perms, (node.sub & Sub.WC) !== 0);
      if (o < 9) this.tablePages(pd, t, b, 1);
      return;
    }
    if (op === TABLE_UNMAP) {
      t.unmap(b, o);
      if (o < 9) this.tablePages(pd, t, b, -1);
    } else t.protect(b, o, node.perms);
    if (t.kind === 'guest' || this.listeners.length > 0) this.invalidate(pd, t.kind, b, pow2(o));
  }

  private mapNode(node: MdbNode): void {
    if (node.perms !== 0) this.applyTables(node, TABLE_MAP);
  }

  private unmapNode(node: MdbNode): void {
    this.applyTables(node, TABLE_UNMAP);
  }

  private readonly regionCounts = new WeakMap<PageTable, Map<number, number>>();

  /** Account leaf page-table pages: one per 2 MiB region holding small mappings. */
  private tablePages(pd: Pd, t: PageTable, base: number, d: number): void {
    let m = this.regionCounts.get(t);
    if (m === undefined) {
      m = new Map();
      this.regionCounts.set(t, m);
    }
    const region = Math.floor(base / 512);
    const c = (m.get(region) ?? 0) + d;
    if (c <= 0) {
      m.delete(region);
      if (d < 0) pd.quota.refundPages(1);
    } else {
      m.set(region, c);
      if (c === 1 && d > 0) pd.quota.chargePages(1);
    }
  }

  private invalidate(pd: Pd, table: TableKind, base: number, pages: number): void {
    if (table === 'guest') {
      for (const ec of this.ecs)
        if (ec.pd === pd && ec.vcpu?.backend) ec.vcpu.backend.invalidate(base, pages);
    }
    for (const l of this.listeners) l(pd, table, base, pages);
  }

  /** The last capability of `obj` is gone: destroy it (or let the kernel references decide). */
  private lastCapGone(obj: Kobject): void {
    switch (obj.type) {
      case ObjType.SM:
        this.destroySm(obj as Sm);
        return;
      case ObjType.PT: {
        const pt = obj as Pt;
        pt.destroyed = true;
        pt.ec.pts--;
        if (pt.ec.oomPt === pt) pt.ec.oomPt = null;
        pt.ec.pd.quota.refundSlab('PT');
        this.maybeDestroyEc(pt.ec);
        return;
      }
      case ObjType.SC:
        this.destroySc(obj as Sc);
        return;
      case ObjType.EC:
        this.maybeDestroyEc(obj as Ec);
        return;
      case ObjType.PD:
        this.maybeDestroyPd(obj as Pd);
        return;
    }
  }

  private destroySm(sm: Sm): void {
    if (sm.destroyed) return;
    sm.destroyed = true;
    sm.owner?.quota.refundSlab('SM');
    for (const ec of sm.waiters.splice(0)) {
      ec.waitingOn = null;
      ec.deadline = 0;
      if (ec.kind !== 'vcpu') {
        ec.regs.rdi = Status.BAD_CAP;
        ec.cont = ec.xcpuSm !== null ? Cont.XCPU_RETURN : Cont.SYSEXIT;
      }
      this.release(ec);
    }
    if (sm.chain !== null && sm.queued) {
      const i = sm.chain.signals.indexOf(sm);
      if (i >= 0) sm.chain.signals.splice(i, 1);
      sm.queued = false;
    }
    for (const s of sm.signals.splice(0)) s.queued = false;
    for (const g of this.gsiSms) if (g.gsiChain === sm) g.gsiChain = null;
  }

  private destroySc(sc: Sc): void {
    if (sc.state === 'gone') return;
    const cpu = this.cpus[sc.cpu]!;
    if (sc.state === 'ready') cpu.dequeue(sc);
    else if (sc.state === 'parked') {
      for (const ec of this.ecs) {
        const i = ec.parked.indexOf(sc);
        if (i >= 0) ec.parked.splice(i, 1);
      }
    } else if (sc.state === 'current' && cpu.sc === sc) {
      if (cpu.mode === 'busy' && cpu.busyKind === 'user') this.endBusy(cpu);
      cpu.needResched = true;
      if (cpu.mode === 'idle') cpu.mode = 'run';
    }
    sc.state = 'gone';
    sc.destroyed = true;
    sc.ec.scs.delete(sc);
    sc.ec.pd.quota.refundSlab('SC');
    this.maybeDestroyEc(sc.ec);
  }

  /** Destroy `ec` once no capability, SC, portal or kernel link refers to it. */
  maybeDestroyEc(ec: Ec): void {
    if (ec.destroyed || ec.capRefs > 0 || ec.scs.size > 0 || ec.pts > 0 || ec.pd.isKernel) return;
    if (ec.rcap !== null || ec.partner !== null || ec.waitingOn !== null || ec.xcpuFor !== null) {
      this.reap.add(ec);
      return;
    }
    for (const c of this.cpus) {
      if (c.ec === ec) {
        this.reap.add(ec);
        return;
      }
    }
    this.reap.delete(ec);
    ec.destroyed = true;
    ec.cont = Cont.DEAD;
    ec.gen = null;
    this.ecs.delete(ec);
    for (const sc of ec.parked.splice(0)) if (sc.state !== 'gone') this.enqueueSc(sc);
    if (ec.utcbFrame >= 0) {
      const node = ec.pd.mem.at(ec.utcbAddr / PAGE_SIZE);
      if (node?.utcb) this.dropNode(node);
      this.memory.freeKernelPage(ec.utcbFrame);
      ec.pd.quota.refundPages(1);
      ec.utcb = null;
    }
    if (ec.vcpu !== null) {
      ec.vcpu.backend?.destroy?.();
      ec.vcpu.backend = null;
      ec.pd.quota.refundPages(1);
    }
    ec.pd.quota.refundSlab('EC');
    ec.pd.ecs--;
    this.maybeDestroyPd(ec.pd);
  }

  private reapEcs(): void {
    for (const ec of [...this.reap]) {
      this.reap.delete(ec);
      this.maybeDestroyEc(ec);
    }
  }

  /** Destroy `pd` once no capability and no EC refers to it: revoke all its spaces, return its quota. */
  maybeDestroyPd(pd: Pd): void {
    if (pd.destroyed || pd.isKernel || pd.capRefs > 0 || pd.ecs > 0) return;
    pd.destroyed = true;
    revokeRange(this, pd, CrdType.MEM, 0, 52, 0x1f, true, false, true);
    revokeRange(this, pd, CrdType.IO, 0, 16, 0x1f, true, false, true);
    revokeRange(this, pd, CrdType.OBJ, 0, 26, 0x1f, true, false, true);
    const to = (pd.creator ?? this.kern).quota;
    to.refundSlab('PD');
    pd.quota.mergeInto(to);
    this.quotaMerged.add(to.target());
    this.pds.delete(pd);
  }

  // ---------------------------------------------------------------- object creation

  /** Allocate and zero a UTCB page charged to `pd`; undefined if the kernel pool is empty. */
  allocUtcb(pd: Pd): number | undefined {
    const frame = this.memory.allocKernelPage();
    if (frame === undefined) return undefined;
    pd.quota.chargePages(1);
    return frame;
  }

  /** Create an EC object (no capability yet). */
  newEc(
    kind: EcKind,
    pd: Pd,
    cpu: number,
    evt: number,
    sp: number,
    utcbAddr: number,
    utcbFrame: number,
    label?: string,
  ): Ec {
    const id = this.newId();
    const utcb = utcbFrame >= 0 ? new Utcb(this.memory.view, utcbFrame * PAGE_SIZE) : null;
    let cont: ContCode = Cont.NONE;
    const ec = new Ec(id, kind, pd, cpu, evt, sp, utcbAddr, utcbFrame, utcb, cont, label ?? `ec${id}`);
    if (kind === 'global') {
      ec.regs.dstPortal = Event.STARTUP;
      ec.msgRet = Cont.IRET;
      cont = Cont.SEND_MSG;
    } else if (kind === 'vcpu') {
      ec.regs.dstPortal = NUM_VMI - 2;
      ec.msgRet = Cont.VMRUN;
      cont = Cont.SEND_MSG;
    }
    ec.cont = cont;
    pd.ecs++;
    this.ecs.add(ec);
    if (utcbFrame >= 0 && kind !== 'xcpu') {
      this.addNode(new MdbNode(pd, CrdType.MEM, utcbAddr / PAGE_SIZE, 0, 3, utcbFrame, null, 0, null, true));
    }
    if (kind === 'vcpu' && this.vcpuEngine !== null) {
      ec.vcpu!.backend = this.vcpuEngine.attach({
        id,
        cpu,
        guest: this.guestSpace(pd),
        tscKhz: this.tscKhz,
        now: () => this.now,
      });
    }
    return ec;
  }

  private guestSpace(pd: Pd): GuestSpace {
    return {
      translate: (page) => pd.guest.translate(page),
      ioPassThrough: (port) => {
        const n = pd.pio.find(port);
        return n !== undefined && (n.sub & Sub.G) !== 0 && (n.perms & 1) !== 0;
      },
      memory: this.memory,
      ioIn: (port, size) => this.ioBus?.in(port, size) ?? 2 ** (8 * size) - 1,
      ioOut: (port, size, value) => this.ioBus?.out(port, size, value),
    };
  }

  // ---------------------------------------------------------------- scheduling primitives

  /** Make `ec` the EC the CPU runs next. */
  makeCurrent(cpu: Cpu, ec: Ec): void {
    cpu.ec = ec;
    if (cpu.mode === 'idle') cpu.mode = 'run';
  }

  /** NOVA `activate`: run the end of `ec`'s donation chain, or park the current SC on it if blocked. */
  activate(cpu: Cpu, ec: Ec): void {
    let e = ec;
    let link = 0;
    while (e.partner !== null) {
      e = e.partner;
      link++;
    }
    cpu.ctrLink = link;
    if (e.blocked) {
      this.park(cpu, e);
      return;
    }
    this.makeCurrent(cpu, e);
  }

  /** NOVA `block_sc`: park the current SC on blocked `ec` and schedule. */
  park(cpu: Cpu, ec: Ec): void {
    const sc = cpu.sc;
    if (!sc.idle && sc.state !== 'gone') {
      ec.parked.push(sc);
      sc.state = 'parked';
    }
    this.schedule(cpu, true, true, 'blocked');
  }

  /**
   * NOVA `Sc::schedule(suspend, use_left)`: put the current SC back (head if it has budget left
   * and `useLeft`, else tail) unless suspended, then dispatch the highest-priority ready SC.
   */
  schedule(cpu: Cpu, suspend: boolean, useLeft: boolean, reason: string): void {
    const cur = cpu.sc;
    if (cur.idle) {
      if (cpu.mode === 'idle') {
        cur.time += this.now - cpu.idleSince;
        cpu.idleSince = this.now;
      }
    } else if (!suspend && cur.state === 'current') this.readyEnqueue(cpu, cur, useLeft);
    else if (cur.state === 'current') cur.state = 'blocked';
    cpu.ctrLoop = 0;
    for (;;) {
      const p = cpu.topPrio();
      if (p < 0) {
        cpu.sc = cpu.idleSc;
        cpu.ec = null;
        cpu.mode = 'idle';
        cpu.idleSince = this.now;
        if (this.tracer !== null) {
          this.trace({ kind: 'sched', time: this.now, cpu: cpu.id, sc: 'idle', ec: 'idle', reason });
        }
        return;
      }
      const sc = cpu.queues[p]!.shift()!;
      sc.state = 'current';
      cpu.sc = sc;
      let e = sc.ec;
      let link = 0;
      while (e.partner !== null) {
        e = e.partner;
        link++;
      }
      cpu.ctrLink = link;
      if (e.blocked) {
        e.parked.push(sc);
        sc.state = 'parked';
        continue;
      }
      cpu.ec = e;
      cpu.mode = 'run';
      if (this.tracer !== null) {
        this.trace({
          kind: 'sched',
          time: this.now,
          cpu: cpu.id,
          sc: `sc${sc.id}(${sc.ec.label})`,
          ec: e.label,
          reason,
        });
      }
      return;
    }
  }

  private readyEnqueue(cpu: Cpu, sc: Sc, useLeft: boolean): void {
    if (sc.left <= 0) {
      sc.left = sc.budget;
      cpu.enqueue(sc, false);
    } else cpu.enqueue(sc, useLeft);
  }

  /** NOVA `remote_enqueue`: make `sc` ready on its CPU; a higher priority preempts at the next kernel exit. */
  enqueueSc(sc: Sc): void {
    if (sc.state === 'gone') return;
    const cpu = this.cpus[sc.cpu]!;
    this.readyEnqueue(cpu, sc, true);
    if (sc.prio > cpu.sc.prio) this.preempt(cpu);
  }

  private preempt(cpu: Cpu): void {
    if (cpu.mode === 'idle') {
      cpu.idleSc.time += this.now - cpu.idleSince;
      cpu.idleSince = this.now;
      cpu.mode = 'run';
    } else if (cpu.mode === 'busy' && cpu.busyKind === 'user') this.endBusy(cpu);
    cpu.needResched = true;
  }

  /** NOVA `release`: `ec` can run again; its parked SCs return to their ready queues. */
  release(ec: Ec): void {
    if (ec.parked.length === 0) return;
    for (const sc of ec.parked.splice(0)) if (sc.state === 'parked') this.enqueueSc(sc);
  }

  /** Interrupt the user-mode computation on `cpu` (remote recall / preemption). */
  interrupt(cpu: Cpu): void {
    if (cpu.mode === 'busy' && cpu.busyKind === 'user') this.endBusy(cpu);
  }

  // ---------------------------------------------------------------- time

  private beginBusy(cpu: Cpu, kind: Cpu['busyKind'], ticks: number): void {
    cpu.mode = 'busy';
    cpu.busyKind = kind;
    cpu.busyStart = this.now;
    cpu.busyEnd = this.now + ticks;
  }

  private endBusy(cpu: Cpu): void {
    const dt = this.now - cpu.busyStart;
    const sc = cpu.sc;
    const ec = cpu.ec;
    sc.time += dt;
    sc.left -= dt;
    if (sc.xcpu) this.cpus[sc.cpu]!.crossTime += dt;
    cpu.mode = 'run';
    if (ec !== null) {
      ec.time += dt;
      if (cpu.busyKind === 'user') {
        ec.spinLeft -= dt;
        if (ec.spinLeft < 0) ec.spinLeft = 0;
      } else if (cpu.busyKind === 'guest' && this.now >= cpu.busyEnd) this.deliverExit(ec);
    }
    if (!sc.idle && sc.left <= 0 && sc.state === 'current') {
      sc.left = 0;
      this.schedule(cpu, false, false, 'quantum');
    }
  }

  // ---------------------------------------------------------------- the step loop

  private pickCpu(): Cpu | undefined {
    const n = this.cpus.length;
    for (let i = 0; i < n; i++) {
      const c = this.cpus[(this.rr + i) % n]!;
      if (c.mode === 'run') {
        this.rr = (c.id + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  private step(cpu: Cpu): void {
    this.executing = cpu;
    try {
      if (cpu.needResched) {
        cpu.needResched = false;
        this.schedule(cpu, false, true, 'preempt');
        return;
      }
      const ec = cpu.ec;
      if (ec === null) {
        cpu.mode = 'idle';
        cpu.idleSince = this.now;
        return;
      }
      this.continueEc(cpu, ec);
    } finally {
      this.executing = null;
    }
  }

  /** Run `ec`'s continuation on `cpu` (one kernel step of the current EC). */
  private continueEc(cpu: Cpu, ec: Ec): void {
    switch (ec.cont) {
      case Cont.SYSEXIT:
      case Cont.IRET:
        this.retUser(cpu, ec);
        return;
      case Cont.RECV_USER:
        this.recvUser(cpu, ec);
        return;
      case Cont.RECV_KERN:
        this.recvKern(cpu, ec);
        return;
      case Cont.CALL:
        sysCall(this, cpu, ec);
        return;
      case Cont.SEND_MSG:
        this.sendMsg(cpu, ec);
        return;
      case Cont.VMRUN:
        this.retGuest(cpu, ec);
        return;
      case Cont.DEAD:
        this.die(cpu, ec, 'IPC Abort');
        return;
      case Cont.XCPU_RETURN:
        this.xcpuReturn(cpu, ec);
        return;
      default:
        this.schedule(cpu, true, true, 'no continuation');
        return;
    }
  }

  /** Return to host code: recall hazard, RIP checks, continue a computation or resume the generator. */
  private retUser(cpu: Cpu, ec: Ec): void {
    if (ec.traceWaiting) {
      ec.traceWaiting = false;
      if (this.tracer !== null) {
        this.trace({
          kind: 'return',
          time: this.now,
          cpu: cpu.id,
          ec: ec.label,
          status: toWord(ec.regs.rdi) % 256,
        });
      }
    }
    if (ec.recall) {
      ec.recall = false;
      ec.regs.dstPortal = Event.RECALL;
      ec.msgRet = Cont.IRET;
      ec.cont = Cont.SEND_MSG;
      this.sendMsg(cpu, ec);
      return;
    }
    const r = ec.regs;
    if (!(r.rip >= 0 && r.rip < USER_ADDR)) {
      this.exception(cpu, ec, Event.GP, 0);
      return;
    }
    ec.cont = Cont.IRET;
    if (ec.gen === null || r.rip !== ec.genRip) {
      const fn = this.code.get(r.rip);
      if (fn === undefined) {
        const page = Math.floor(r.rip / PAGE_SIZE);
        if (ec.pd.host.translate(page) !== undefined) this.exception(cpu, ec, Event.UD, 0);
        else {
          r.cr2 = r.rip;
          this.exception(cpu, ec, Event.PF, PfErr.I | PfErr.U);
        }
        return;
      }
      ec.spinLeft = 0;
      ec.genRip = r.rip;
      ec.gen = fn(this.sysFor(ec));
    } else if (ec.spinLeft > 0) {
      this.beginBusy(cpu, 'user', Math.min(ec.spinLeft, cpu.sc.left));
      return;
    }
    let res: IteratorResult<KernelEntry, unknown>;
    try {
      res = ec.gen.next();
    } catch (error) {
      this.userError = { ec, error };
      this.die(cpu, ec, 'host code threw');
      return;
    }
    if (res.done === true) {
      ec.gen = null;
      ec.genRip = -1;
      if (ec.kind === 'local') {
        r.rdi = 0x1;
        dispatchHypercall(this, cpu, ec);
      } else this.doReply(cpu, ec, Cont.NONE, null);
      return;
    }
    switch (res.value) {
      case ENTRY_SYSCALL:
        dispatchHypercall(this, cpu, ec);
        return;
      case ENTRY_SPIN:
        if (ec.spinLeft > 0) this.beginBusy(cpu, 'user', Math.min(ec.spinLeft, cpu.sc.left));
        return;
      case ENTRY_EXCEPTION:
        this.sendException(cpu, ec);
        return;
      default:
        this.userError = {
          ec,
          error: new KernelNovaError(
            'BAD_ENTRY',
            `EC ${ec.label} yielded something that is not a kernel entry`,
          ),
        };
        this.die(cpu, ec, 'bad kernel entry');
    }
  }

  private raiseUserError(): void {
    const e = this.userError;
    if (e === null) return;
    this.userError = null;
    throw new KernelNovaError('BAD_ENTRY', `host code of ${e.ec.label} failed: ${String(e.error)}`, {
      cause: e.error,
    });
  }

  /** Raise CPU exception `vector` with error code `err` (CR2 already set for #PF). */
  exception(cpu: Cpu, ec: Ec, vector: number, err: number): void {
    ec.regs.err = err;
    ec.regs.dstPortal = vector;
    this.sendException(cpu, ec);
  }

  private sendException(cpu: Cpu, ec: Ec): void {
    ec.msgRet = Cont.IRET;
    ec.cont = Cont.SEND_MSG;
    this.sendMsg(cpu, ec);
  }

  /** Finish the current hypercall of `ec` with `status` (NOVA `sys_finish`). */
  finish(ec: Ec, status: number): 'done' {
    ec.regs.rdi = status;
    ec.cont = ec.xcpuSm !== null ? Cont.XCPU_RETURN : Cont.SYSEXIT;
    const t = this.pendingTrace;
    if (t !== null) {
      t.status = status;
      this.pendingTrace = null;
    }
    return 'done';
  }

  // ---------------------------------------------------------------- IPC

  /** NOVA `rendezvous`: if `callee` is free, link the call and switch to it; false if busy. */
  rendezvous(cpu: Cpu, caller: Ec, callee: Ec, pt: Pt, callerCont: ContCode, calleeCont: ContCode): boolean {
    if (callee.cont !== Cont.NONE) return false;
    caller.cont = callerCont;
    caller.partner = callee;
    callee.rcap = caller;
    cpu.ctrLink++;
    callee.cont = calleeCont;
    callee.regs.rip = pt.ip;
    callee.regs.rdi = pt.pid;
    this.makeCurrent(cpu, callee);
    return true;
  }

  /**
   * NOVA `help`: the caller runs the busy callee's chain end on its own SC and retries later
   * (continuation `retry`). False if the callee is dead.
   */
  help(cpu: Cpu, cur: Ec, callee: Ec, retry: ContCode): boolean {
    if (callee.cont === Cont.DEAD) return false;
    cur.cont = retry;
    if (cpu.needResched) {
      cpu.needResched = false;
      this.schedule(cpu, false, true, 'preempt');
      return true;
    }
    cpu.ctrLoop++;
    let e = callee;
    let link = 0;
    while (e.partner !== null) {
      e = e.partner;
      link++;
    }
    cpu.ctrLink = link;
    if (e === cur) {
      // Helping ourselves: a livelock. The G-kernel spins (preemptibly) until the quantum ends.
      this.beginBusy(cpu, 'kernel', this.helpTicks);
      return true;
    }
    if (e.blocked) {
      this.park(cpu, e);
      return true;
    }
    this.makeCurrent(cpu, e);
    return true;
  }

  /** Callee side of a call (`recv_user`): take the message and typed items, start at the portal IP. */
  private recvUser(cpu: Cpu, ec: Ec): void {
    const caller = ec.rcap;
    if (caller !== null && caller.utcb !== null && ec.utcb !== null) {
      ec.utcb.copyMessageFrom(caller.utcb);
      const t = caller.utcb.t;
      if (t > 0) this.transferItems(caller.pd, ec.pd, ec.utcb.xlt, ec.utcb.del, caller.utcb, ec.utcb, t);
    }
    ec.gen = null;
    ec.cont = Cont.SYSEXIT;
    this.retUser(cpu, ec);
  }

  /** Handler side of an event (`recv_kern`): load the architectural state per MTD, start at the portal IP. */
  private recvKern(cpu: Cpu, ec: Ec): void {
    const caller = ec.rcap;
    if (caller !== null && ec.utcb !== null) {
      const mtd = caller.regs.mtd;
      if (caller.vcpu !== null) {
        const v = caller.vcpu;
        v.backend?.load(v.state, mtd);
        v.state.qual0 = v.exitQual0;
        v.state.qual1 = v.exitQual1;
        v.state.instLen = v.exitInstLen;
        // tsc_val is the host TSC at the exit (G-kernel `rdtsc()`); the guest's is tsc_val + tsc_off.
        v.state.tscVal = this.now;
        ec.utcb.loadVcpu(v.state, mtd, caller.regs.dstPortal);
      } else ec.utcb.loadExc(caller.regs, mtd);
    }
    ec.gen = null;
    ec.cont = Cont.SYSEXIT;
    this.retUser(cpu, ec);
  }

  /** NOVA `send_msg`: deliver event `regs.dstPortal` of `ec` through the portal at evt + event. */
  sendMsg(cpu: Cpu, ec: Ec): void {
    const event = ec.regs.dstPortal;
    const cap = this.objCap(ec.pd, ec.evt + event);
    if (cap === undefined || cap.obj === null || cap.obj.type !== ObjType.PT) {
      this.die(cpu, ec, 'PT not found');
      return;
    }
    const pt = cap.obj as Pt;
    const handler = pt.ec;
    if (handler.cpu !== ec.cpu) {
      this.die(cpu, ec, 'PT wrong CPU');
      return;
    }
    if (this.tracer !== null) {
      this.trace({ kind: 'event', time: this.now, cpu: cpu.id, ec: ec.label, event, handler: handler.label });
    }
    const ret = ec.msgRet;
    if (this.rendezvous(cpu, ec, handler, pt, ret, Cont.RECV_KERN)) {
      ec.regs.mtd = pt.mtd;
      return;
    }
    if (!this.help(cpu, ec, handler, Cont.SEND_MSG)) this.die(cpu, ec, 'IPC Timeout');
  }

  /** NOVA `clr_partner`: unlink caller and callee; true if the caller's chain donates the current SC. */
  private clrPartner(cpu: Cpu, caller: Ec, callee: Ec): boolean {
    if (caller.partner === callee) caller.partner = null;
    if (callee.rcap === caller) callee.rcap = null;
    if (cpu.ctrLink > 0) {
      cpu.ctrLink--;
      return true;
    }
    return false;
  }

  /**
   * NOVA `reply(c, sm)`: `ec` stops (continuation `c`), its caller resumes — or, with `sm`, is
   * put into a `down` on it (reply-and-block).
   */
  doReply(cpu: Cpu, ec: Ec, c: ContCode, sm: Sm | null): void {
    ec.cont = c;
    if (ec.isGlobal) {
      this.schedule(cpu, true, true, 'global EC replied');
      return;
    }
    const caller = ec.rcap;
    if (caller === null) {
      this.activate(cpu, cpu.sc.ec);
      return;
    }
    const clr = this.clrPartner(cpu, caller, ec);
    if (sm !== null && this.smDown(cpu, sm, caller, false, 0, clr)) return;
    if (!clr) {
      this.activate(cpu, cpu.sc.ec);
      return;
    }
    this.makeCurrent(cpu, caller);
  }

  /** NOVA `die`: kill `ec`; its caller returns ABORTED (normal call) or dies too (event). */
  die(cpu: Cpu, ec: Ec, reason: string): void {
    if (this.tracer !== null) this.trace({ kind: 'kill', time: this.now, cpu: cpu.id, ec: ec.label, reason });
    if (ec.xcpuFor !== null) {
      ec.regs.rdi = Status.ABORTED;
      this.xcpuReturn(cpu, ec);
      return;
    }
    const caller = ec.rcap;
    if (caller !== null) {
      if (caller.cont === Cont.SYSEXIT || caller.cont === Cont.XCPU_RETURN) caller.regs.rdi = Status.ABORTED;
      else caller.cont = Cont.DEAD;
    }
    if (ec.isGlobal && cpu.sc.ec === ec) {
      cpu.killedScTime += cpu.sc.time;
      cpu.killedEcTime += ec.time;
    }
    ec.gen = null;
    ec.genRip = -1;
    this.doReply(cpu, ec, Cont.DEAD, null);
  }

  // ---------------------------------------------------------------- semaphores

  /**
   * `down` on `sm` for `ec` (NOVA `Sm::dn`). Returns true if the CPU switched away (blocked, or
   * reply-and-block without donation), false if the semaphore was taken at once.
   */
  smDown(cpu: Cpu, sm: Sm, ec: Ec, zc: boolean, deadline: number, block: boolean): boolean {
    if (sm.counter > 0) {
      sm.counter = zc ? 0 : sm.counter - 1;
      const si = sm.signals.shift();
      if (si !== undefined) {
        si.queued = false;
        ec.regs.rsi = si.value;
        ec.regs.rdx = si.counter;
        si.counter = 0;
      }
      return false;
    }
    sm.waiters.push(ec);
    ec.waitingOn = sm;
    if (!block) {
      this.schedule(cpu, false, true, 'reply-and-block');
      return true;
    }
    if (deadline > 0) {
      ec.deadline = deadline;
      this.timers.add(deadline, () => {
        if (ec.waitingOn !== sm || ec.deadline !== deadline) return;
        const i = sm.waiters.indexOf(ec);
        if (i >= 0) sm.waiters.splice(i, 1);
        ec.waitingOn = null;
        ec.deadline = 0;
        ec.regs.rdi = Status.TIMEOUT;
        ec.cont = ec.xcpuSm !== null ? Cont.XCPU_RETURN : Cont.SYSEXIT;
        this.release(ec);
      });
    }
    this.park(cpu, ec);
    return true;
  }

  /** `up` on a plain semaphore, optionally on behalf of signal SM `si` (NOVA `Sm::up`). */
  smUp(sm: Sm, si: Sm | null): void {
    if (sm.destroyed) return;
    const ec = sm.waiters.shift();
    if (ec === undefined) {
      if (si !== null) {
        if (si.queued) return;
        si.queued = true;
        sm.signals.push(si);
      }
      sm.counter++;
      return;
    }
    ec.waitingOn = null;
    ec.deadline = 0;
    if (si !== null) {
      ec.regs.rsi = si.value;
      ec.regs.rdx = si.counter;
      si.counter = 0;
    }
    this.release(ec);
  }

  /** sm_ctrl up (G `Si::submit`): GSI chaining, signal semaphores. */
  smSubmit(sm: Sm): void {
    if (sm.gsi !== null && sm.gsiChain !== null) {
      this.smSubmit(sm.gsiChain);
      return;
    }
    this.smUp(sm, null);
    if (sm.chain !== null) this.smUp(sm.chain, sm);
  }

  // ---------------------------------------------------------------- cross-CPU call helper

  /** [G] cross-CPU call: a helper EC+SC on the callee's CPU performs the call; the caller sleeps. */
  xcpuCall(cpu: Cpu, ec: Ec, pt: Pt): void {
    const target = pt.ec.cpu;
    const sm = new Sm(this.newId(), 0, null, 0, null, true);
    const helper = this.newEc(
      'xcpu',
      ec.pd,
      target,
      ec.evt,
      ec.regs.rsp,
      ec.utcbAddr,
      -1,
      `${ec.label}/xcpu`,
    );
    helper.utcb = ec.utcb;
    helper.cont = Cont.CALL;
    Object.assign(helper.regs, ec.regs);
    helper.xcpuFor = ec;
    helper.xcpuSm = sm;
    const cur = cpu.sc;
    const sc = new Sc(this.newId(), helper, target, cur.prio, cur.quantumUs, cur.budget, false, true);
    helper.scs.add(sc);
    ec.cont = Cont.SYSEXIT;
    this.enqueueSc(sc);
    this.smDown(cpu, sm, ec, false, 0, true);
  }

  private xcpuReturn(cpu: Cpu, helper: Ec): void {
    const caller = helper.xcpuFor;
    const sm = helper.xcpuSm;
    helper.xcpuFor = null;
    helper.xcpuSm = null;
    helper.cont = Cont.DEAD;
    for (const sc of [...helper.scs]) {
      sc.state = 'gone';
      sc.destroyed = true;
      helper.scs.delete(sc);
    }
    if (caller !== null && sm !== null) {
      const status = helper.regs.rdi;
      // A reply-and-block towards the helper leaves BAD_HYP: the caller restarts its call
      // (G `ret_xcpu_reply`); any other status is the call's result.
      if (status === Status.BAD_HYP) caller.cont = Cont.CALL;
      else {
        caller.regs.rdi = status;
        caller.cont = Cont.SYSEXIT;
      }
      this.smUp(sm, null);
    }
    helper.utcb = null;
    this.ecs.delete(helper);
    helper.pd.ecs--;
    helper.destroyed = true;
    this.schedule(cpu, true, true, 'xcpu helper done');
  }

  // ---------------------------------------------------------------- vCPUs

  private retGuest(cpu: Cpu, ec: Ec): void {
    const v = ec.vcpu;
    if (v === null) {
      this.retUser(cpu, ec);
      return;
    }
    if (ec.recall) {
      ec.recall = false;
      ec.regs.dstPortal = NUM_VMI - 1;
      ec.msgRet = Cont.VMRUN;
      ec.cont = Cont.SEND_MSG;
      this.sendMsg(cpu, ec);
      return;
    }
    if (v.backend === null) {
      this.note(cpu.id, `${ec.label}: no vCPU engine, vCPU blocks`);
      ec.cont = Cont.NONE;
      this.park(cpu, ec);
      return;
    }
    let slice = Math.min(cpu.sc.left, this.vcpuSliceTicks);
    const t = this.timers.next();
    if (t !== Number.POSITIVE_INFINITY) slice = Math.min(slice, Math.max(1, t - this.now));
    // A guest slice runs ahead atomically, so it must not run past the earliest moment anything
    // else can act on this vCPU (a recall, a higher-priority SC, an interrupt): the next timer
    // (above), and the other CPUs. One with work at this instant goes first; a busy one can act
    // when its computation or guest slice ends. (Conservative synchronisation; the one case it
    // cannot bound — two vCPUs entering guest mode at the same instant — is in the README.)
    for (const c of this.cpus) {
      if (c === cpu) continue;
      if (c.mode === 'run' && !this.entersGuest(c)) return;
      if (c.mode === 'busy' && c.busyEnd > this.now) slice = Math.min(slice, c.busyEnd - this.now);
    }
    v.started = true;
    const exit = v.backend.run(Math.max(1, slice));
    v.pendingExit = exit;
    const ticks = Number.isFinite(exit.ticks) && exit.ticks > 0 ? Math.ceil(exit.ticks) : 0;
    if (ticks > 0) {
      this.beginBusy(cpu, 'guest', ticks);
      return;
    }
    this.deliverExit(ec);
  }

  /** Whether `c`'s next step is a vCPU entering guest mode (no host work at this instant). */
  private entersGuest(c: Cpu): boolean {
    const e = c.ec;
    return e !== null && e.vcpu !== null && e.cont === Cont.VMRUN && !e.recall && !c.needResched;
  }

  private deliverExit(ec: Ec): void {
    const v = ec.vcpu;
    if (v === null) return;
    const exit: VcpuExit | null = v.pendingExit;
    v.pendingExit = null;
    if (exit === null || exit.reason === null) {
      ec.cont = Cont.VMRUN;
      return;
    }
    const reason = exit.reason > 0xff || exit.reason < 0 ? 0xfb : exit.reason;
    v.exitQual0 = exit.qual0;
    v.exitQual1 = exit.qual1;
    if (reason === 0xfc) ec.regs.nstFault = exit.qual1;
    v.exitInstLen = exit.instLen;
    ec.regs.dstPortal = reason;
    ec.msgRet = Cont.VMRUN;
    ec.cont = Cont.SEND_MSG;
  }

  /** Drop the engine's cached translations of every vCPU of `pd` (test helper for invariants). */
  guestTlbFlush(pd: Pd): void {
    for (const ec of this.ecs) if (ec.pd === pd && ec.vcpu?.backend) ec.vcpu.backend.invalidate(0, 2 ** 40);
  }

  // ---------------------------------------------------------------- typed items

  /** Delegate one object/memory/port CRD from `src` into `dst` through `window` (hotspot 0). */
  delegateOne(src: Pd, dst: Pd, window: Crd, crd: Crd): { crd: Crd; oom: boolean } {
    return delegateCrd(this, src, dst, window, crd, 0, 0);
  }

  /** Self-revoke the object capability at `sel` of `pd` (and everything derived from it). */
  revokeSelector(pd: Pd, sel: number): void {
    revokeRange(this, pd, CrdType.OBJ, wrapSel(sel), 0, 0x1f, true, false);
  }

  /** Consumed time of `sc` in ticks, including a computation in progress. */
  scTimeNow(sc: Sc): number {
    const cpu = this.cpus[sc.cpu]!;
    if (cpu.sc === sc) {
      if (cpu.mode === 'busy') return sc.time + (this.now - cpu.busyStart);
      if (sc.idle && cpu.mode === 'idle') return sc.time + (this.now - cpu.idleSince);
    }
    return sc.time;
  }

  /** Consumed time of `ec` in ticks, including a computation in progress. */
  ecTimeNow(ec: Ec): number {
    const cpu = this.cpus[ec.cpu];
    if (cpu !== undefined && cpu.ec === ec && cpu.mode === 'busy')
      return ec.time + (this.now - cpu.busyStart);
    return ec.time;
  }

  /** Whether `ec`'s PD's host page table permits `access` to the page holding `addr` now. */
  accessible(ec: Ec, addr: number, access: 'read' | 'write' | 'exec'): boolean {
    if (!(addr >= 0) || !Number.isSafeInteger(addr) || addr >= USER_ADDR) return false;
    const t = ec.pd.host.translate(Math.floor(addr / PAGE_SIZE));
    if (t === undefined) return false;
    if (access === 'write') return (t.perms & 2) !== 0;
    if (access === 'exec') return (t.perms & 4) !== 0;
    return true;
  }

  /**
   * A user-mode memory access of `ec` through its PD's host page table. Returns the loaded value
   * (0 for stores), or undefined after setting up a page fault (CR2, error code, vector 0x0e).
   */
  userAccess(ec: Ec, addr: number, size: 1 | 2 | 4 | 8, write: boolean, value: number): number | undefined {
    const off = addr % PAGE_SIZE;
    if (!(addr >= 0) || !Number.isSafeInteger(addr) || addr + size > USER_ADDR) {
      return this.pageFault(ec, Number.isSafeInteger(addr) && addr >= 0 ? addr : 0, true, write);
    }
    if (off + size > PAGE_SIZE) {
      // Crossing a page boundary: check both pages first, then move bytes.
      const second = addr - off + PAGE_SIZE;
      for (const a of [addr, second]) {
        const t = ec.pd.host.translate(Math.floor(a / PAGE_SIZE));
        if (t === undefined || (write && (t.perms & 2) === 0))
          return this.pageFault(ec, a, t !== undefined, write);
      }
      let v = 0;
      for (let i = 0; i < size; i++) {
        const a = addr + i;
        const t = ec.pd.host.translate(Math.floor(a / PAGE_SIZE))!;
        const phys = t.frame * PAGE_SIZE + (a % PAGE_SIZE);
        if (write) this.memory.write(phys, 1, Math.floor(value / 2 ** (8 * i)) % 256);
        else v += this.memory.read(phys, 1) * 2 ** (8 * i);
      }
      return write ? 0 : v;
    }
    const t = ec.pd.host.translate(Math.floor(addr / PAGE_SIZE));
    if (t === undefined || (write && (t.perms & 2) === 0))
      return this.pageFault(ec, addr, t !== undefined, write);
    const phys = t.frame * PAGE_SIZE + off;
    if (write) {
      this.memory.write(phys, size, toWord(value));
      return 0;
    }
    return this.memory.read(phys, size);
  }

  private pageFault(ec: Ec, addr: number, present: boolean, write: boolean): undefined {
    const r = ec.regs;
    r.cr2 = addr;
    r.err = (present ? PfErr.P : 0) | (write ? PfErr.W : 0) | PfErr.U;
    r.dstPortal = Event.PF;
    return undefined;
  }

  /** A user-mode port access: needs every port in the PD's I/O space, else #GP (vector 0x0d). */
  userIo(ec: Ec, port: number, size: 1 | 2 | 4, write: boolean, value: number): number | undefined {
    for (let p = port; p < port + size; p++) {
      const n = Number.isInteger(p) && p >= 0 && p < 65536 ? ec.pd.pio.find(p) : undefined;
      if (n === undefined || (n.perms & 1) === 0) {
        ec.regs.err = 0;
        ec.regs.dstPortal = Event.GP;
        return undefined;
      }
    }
    if (write) {
      this.ioBus?.out(port, size, value);
      return 0;
    }
    return this.ioBus?.in(port, size) ?? 2 ** (8 * size) - 1;
  }

  /** Process typed items from `src` to `dst` (spec/nova.md §4.3); false if `dst` ran out of quota. */
  transferItems(src: Pd, dst: Pd, xlt: Crd, del: Crd, from: Utcb, to: Utcb | null, count: number): boolean {
    return transferItems(this, src, dst, xlt, del, from, to, count);
  }
}

/** Reduce an object selector modulo the object-space size (2^26). */
export function wrapSel(sel: number): number {
  if (sel >= 0 && sel < NUM_SEL) return sel;
  if (!Number.isFinite(sel) || sel < 0) return 0;
  return Math.floor(sel) % NUM_SEL;
}

/** Decompose [b, e) into maximal naturally aligned power-of-two blocks: [base, order] pairs. */
export function alignedBlocks(b: number, e: number): [number, number][] {
  const out: [number, number][] = [];
  let p = b;
  while (p < e) {
    let o = 0;
    while (o < 52 && p % 2 ** (o + 1) === 0 && p + 2 ** (o + 1) <= e) o++;
    out.push([p, o]);
    p += 2 ** o;
  }
  return out;
}
