import type { Session_args } from '../core/core.js';
import { STACK_AREA_BASE, STACK_AREA_SIZE } from '../core/pd-session-component.js';
import type { Session_quota } from '../core/session-quota.js';
import { GenodeError } from '../errors.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import type { BootedKernel } from '../kernel/kernel.js';
import { alignUp } from '../page.js';
import { Cpu_session_client } from './cpu-session-client.js';
import { Entrypoint } from './entrypoint.js';
import { Local_memory } from './local-memory.js';
import { format, type Printable } from './output.js';
import { Parent_client, type Session_error } from './parent.js';
import { Pd_session_client, type Ram_allocator, throw_alloc_error } from './pd-session-client.js';
import type { Alloc_result, Attach_result, Attr, Cache } from './region-map.js';
import { Region_map_client } from './region-map-client.js';
import { type Rpc_context, rpc_call } from './rpc.js';

/** A Genode component: `construct(env)` runs on the main entrypoint, then signals are dispatched. */
export interface Component {
  /** `Component::construct`; may block. */
  construct(env: Env): Blocking<void> | void;
  /** `Component::stack_size` of the main entrypoint (default 64 KiB). */
  readonly stack_size?: number;
}

/** Identity helper for components. */
export function defineComponent(component: Component): Component {
  return component;
}

/** A thread stack in the stack area. */
export interface Stack {
  readonly slot: number;
  readonly ds: Capability;
  /** Address just below the top of the stack. */
  readonly top: number;
}

/** Stack slot size inside the stack area (1 MiB per thread). */
export const STACK_SLOT_SIZE = 0x10_0000;

/**
 * `Genode::Env`: what a component gets from its parent (2017–2025 shape): its PD session
 * (accounts, RAM), CPU session, the region map of its address space, the RAM allocator, the
 * main entrypoint and the parent interface.
 */
export interface Env extends Rpc_context {
  readonly kernel: BootedKernel;
  /** The component's name. */
  readonly name: string;
  /** The PD session (RAM and capability accounts, region maps). */
  pd(): Pd_session_client;
  pd_session_cap(): Capability;
  /** The RAM allocator (2017–2025): asks the parent for more quota when it runs out. */
  ram(): Ram_allocator;
  /** The component's own address space, with auto-upgrade and the memory accessor `local`. */
  rm(): Local_region_map;
  /** The main entrypoint. */
  ep(): Entrypoint;
  parent(): Parent_client;
  cpu(): Cpu_session_client;
  cpu_session_cap(): Capability;
  /** `Genode::log`. */
  log(...args: Printable[]): void;
  /** `Genode::warning`: prefixed `Warning: `. */
  warning(...args: Printable[]): void;
  /** `Genode::error`: prefixed `Error: `. */
  error(...args: Printable[]): void;
  /** Open a session at the parent; throws `Service_denied`, `Insufficient_ram_quota`, `Insufficient_cap_quota`. */
  session(service: string, label: string, quota: Session_quota, args?: Session_args): Capability;
  /** Upgrade a session by `quota` (`Env::upgrade`); false if the parent could not. */
  upgrade(session: Capability, quota: Session_quota): boolean;
  /** Close a session. */
  close(session: Capability): void;
  /** Allocate a thread stack (used by `Thread` and `Entrypoint`). */
  alloc_stack(name: string, size: number): Stack;
  /** Release a thread stack. */
  free_stack(stack: Stack): void;
}

/**
 * `env.rm()`: the region map of the component's own address space. Attach calls that run out of
 * metadata quota upgrade the PD session by 8 KiB (or 2 capabilities) and retry; other errors are
 * returned (§2.1). `local` accesses the address space ({@link Local_memory}).
 */
export class Local_region_map extends Region_map_client {
  readonly local: Local_memory;
  readonly #env: Env;

  constructor(env: Env, cap: Capability, local: Local_memory) {
    super(env, cap);
    this.#env = env;
    this.local = local;
  }

  override attach(ds: Capability, attr: Attr): Attach_result {
    for (;;) {
      const r = super.attach(ds, attr);
      if (r.ok || (r.error !== 'OUT_OF_RAM' && r.error !== 'OUT_OF_CAPS')) return r;
      const q = r.error === 'OUT_OF_RAM' ? { ram: 8 * 1024, caps: 0 } : { ram: 0, caps: 2 };
      if (!this.#env.upgrade(this.#env.pd_session_cap(), q)) return r;
    }
  }
}

/**
 * `env.ram()` (2017–2025): on OUT_OF_RAM the component asks its parent for
 * `ram_quota=<size+4096>`, on OUT_OF_CAPS for `cap_quota=4`, and retries while the request made
 * quota available; DENIED is returned. (Genode blocks until the parent answers; here the
 * parent's policy answers synchronously, so an unanswered request returns the error.)
 */
class Expanding_ram_allocator implements Ram_allocator {
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  try_alloc(size: number, cache: Cache = 'CACHED'): Alloc_result {
    const pd = this.#env.pd();
    for (;;) {
      const r = pd.try_alloc(size, cache);
      if (r.ok || r.error === 'DENIED') return r;
      const before = r.error === 'OUT_OF_RAM' ? pd.avail_ram() : pd.avail_caps();
      this.#env
        .parent()
        .resource_request(r.error === 'OUT_OF_RAM' ? `ram_quota=${alignUp(size) + 4096}` : 'cap_quota=4');
      const after = r.error === 'OUT_OF_RAM' ? pd.avail_ram() : pd.avail_caps();
      if (after <= before) return r;
    }
  }

  alloc(size: number, cache: Cache = 'CACHED'): Capability {
    const r = this.try_alloc(size, cache);
    if (!r.ok) throw_alloc_error(r.error);
    return r.cap;
  }

