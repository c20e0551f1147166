import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import type { BootedKernel, KernelEntrypoint, KernelThread } from '../kernel/kernel.js';
import type { Dataspace_component } from './dataspace-component.js';
import { Pd_session_component } from './pd-session-component.js';
import { Quota_guard } from './quota.js';
import type { Rpc_entrypoint } from './rpc-entrypoint.js';
import type { Session_quota } from './session-quota.js';

/** Quota bookkeeping shared by sessions without internal charges (CPU, LOG, ROM). */
export abstract class Plain_session {
  readonly label: string;
  readonly ram_guard: Quota_guard;
  readonly cap_guard: Quota_guard;
  cap!: Capability;
  closed = false;

  constructor(label: string, quota: Session_quota) {
    this.label = label;
    this.ram_guard = new Quota_guard('RAM', quota.ram);
    this.cap_guard = new Quota_guard('caps', quota.caps);
    this.cap_guard.try_withdraw(1);
  }

  /** Session upgrade. */
  upgrade(quota: Session_quota): void {
    this.ram_guard.upgrade(quota.ram);
    this.cap_guard.upgrade(quota.caps);
  }

  /** Close; returns the quota to hand back. */
  close(): Session_quota {
    this.closed = true;
    this.cap_guard.replenish(1);
    return {
      ram: this.ram_guard.limit - this.ram_guard.used,
      caps: this.cap_guard.limit - this.cap_guard.used,
    };
  }
}

/** Thread creation parameters passed through the CPU session. */
export interface Cpu_thread_args {
  readonly name: string;
  readonly body: () => Blocking<void>;
  readonly cpu?: number;
  readonly priority?: number;
}

/** The RPC operations of a CPU session. */
export const CPU_SESSION_OPS: readonly string[] = [
  'create_thread',
  'create_entrypoint',
  'start',
  'kill_thread',
];

/**
 * Core's CPU session: creates threads and entrypoints in a PD (the kernel objects), starts and
 * kills them. Model: threads are not charged beyond the session quota.
 */
export class Cpu_session_component extends Plain_session {
  readonly #kernel: BootedKernel;
  readonly #ep: Rpc_entrypoint;
  readonly #threads = new Set<KernelThread>();

  constructor(kernel: BootedKernel, ep: Rpc_entrypoint, label: string, quota: Session_quota) {
    super(label, quota);
    this.#kernel = kernel;
    this.#ep = ep;
    this.cap = ep.manage(this, CPU_SESSION_OPS);
  }

  /** RPC `create_thread` in the PD named by `pd`; undefined for an invalid PD. */
  create_thread(pd: Capability, args: Cpu_thread_args): KernelThread | undefined {
    const pdc = this.#ep.apply(pd, Pd_session_component);
    if (pdc === undefined || pdc.kernel_pd === null) return undefined;
    const t = this.#kernel.createThread(pdc.kernel_pd, args);
    this.#threads.add(t);
    return t;
  }

  /** RPC `create_entrypoint` (model: Genode creates RPC-entrypoint ECs via the native CPU interface). */
  create_entrypoint(pd: Capability, args: Cpu_thread_args): KernelEntrypoint | undefined {
    const pdc = this.#ep.apply(pd, Pd_session_component);
    if (pdc === undefined || pdc.kernel_pd === null) return undefined;
    const ep = this.#kernel.createEntrypoint(pdc.kernel_pd, args);
    this.#threads.add(ep.thread);
    return ep;
  }

  /** RPC `start`. */
  start(thread: KernelThread): void {
    if (this.#threads.has(thread)) this.#kernel.startThread(thread);
  }

  /** RPC `kill_thread`. */
  kill_thread(thread: KernelThread): void {
    if (this.#threads.delete(thread)) this.#kernel.killThread(thread);
  }

  /** Close: kill every thread. */
  override close(): Session_quota {
    for (const t of this.#threads) this.#kernel.killThread(t);
    this.#threads.clear();
    this.#ep.dissolve(this);
    return super.close();
  }
}

/** The RPC operations of a LOG session. */
export const LOG_SESSION_OPS: readonly string[] = ['write'];

/** Core's LOG session: each line becomes `[label] line` in the system log. */
export class Log_session_component extends Plain_session {
  readonly #sink: (line: string) => void;
  readonly #ep: Rpc_entrypoint;

  constructor(ep: Rpc_entrypoint, label: string, quota: Session_quota, sink: (line: string) => void) {
    super(label, quota);
    this.#sink = sink;
    this.#ep = ep;
    this.cap = ep.manage(this, LOG_SESSION_OPS);
  }

  /** RPC `write`: returns the number of characters written. */
  write(text: string): number {
    const s = String(text);
    for (const line of s.split('\n')) this.#sink(`[${this.label}] ${line}`);
    return s.length;
  }

  /** Close. */
  override close(): Session_quota {
    this.#ep.dissolve(this);
    return super.close();
  }
}

/** A boot module served by core's ROM service. */
export interface Rom_module {
  readonly name: string;
  readonly ds: Dataspace_component;
  /** For binaries: the component the module stands for (genode-ts components are JavaScript). */
  readonly component: unknown;
}

/** The RPC operations of a ROM session. */
export const ROM_SESSION_OPS: readonly string[] = ['dataspace', 'component'];

/** Core's ROM session: hands out the read-only dataspace of one boot module. */
export class Rom_session_component extends Plain_session {
  readonly module: Rom_module;
  readonly #ep: Rpc_entrypoint;

  constructor(ep: Rpc_entrypoint, label: string, quota: Session_quota, module: Rom_module) {
    super(label, quota);
    this.module = module;
    this.#ep = ep;
    this.cap = ep.manage(this, ROM_SESSION_OPS);
  }

  /** RPC `dataspace`. */
  dataspace(): Capability {
    return this.module.ds.cap;
  }

  /** RPC `component` (model extension: the JavaScript component behind a binary module). */
  component(): unknown {
    return this.module.component;
  }

  /** Close. */
  override close(): Session_quota {
    this.#ep.dissolve(this);
    return super.close();
  }
}
