/**
 * The kernel interface: what Genode's core and base library need from a kernel.
 *
 * This is the contract a kernel backend implements (`@genode-ts/kernel-nova` does it with NOVA
 * mechanisms, as `repos/base-nova` does for Genode). It is the consumer's side only: it says
 * what core needs, never how a kernel is built. Everything here is called by genode-base; the
 * kernel calls back into core only through {@link CoreUpcalls}.
 *
 * Execution model (docs/execution-model.md): threads are generator functions driven by the
 * kernel's scheduler. Operations that may block return a {@link Blocking} generator and must be
 * delegated to with `yield*` from inside a thread body; all other operations are plain calls that
 * complete immediately. RPC handlers are plain functions that run to completion.
 */
import type { Blocking } from './blocking.js';
import type { Capability } from './capability.js';
import type {
  AccessKind,
  Flexpage,
  MachineDescription,
  MapStatus,
  PhysicalMemory,
  Rights,
  Translation,
} from './memory.js';
import type { VcpuState } from './vcpu-state.js';

/** A protection domain: an address space plus the objects of one component. */
export interface KernelPd {
  readonly id: number;
  readonly label: string;
}

/** A thread (NOVA: a global EC with an SC). */
export interface KernelThread {
  readonly id: number;
  readonly name: string;
  readonly pd: KernelPd;
}

/**
 * An entrypoint: a thread that serves RPC objects (NOVA: portals bound to a local EC) and runs
 * its body — genode-base's signal-dispatch loop — between calls.
 */
export interface KernelEntrypoint {
  readonly id: number;
  readonly thread: KernelThread;
}

/** The signal source of an entrypoint (NOVA: a signal semaphore chained to the EP's semaphore). */
export interface KernelSignalSource {
  readonly id: number;
  readonly ep: KernelEntrypoint;
}

/** A counting semaphore with FIFO wake-up (NOVA `sm`). */
export interface KernelSemaphore {
  readonly id: number;
}

/**
 * A virtual machine: a guest-physical address space. Colocated VMs use the VMM's own PD (NOVA
 * same-PD vCPUs: the guest page table of the VMM PD, filled only by G-flag delegations); others
 * get a PD of their own.
 */
export interface KernelVm {
  readonly id: number;
  /** The PD whose guest space is this VM's guest-physical memory. */
  readonly pd: KernelPd;
  /** The VMM's PD (the one that created the VM). */
  readonly vmm: KernelPd;
  readonly colocated: boolean;
}

/** A virtual CPU of a VM. */
export interface KernelVcpu {
  readonly id: number;
  readonly vm: KernelVm;
}

/** What a thread body is and where it runs. */
export interface ThreadOptions {
  readonly name: string;
  /** CPU index, default 0. */
  readonly cpu?: number;
  /** Scheduling priority (NOVA 1..127), default 64. */
  readonly priority?: number;
  /** The body; runs when the thread is started. */
  readonly body: () => Blocking<void>;
}

/** An RPC request: operation name and arguments (capabilities travel as {@link Capability}). */
export interface RpcRequest {
  readonly op: string;
  readonly args: readonly unknown[];
}

/** The server side of an RPC object; runs to completion on the serving entrypoint. */
export type RpcHandler = (request: RpcRequest) => unknown;

/** Outcome of an RPC: the handler's value, or an invalid capability (Genode's `Ipc_error`). */
export type RpcResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: 'INVALID_CAPABILITY' };

/** One signal delivered to a source: the context's imprint and the accumulated count. */
export interface SignalDelivery {
  readonly imprint: number;
  readonly count: number;
}

/**
 * A page fault as the kernel reports it to core's pager. `type` follows the kernel's hardware
 * view: on NOVA/x86, WRITE iff the access was a write, EXEC iff an instruction fetch hit a
 * *present* page, otherwise READ (so the first fetch on an absent page is a READ fault).
 */
export interface PageFault {
  readonly pd: KernelPd;
  readonly thread: KernelThread;
  readonly addr: number;
  readonly type: AccessKind;
  readonly ip: number;
  /**
   * Ask core to report the region maps its lookup walked ({@link PagerReply} `walk`), for a
   * kernel's trace. Optional; core does no extra work without it.
   */
  readonly walk?: boolean;
}

/**
 * One level of core's fault lookup (§3.4): the region map, the address in its coordinates, and
 * what was found there (the region and its dataspace, or nothing).
 */
export interface RegionMapWalkStep {
  /** The region map's label, e.g. `init -> vmm address space`. */
  readonly map: string;
  /** The fault address in this map's coordinates. */
  readonly addr: number;
  /** The region containing it, if any. */
  readonly region?: { readonly base: number; readonly size: number; readonly offset: number };
  /** Kind of the region's dataspace (`MANAGED` continues the walk one level down). */
  readonly dataspace?: 'RAM' | 'ROM' | 'MANAGED';
}

