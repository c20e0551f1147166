import { Core, type Rom_content, type Service_name, type Session_args } from '../core/core.js';
import { Cap_quota, Ram_quota } from '../core/pd-session-component.js';
import type { Session_quota } from '../core/session-quota.js';
import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type { BootedKernel, Kernel, RunOptions, RunResult } from '../kernel/kernel.js';
import { Child, type Child_policy, type Service } from './child.js';
import type { Component, Env } from './env.js';
import { Pd_session_client } from './pd-session-client.js';

/** Options of {@link boot}. */
export interface Boot_options {
  /** The kernel backend, e.g. `novaKernel()`. */
  readonly kernel: Kernel;
  /** Machine RAM in bytes (default 64 MiB). */
  readonly ramBytes?: number;
  /** CPUs (default 1). */
  readonly cpus?: number;
  /** Boot modules served by core's ROM service. */
  readonly roms?: Readonly<Record<string, Rom_content>>;
  /** Capabilities core hands out (default 65536). */
  readonly caps?: number;
}

/** How a top-level component is started (as init would, with its quota). */
export interface Start_options {
  readonly name: string;
  /** The component; registered as boot module `binary` (default: `name`). */
  readonly component?: Component;
  /** Name of the binary boot module (default `name`). */
  readonly binary?: string;
  /** RAM quota in bytes. */
  readonly ram: number;
  /** Capability quota. */
  readonly caps: number;
  /**
   * Answer to `resource_request`: return the extra quota to grant (taken from core's account),
   * or nothing to leave the request unanswered (init's default).
   */
  readonly resource_request?: (args: string) => Session_quota | undefined;
}

/** A component started by {@link Genode_system.start}. */
export interface Started_component {
  readonly name: string;
  /** The exit value once the component called `exit`. */
  exit_value(): number | undefined;
  /** The component's PD session. */
  pd(): Pd_session_client;
  /** The component's environment. */
  env(): Env;
  /** Kill its threads and close every session (init destroying the child). */
  destroy(): void;
}

/** A service core provides directly (init's routes to its parent, core). */
class Core_service implements Service {
  readonly name: string;
  readonly #core: Core;

  constructor(core: Core, name: Service_name) {
    this.#core = core;
    this.name = name;
  }

  create(label: string, quota: Session_quota, args: Session_args): Capability {
    return this.#core.create_session(this.name as Service_name, `init -> ${label}`, quota, args);
  }

  upgrade(session: Capability, quota: Session_quota): boolean {
    return this.#core.upgrade_session(session, quota);
  }

  close(session: Capability): void {
    this.#core.close_session(session);
  }
}

const CORE_SERVICES: readonly Service_name[] = ['PD', 'RM', 'CPU', 'LOG', 'ROM', 'VM'];

/**
 * A booted Genode system: core on a kernel, plus the components started on it. `start` plays
 * init (it starts a child with the given quota, routing every session to core); `run` drives the
 * kernel's scheduler (execution-model rule 5).
 *
 * @example
 * ```ts
 * const system = boot({ kernel: testKernel() });
 * const c = system.start({ name: 'hello', ram: 1 << 20, caps: 50, component: {
 *   *construct(env) { env.log('Hello'); env.parent().exit(0); } } });
 * system.run({ until: () => c.exit_value() !== undefined });
 * ```
 */
export class Genode_system {
  readonly core: Core;
  readonly kernel: BootedKernel;
  readonly #services: Map<string, Service>;
  readonly #children = new Map<string, Child>();

  constructor(options: Boot_options) {
    this.core = new Core({
      kernel: options.kernel,
      machine: { ramBytes: options.ramBytes ?? 64 * 1024 * 1024, cpus: options.cpus ?? 1 },
      ...(options.roms === undefined ? {} : { roms: options.roms }),
      ...(options.caps === undefined ? {} : { caps: options.caps }),
    });
    this.kernel = this.core.kernel;
    this.#services = new Map(CORE_SERVICES.map((n) => [n, new Core_service(this.core, n)]));
  }

  /** Every line of the system log so far. */
  get log(): readonly string[] {
    return this.core.log_lines;
  }

  /** Start a top-level component with `ram` bytes and `caps` capabilities from core's account. */
  start(options: Start_options): Started_component {
    const binary = options.binary ?? options.name;
    if (options.component !== undefined) this.core.add_rom(binary, { component: options.component });
    const core = this.core;
    const services = this.#services;
    const ctx = { kernel: this.kernel };
    const core_pd = new Pd_session_client(ctx, core.core_pd.cap);
    let child: Child | undefined;
    const log = (line: string): void => core.log(`[init] ${line}`);
    const policy: Child_policy = {
      name: () => options.name,
      binary_name: () => binary,
      ref_pd: () => core_pd,
      ref_pd_cap: () => core.core_pd.cap,
      init: (pd, cap) => {
        pd.ref_account(core.core_pd.cap);
        core_pd.transfer_quota(cap, Ram_quota(options.ram));
        core_pd.transfer_quota(cap, Cap_quota(options.caps));
      },
      resolve_session_request: (service) => {
        const s = services.get(service);
        if (s === undefined) throw new GenodeError('Service_denied', `no service '${service}'`);
        return s;
      },
      exit: (code) => {
        log(`child "${options.name}" exited with exit value ${code}`);
        child?.stop();
      },
      resource_request: (args) => {
        const grant = options.resource_request?.(args);
        if (grant === undefined || child === undefined) return;
        if (grant.ram > 0) core_pd.transfer_quota(child.pd_cap(), Ram_quota(grant.ram));
        if (grant.caps > 0) core_pd.transfer_quota(child.pd_cap(), Cap_quota(grant.caps));
      },
    };
    child = new Child(
      {
        kernel: this.kernel,
        serve: (obj, ops) => core.ep.manage(obj, ops),
        log,
      },
      policy,
    );
    this.#children.set(options.name, child);
    const c = child;
    return {
      name: options.name,
      exit_value: () => c.exit_value(),
      pd: () => c.pd(),
      env: () => c.env(),
      destroy: () => c.destroy(),
    };
  }

  /** Drive the scheduler; see {@link BootedKernel.run}. */
  run(options?: RunOptions): RunResult {
    return this.kernel.run(options);
  }
}

/** Boot core on a kernel (the application chooses the kernel backend). */
export function boot(options: Boot_options): Genode_system {
  return new Genode_system(options);
}
