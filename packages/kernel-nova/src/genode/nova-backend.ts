import {
  type AccessKind,
  type BlockedThread,
  type Blocking,
  type BlockReason,
  type BootedKernel,
  type Capability,
  type CoreUpcalls,
  createVcpuState,
  type Flexpage,
  type PhysicalMemory as GenodeMemory,
  type GuestDelegation,
  type KernelEntrypoint,
  type KernelPd,
  type KernelSemaphore,
  type KernelSignalSource,
  type KernelThread,
  type KernelVcpu,
  type KernelVm,
  type MachineDescription,
  type MapStatus,
  type PagerReply,
  type RpcHandler,
  type RpcRequest,
  type RpcResult,
  type RunOptions,
  type RunResult,
  type SignalDelivery,
  type ThreadOptions,
  type ThreadOutcome,
  type Translation,
  type VcpuExitReply,
  type VcpuOptions,
  type VcpuState,
  type VmOptions,
} from '@genode-ts/genode-base';
import { EcPerm, Event, PAGE_SIZE, PfErr, PtPerm, RootSel, SEL_BITS, USER_ADDR } from '../constants.js';
import { type Crd, CrdType, memCrd, objCrd } from '../crd.js';
import type { Ec } from '../ec.js';
import { KernelNovaError } from '../errors.js';
import type { NovaKernel } from '../kernel.js';
import { NovaKernel as Nova } from '../kernel.js';
import type { KernelEntry } from '../kernel-entry.js';
import type { Kobject } from '../kobject.js';
import { Sub } from '../mdb.js';
import { Mtd } from '../mtd.js';
import type { Pd } from '../pd.js';
import type { Sm } from '../sm.js';
import { Status, type StatusCode, statusName } from '../status.js';
import type { Sys } from '../sys.js';
import type { Tracer } from '../trace.js';
import { ItemKind, type ItemOptions } from '../typed-item.js';
import type { Utcb } from '../utcb.js';
import type { VcpuEngine } from '../vcpu-engine.js';
import type { GenodeTracer } from './genode-trace.js';
import { NovaCalls } from './nova-calls.js';
import { carryCapabilities } from './rpc-caps.js';
import { SelectorSpace } from './selector-space.js';
import { readVcpuState, writeVcpuState } from './vcpu-utcb.js';

const PAGE = PAGE_SIZE;
/** UTCBs of a PD's ECs live in the top 64 MiB of its user range (Genode: in the stack area). */
const UTCB_AREA = 0x400_0000;
/** End of the range a PD's region map covers: NOVA's user range minus the UTCB area. */
export const GENODE_USER_END: number = USER_ADDR - UTCB_AREA;
/** Physical memory below 1 MiB stays with the kernel (as on a PC: BIOS, real-mode structures). */
const RAM_BASE = 0x10_0000;
/** Selectors below stay free in every PD (base-nova `NUM_INITIAL_PT_RESERVED`). */
const FIRST_SEL = 0x40;
/** Exception window of a thread: 2^5 = 32 selectors (base-nova `NUM_INITIAL_PT_LOG2`). */
const EXC_LOG2 = 5;
/** Event window of a vCPU: 2^8 = 256 selectors (base-nova `NUM_INITIAL_VCPU_PT_LOG2`). */
const VCPU_LOG2 = 8;
/** RPC receive window: 2^2 = 4 capabilities per message (base-nova's `Receive_window`). */
const RCV_LOG2 = 2;
const MAX_CAPS = 2 ** RCV_LOG2;
/** Translation window of every RPC receiver: the whole object space. */
const XLT_ALL: Crd = objCrd(0, SEL_BITS);
/** Kernel-memory quota a new PD starts with, and what core adds on QUO_OOM (pages). */
const PD_QUOTA = 64;
const QUOTA_STEP = 64;
/** Genode's default QPD (spec/nova.md §1.5). */
const DEFAULT_PRIO = 64;
const QUANTUM_US = 10_000;
/** Capability permissions a client gets for an RPC object: call (and cross-CPU), no pt_ctrl. */
const PT_CLIENT = PtPerm.CALL | PtPerm.XCPU;
/** Signals submitted at once are capped (each is one `sm_ctrl up`). */
const MAX_SUBMIT = 65_536;

/** Exception vectors with a portal in each thread's window (spec/nova.md §5.3). */
const EXC_VECTORS: readonly number[] = [
  0x00,
  0x01,
  0x02,
  0x03,
  0x04,
  0x05,
  0x06,
  0x07,
  0x08,
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x0e,
  0x0f,
  0x10,
  0x11,
  0x12,
  0x13,
  Event.STARTUP,
  Event.RECALL,
];

/** Portal MTDs base-nova's core uses (spec/nova.md §8). */
const MTD_PF = Mtd.QUAL | Mtd.ESP | Mtd.EIP;
const MTD_STARTUP = Mtd.ESP | Mtd.EIP;
const MTD_RECALL = Mtd.ESP | Mtd.EIP | Mtd.ACDB | Mtd.EFL | Mtd.EBSD | Mtd.FSGS;
const MTD_EXC = Mtd.EBSD | Mtd.ESP | Mtd.EIP | Mtd.QUAL;

type Role = BlockReason | 'dead';
type ThreadKind = 'thread' | 'rpc' | 'vcpu';

/** A protection domain as core keeps it: the NOVA PD, core's selector for it, its selectors. */
export class NovaGenodePd implements KernelPd {
  readonly id: number;
  readonly label: string;
  /** The NOVA PD. */
  readonly nova: Pd;
  /** Core's selector of the PD capability. */
  readonly sel: number;
  /** Allocator of this PD's object space. */
  readonly sels: SelectorSpace;
  /** Capability id → selector in this PD's object space (what the PD holds). */
  readonly caps: Map<number, number> = new Map();
  /** Semaphores delegated into this PD → selector. */
  readonly sms: Map<Sm, number> = new Map();
  /** Next UTCB page (growing down from the top of the user range). */
  utcbNext: number;
  destroyed = false;

  constructor(id: number, label: string, nova: Pd, sel: number, utcbTop: number) {
    this.id = id;
    this.label = label;
    this.nova = nova;
    this.sel = sel;
    this.sels = new SelectorSpace(FIRST_SEL);
    this.utcbNext = utcbTop;
  }
}

/** A thread (global EC + SC), an entrypoint's RPC EC (local EC), or a vCPU as core tracks it. */
export class NovaGenodeThread implements KernelThread {
  readonly id: number;
  readonly name: string;
  readonly pd: NovaGenodePd;
  readonly kind: ThreadKind;
  readonly cpu: number;
  readonly priority: number;
  readonly body: (() => Blocking<void>) | null;
  /** The EC, and core's selector of it (-1 while none). */
  ec: Ec | null = null;
  ecSel = -1;
  /** Core's selector of the SC (-1 while none). */
  scSel = -1;
  /** The pager object (null for vCPUs). */
  pager: PagerObject | null = null;
  /** Where the thread's code starts (the STARTUP reply sets RIP to it). */
  entryIp = 0;
  state: 'created' | 'running' | 'exited' | 'killed' = 'created';

  constructor(
    id: number,
    name: string,
    pd: NovaGenodePd,
    kind: ThreadKind,
    cpu: number,
    priority: number,
    body: (() => Blocking<void>) | null,
  ) {
    this.id = id;
    this.name = name;
    this.pd = pd;
    this.kind = kind;
    this.cpu = cpu;
    this.priority = priority;
    this.body = body;
  }
}

/** base-nova's `Pager_object`: one per thread; its id is the PID of the thread's exception portals. */
export interface PagerObject {
  readonly id: number;
  readonly thread: NovaGenodeThread;
  /** Event base of the thread in its PD. */
  readonly evt: number;
  /** Core's selectors of the 32 exception portals. */
  readonly base: number;
  /** The thread's pause semaphore (`sel_sm_block_pause`): reply-and-block target, `wake` = up. */
  readonly pause: NovaGenodeSemaphore;
}

/** An entrypoint: the thread running its body and the local EC its RPC portals are bound to. */
export class NovaGenodeEntrypoint implements KernelEntrypoint {
  readonly id: number;
  readonly thread: NovaGenodeThread;
  /** The local EC serving the entrypoint's portals (and its vCPU exit portals). */
  readonly rpc: NovaGenodeThread;

  constructor(id: number, thread: NovaGenodeThread, rpc: NovaGenodeThread) {
    this.id = id;
    this.thread = thread;
    this.rpc = rpc;
  }
}

/** A semaphore created by core (a NOVA SM in core's PD, delegated where it is used). */
export class NovaGenodeSemaphore implements KernelSemaphore {
  readonly id: number;
  readonly sm: Sm;
  readonly coreSel: number;
  readonly role: Role;

  constructor(id: number, sm: Sm, coreSel: number, role: Role) {
    this.id = id;
    this.sm = sm;
    this.coreSel = coreSel;
    this.role = role;
  }
}

/** An entrypoint's signal source: the plain SM its signal SMs are chained to (§6.4). */
export class NovaGenodeSignalSource implements KernelSignalSource {
  readonly id: number;
  readonly ep: NovaGenodeEntrypoint;
  readonly sem: NovaGenodeSemaphore;

  constructor(id: number, ep: NovaGenodeEntrypoint, sem: NovaGenodeSemaphore) {
    this.id = id;
    this.ep = ep;
    this.sem = sem;
  }
}

/** A Genode capability: an RPC object (a portal) or a signal context (a signal SM). */
interface CapRecord {
  readonly id: number;
  readonly kind: 'rpc' | 'signal';
  readonly obj: Kobject;
  readonly coreSel: number;
  readonly handler: RpcHandler | null;
  readonly ep: NovaGenodeEntrypoint | null;
  readonly imprint: number;
  readonly holders: Set<NovaGenodePd>;
  alive: boolean;
}