  free(ds: Capability): void {
    this.#env.pd().free(ds);
  }

  dataspace_size(ds: Capability): number {
    return this.#env.pd().dataspace_size(ds);
  }
}

function session_error(e: Session_error, service: string): GenodeError {
  if (e === 'SERVICE_DENIED') return new GenodeError('Service_denied', `${service} session denied`);
  if (e === 'INSUFFICIENT_RAM_QUOTA') return new GenodeError('Insufficient_ram_quota', `${service} session`);
  return new GenodeError('Insufficient_cap_quota', `${service} session`);
}

/** The sessions a parent hands a new component. */
export interface Env_sessions {
  readonly parent: Capability;
  readonly pd: Capability;
  readonly cpu: Capability;
  readonly log: Capability;
}

/** The implementation of {@link Env} a `Child` creates for its component. */
export class Component_env implements Env {
  readonly kernel: BootedKernel;
  readonly name: string;
  readonly #caps: Env_sessions;
  readonly #pd: Pd_session_client;
  readonly #cpu: Cpu_session_client;
  readonly #parent: Parent_client;
  readonly #ram: Expanding_ram_allocator;
  #rm: Local_region_map | null = null;
  #ep: Entrypoint | null = null;
  readonly #slots: boolean[] = [];

  constructor(kernel: BootedKernel, name: string, sessions: Env_sessions) {
    this.kernel = kernel;
    this.name = name;
    this.#caps = sessions;
    this.#pd = new Pd_session_client(this, sessions.pd);
    this.#cpu = new Cpu_session_client(this, sessions.cpu);
    this.#parent = new Parent_client(this, sessions.parent);
    this.#ram = new Expanding_ram_allocator(this);
  }

  /**
   * Set up the address space (stack area at its NOVA base) and start the main entrypoint, which
   * runs `component.construct(this)`.
   */
  start(component: Component): void {
    const as = this.#pd.address_space();
    const native = this.#pd.native_pd();
    if (native === undefined) throw new GenodeError('Invalid_session', 'PD session without kernel PD');
    this.#rm = new Local_region_map(this, as, new Local_memory(this.kernel, native));
    const stack_area = new Region_map_client(this, this.#pd.stack_area());
    const r = this.#rm.attach(stack_area.dataspace(), {
      use_at: true,
      at: STACK_AREA_BASE,
      size: STACK_AREA_SIZE,
      writeable: true,
    });
    if (!r.ok) throw new GenodeError('Region_conflict', `cannot attach the stack area: ${r.error}`);
    this.#ep = new Entrypoint(this, component.stack_size ?? 64 * 1024, 'ep', {
      initial: () => component.construct(this),
    });
  }

  pd(): Pd_session_client {
    return this.#pd;
  }
  pd_session_cap(): Capability {
    return this.#caps.pd;
  }
  ram(): Ram_allocator {
    return this.#ram;
  }
  rm(): Local_region_map {
    if (this.#rm === null) throw new GenodeError('Invalid_session', 'env.rm() before start');
    return this.#rm;
  }
  ep(): Entrypoint {
    if (this.#ep === null) throw new GenodeError('Invalid_session', 'env.ep() before start');
    return this.#ep;
  }
  parent(): Parent_client {
    return this.#parent;
  }
  cpu(): Cpu_session_client {
    return this.#cpu;
  }
  cpu_session_cap(): Capability {
    return this.#caps.cpu;
  }

  log(...args: Printable[]): void {
    rpc_call(this, this.#caps.log, 'write', format(args));
  }
  warning(...args: Printable[]): void {
    this.log('Warning: ', ...args);
  }
  error(...args: Printable[]): void {
    this.log('Error: ', ...args);
  }

  session(service: string, label: string, quota: Session_quota, args: Session_args = {}): Capability {
    const r = this.#parent.session(service, label, quota, args);
    if (!r.ok) throw session_error(r.error, service);
    return r.cap;
  }

  upgrade(session: Capability, quota: Session_quota): boolean {
    return this.#parent.upgrade(session, quota);
  }

  close(session: Capability): void {
    this.#parent.close(session);
  }

  alloc_stack(name: string, size: number): Stack {
    let slot = this.#slots.indexOf(false);
    if (slot < 0) slot = this.#slots.length;
    if ((slot + 1) * STACK_SLOT_SIZE > STACK_AREA_SIZE)
      throw new GenodeError('Out_of_ram', 'stack area full');
    const bytes = alignUp(Math.max(size, 4096));
    if (bytes > STACK_SLOT_SIZE - 4096)
      throw new GenodeError('Invalid_argument', `stack of '${name}' too large`);
    const ds = this.#ram.alloc(bytes);
    const stack_area = new Region_map_client(this, this.#pd.stack_area());
    const at = slot * STACK_SLOT_SIZE + STACK_SLOT_SIZE - bytes;
    const r = stack_area.attach(ds, { use_at: true, at, writeable: true });
    if (!r.ok) {
      this.#ram.free(ds);
      throw new GenodeError('Region_conflict', `cannot attach stack of '${name}': ${r.error}`);
    }
    this.#slots[slot] = true;
    return { slot, ds, top: STACK_AREA_BASE + (slot + 1) * STACK_SLOT_SIZE - 16 };
  }

  free_stack(stack: Stack): void {
    const stack_area = new Region_map_client(this, this.#pd.stack_area());
    stack_area.detach(stack.slot * STACK_SLOT_SIZE + STACK_SLOT_SIZE - 4096);
    this.#ram.free(stack.ds);
    this.#slots[stack.slot] = false;
  }
}
