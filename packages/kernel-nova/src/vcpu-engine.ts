import type { Translation } from './page-table.js';
import type { PhysicalMemory } from './physical-memory.js';
import type { VcpuState } from './vcpu-state.js';

/**
 * The guest-physical view a vCPU engine runs against: the nested page table of the vCPU's PD
 * (populated only by delegations with G) and its guest I/O space (ports delegated with G pass
 * through; all others exit). Translations may be cached by the engine; the kernel calls
 * {@link VcpuBackend.invalidate} whenever an entry is removed or loses permissions.
 */
export interface GuestSpace {
  /** Translate guest-physical page `gpaPage`; `undefined` means an NPT fault. */
  translate(gpaPage: number): Translation | undefined;
  /** True if guest port `port` was delegated to the PD with G (no I/O exit). */
  ioPassThrough(port: number): boolean;
  /** Machine memory, to access a translated frame. */
  readonly memory: PhysicalMemory;
  /**
   * A guest IN from a pass-through port (one for which {@link ioPassThrough} is true): the
   * host's port bus (`NovaKernel.ioBus`); all ones when nothing is attached.
   */
  ioIn?(port: number, size: 1 | 2 | 4): number;
  /** A guest OUT to a pass-through port; ignored when nothing is attached. */
  ioOut?(port: number, size: 1 | 2 | 4, value: number): void;
}

/** What the kernel tells an engine about the vCPU it is attached to. */
export interface VcpuPort {
  /** Kernel object id of the vCPU EC (stable, for logs). */
  readonly id: number;
  /** CPU the vCPU is bound to. */
  readonly cpu: number;
  /** The vCPU PD's guest space. */
  readonly guest: GuestSpace;
  /** Current host TSC (ticks). */
  now(): number;
  /** TSC frequency in kHz (ticks per millisecond). */
  readonly tscKhz: number;
}

/**
 * The result of running guest code. `reason` is an exit in SVM numbering (spec/nova.md §5.4;
 * NPT fault = 0xfc), or `null` when the time budget ran out without an exit.
 */
export interface VcpuExit {
  readonly reason: number | null;
  /** Ticks of virtual time the guest consumed. */
  readonly ticks: number;
  /** Exit qualifications (SVM exitinfo1 / exitinfo2; for 0xfc: error code and guest-physical address). */
  readonly qual0: number;
  readonly qual1: number;
  /** Length of the exiting instruction, for handlers that skip it. */
  readonly instLen: number;
}

/**
 * One vCPU's guest-execution backend. The kernel owns scheduling and NOVA semantics; the backend
 * runs guest code and holds the architectural state.
 */
export interface VcpuBackend {
  /** Run guest code for at most `maxTicks` ticks. */
  run(maxTicks: number): VcpuExit;
  /** Copy the state selected by `mtd` (MTD bits) out of the engine into `into`. */
  load(into: VcpuState, mtd: number): void;
  /** Copy the state selected by `mtd` from `from` into the engine. */
  store(from: VcpuState, mtd: number): void;
  /** Drop cached translations of guest-physical pages `[gpaPage, gpaPage + pages)`. */
  invalidate(gpaPage: number, pages: number): void;
  /** The vCPU EC was destroyed. */
  destroy?(): void;
}

/**
 * A vCPU engine: guest execution for vCPU ECs (the follow-up plugs @genode-ts/x86-core's SVM
 * model in here). Passed to the kernel at boot.
 */
export interface VcpuEngine {
  /** Create the backend of a new vCPU. */
  attach(port: VcpuPort): VcpuBackend;
}