/** A VM: the PD whose guest space is guest-physical memory. */
export class NovaGenodeVm implements KernelVm {
  readonly id: number;
  readonly pd: NovaGenodePd;
  readonly vmm: NovaGenodePd;
  readonly colocated: boolean;
  readonly vcpus: Set<NovaGenodeVcpu> = new Set();
  destroyed = false;

  constructor(id: number, pd: NovaGenodePd, vmm: NovaGenodePd, colocated: boolean) {
    this.id = id;
    this.pd = pd;
    this.vmm = vmm;
    this.colocated = colocated;
  }
}

/** A vCPU: its EC in the VM's PD, its exit portals, its SM (pause/resume). */
export class NovaGenodeVcpu implements KernelVcpu {
  readonly id: number;
  readonly vm: NovaGenodeVm;
  readonly options: VcpuOptions;
  readonly handler: NovaGenodeEntrypoint;
  readonly thread: NovaGenodeThread;
  readonly sem: NovaGenodeSemaphore;
  /** Event base in the VM's PD. */
  readonly evt: number;
  /** Core's selectors of the 256 exit portals. */
  readonly base: number;
  /** The VMM's selector of the vCPU EC (recall). */
  vmmEcSel = -1;
  started = false;
  destroyed = false;
  /**
   * The exit record handed to the handler, reused at every exit: it is read from the UTCB for the
   * portal's MTD only, so the other groups keep what the previous exit left — as the UTCB does.
   */
  readonly exitState: VcpuState = createVcpuState();

  constructor(
    id: number,
    vm: NovaGenodeVm,
    options: VcpuOptions,
    handler: NovaGenodeEntrypoint,
    thread: NovaGenodeThread,
    sem: NovaGenodeSemaphore,
    evt: number,
    base: number,
  ) {
    this.id = id;
    this.vm = vm;
    this.options = options;
    this.handler = handler;
    this.thread = thread;
    this.sem = sem;
    this.evt = evt;
    this.base = base;
  }

  /** The vCPU EC. */
  get ec(): Ec {
    return this.thread.ec!;
  }
}

interface Message {
  readonly req: RpcRequest;
  value: unknown;
  error: unknown;
  threw: boolean;
}

interface Window {
  readonly base: number;
  /** Bit i: slot base+i holds a capability the PD registered (freed only when dissolved). */
  claimed: number;
}

/** Options of {@link NovaGenodeKernel} (see `novaKernel`). */
export interface NovaBackendOptions {
  readonly vcpuEngine?: VcpuEngine;
  readonly trace?: GenodeTracer;
  readonly kernelTrace?: Tracer;
  readonly tscKhz?: number;
  readonly kernelMemory?: number;
}

function rightsOf(perms: number): { write: boolean; exec: boolean } {
  return { write: (perms & 2) !== 0, exec: (perms & 4) !== 0 };
}

function rwx(perms: number): string {
  return `${perms & 1 ? 'r' : '-'}${perms & 2 ? 'w' : '-'}${perms & 4 ? 'x' : '-'}`;
}

/** Naturally aligned blocks of at most 2^31 pages covering `[first, last)` (one CRD each). */
function crdBlocks(first: number, last: number): [number, number][] {
  const out: [number, number][] = [];
  let p = first;
  while (p < last) {
    let o = 0;
    while (o < 31 && p % 2 ** (o + 1) === 0 && p + 2 ** (o + 1) <= last) o++;
    out.push([p, o]);
    p += 2 ** o;
  }
  return out;
}

function short(label: string): string {
  return label.split(' -> ').pop() ?? label;
}

/**
 * genode-base's kernel interface implemented with NOVA's mechanisms, the way `repos/base-nova`
 * does it (spec/nova.md §8, spec/genode.md §3.6). Core is the root task: it runs in NOVA's root
 * PD and issues its hypercalls from its own ECs; everything a component does goes through the
 * NOVA model — PDs, global ECs with SCs, local ECs serving portals, exception portals bound to
 * core's pagers, typed items, delegation from the kernel space, revocation, semaphores, signal
 * semaphores, vCPU ECs with exit portals.
 *
 * Host code of Genode threads runs as the code of their ECs (generators driven by NOVA's
 * scheduler). Genode RPC is synchronous for its caller, so a `call` is a real NOVA call carried
 * out inside the caller's JavaScript frame ({@link NovaKernel.callNow}); see the package README
 * for how the request travels.
 */
export class NovaGenodeKernel implements BootedKernel {
  readonly name = 'nova';
  /** The NOVA model underneath. */
  readonly nova: NovaKernel;
  readonly memory: GenodeMemory;
  readonly cpus: number;
  readonly userRange: { readonly start: number; readonly end: number } = {
    start: 0x1000,
    end: GENODE_USER_END,
  };
  readonly maxMapLog2 = 43;
  /**
   * Host code wrote RAM directly (core's zero-fill, `Local_memory`, a VMM's device emulation):
   * the vCPU engine drops decoded guest code in those bytes (`PhysicalMemory.onWrite`).
   */
  readonly ramWritten: (phys: number, length: number) => void;
  /** Core's own PD (NOVA's root PD). */
  readonly corePd: NovaGenodePd;

  readonly #core: CoreUpcalls;
  readonly #calls: NovaCalls;
  readonly #trace: GenodeTracer | null;
  /** Core's service ECs (global, no SC) per CPU: they issue core's hypercalls outside its threads. */
  readonly #svc: Ec[] = [];
  /** Core's pager (local EC) per CPU, and core's selector of it. */
  readonly #pagerEc: Ec[] = [];
  readonly #pagerSel: number[] = [];
  readonly #pds = new Map<Pd, NovaGenodePd>();
  readonly #threads = new Map<Ec, NovaGenodeThread>();
  readonly #pagers = new Map<number, PagerObject>();
  readonly #caps = new Map<number, CapRecord>();
  readonly #capOf = new WeakMap<Kobject, number>();
  readonly #sems = new Map<Sm, NovaGenodeSemaphore>();
  readonly #sleepSems = new Map<Ec, NovaGenodeSemaphore>();
  readonly #vcpus = new Map<number, NovaGenodeVcpu>();
  readonly #msgs = new Map<number, Message>();
  readonly #windows = new Map<Ec, Window>();
  readonly #dead: NovaGenodeSemaphore;
  readonly #rpcIp: number;
  readonly #exitIp: number;
  readonly #excIps = new Map<number, number>();
  #nextId = 1;
  #msgSeq = 0;
  #vcpuSeq = 0;
  #coreHandedOut = false;