/**
 * Core's answer to a page fault: install `mapping` in the faulting PD and let the thread retry,
 * or keep the thread blocked (reflected to a fault handler, or stopped) until {@link
 * BootedKernel.wake}. `walk` is present when the fault asked for it.
 */
export type PagerReply =
  | { readonly kind: 'map'; readonly mapping: Flexpage; readonly walk?: readonly RegionMapWalkStep[] }
  | { readonly kind: 'block'; readonly walk?: readonly RegionMapWalkStep[] };

/** How a thread ended. */
export type ThreadOutcome =
  | { readonly kind: 'returned' }
  | { readonly kind: 'killed' }
  | { readonly kind: 'error'; readonly error: unknown };

/** What core provides to the kernel. All upcalls run to completion. */
export interface CoreUpcalls {
  /** A thread faulted on a page that its PD has no sufficient mapping for. */
  pageFault(fault: PageFault): PagerReply;
  /** A thread body returned, threw, or the thread was killed. */
  threadExited(thread: KernelThread, outcome: ThreadOutcome): void;
  /** A kernel message for the system log. */
  log(line: string): void;
}

/** Options of {@link BootedKernel.run}. */
export interface RunOptions {
  /** Stop as soon as this returns true (checked after every scheduling step). */
  readonly until?: () => boolean;
  /** Stop after this many scheduling steps. */
  readonly maxSteps?: number;
  /** Stop when the virtual clock reaches this time (µs). */
  readonly maxTime?: number;
}

/** Why a thread is not runnable. */
export type BlockReason = 'page-fault' | 'semaphore' | 'signal' | 'sleep' | 'vcpu';

/** A thread that could not run when {@link BootedKernel.run} returned. */
export interface BlockedThread {
  readonly thread: KernelThread;
  readonly on: BlockReason;
}

/** Result of {@link BootedKernel.run}. */
export interface RunResult {
  /** `until`: the condition held; `quiescent`: nothing runnable and no timeout pending. */
  readonly reason: 'until' | 'quiescent' | 'steps' | 'time';
  readonly steps: number;
  /** Virtual time in µs. */
  readonly now: number;
  readonly blocked: readonly BlockedThread[];
}

/** One vCPU exit delivered to the VMM's handler. */
export interface VcpuExit {
  /** Exit reason in SVM numbering ({@link VCPU_EXIT}). */
  readonly reason: number;
  /** The guest state; the fields selected by `mtd` are current, `exitReason` always is. */
  readonly state: VcpuState;
  /** MTD bits of the portal for this exit reason. */
  readonly mtd: number;
}

/**
 * A memory delegation into a VM's guest-physical space from the VMM's own address space (NOVA:
 * a memory item with the G flag; `virt` is the VMM-local address, `gpa` the hotspot).
 */
export interface GuestDelegation {
  readonly virt: number;
  readonly gpa: number;
  readonly log2: number;
  readonly rights: Rights;
}

/** The handler's reply to a vCPU exit. */
export interface VcpuExitReply {
  /** Which fields of the exit's `state` to write back (the reply's UTCB `mtd`). */
  readonly mtd: number;
  /** false: the vCPU stays paused until {@link BootedKernel.runVcpu} (reply-and-block). */
  readonly resume: boolean;
  /** Delegations into the guest space, applied before the vCPU resumes. */
  readonly delegations?: readonly GuestDelegation[];
}

/** How a vCPU is created. */
export interface VcpuOptions {
  readonly cpu?: number;
  /** The VMM entrypoint whose context runs the exit handler (page faults are its PD's). */
  readonly handler: KernelEntrypoint;
  /** MTD of the exit portal for each reason (Genode: `Vcpu_dispatcher::register_handler`). */
  readonly exitMtd: (reason: number) => number;
  /** The exit handler; runs until it returns the reply, may block. */
  readonly onExit: (exit: VcpuExit) => Blocking<VcpuExitReply>;
}

/** Options of {@link BootedKernel.createVm}. */
export interface VmOptions {
  readonly label: string;
  /** true: the guest-physical space is the VMM PD's guest page table (`Vcpu_same_pd`). */
  readonly colocated: boolean;
}

/**
 * A running kernel as core sees it. Obtained from {@link Kernel.boot}.
 *
 * Memory: the kernel owns the translation of every PD's address space. `map` installs what
 * core's pager decided, `unmap` removes every translation overlapping a range (genode's flush;
 * NOVA: revoke), `lookup` reports the current translation of one page. A kernel may install
 * lazily (NOVA fills hardware page tables from the mapping database on first touch): `lookup`
 * then reports what an access would see, and `pageFault` resolves such cases without asking
 * core.
 */
