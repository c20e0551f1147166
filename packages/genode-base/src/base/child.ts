import type { Session_args } from '../core/core.js';
import { Cap_quota, Ram_quota } from '../core/pd-session-component.js';
import {
  CPU_SESSION_QUOTA,
  LOG_SESSION_QUOTA,
  PD_SESSION_QUOTA,
  ROM_SESSION_QUOTA,
  type Session_quota,
} from '../core/session-quota.js';
import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type { BootedKernel } from '../kernel/kernel.js';
import { type Component, Component_env, type Env } from './env.js';
import { PARENT_OPS, type Parent, type Session_result } from './parent.js';
import { Pd_session_client } from './pd-session-client.js';
import { rpc_call } from './rpc.js';

/**
 * A service a parent routes session requests to (`Genode::Service`): the quota of a session
 * request has reached the parent's own account when `create` is called.
 */
export interface Service {
  readonly name: string;
  /** Create a session with the full label; throws `Service_denied` etc. */
  create(label: string, quota: Session_quota, args: Session_args): Capability;
  /** Add quota to a session; false if impossible. */
  upgrade(session: Capability, quota: Session_quota): boolean;
  /** Close a session; its quota comes back to the parent's account. */
  close(session: Capability): void;
}

/** `Genode::Parent_service`: forwards session requests to the parent's own parent. */
export class Parent_service implements Service {
  readonly name: string;
  readonly #env: Env;

  constructor(env: Env, name: string) {
    this.#env = env;
    this.name = name;
  }

  create(label: string, quota: Session_quota, args: Session_args): Capability {
    return this.#env.session(this.name, label, quota, args);
  }

  upgrade(session: Capability, quota: Session_quota): boolean {
    return this.#env.upgrade(session, quota);
  }

  close(session: Capability): void {
    this.#env.close(session);
  }
}

/** `Genode::Child_policy`: how a parent treats one child. */
export interface Child_policy {
  /** The child's name (the label element the parent prepends). */
  name(): string;
  /** The ROM module holding the child's binary. */
  binary_name(): string;
  /** The parent's PD session (the child's reference account). */
  ref_pd(): Pd_session_client;
  ref_pd_cap(): Capability;
  /** Called once the child's PD session exists: set its reference account, transfer quota, … */
  init(pd: Pd_session_client, cap: Capability): void;
  /** Route a session request; throw `Service_denied` to refuse. */
  resolve_session_request(service: string, label: string): Service;
  /** The child called `exit`; default: log `child "<name>" exited with exit value <code>`. */
  exit?(code: number): void;
  /** The child asked for resources (`ram_quota=<n>` / `cap_quota=<n>`); default: ignored. */
  resource_request?(args: string): void;
}

/** Where a `Child` lives: the kernel, how to serve its parent object, how to log. */
export interface Child_host {
  readonly kernel: BootedKernel;
  serve(obj: object, ops: readonly string[]): Capability;
  log(line: string): void;
}

interface Session_record {
  readonly service: Service;
  quota: Session_quota;
  /** Env sessions are paid by the parent, others by the child. */
  readonly env: boolean;
}

function hostOf(h: Env | Child_host): Child_host {
  if ('serve' in h) return h;
  const env = h;
  return {
    kernel: env.kernel,
    serve: (obj, ops) => env.ep().manage(obj, ops),
    log: (line) => env.log(line),
  };
}

/**
 * `Genode::Child`: a child component started by a parent. It creates the child's environment
 * sessions through the policy's routes (paid by the parent), lets the policy initialise the
 * child's PD (reference account, quota), serves the child's parent interface, and starts the
 * child's `construct` on its main entrypoint.
 *
 * Session quota a child donates moves from the child's account to its reference account (the
 * parent's), and from there along the parent chain to core; closing reverses the path.
 */
export class Child implements Parent {
  readonly #host: Child_host;
  readonly #policy: Child_policy;
  readonly #sessions = new Map<number, Session_record>();
  readonly #pd: Pd_session_client;
  readonly #pd_cap: Capability;
  readonly #parent_cap: Capability;
  readonly #env: Component_env;
  #exit_value: number | undefined;
  #destroyed = false;

  constructor(host: Env | Child_host, policy: Child_policy) {
    this.#host = hostOf(host);
    this.#policy = policy;
    const name = policy.name();
    const kernel = this.#host.kernel;
    const ctx = { kernel };
    this.#pd_cap = this.#env_session('PD', name, PD_SESSION_QUOTA);
    this.#pd = new Pd_session_client(ctx, this.#pd_cap);
    policy.init(this.#pd, this.#pd_cap);
    const cpu = this.#env_session('CPU', name, CPU_SESSION_QUOTA);
    const log = this.#env_session('LOG', name, LOG_SESSION_QUOTA);
    const rom = this.#env_session('ROM', `${name} -> ${policy.binary_name()}`, ROM_SESSION_QUOTA);
    const component = rpc_call<unknown>(ctx, rom, 'component') as Component | undefined;
    if (component === undefined || typeof component.construct !== 'function') {
      throw new GenodeError('Invalid_argument', `binary '${policy.binary_name()}' is not a component`);
    }
    this.#parent_cap = this.#host.serve(this, PARENT_OPS);
    this.#env = new Component_env(kernel, name, { parent: this.#parent_cap, pd: this.#pd_cap, cpu, log });
    this.#env.start(component);
  }

  #env_session(service: string, label: string, quota: Session_quota): Capability {
    const svc = this.#policy.resolve_session_request(service, label);
    const cap = svc.create(label, quota, {});
    this.#sessions.set(cap.id, { service: svc, quota, env: true });
    return cap;
  }