  constructor(machine: MachineDescription, core: CoreUpcalls, options: NovaBackendOptions = {}) {
    this.#core = core;
    this.#trace = options.trace ?? null;
    const cpus = Math.max(1, Math.min(64, Math.floor(machine.cpus) || 1));
    const memory = Math.floor(machine.ramBytes / PAGE) * PAGE;
    const kernelMemory = options.kernelMemory ?? Math.max(Math.floor(memory / 8 / PAGE) * PAGE, 0x10_0000);
    this.nova = Nova.boot({
      // Core's main thread: everything is set up synchronously below; it has nothing left to do.
      root: function* () {},
      cpus,
      memory,
      kernelMemory,
      ...(options.tscKhz === undefined ? {} : { tscKhz: options.tscKhz }),
      ...(options.vcpuEngine === undefined ? {} : { vcpuEngine: options.vcpuEngine }),
      ...(options.kernelTrace === undefined ? {} : { trace: options.kernelTrace }),
    });
    const k = this.nova;
    const ram = k.memory;
    this.ramWritten = (phys, length) => ram.notifyWrite(phys, length);
    this.cpus = cpus;
    const top = k.memory.kernelStart * PAGE;
    this.memory = {
      buffer: k.memory.buffer,
      available: top > RAM_BASE ? [{ base: RAM_BASE, size: top - RAM_BASE }] : [],
    };
    this.#calls = new NovaCalls(k);
    // The root PD: its UTCB and the HIP occupy the two pages below USER_ADDR.
    this.corePd = new NovaGenodePd(this.#id(), 'core', k.root, RootSel.PD, USER_ADDR - 3 * PAGE);
    this.#pds.set(k.root, this.corePd);
    const root = this.corePd;
    for (let c = 0; c < cpus; c++) {
      const sel = root.sels.alloc();
      this.#ok(
        this.#calls.createEc(k.rootEc, sel, RootSel.PD, {
          cpu: c,
          utcb: this.#allocUtcb(root),
          sp: 0,
          evt: 0,
          global: true,
        }),
        'core service EC',
      );
      const ec = this.#obj<Ec>(root, sel);
      ec.label = `core:service${c}`;
      this.#svc.push(ec);
    }
    const svc = this.#svc[0]!;
    this.#rpcIp = k.defineEntry((sys) => this.#rpcEntry(sys));
    this.#exitIp = k.defineEntry((sys) => this.#exitEntry(sys));
    for (const v of EXC_VECTORS)
      this.#excIps.set(
        v,
        k.defineEntry((sys) => this.#excEntry(sys, v)),
      );
    for (let c = 0; c < cpus; c++) {
      const sel = root.sels.alloc();
      this.#ok(
        this.#calls.createEc(svc, sel, RootSel.PD, {
          cpu: c,
          utcb: this.#allocUtcb(root),
          sp: 0,
          evt: 0,
          global: false,
        }),
        'core pager EC',
      );
      const ec = this.#obj<Ec>(root, sel);
      ec.label = `core:pager${c}`;
      this.#pagerEc.push(ec);
      this.#pagerSel.push(sel);
    }
    this.#dead = this.#newSem(0, 'dead');
  }

  // ---------------------------------------------------------------------------------- inspection

  /** The selector through which `pd` holds `cap` (undefined: the PD cannot invoke it). */
  selectorOf(pd: KernelPd, cap: Capability): number | undefined {
    const p = this.#pd(pd);
    const sel = cap == null ? undefined : p.caps.get(cap.id);
    const rec = cap == null ? undefined : this.#caps.get(cap.id);
    if (sel === undefined || rec === undefined) return undefined;
    return this.nova.objCap(p.nova, sel)?.obj === rec.obj ? sel : undefined;
  }

  /** The NOVA object behind a capability: the portal of an RPC object, the SM of a signal context. */
  objectOf(cap: Capability): Kobject | undefined {
    return cap == null ? undefined : this.#caps.get(cap.id)?.obj;
  }

  /** The Genode thread (or entrypoint RPC EC, or vCPU) an EC stands for. */
  threadOf(ec: Ec): NovaGenodeThread | undefined {
    return this.#threads.get(ec);
  }

  // ---------------------------------------------------------------------------------- helpers

  #id(): number {
    return this.#nextId++;
  }

  #ok(s: StatusCode, what: string): void {
    if (s !== Status.SUCCESS) throw new KernelNovaError('INTERNAL', `${what} failed: ${statusName(s)}`);
  }

  #obj<T extends Kobject>(pd: NovaGenodePd, sel: number): T {
    const o = this.nova.objCap(pd.nova, sel)?.obj;
    if (o === null || o === undefined) throw new KernelNovaError('INTERNAL', `no object at selector ${sel}`);
    return o as T;
  }

  #allocUtcb(pd: NovaGenodePd): number {
    const a = pd.utcbNext;
    if (a < GENODE_USER_END) throw new KernelNovaError('INTERNAL', `UTCB area of '${pd.label}' exhausted`);
    pd.utcbNext -= PAGE;
    return a;
  }

  #pd(pd: KernelPd): NovaGenodePd {
    if (!(pd instanceof NovaGenodePd)) throw new KernelNovaError('BAD_CONTEXT', 'not a PD of this kernel');
    return pd;
  }

  #pdOf(ec: Ec): NovaGenodePd {
    const pd = this.#pds.get(ec.pd);
    if (pd === undefined) throw new KernelNovaError('INTERNAL', `EC ${ec.label} in an unknown PD`);
    return pd;
  }

  /** The EC whose code runs now (a thread, an RPC activation, the pager), or core's service EC. */
  #acting(): Ec {
    return this.nova.executing?.ec ?? this.#svc[0]!;
  }

  /** The running EC for a blocking operation. */
  #here(): { ec: Ec; sys: Sys; pd: NovaGenodePd } {
    const ec = this.nova.executing?.ec ?? null;
    if (ec === null) {
      throw new KernelNovaError(
        'BAD_CONTEXT',
        'a blocking operation outside a thread (use it with yield* in a thread)',
      );
    }
    return { ec, sys: this.nova.sysFor(ec), pd: this.#pdOf(ec) };
  }

  /** Retry an operation that ran out of the PD's kernel-memory quota after core upgraded it. */
  #withQuota(pd: NovaGenodePd, fn: () => StatusCode): StatusCode {
    for (let i = 0; ; i++) {
      const s = fn();
      if (s !== Status.QUO_OOM || pd === this.corePd || i >= 32) return s;
      if (this.corePd.nova.quota.hitLimit(2)) return s;
      if (this.#calls.quotaTransfer(this.#svc[0]!, RootSel.PD, pd.sel, QUOTA_STEP) !== Status.SUCCESS)
        return s;
    }
  }

  /**
   * Typed items processed inside a call or reply cannot be retried after QUO_OOM, so core tops
   * up the receiving PD's kernel-memory quota beforehand (base-nova answers the OOM portal).
   */
  #headroom(pd: NovaGenodePd, pages: number): void {
    if (pd === this.corePd || pd.destroyed) return;
    for (let i = 0; i < 32 && pd.nova.quota.hitLimit(pages); i++) {
      if (this.corePd.nova.quota.hitLimit(2)) return;
      if (this.#calls.quotaTransfer(this.#svc[0]!, RootSel.PD, pd.sel, QUOTA_STEP) !== Status.SUCCESS) return;
    }
  }

  /** misc delegate of one typed item from PD `src` (core's selector) into `dst` through `window`. */
  #delegate(ec: Ec, src: number, dst: NovaGenodePd, item: Crd, o: ItemOptions, window: Crd): StatusCode {
    const u = ec.utcb!;
    return this.#withQuota(dst, () => {
      u.setMsg(0, 1);
      u.setItem(0, item, o);
      const s = this.#calls.delegate(ec, src, dst.sel, window);
      u.setMsg(0, 0);
      return s;
    });
  }

  #newSem(initial: number, role: Role): NovaGenodeSemaphore {
    const root = this.corePd;
    const sel = root.sels.alloc();
    this.#ok(
      this.#withQuota(root, () => this.#calls.createSm(this.#svc[0]!, sel, RootSel.PD, initial)),
      'create_sm',
    );
    const sem = new NovaGenodeSemaphore(this.#id(), this.#obj<Sm>(root, sel), sel, role);
    this.#sems.set(sem.sm, sem);
    return sem;
  }

  /** The selector of `sem` in `pd`, delegated by core on first use (up and down). */
  #smSel(pd: NovaGenodePd, sem: NovaGenodeSemaphore): number {
    if (pd === this.corePd) return sem.coreSel;
    const known = pd.sms.get(sem.sm);
    if (known !== undefined) return known;
    const sel = pd.sels.alloc();
    this.#ok(
      this.#delegate(
        this.#svc[0]!,
        RootSel.PD,
        pd,
        objCrd(sem.coreSel, 0, 0x3),
        { kind: ItemKind.DELEGATE },
        objCrd(sel, 0),
      ),
      'delegate SM',
    );
    pd.sms.set(sem.sm, sel);
    return sel;
  }

  #killed(ec: Ec): boolean {
    return this.#threads.get(ec)?.state === 'killed';
  }

  /** A killed thread that still runs (it was killed in its own step) stops at its next kernel entry. */
  *#park(h: { ec: Ec; sys: Sys; pd: NovaGenodePd }): Generator<KernelEntry, never, unknown> {
    if (h.ec.isGlobal) yield* h.sys.reply();
    yield* h.sys.reply(this.#smSel(h.pd, this.#dead));
    throw new KernelNovaError('INTERNAL', 'parked EC resumed');
  }

  #traceTime(): number {
    return (this.nova.now * 1000) / this.nova.tscKhz;
  }

  // ---------------------------------------------------------------------------------- time

  now(): number {
    return this.nova.ticksToUs(this.nova.now);
  }

  run(options: RunOptions = {}): RunResult {
    if (this.nova.executing !== null)
      throw new KernelNovaError('BAD_CONTEXT', 'run() called from inside a thread');
    const r = this.nova.run({
      ...(options.until === undefined ? {} : { until: options.until }),
      maxSteps: options.maxSteps ?? Number.POSITIVE_INFINITY,
      ...(options.maxTime === undefined ? {} : { maxTime: this.nova.usToTicks(options.maxTime) }),
    });
    return { reason: r.reason, steps: r.steps, now: this.now(), blocked: this.#blocked() };
  }

  #blocked(): BlockedThread[] {
    const out: BlockedThread[] = [];
    for (const t of this.#threads.values()) {
      if (t.state !== 'running' || t.ec === null || t.ec.destroyed) continue;
      const sm = t.ec.waitingOn;
      if (sm === null) continue;
      const role = this.#sems.get(sm)?.role ?? 'semaphore';
      out.push({ thread: t, on: role === 'dead' ? 'page-fault' : role });
    }
    return out;
  }

  *spin(us: number): Blocking<void> {
    const h = this.#here();
    if (this.#killed(h.ec)) yield* this.#park(h);
    yield* h.sys.spin(Math.max(0, us));
  }

  *sleep(us: number): Blocking<void> {
    const h = this.#here();
    if (this.#killed(h.ec)) yield* this.#park(h);
    let sem = this.#sleepSems.get(h.ec);
    if (sem === undefined) {
      sem = this.#newSem(0, 'sleep');
      this.#sleepSems.set(h.ec, sem);
    }
    // An absolute TSC deadline (spec/nova.md §3.14); nobody ups this SM, so the timeout ends it.
    const ticks = Math.max(1, this.nova.usToTicks(Math.max(0, us)));
    yield* h.sys.smDown(this.#smSel(h.pd, sem), { timeout: this.nova.now + ticks });
  }

  *yieldCpu(): Blocking<void> {
    const h = this.#here();
    if (this.#killed(h.ec)) yield* this.#park(h);
    yield* h.sys.yieldSc();
  }

  // ---------------------------------------------------------------------------------- PDs and memory

  createPd(label: string): KernelPd {
    if (!this.#coreHandedOut) {
      // The first PD core asks for is its own: NOVA's root PD.
      this.#coreHandedOut = true;
      return this.corePd;
    }
    const root = this.corePd;
    const sel = root.sels.alloc();
    this.#ok(this.#calls.createPd(this.#svc[0]!, sel, RootSel.PD, PD_QUOTA), `create_pd '${label}'`);
    const nova = this.#obj<Pd>(root, sel);
    nova.label = short(label);
    const pd = new NovaGenodePd(this.#id(), label, nova, sel, USER_ADDR - 3 * PAGE);
    this.#pds.set(nova, pd);
    return pd;
  }

  destroyPd(kpd: KernelPd): void {
    const pd = this.#pd(kpd);
    if (pd.destroyed || pd === this.corePd) return;
    pd.destroyed = true;
    for (const t of [...this.#threads.values()]) if (t.pd === pd) this.#destroyThread(t, true);
    for (const rec of [...this.#caps.values()]) {
      if (rec.ep !== null && rec.ep.rpc.pd === pd) this.#destroyCap(rec.id, rec.kind);
    }
    // Platform_pd's end: everything mapped into the PD goes, then the PD capability.
    const svc = this.#svc[0]!;
    for (const [b, o] of crdBlocks(0, 2 ** 36)) this.#calls.revoke(svc, memCrd(b, o, 7), { remote: pd.sel });
    this.#calls.revoke(svc, objCrd(pd.sel, 0, 0x1f));
    this.corePd.sels.free(pd.sel);
    for (const [id] of pd.caps) this.#caps.get(id)?.holders.delete(pd);
    pd.caps.clear();
  }

  map(kpd: KernelPd, page: Flexpage): MapStatus {
    const pd = this.#pd(kpd);
    if (pd.destroyed) return 'INVALID';
    return this.#install(this.#svc[0]!, pd, page);
  }

  /**
   * Core installs a mapping the NOVA way (base-nova: `map_src_addr = phys`, asynchronous map):
   * `misc delegate` of a memory item with H — the source is the kernel space, where page n is
   * physical frame n — into `pd` at the flexpage's virtual address, issued by `ec`.
   */
  #install(ec: Ec, pd: NovaGenodePd, page: Flexpage): MapStatus {
    const { phys, virt, log2 } = page;
    if (!Number.isInteger(log2) || log2 < 12 || log2 > this.maxMapLog2) return 'INVALID';
    const size = 2 ** log2;
    const ramEnd = this.nova.memory.kernelStart * PAGE;
    if (
      !Number.isSafeInteger(phys) ||
      !Number.isSafeInteger(virt) ||
      phys < 0 ||
      virt < 0 ||
      phys % size !== 0 ||
      virt % size !== 0 ||
      phys + size > ramEnd ||
      virt + size > USER_ADDR
    ) {
      return 'INVALID';
    }
    const vp = virt / PAGE;
    const o = log2 - 12;
    const perms = 1 | (page.rights.write ? 2 : 0) | (page.rights.exec ? 4 : 0);
    // A stale or weaker mapping in the way would make the delegation skip the range.
    if (pd.nova.mem.intersects(vp, o)) this.#calls.revoke(ec, memCrd(vp, o, 7), { remote: pd.sel });
    const s = this.#delegate(
      ec,
      RootSel.PD,
      pd,
      memCrd(phys / PAGE, o, perms),
      { kind: ItemKind.DELEGATE, h: true, hotspot: vp },
      memCrd(vp, o, 0x1f),
    );
    if (s === Status.QUO_OOM) return 'OUT_OF_MEMORY';
    if (s !== Status.SUCCESS || pd.nova.mem.find(vp) === undefined) return 'INVALID';
    if (this.#trace !== null) {
      this.#trace.record({
        kind: 'map',
        time: this.#traceTime(),
        by: ec.label,
        from: 'H (kernel space)',
        pd: pd.label,
        virt,
        phys,
        log2,
        rights: rwx(perms),
        guest: false,
      });
    }
    return 'OK';
  }

  unmap(kpd: KernelPd, virt: number, size: number): void {
    const pd = this.#pd(kpd);
    if (pd.destroyed || !Number.isSafeInteger(virt) || !Number.isSafeInteger(size) || size <= 0) return;
    this.#revokeRange(pd, virt, size);
  }

  /** `Platform_pd::flush`: revoke every flexpage of `[virt, virt + size)` in `pd` (rwx). */
  #revokeRange(pd: NovaGenodePd, virt: number, size: number): void {
    const first = Math.max(0, Math.floor(virt / PAGE));
    const last = Math.min(2 ** 40, Math.ceil((virt + size) / PAGE));
    const svc = this.#svc[0]!;
    for (const [b, o] of crdBlocks(first, last)) this.#calls.revoke(svc, memCrd(b, o, 7), { remote: pd.sel });
  }

  lookup(kpd: KernelPd, virt: number): Translation | undefined {
    const pd = this.#pd(kpd);
    if (!Number.isSafeInteger(virt) || virt < 0) return undefined;
    const page = Math.floor(virt / PAGE);
    const n = pd.nova.mem.find(page);
    if (n === undefined || n.utcb) return undefined;
    return { virt: page * PAGE, phys: n.physOf(page) * PAGE, rights: rightsOf(n.perms) };
  }

  *pageFault(kpd: KernelPd, addr: number, access: AccessKind, ip?: number): Blocking<void> {
    const h = this.#here();
    if (this.#pd(kpd) !== h.pd) {
      throw new KernelNovaError('BAD_CONTEXT', `page fault for '${kpd.label}' raised by ${h.ec.label}`);
    }
    if (this.#killed(h.ec)) yield* this.#park(h);
    yield* h.sys.touch(addr, access, ip);
  }

  // ---------------------------------------------------------------------------------- threads

  createThread(kpd: KernelPd, options: ThreadOptions): KernelThread {
    return this.#makeThread(
      this.#pd(kpd),
      options.name,
      'thread',
      options.cpu,
      options.priority,
      options.body,
    );
  }

  #makeThread(
    pd: NovaGenodePd,
    name: string,
    kind: 'thread' | 'rpc',
    cpuOpt: number | undefined,
    prioOpt: number | undefined,
    body: (() => Blocking<void>) | null,
  ): NovaGenodeThread {
    const cpu = Number.isInteger(cpuOpt) && cpuOpt! >= 0 && cpuOpt! < this.cpus ? cpuOpt! : 0;
    const prio = Number.isInteger(prioOpt) ? Math.min(127, Math.max(1, prioOpt!)) : DEFAULT_PRIO;
    const t = new NovaGenodeThread(this.#id(), name, pd, kind, cpu, prio, body);
    if (pd.destroyed) {
      t.state = 'killed';
      return t;
    }
    const svc = this.#svc[0]!;
    t.pager = this.#makePager(t);
    const sel = this.corePd.sels.alloc();
    const utcb = this.#allocUtcb(pd);
    this.#ok(
      this.#withQuota(pd, () =>
        this.#calls.createEc(svc, sel, pd.sel, {
          cpu,
          utcb,
          sp: 0,
          evt: t.pager!.evt,
          global: kind === 'thread',
        }),
      ),
      `create_ec '${name}'`,
    );
    const ec = this.#obj<Ec>(this.corePd, sel);
    ec.label = `${short(pd.label)}:${name}${kind === 'rpc' ? '/rpc' : ''}`;
    t.ec = ec;
    t.ecSel = sel;
    this.#threads.set(ec, t);
    return t;
  }

  /**
   * base-nova's `Pager_object`: 32 exception portals in core, bound to core's pager on the
   * thread's CPU, PID = the pager object, pt_ctrl revoked, delegated into the thread's PD at its
   * event base (evt + 0x0e page fault, + 0x1e startup, + 0x1f recall).
   */
  #makePager(t: NovaGenodeThread): PagerObject {
    const svc = this.#svc[0]!;
    const root = this.corePd;
    const evt = t.pd.sels.alloc(EXC_LOG2);
    const base = root.sels.alloc(EXC_LOG2);
    const po: PagerObject = { id: this.#id(), thread: t, evt, base, pause: this.#newSem(0, 'page-fault') };
    this.#pagers.set(po.id, po);
    for (const v of EXC_VECTORS) {
      const mtd =
        v === Event.PF
          ? MTD_PF
          : v === Event.STARTUP
            ? MTD_STARTUP
            : v === Event.RECALL
              ? MTD_RECALL
              : MTD_EXC;
      const sel = base + v;
      this.#ok(
        this.#withQuota(root, () =>
          this.#calls.createPt(svc, sel, RootSel.PD, this.#pagerSel[t.cpu]!, mtd, this.#excIps.get(v)!),
        ),
        'create_pt (exception portal)',
      );
      this.#ok(this.#calls.ptCtrl(svc, sel, po.id), 'pt_ctrl');
      // The client must not change the PID: core drops pt_ctrl from its own capability.
      this.#calls.revoke(svc, objCrd(sel, 0, PtPerm.CTRL));
    }
    this.#ok(
      this.#delegate(
        svc,
        RootSel.PD,
        t.pd,
        objCrd(base, EXC_LOG2),
        { kind: ItemKind.DELEGATE },
        objCrd(evt, EXC_LOG2),
      ),
      'delegate exception portals',
    );
    return po;
  }

  startThread(thread: KernelThread): void {
    const t = thread as NovaGenodeThread;
    if (!(t instanceof NovaGenodeThread) || t.kind !== 'thread' || t.state !== 'created' || t.pd.destroyed)
      return;
    t.entryIp = this.nova.defineEntry(() => this.#threadCode(t));
    const sel = this.corePd.sels.alloc();
    this.#ok(
      this.#withQuota(t.pd, () =>
        this.#calls.createSc(this.#svc[0]!, sel, t.pd.sel, t.ecSel, {
          prio: t.priority,
          quantum: QUANTUM_US,
        }),
      ),
      `create_sc '${t.name}'`,
    );
    t.scSel = sel;
    t.state = 'running';
  }

  *#threadCode(t: NovaGenodeThread): Generator<KernelEntry, void, unknown> {
    let outcome: ThreadOutcome = { kind: 'returned' };
    try {
      if (t.body !== null) yield* t.body() as Generator<KernelEntry, void, unknown>;
    } catch (error) {
      outcome = { kind: 'error', error };
    }
    if (t.state === 'running') {
      t.state = 'exited';
      this.#core.threadExited(t, outcome);
    }
    // a global EC whose code returned blocks for ever
  }

  killThread(thread: KernelThread): void {
    const t = thread as NovaGenodeThread;
    if (!(t instanceof NovaGenodeThread)) return;
    this.#destroyThread(t, true);
  }

  #destroyThread(t: NovaGenodeThread, notify: boolean): void {
    if (t.state === 'killed') return;
    const was = t.state;
    t.state = 'killed';
    const svc = this.#svc[0]!;
    const root = this.corePd;
    // core's capabilities go: SC (stops it), EC, exception portals, pause semaphore
    for (const sel of [t.scSel, t.ecSel]) {
      if (sel < 0) continue;
      this.#calls.revoke(svc, objCrd(sel, 0, 0x1f));
      root.sels.free(sel);
    }
    t.scSel = -1;
    t.ecSel = -1;
    const po = t.pager;
    if (po !== null) {
      this.#calls.revoke(svc, objCrd(po.base, EXC_LOG2, 0x1f));
      root.sels.free(po.base, EXC_LOG2);
      if (!t.pd.destroyed) t.pd.sels.free(po.evt, EXC_LOG2);
      this.#calls.revoke(svc, objCrd(po.pause.coreSel, 0, 0x1f));
      root.sels.free(po.pause.coreSel);
      this.#sems.delete(po.pause.sm);
      this.#pagers.delete(po.id);
    }
    if (notify && was === 'running' && t.kind === 'thread') this.#core.threadExited(t, { kind: 'killed' });
  }

  wake(thread: KernelThread): void {
    const t = thread as NovaGenodeThread;
    if (!(t instanceof NovaGenodeThread) || t.state === 'killed' || t.pager === null) return;
    this.#calls.smUp(this.#svc[0]!, t.pager.pause.coreSel);
  }

  currentThread(): KernelThread | undefined {
    const ec = this.nova.executing?.ec ?? null;
    return ec === null ? undefined : this.#threads.get(ec);
  }

  grantCapabilities(kpd: KernelPd, caps: readonly Capability[]): void {
    const dst = this.#pd(kpd);
    if (dst.destroyed) return;
    const src = this.#pdOf(this.#acting());
    for (const cap of caps) {
      const rec = cap == null ? undefined : this.#caps.get(cap.id);
      const sel = rec === undefined ? undefined : src.caps.get(rec.id);
      if (rec === undefined || !rec.alive || sel === undefined || dst.caps.has(rec.id)) continue;
      const at = dst.sels.alloc();
      // core moves the capability from the parent's PD into the child's (misc delegate)
      this.#delegate(
        this.#svc[0]!,
        src.sel,
        dst,
        objCrd(sel, 0, 0x1f),
        { kind: ItemKind.DELEGATE },
        objCrd(at, 0),
      );
      if (this.nova.objCap(dst.nova, at)?.obj === rec.obj) {
        dst.caps.set(rec.id, at);
        rec.holders.add(dst);
      } else dst.sels.free(at);
    }
  }

  // ---------------------------------------------------------------------------------- semaphores

  createSemaphore(initial: number): KernelSemaphore {
    return this.#newSem(Number.isSafeInteger(initial) && initial > 0 ? initial : 0, 'semaphore');
  }

  semUp(sm: KernelSemaphore): void {
    const sem = sm as NovaGenodeSemaphore;
    if (!(sem instanceof NovaGenodeSemaphore)) return;
    const ec = this.#acting();
    this.#calls.smUp(ec, this.#smSel(this.#pdOf(ec), sem));
  }

  *semDown(sm: KernelSemaphore): Blocking<void> {
    const sem = sm as NovaGenodeSemaphore;
    if (!(sem instanceof NovaGenodeSemaphore))
      throw new KernelNovaError('BAD_CONTEXT', 'not a semaphore of this kernel');
    const h = this.#here();
    if (this.#killed(h.ec)) yield* this.#park(h);
    yield* h.sys.smDown(this.#smSel(h.pd, sem));
  }

  /**
   * `sm_ctrl` down with an absolute TSC deadline `now + us` (spec/nova.md §3.14): SUCCESS → true,
   * TIMEOUT → false. An infinite timeout is a plain down; NaN and negative ones are 0 (the
   * deadline is then the next tick: NOVA's 0 means "no timeout").
   */
  *semDownTimed(sm: KernelSemaphore, us: number): Blocking<boolean> {
    const sem = sm as NovaGenodeSemaphore;
    if (!(sem instanceof NovaGenodeSemaphore))
      throw new KernelNovaError('BAD_CONTEXT', 'not a semaphore of this kernel');
    const h = this.#here();
    if (this.#killed(h.ec)) yield* this.#park(h);
    const sel = this.#smSel(h.pd, sem);
    if (us === Number.POSITIVE_INFINITY) {
      yield* h.sys.smDown(sel);
      return true;
    }
    const ticks = Math.max(1, this.nova.usToTicks(Number.isNaN(us) ? 0 : Math.max(0, us)));
    const r = yield* h.sys.smDown(sel, { timeout: this.nova.now + ticks });
    return r.status === Status.SUCCESS;
  }

  // ---------------------------------------------------------------------------------- RPC

  createEntrypoint(kpd: KernelPd, options: ThreadOptions): KernelEntrypoint {
    const pd = this.#pd(kpd);
    const thread = this.#makeThread(pd, options.name, 'thread', options.cpu, options.priority, options.body);
    const rpc = this.#makeThread(pd, options.name, 'rpc', thread.cpu, thread.priority, null);
    if (rpc.ec !== null) {
      rpc.state = 'running';
      this.#prepareWindows(rpc.ec, pd);
    }
    return new NovaGenodeEntrypoint(this.#id(), thread, rpc);
  }

  /**
   * An RPC object: core creates a portal bound to the entrypoint's local EC (base-nova
   * `alloc_rpc_cap`), sets its PID to the object's badge (the capability id) and delegates it to
   * the entrypoint's PD — the server holds its own objects.
   */
  manage(kep: KernelEntrypoint, handler: RpcHandler): Capability {
    const ep = kep as NovaGenodeEntrypoint;
    if (!(ep instanceof NovaGenodeEntrypoint) || ep.rpc.ec === null) {
      throw new KernelNovaError('BAD_CONTEXT', 'not an entrypoint of this kernel');
    }
    const pd = ep.rpc.pd;
    const root = this.corePd;
    const svc = this.#svc[0]!;
    const id = this.#id();
    const sel = root.sels.alloc();
    this.#ok(
      this.#withQuota(pd, () => this.#calls.createPt(svc, sel, pd.sel, ep.rpc.ecSel, 0, this.#rpcIp)),
      'create_pt (RPC object)',
    );
    this.#ok(this.#calls.ptCtrl(svc, sel, id), 'pt_ctrl');
    const obj = this.#obj<Kobject>(root, sel);
    const rec: CapRecord = {
      id,
      kind: 'rpc',
      obj,
      coreSel: sel,
      handler,
      ep,
      imprint: 0,
      holders: new Set([root]),
      alive: true,
    };
    this.#caps.set(id, rec);
    this.#capOf.set(obj, id);
    root.caps.set(id, sel);
    if (pd !== root) this.#give(pd, rec);
    return Object.freeze({ id });
  }

  /** Core delegates capability `rec` into `pd` (client rights). */
  #give(pd: NovaGenodePd, rec: CapRecord): void {
    const at = pd.sels.alloc();
    const perms = rec.kind === 'rpc' ? PT_CLIENT : 0x3;
    this.#delegate(
      this.#svc[0]!,
      RootSel.PD,
      pd,
      objCrd(rec.coreSel, 0, perms),
      { kind: ItemKind.DELEGATE },
      objCrd(at, 0),
    );
    pd.caps.set(rec.id, at);
    rec.holders.add(pd);
  }

  dissolve(cap: Capability): void {
    if (cap != null) this.#destroyCap(cap.id, 'rpc');
  }

  #destroyCap(id: number, kind: 'rpc' | 'signal'): void {
    const rec = this.#caps.get(id);
    if (rec === undefined || rec.kind !== kind) return;
    rec.alive = false;
    this.#caps.delete(id);
    // self-revoke of core's root capability: the object and every copy derived from it go
    this.#calls.revoke(this.#svc[0]!, objCrd(rec.coreSel, 0, 0x1f));
    for (const pd of rec.holders) {
      const sel = pd.caps.get(id);
      pd.caps.delete(id);
      if (sel !== undefined && pd !== this.corePd) pd.sels.free(sel);
    }
    this.corePd.sels.free(rec.coreSel);
  }

  /**
   * An RPC: a NOVA `call` through the caller's selector of the object's portal. The request
   * travels "alongside the UTCB": the UTCB carries one untyped word, the slot of the request in
   * the kernel's message table (what a marshalling stub would copy into the message words), and
   * one typed item per capability argument (translate-else-delegate, hotspot = its index, Genode's
   * way); the reply carries the slot again and one item per capability in the result. A PD can
   * only invoke — and only send — capabilities it holds a selector for.
   */
  call(cap: Capability, request: RpcRequest): RpcResult {
    const rec = cap == null || typeof cap.id !== 'number' ? undefined : this.#caps.get(cap.id);
    if (rec === undefined || rec.kind !== 'rpc' || !rec.alive)
      return { ok: false, error: 'INVALID_CAPABILITY' };
    const ec = this.#acting();
    const pd = this.#pdOf(ec);
    const sel = pd.caps.get(rec.id);
    if (sel === undefined || this.nova.objCap(pd.nova, sel)?.obj !== rec.obj) {
      return { ok: false, error: 'INVALID_CAPABILITY' };
    }
    const u = ec.utcb;
    if (u === null) throw new KernelNovaError('BAD_CONTEXT', `${ec.label} cannot call (no UTCB)`);
    const carried: number[] = [];
    const args = carryCapabilities(request.args, (id) => pd.caps.has(id), carried) as readonly unknown[];
    if (carried.length > MAX_CAPS) {
      throw new KernelNovaError(
        'RPC_TOO_MANY_CAPS',
        `'${request.op}' carries ${carried.length} capabilities`,
      );
    }
    const slot = ++this.#msgSeq;
    const msg: Message = {
      req: args === request.args ? request : { op: request.op, args },
      value: undefined,
      error: undefined,
      threw: false,
    };
    this.#msgs.set(slot, msg);
    try {
      this.#writeMessage(u, slot, pd, carried);
      this.#prepareWindows(ec, pd);
      const server = rec.ep?.rpc.pd;
      if (server !== undefined) this.#headroom(server, 2 * MAX_CAPS);
      this.#headroom(pd, 2 * MAX_CAPS);
      const st = this.nova.callNow(ec, sel);
      if (st === Status.BAD_CAP) return { ok: false, error: 'INVALID_CAPABILITY' };
      if (st === Status.TIMEOUT) {
        throw new KernelNovaError(
          'RPC_BUSY',
          `RPC '${request.op}' to entrypoint '${rec.ep?.thread.name ?? '?'}': its EC is busy (a blocking activation such as a vCPU exit is in progress)`,
        );
      }
      if (st !== Status.SUCCESS)
        throw new KernelNovaError('INTERNAL', `RPC '${request.op}': ${statusName(st)}`);
      this.#receiveItems(ec, pd, u);
    } finally {
      this.#msgs.delete(slot);
    }
    if (msg.threw) throw msg.error;
    return { ok: true, value: msg.value };
  }

  #writeMessage(u: Utcb, slot: number, pd: NovaGenodePd, carried: readonly number[]): void {
    u.setWords([slot], 0);
    for (let i = 0; i < carried.length; i++) {
      u.setItem(i, objCrd(pd.caps.get(carried[i]!)!, 0, 0x1f), {
        kind: ItemKind.TRANSLATE_ELSE_DELEGATE,
        hotspot: i,
      });
    }
    u.setMsg(1, carried.length);
  }

  /**
   * Give `ec` its receive windows (translate: the whole object space; delegate: 4 selectors).
   * A window that received something is retired and a fresh one allocated, as base-nova's
   * `Receive_window` does.
   */
  #prepareWindows(ec: Ec, pd: NovaGenodePd): void {
    const u = ec.utcb;
    if (u === null) return;
    let w = this.#windows.get(ec);
    if (w !== undefined) {
      let used = w.claimed !== 0;
      for (let i = 0; i < MAX_CAPS && !used; i++) used = this.nova.objCap(pd.nova, w.base + i) !== undefined;
      if (used) {
        for (let i = 0; i < MAX_CAPS; i++) {
          const s = w.base + i;
          if ((w.claimed & (1 << i)) === 0 && this.nova.objCap(pd.nova, s) === undefined) pd.sels.free(s);
        }
        w = undefined;
      }
    }
    if (w === undefined) {
      w = { base: pd.sels.alloc(RCV_LOG2), claimed: 0 };
      this.#windows.set(ec, w);
    }
    u.xlt = XLT_ALL;
    u.del = objCrd(w.base, RCV_LOG2);
  }

  /** Register the capabilities the result items of a message gave `pd` (dropping second copies). */
  #receiveItems(ec: Ec, pd: NovaGenodePd, u: Utcb): void {
    const t = u.t;
    const w = this.#windows.get(ec);
    for (let i = 0; i < t; i++) {
      const { crd, flags } = u.item(i);
      if (crd.type !== CrdType.OBJ) continue;
      const obj = this.nova.objCap(pd.nova, crd.base)?.obj;
      if (obj === null || obj === undefined) continue;
      const id = this.#capOf.get(obj);
      const rec = id === undefined ? undefined : this.#caps.get(id);
      if (rec === undefined || !rec.alive) continue;
      const known = pd.caps.get(rec.id);
      const knownValid = known !== undefined && this.nova.objCap(pd.nova, known)?.obj === rec.obj;
      if (knownValid && known !== crd.base) {
        // translate-else-delegate delegated a second copy: the PD keeps the first one
        if ((flags & 1) === 1) this.#calls.revoke(ec, objCrd(crd.base, 0, 0x1f));
        continue;
      }
      pd.caps.set(rec.id, crd.base);
      rec.holders.add(pd);
      if (w !== undefined && crd.base >= w.base && crd.base < w.base + MAX_CAPS)
        w.claimed |= 1 << (crd.base - w.base);
    }
  }

  /** Code of every RPC portal: PID = the object's capability id. */
  *#rpcEntry(sys: Sys): Generator<KernelEntry, void, unknown> {
    const ec = this.nova.executing!.ec!;
    const pd = this.#pdOf(ec);
    const rec = this.#caps.get(sys.regs.rdi);
    const u = sys.utcb;
    const slot = u.mr(0);
    const msg = u.u >= 1 ? this.#msgs.get(slot) : undefined;
    this.#receiveItems(ec, pd, u);
    let carried: number[] = [];
    if (rec?.handler != null && msg !== undefined) {
      try {
        const value = rec.handler(msg.req);
        msg.value = carryCapabilities(value, (id) => pd.caps.has(id), carried);
        if (carried.length > MAX_CAPS) {
          msg.threw = true;
          msg.error = new KernelNovaError(
            'RPC_TOO_MANY_CAPS',
            `reply to '${msg.req.op}' carries ${carried.length} capabilities`,
          );
          carried = [];
        }
      } catch (error) {
        msg.threw = true;
        msg.error = error;
        carried = [];
      }
    }
    // the handler may have used the UTCB for calls of its own: build the reply now
    this.#writeMessage(u, slot, pd, carried);
    this.#prepareWindows(ec, pd);
    yield* sys.reply();
  }

  // ---------------------------------------------------------------------------------- signals

  createSignalSource(kep: KernelEntrypoint): KernelSignalSource {
    const ep = kep as NovaGenodeEntrypoint;
    if (!(ep instanceof NovaGenodeEntrypoint))
      throw new KernelNovaError('BAD_CONTEXT', 'not an entrypoint of this kernel');
    const sem = this.#newSem(0, 'signal');
    if (!ep.thread.pd.destroyed) this.#smSel(ep.thread.pd, sem);
    return new NovaGenodeSignalSource(this.#id(), ep, sem);
  }

  /**
   * A signal context: a G-kernel signal SM chained to the source's SM, whose value is the
   * context's capability id (spec/nova.md §6.4).
   */
  createSignalContext(ksrc: KernelSignalSource, imprint: number): Capability {
    const src = ksrc as NovaGenodeSignalSource;
    if (!(src instanceof NovaGenodeSignalSource))
      throw new KernelNovaError('BAD_CONTEXT', 'not a signal source of this kernel');
    const root = this.corePd;
    const id = this.#id();
    const sel = root.sels.alloc();
    this.#ok(
      this.#withQuota(root, () => this.#calls.createSm(this.#svc[0]!, sel, RootSel.PD, id, src.sem.coreSel)),
      'create_sm (signal)',
    );
    const obj = this.#obj<Kobject>(root, sel);
    const rec: CapRecord = {
      id,
      kind: 'signal',
      obj,
      coreSel: sel,
      handler: null,
      ep: null,
      imprint,
      holders: new Set([root]),
      alive: true,
    };
    this.#caps.set(id, rec);
    this.#capOf.set(obj, id);
    root.caps.set(id, sel);
    return Object.freeze({ id });
  }

  destroySignalContext(cap: Capability): void {
    if (cap != null) this.#destroyCap(cap.id, 'signal');
  }

  submitSignal(cap: Capability, count = 1): void {
    const rec = cap == null ? undefined : this.#caps.get(cap.id);
    if (rec === undefined || rec.kind !== 'signal' || !rec.alive) return;
    const ec = this.#acting();
    const sel = this.#pdOf(ec).caps.get(rec.id);
    if (sel === undefined) return; // not held by the submitter: an invalid capability for it
    const n = Math.min(MAX_SUBMIT, Math.max(1, Number.isFinite(count) ? Math.floor(count) : 1));
    for (let i = 0; i < n; i++) this.#calls.smUp(ec, sel);
  }

  *waitSignal(ksrc: KernelSignalSource): Blocking<SignalDelivery> {
    const src = ksrc as NovaGenodeSignalSource;
    if (!(src instanceof NovaGenodeSignalSource))
      throw new KernelNovaError('BAD_CONTEXT', 'not a signal source of this kernel');
    const h = this.#here();
    for (;;) {
      if (this.#killed(h.ec)) yield* this.#park(h);
      const r = yield* h.sys.smDown(this.#smSel(h.pd, src.sem));
      if (r.status !== Status.SUCCESS) yield* this.#park(h);
      // RSI = the signal SM's value (the context id), RDX = its count; 0 = no signal queued
      // (a context destroyed after it had been submitted)
      const rec = r.value === 0 ? undefined : this.#caps.get(r.value);
      if (rec !== undefined && rec.kind === 'signal' && rec.alive)
        return { imprint: rec.imprint, count: r.count };
    }
  }

  // ---------------------------------------------------------------------------------- exceptions

  /** Code of the exception portals: core's pager (base-nova `Pager_object`). */
  *#excEntry(sys: Sys, vector: number): Generator<KernelEntry, void, unknown> {
    const ec = this.nova.executing!.ec!;
    const po = this.#pagers.get(sys.regs.rdi);
    const u = sys.utcb;
    const deadSel = this.#dead.coreSel;
    if (po === undefined || po.thread.state === 'killed') yield* sys.reply(deadSel);
    const p = po!;
    if (vector === Event.PF) yield* this.#pageFaultReply(sys, ec, p);
    if (vector === Event.STARTUP) {
      // the thread starts at its entry: reply with RIP (and RSP)
      const t = p.thread;
      u.setMsg(0, 0);
      u.mtd = Mtd.EIP | Mtd.ESP;
      u.rip = t.entryIp;
      u.rsp = 0;
      yield* sys.reply();
    }
    if (vector === Event.RECALL) {
      u.setMsg(0, 0);
      u.mtd = 0;
      yield* sys.reply();
    }
    // any other exception: no handler installed, the thread is dead (Pager_object::exception)
    this.#core.log(
      `Error: unresolvable exception ${vector}, pd '${p.thread.pd.label}', thread '${p.thread.name}', ip=0x${u.rip.toString(16)}`,
    );
    yield* sys.reply(deadSel);
  }

  *#pageFaultReply(sys: Sys, ec: Ec, po: PagerObject): Generator<KernelEntry, never, unknown> {
    const u = sys.utcb;
    const err = u.qual0;
    const addr = u.qual1;
    const ip = u.rip;
    const t = po.thread;
    // NOVA's error code to Genode's fault type: WRITE iff W, EXEC iff P and I, else READ
    const type: AccessKind =
      (err & PfErr.W) !== 0 ? 'write' : (err & PfErr.P) !== 0 && (err & PfErr.I) !== 0 ? 'exec' : 'read';
    const trace = this.#trace;
    if (trace !== null) {
      trace.record({
        kind: 'page-fault',
        time: this.#traceTime(),
        pd: t.pd.label,
        thread: t.name,
        ec: t.ec?.label ?? '?',
        addr,
        type,
        ip,
        pager: ec.label,
        pid: po.id,
      });
    }
    let reply: PagerReply;
    try {
      reply = this.#core.pageFault({
        pd: t.pd,
        thread: t,
        addr,
        type,
        ip,
        ...(trace !== null ? { walk: true } : {}),
      });
    } catch (error) {
      this.#core.log(`Error: core's pager failed: ${error instanceof Error ? error.message : String(error)}`);
      reply = { kind: 'block' };
    }
    if (trace !== null && reply.walk !== undefined) {
      trace.record({ kind: 'rm-walk', time: this.#traceTime(), steps: reply.walk });
    }
    let block = this.#dead.coreSel;
    let result: 'resume' | 'block' | 'stop' = 'stop';
    if (t.state === 'killed') {
      // the thread died meanwhile
    } else if (reply.kind === 'map') {
      const st = this.#install(ec, t.pd, reply.mapping);
      if (st === 'OK') {
        block = 0;
        result = 'resume';
      } else
        this.#core.log(`Error: pager: mapping for '${t.pd.label}' at 0x${addr.toString(16)} failed (${st})`);
    } else {
      block = po.pause.coreSel;
      result = 'block';
    }
    if (trace !== null)
      trace.record({ kind: 'pager-reply', time: this.#traceTime(), thread: t.ec?.label ?? t.name, result });
    // an empty reply (mtd 0): the faulter retries the access — or reply-and-block on its SM
    u.setMsg(0, 0);
    u.mtd = 0;
    yield* sys.reply(block);
    throw new KernelNovaError('INTERNAL', 'reply returned');
  }

  // ---------------------------------------------------------------------------------- VMs

  createVm(kvmm: KernelPd, options: VmOptions): KernelVm {
    const vmm = this.#pd(kvmm);
    const pd = options.colocated ? vmm : (this.createPd(`${options.label} (VM)`) as NovaGenodePd);
    return new NovaGenodeVm(this.#id(), pd, vmm, options.colocated);
  }

  destroyVm(kvm: KernelVm): void {
    const vm = kvm as NovaGenodeVm;
    if (!(vm instanceof NovaGenodeVm) || vm.destroyed) return;
    vm.destroyed = true;
    for (const v of [...vm.vcpus]) this.destroyVcpu(v);
    if (!vm.colocated) {
      this.destroyPd(vm.pd);
      return;
    }
    // same PD: the guest's delegations (G) leave the VMM's memory space
    const svc = this.#svc[0]!;
    const guest = [...vm.pd.nova.mem.values()].filter((n) => (n.sub & Sub.G) !== 0);
    for (const n of guest) {
      if (!n.removed) this.#calls.revoke(svc, memCrd(n.base, n.order, 7), { remote: vm.pd.sel });
    }
  }

  mapGuest(kvm: KernelVm, page: Flexpage): MapStatus {
    const vm = kvm as NovaGenodeVm;
    if (!(vm instanceof NovaGenodeVm) || vm.destroyed) return 'INVALID';
    const { phys, virt: gpa, log2 } = page;
    if (!Number.isInteger(log2) || log2 < 12 || log2 > this.maxMapLog2) return 'INVALID';
    const size = 2 ** log2;
    if (
      !Number.isSafeInteger(phys) ||
      !Number.isSafeInteger(gpa) ||
      phys < 0 ||
      gpa < 0 ||
      phys % size !== 0 ||
      gpa % size !== 0 ||
      phys + size > this.nova.memory.kernelStart * PAGE ||
      gpa + size > 2 ** 52
    ) {
      return 'INVALID';
    }
    const gp = gpa / PAGE;
    const o = log2 - 12;
    const perms = 1 | (page.rights.write ? 2 : 0) | (page.rights.exec ? 4 : 0);
    const svc = this.#svc[0]!;
    const s = this.#delegate(
      svc,
      RootSel.PD,
      vm.pd,
      memCrd(phys / PAGE, o, perms),
      { kind: ItemKind.DELEGATE, h: true, g: true, hotspot: gp },
      memCrd(gp, o, 0x1f),
    );
    if (s === Status.QUO_OOM) return 'OUT_OF_MEMORY';
    if (vm.pd.nova.guest.translate(gp) === undefined) return 'INVALID';
    this.#traceMap(svc, 'H (kernel space)', vm.pd, gpa, phys, log2, perms, true);
    return 'OK';
  }

  #traceMap(
    ec: Ec,
    from: string,
    pd: NovaGenodePd,
    virt: number,
    phys: number,
    log2: number,
    perms: number,
    guest: boolean,
  ): void {
    this.#trace?.record({
      kind: 'map',
      time: this.#traceTime(),
      by: ec.label,
      from,
      pd: pd.label,
      virt,
      phys,
      log2,
      rights: rwx(perms),
      guest,
    });
  }

  mapGuestFromLocal(kvm: KernelVm, d: GuestDelegation): MapStatus {
    const vm = kvm as NovaGenodeVm;
    if (!(vm instanceof NovaGenodeVm) || vm.destroyed) return 'INVALID';
    const item = this.#guestItem(vm.vmm, d);
    if (typeof item === 'string') return item;
    const s = this.#delegate(
      this.#svc[0]!,
      vm.vmm.sel,
      vm.pd,
      item.crd,
      item.opts,
      memCrd(d.gpa / PAGE, d.log2 - 12, 0x1f),
    );
    if (s === Status.QUO_OOM) return 'OUT_OF_MEMORY';
    return vm.pd.nova.guest.translate(d.gpa / PAGE) === undefined ? 'INVALID' : 'OK';
  }

  /** A G memory item for `d` from the VMM's address space, or why there is none. */
  #guestItem(
    vmm: NovaGenodePd,
    d: GuestDelegation,
  ): { crd: Crd; opts: ItemOptions; perms: number } | MapStatus {
    const { virt, gpa, log2 } = d;
    if (!Number.isInteger(log2) || log2 < 12 || log2 > this.maxMapLog2) return 'INVALID';
    const size = 2 ** log2;
    if (
      !Number.isSafeInteger(virt) ||
      !Number.isSafeInteger(gpa) ||
      virt < 0 ||
      gpa < 0 ||
      virt % size !== 0 ||
      gpa % size !== 0 ||
      virt + size > USER_ADDR ||
      gpa + size > 2 ** 52
    ) {
      return 'INVALID';
    }
    // the VMM's own translation must be there (Seoul touches the page first)
    for (let p = virt / PAGE; p < (virt + size) / PAGE; p++) {
      const n = vmm.nova.mem.find(p);
      if (n === undefined || n.utcb) return 'NOT_MAPPED';
    }
    const perms = 1 | (d.rights.write ? 2 : 0) | (d.rights.exec ? 4 : 0);
    return {
      crd: memCrd(virt / PAGE, log2 - 12, perms),
      opts: { kind: ItemKind.DELEGATE, g: true, hotspot: gpa / PAGE },
      perms,
    };
  }

  unmapGuest(kvm: KernelVm, gpa: number, size: number): void {
    const vm = kvm as NovaGenodeVm;
    if (!(vm instanceof NovaGenodeVm) || vm.destroyed) return;
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(size) || size <= 0 || gpa < 0) return;
    // remote revoke on the guest PD (base-nova's Vm_session detach)
    this.#revokeRange(vm.pd, gpa, size);
  }

  lookupGuest(kvm: KernelVm, gpa: number): Translation | undefined {
    const vm = kvm as NovaGenodeVm;
    if (!(vm instanceof NovaGenodeVm) || !Number.isSafeInteger(gpa) || gpa < 0) return undefined;
    const page = Math.floor(gpa / PAGE);
    const t = vm.pd.nova.guest.translate(page);
    return t === undefined
      ? undefined
      : { virt: page * PAGE, phys: t.frame * PAGE, rights: rightsOf(t.perms) };
  }

  /**
   * A vCPU as base-nova's VM session makes one: an event window of 256 selectors in the VM's PD
   * with one exit portal per reason, bound to the handler entrypoint's local EC (PID =
   * vcpu id << 16 | reason, MTD from `exitMtd`); an SM; the vCPU EC (UTCB 0) in the VM's PD. The
   * VMM gets the vCPU's EC (recall) and SM (up/down). The SC comes with the first `runVcpu`.
   */
  createVcpu(kvm: KernelVm, options: VcpuOptions): KernelVcpu {
    const vm = kvm as NovaGenodeVm;
    const ep = options.handler as NovaGenodeEntrypoint;
    if (!(vm instanceof NovaGenodeVm) || vm.destroyed)
      throw new KernelNovaError('BAD_CONTEXT', 'not a live VM of this kernel');
    if (!(ep instanceof NovaGenodeEntrypoint) || ep.rpc.ec === null) {
      throw new KernelNovaError('BAD_CONTEXT', 'vCPU handler is not an entrypoint of this kernel');
    }
    const svc = this.#svc[0]!;
    const root = this.corePd;
    const id = ++this.#vcpuSeq;
    const cpu = ep.rpc.cpu;
    const hpd = ep.rpc.pd;
    const evt = vm.pd.sels.alloc(VCPU_LOG2);
    const base = root.sels.alloc(VCPU_LOG2);
    for (let r = 0; r < 2 ** VCPU_LOG2; r++) {
      const sel = base + r;
      const mtd = options.exitMtd(r) >>> 0;
      this.#ok(
        this.#withQuota(hpd, () => this.#calls.createPt(svc, sel, hpd.sel, ep.rpc.ecSel, mtd, this.#exitIp)),
        'create_pt (exit portal)',
      );
      this.#ok(this.#calls.ptCtrl(svc, sel, id * 0x10000 + r), 'pt_ctrl');
      this.#calls.revoke(svc, objCrd(sel, 0, PtPerm.CTRL));
    }
    this.#ok(
      this.#delegate(
        svc,
        RootSel.PD,
        vm.pd,
        objCrd(base, VCPU_LOG2),
        { kind: ItemKind.DELEGATE },
        objCrd(evt, VCPU_LOG2),
      ),
      'delegate exit portals',
    );
    const sem = this.#newSem(0, 'vcpu');
    const t = new NovaGenodeThread(this.#id(), `vcpu ${id}`, vm.pd, 'vcpu', cpu, DEFAULT_PRIO, null);
    const sel = root.sels.alloc();
    this.#ok(
      this.#withQuota(vm.pd, () =>
        this.#calls.createEc(svc, sel, vm.pd.sel, { cpu, utcb: 0, sp: 0, evt, global: true }),
      ),
      'create_ec (vCPU)',
    );
    const ec = this.#obj<Ec>(root, sel);
    ec.label = `vcpu${id}`;
    t.ec = ec;
    t.ecSel = sel;
    t.state = 'running';
    this.#threads.set(ec, t);
    // the VMM's caps: the vCPU's SM (up, down) and EC (recall), and the handler's PD needs the SM
    this.#smSel(vm.vmm, sem);
    this.#smSel(hpd, sem);
    const ecAt = vm.vmm.sels.alloc();
    this.#delegate(
      svc,
      RootSel.PD,
      vm.vmm,
      objCrd(sel, 0, EcPerm.CTRL),
      { kind: ItemKind.DELEGATE },
      objCrd(ecAt, 0),
    );
    const v = new NovaGenodeVcpu(id, vm, options, ep, t, sem, evt, base);
    v.vmmEcSel = ecAt;
    this.#vcpus.set(id, v);
    vm.vcpus.add(v);
    return v;
  }

  /** Run a paused vCPU: ec_ctrl set-state for `update`, then `sm up` — or `create_sc` the first time (STARTUP). */
  runVcpu(kvcpu: KernelVcpu, update?: { readonly state: VcpuState; readonly mtd: number }): void {
    const v = kvcpu as NovaGenodeVcpu;
    if (!(v instanceof NovaGenodeVcpu) || v.destroyed) return;
    const ec = v.ec;
    const paused = !v.started || ec.waitingOn === v.sem.sm;
    if (!paused) return;
    if (update !== undefined) {
      const svc = this.#svc[ec.cpu]!;
      writeVcpuState(update.state, update.mtd & ~Mtd.QUAL, svc.utcb!);
      this.#calls.setVcpuState(svc, v.thread.ecSel);
    }
    if (!v.started) {
      v.started = true;
      const sel = this.corePd.sels.alloc();
      this.#ok(
        this.#withQuota(v.vm.pd, () =>
          this.#calls.createSc(this.#svc[0]!, sel, v.vm.pd.sel, v.thread.ecSel, {
            prio: DEFAULT_PRIO,
            quantum: QUANTUM_US,
          }),
        ),
        'create_sc (vCPU)',
      );
      v.thread.scSel = sel;
      return;
    }
    const acting = this.#acting();
    const sel = this.#pdOf(acting).sms.get(v.sem.sm);
    if (sel !== undefined) this.#calls.smUp(acting, sel);
    else this.#calls.smUp(this.#svc[0]!, v.sem.coreSel);
  }

  recallVcpu(kvcpu: KernelVcpu): void {
    const v = kvcpu as NovaGenodeVcpu;
    if (!(v instanceof NovaGenodeVcpu) || v.destroyed) return;
    // ec_ctrl recall by the VMM through its selector of the vCPU EC (core's on the host)
    const acting = this.#acting();
    if (this.#pdOf(acting) === v.vm.vmm && v.vmmEcSel >= 0) this.#calls.recall(acting, v.vmmEcSel);
    else this.#calls.recall(this.#svc[0]!, v.thread.ecSel);
  }

  destroyVcpu(kvcpu: KernelVcpu): void {
    const v = kvcpu as NovaGenodeVcpu;
    if (!(v instanceof NovaGenodeVcpu) || v.destroyed) return;
    v.destroyed = true;
    const svc = this.#svc[0]!;
    const t = v.thread;
    t.state = 'killed';
    for (const sel of [t.scSel, t.ecSel]) if (sel >= 0) this.#calls.revoke(svc, objCrd(sel, 0, 0x1f));
    this.#calls.revoke(svc, objCrd(v.base, VCPU_LOG2, 0x1f));
    this.#calls.revoke(svc, objCrd(v.sem.coreSel, 0, 0x1f));
    this.#vcpus.delete(v.id);
    v.vm.vcpus.delete(v);
  }

  /**
   * Code of every exit portal (PID = vcpu id << 16 | reason): the VMM's handler runs in this
   * portal activation on the entrypoint's local EC, on the vCPU's SC; its reply writes back the
   * state its MTD selects and carries its guest delegations as G items.
   */
  *#exitEntry(sys: Sys): Generator<KernelEntry, void, unknown> {
    const ec = this.nova.executing!.ec!;
    const pid = sys.regs.rdi;
    const v = this.#vcpus.get(Math.floor(pid / 0x10000));
    const reason = pid % 0x10000;
    const u = sys.utcb;
    if (v === undefined || v.destroyed) {
      u.setMsg(0, 0);
      u.mtd = 0;
      yield* sys.reply();
      return;
    }
    const hpd = this.#pdOf(ec);
    const mtd = u.mtd;
    const state = v.exitState;
    readVcpuState(u, mtd, state);
    state.exitReason = reason;
    const trace = this.#trace;
    if (trace !== null) {
      trace.record({
        kind: 'vcpu-exit',
        time: this.#traceTime(),
        vcpu: v.id,
        reason,
        qual0: u.qual0,
        qual1: u.qual1,
        portal: v.evt + reason,
        pid,
        handler: ec.label,
        mtd,
      });
    }
    let reply: VcpuExitReply;
    try {
      reply = yield* v.options.onExit({ reason, state, mtd }) as Generator<
        KernelEntry,
        VcpuExitReply,
        unknown
      >;
    } catch (error) {
      this.#core.log(
        `Error: vCPU ${v.id} exit handler failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      u.setMsg(0, 0);
      u.mtd = 0;
      yield* sys.reply(this.#smSel(hpd, v.sem));
      return;
    }
    if (v.destroyed) {
      yield* sys.reply();
      return;
    }
    // the handler may have used the UTCB (IPC, logging): write the reply now
    u.setMsg(0, 0);
    writeVcpuState(state, reply.mtd & ~Mtd.QUAL, u);
    const items: { virt: number; gpa: number; log2: number; rights: string }[] = [];
    for (const d of reply.delegations ?? []) {
      const item = this.#guestItem(hpd, d);
      if (typeof item === 'string') {
        this.#core.log(`Error: Could not map everything (${item} at 0x${d.virt.toString(16)})`);
        continue;
      }
      if (items.length >= 200) break;
      u.appendItem(item.crd, item.opts);
      items.push({ virt: d.virt, gpa: d.gpa, log2: d.log2, rights: rwx(item.perms) });
    }
    // each G item may add an MDB node and a page-table page to the VM's PD
    if (items.length > 0) this.#headroom(v.vm.pd, 4 + 2 * items.length);
    if (trace !== null) {
      trace.record({
        kind: 'exit-reply',
        time: this.#traceTime(),
        vcpu: v.id,
        mtd: reply.mtd,
        items,
        resume: reply.resume,
      });
    }
    yield* sys.reply(reply.resume ? 0 : this.#smSel(hpd, v.sem));
  }
}