export interface BootedKernel {
  /** Backend name for logs, e.g. `nova`. */
  readonly name: string;
  /** The machine's RAM and the ranges core may allocate. */
  readonly memory: PhysicalMemory;
  /** Number of CPUs. */
  readonly cpus: number;
  /** The virtual range of a PD's address space (NOVA x86_64: [0x1000, 0x7fffc0000000)). */
  readonly userRange: { readonly start: number; readonly end: number };
  /** Largest flexpage the kernel maps, log2 bytes (NOVA: 43; bounded by the buffer here). */
  readonly maxMapLog2: number;
  /**
   * Optional. Host code wrote `[phys, phys + length)` of {@link PhysicalMemory.buffer} directly
   * (core zero-filling a dataspace, `Local_memory` stores, a VMM's device emulation). A
   * kernel whose processors cache anything derived from RAM contents — decoded or compiled guest
   * code — drops what those bytes held, so the next fetch sees the new bytes. Kernels without
   * such caches need not implement it. Must be cheap: it is called on every host store.
   */
  ramWritten?(phys: number, length: number): void;

  /** Virtual time in µs. */
  now(): number;
  /** Drive the scheduler (execution-model rule 5). Must not be called from a thread. */
  run(options?: RunOptions): RunResult;
  /** Model `us` µs of computation: advances the clock, a preemption point. */
  spin(us: number): Blocking<void>;
  /** Sleep until the clock has advanced by `us` µs (idle time is skipped). */
  sleep(us: number): Blocking<void>;
  /** Give up the CPU to other runnable threads. */
  yieldCpu(): Blocking<void>;

  /** Create a PD with an empty address space. */
  createPd(label: string): KernelPd;
  /** Destroy a PD: its threads are killed and its translations vanish. */
  destroyPd(pd: KernelPd): void;
  /** Install a translation in a PD's address space. */
  map(pd: KernelPd, page: Flexpage): MapStatus;
  /** Remove every translation overlapping `[virt, virt+size)` (flush). */
  unmap(pd: KernelPd, virt: number, size: number): void;
  /** The current translation of the page containing `virt`. */
  lookup(pd: KernelPd, virt: number): Translation | undefined;
  /**
   * Raise a page fault for the current thread, which belongs to `pd`: the kernel delivers it to
   * core's pager ({@link CoreUpcalls.pageFault}), installs a decided mapping and returns so that
   * the thread retries, or blocks the thread until {@link BootedKernel.wake}.
   */
  pageFault(pd: KernelPd, addr: number, access: AccessKind, ip?: number): Blocking<void>;

  /** Create a thread in a PD (not yet running). */
  createThread(pd: KernelPd, options: ThreadOptions): KernelThread;
  /** Make a created thread runnable. */
  startThread(thread: KernelThread): void;
  /** End a thread wherever it is; it never runs again. */
  killThread(thread: KernelThread): void;
  /**
   * Wake a thread blocked in `pageFault` (base-nova's pause semaphore `up`); if it is not
   * blocked, its next `pageFault` returns at once.
   */
  wake(thread: KernelThread): void;
  /** The thread whose code is running, undefined outside threads. */
  currentThread(): KernelThread | undefined;
  /**
   * Optional. The calling context (a parent starting a child) hands PD `pd` the capabilities it
   * starts with — Genode's parent capability and environment sessions, which on NOVA end up as
   * selectors in the child's object space. Kernels that check which PD holds which capability
   * (NOVA) install them here; a caller can only hand on what it holds itself. Kernels without
   * such a check need not implement it.
   */
  grantCapabilities?(pd: KernelPd, caps: readonly Capability[]): void;

  /** Create a semaphore. */
  createSemaphore(initial: number): KernelSemaphore;
  /** `up`: wake the first waiter or increment. */
  semUp(sm: KernelSemaphore): void;
  /** `down`: decrement or block (FIFO). */
  semDown(sm: KernelSemaphore): Blocking<void>;
  /**
   * `down` with a timeout: decrement, or block (FIFO) until an `up` or until the clock has
   * advanced by `us` µs, whichever comes first. Returns true when it got the semaphore, false on
   * the timeout (the thread is then no longer a waiter: a later `up` increments the count).
   * NOVA: `sm_ctrl` down with an absolute TSC deadline, status TIMEOUT (spec/nova.md §3.14).
   */
  semDownTimed(sm: KernelSemaphore, us: number): Blocking<boolean>;