  /** The child's PD session. */
  pd(): Pd_session_client {
    return this.#pd;
  }

  /** The child's PD-session capability. */
  pd_cap(): Capability {
    return this.#pd_cap;
  }

  /** The child's environment (for inspection by the parent and tests). */
  env(): Env {
    return this.#env;
  }

  /** The value the child passed to `exit`, if it exited. */
  exit_value(): number | undefined {
    return this.#exit_value;
  }

  #label(label: string): string {
    const name = this.#policy.name();
    return label === '' ? name : `${name} -> ${label}`;
  }

  /** Parent RPC `session`. */
  session(service: string, label: string, quota: Session_quota, args: Session_args): Session_result {
    if (this.#destroyed) return { ok: false, error: 'SERVICE_DENIED' };
    const full = this.#label(label);
    let svc: Service;
    try {
      svc = this.#policy.resolve_session_request(service, full);
    } catch (e) {
      if (e instanceof GenodeError && e.code === 'Service_denied')
        return { ok: false, error: 'SERVICE_DENIED' };
      throw e;
    }
    const q = { ram: Math.max(0, quota.ram), caps: Math.max(0, quota.caps) };
    // the donation: child account -> reference account (the parent's)
    const t = this.#donate(q);
    if (t !== 'OK')
      return { ok: false, error: t === 'RAM' ? 'INSUFFICIENT_RAM_QUOTA' : 'INSUFFICIENT_CAP_QUOTA' };
    let cap: Capability;
    try {
      cap = svc.create(full, q, args ?? {});
    } catch (e) {
      this.#refund(q);
      if (e instanceof GenodeError) {
        if (e.code === 'Service_denied') return { ok: false, error: 'SERVICE_DENIED' };
        if (e.code === 'Out_of_caps' || e.code === 'Insufficient_cap_quota') {
          return { ok: false, error: 'INSUFFICIENT_CAP_QUOTA' };
        }
        if (e.code === 'Out_of_ram' || e.code === 'Insufficient_ram_quota') {
          return { ok: false, error: 'INSUFFICIENT_RAM_QUOTA' };
        }
      }
      throw e;
    }
    this.#sessions.set(cap.id, { service: svc, quota: q, env: false });
    return { ok: true, cap };
  }

  #donate(q: Session_quota): 'OK' | 'RAM' | 'CAPS' {
    const ref = this.#policy.ref_pd_cap();
    if (q.ram > 0 && this.#pd.transfer_quota(ref, Ram_quota(q.ram)) !== 'OK') return 'RAM';
    if (q.caps > 0 && this.#pd.transfer_quota(ref, Cap_quota(q.caps)) !== 'OK') {
      if (q.ram > 0) this.#policy.ref_pd().transfer_quota(this.#pd_cap, Ram_quota(q.ram));
      return 'CAPS';
    }
    return 'OK';
  }

  #refund(q: Session_quota): void {
    const ref = this.#policy.ref_pd();
    if (q.ram > 0) ref.transfer_quota(this.#pd_cap, Ram_quota(q.ram));
    if (q.caps > 0) ref.transfer_quota(this.#pd_cap, Cap_quota(q.caps));
  }

  /** Parent RPC `upgrade`: env sessions are paid by the parent, others by the child. */
  upgrade(session: Capability, quota: Session_quota): boolean {
    const rec = session == null ? undefined : this.#sessions.get(session.id);
    if (rec === undefined || this.#destroyed) return false;
    const q = { ram: Math.max(0, quota.ram), caps: Math.max(0, quota.caps) };
    if (!rec.env && this.#donate(q) !== 'OK') return false;
    if (!rec.service.upgrade(session, q)) {
      if (!rec.env) this.#refund(q);
      return false;
    }
    rec.quota = { ram: rec.quota.ram + q.ram, caps: rec.quota.caps + q.caps };
    return true;
  }

  /** Parent RPC `close`. */
  close(session: Capability): void {
    const rec = session == null ? undefined : this.#sessions.get(session.id);
    if (rec === undefined || rec.env) return;
    this.#sessions.delete(session.id);
    rec.service.close(session);
    this.#refund(rec.quota);
  }

  /** Parent RPC `exit`. */
  exit(code: number): void {
    this.#exit_value = code;
    if (this.#policy.exit !== undefined) this.#policy.exit(code);
    else this.#host.log(`child "${this.#policy.name()}" exited with exit value ${code}`);
  }

  /** Parent RPC `resource_request`. */
  resource_request(args: string): void {
    this.#policy.resource_request?.(String(args));
  }

  /** Kill the child's threads but keep its sessions (what a parent does right after `exit`). */
  stop(): void {
    const cpu = [...this.#sessions.entries()].find(([, r]) => r.env && r.service.name === 'CPU');
    if (cpu === undefined) return;
    // closing the CPU session kills every thread of the child
    this.#sessions.delete(cpu[0]);
    cpu[1].service.close({ id: cpu[0] });
  }

  /** Destroy the child: close its own sessions (refunding it), then its environment sessions. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const own = [...this.#sessions.entries()].filter(([, r]) => !r.env);
    for (const [id] of own) this.close({ id });
    const envs = [...this.#sessions.entries()].filter(([, r]) => r.env);
    // the PD goes last: it owns the memory the other sessions' objects refer to
    envs.sort((a, b) => (a[1].service.name === 'PD' ? 1 : 0) - (b[1].service.name === 'PD' ? 1 : 0));
    for (const [id, r] of envs) {
      this.#sessions.delete(id);
      r.service.close({ id });
    }
    this.#host.kernel.dissolve(this.#parent_cap);
  }
}