  /** Create an entrypoint thread in a PD (not yet running; start with `startThread`). */
  createEntrypoint(pd: KernelPd, options: ThreadOptions): KernelEntrypoint;
  /** Create an RPC object served by `ep`; returns its capability. */
  manage(ep: KernelEntrypoint, handler: RpcHandler): Capability;
  /** Destroy an RPC object; later calls see an invalid capability. */
  dissolve(cap: Capability): void;
  /**
   * Call an RPC object: synchronous for the caller; the handler runs to completion on the
   * serving entrypoint (execution-model rule 3) and its exceptions propagate to the caller.
   * May be called from a thread or from the host outside any thread (booting components, tests):
   * the handler then runs directly.
   */
  call(cap: Capability, request: RpcRequest): RpcResult;

  /** Create the signal source of an entrypoint. */
  createSignalSource(ep: KernelEntrypoint): KernelSignalSource;
  /** Create a signal context delivering `imprint` to `source`. */
  createSignalContext(source: KernelSignalSource, imprint: number): Capability;
  /** Destroy a signal context; pending deliveries are dropped. */
  destroySignalContext(cap: Capability): void;
  /** Submit a signal (`count` defaults to 1; from a thread, core or the host); invalid capabilities are ignored. */
  submitSignal(cap: Capability, count?: number): void;
  /** Block until a context of `source` has pending signals; contexts are delivered FIFO. */
  waitSignal(source: KernelSignalSource): Blocking<SignalDelivery>;

  /** Create a VM whose guest-physical space is empty. */
  createVm(vmm: KernelPd, options: VmOptions): KernelVm;
  /** Destroy a VM, its vCPUs and its guest translations. */
  destroyVm(vm: KernelVm): void;
  /** Map physical memory into the guest space eagerly (`page.virt` is the guest-physical address). */
  mapGuest(vm: KernelVm, page: Flexpage): MapStatus;
  /**
   * Map from the VMM's address space into the guest space (NOVA G-flag delegation). Returns
   * `NOT_MAPPED` if the VMM's own translation of the source range is absent: the VMM touches the
   * page first, as Seoul does.
   */
  mapGuestFromLocal(vm: KernelVm, delegation: GuestDelegation): MapStatus;
  /** Remove guest translations overlapping `[gpa, gpa+size)`; the next guest access exits (NPT). */
  unmapGuest(vm: KernelVm, gpa: number, size: number): void;
  /** The current guest translation of the page containing `gpa`. */
  lookupGuest(vm: KernelVm, gpa: number): Translation | undefined;
  /** Create a vCPU (paused; the first `runVcpu` delivers the STARTUP exit). */
  createVcpu(vm: KernelVm, options: VcpuOptions): KernelVcpu;
  /** Run a paused vCPU, first writing the `update.mtd`-selected parts of `update.state`. */
  runVcpu(vcpu: KernelVcpu, update?: { readonly state: VcpuState; readonly mtd: number }): void;
  /** Ask a vCPU to stop: a RECALL exit (0xff) at the next opportunity. */
  recallVcpu(vcpu: KernelVcpu): void;
  /** Destroy a vCPU. */
  destroyVcpu(vcpu: KernelVcpu): void;
}

/**
 * A kernel backend: a named factory that boots a machine for core. Applications choose one
 * (`boot({ kernel: novaKernel() })`); genode-base never imports a kernel.
 *
 * @example
 * ```ts
 * import { defineKernel, type BootedKernel } from '@genode-ts/genode-base';
 *
 * export function myKernel(): Kernel {
 *   return defineKernel({
 *     name: 'my-kernel',
 *     boot(machine, core): BootedKernel {
 *       const ram = new ArrayBuffer(machine.ramBytes);
 *       // ... page tables, a scheduler driving generator threads, portals, signals ...
 *       // on a page fault: const reply = core.pageFault({ pd, thread, addr, type, ip });
 *       //   reply.kind === 'map'   → install reply.mapping, let the thread retry;
 *       //   reply.kind === 'block' → keep the thread blocked until wake(thread).
 *       return booted;
 *     },
 *   });
 * }
 * ```
 */
export interface Kernel {
  /** Backend name. */
  readonly name: string;
  /** Boot the machine and hand core its memory and the kernel's services. Called once per system. */
  boot(machine: MachineDescription, core: CoreUpcalls): BootedKernel;
}

/**
 * Identity helper for kernel backends: gives plugin authors type inference and a place for docs.
 *
 * @example
 * ```ts
 * export const testKernel = (): Kernel => defineKernel({ name: 'test', boot: (m, core) => new TestKernel(m, core) });
 * ```
 */
export function defineKernel<K extends Kernel>(kernel: K): K {
  return kernel;
}
