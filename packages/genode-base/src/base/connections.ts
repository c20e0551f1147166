import type { Rm_create_result } from '../core/rm-session-component.js';
import { PD_SESSION_QUOTA, RM_SESSION_QUOTA, ROM_SESSION_QUOTA } from '../core/session-quota.js';
import type { Capability } from '../kernel/capability.js';
import { INVALID_CAPABILITY } from '../kernel/capability.js';
import type { Env } from './env.js';
import { Pd_session_client } from './pd-session-client.js';
import { rpc_call } from './rpc.js';

/**
 * `Genode::Rm_connection`: an RM session (64 KiB RAM, 2 caps donated) for creating free-standing
 * region maps. `create` upgrades the session on OUT_OF_RAM (+8 KiB) and OUT_OF_CAPS (+2 caps) and
 * retries; DENIED logs "region-map creation denied" and returns the invalid capability. Throws
 * `Service_denied` if the parent does not route RM.
 */
export class Rm_connection {
  readonly #env: Env;
  readonly #cap: Capability;
  #closed = false;

  constructor(env: Env, label = '') {
    this.#env = env;
    this.#cap = env.session('RM', label, RM_SESSION_QUOTA);
  }

  /** The session capability. */
  cap(): Capability {
    return this.#cap;
  }

  /** Create a region map `[0, size)`. */
  create(size: number): Capability {
    for (let attempt = 0; attempt < 16; attempt++) {
      const r = rpc_call<Rm_create_result>(this.#env, this.#cap, 'create', size);
      if (r.ok) return r.cap;
      if (r.error === 'DENIED') {
        this.#env.log('region-map creation denied');
        return INVALID_CAPABILITY;
      }
      const upgraded = r.error === 'OUT_OF_RAM' ? this.upgrade_ram(8 * 1024) : this.upgrade_caps(2);
      if (!upgraded) break;
    }
    this.#env.log('region-map creation denied');
    return INVALID_CAPABILITY;
  }

  /** Destroy a region map created by this session; unknown capabilities are ignored. */
  destroy(rm: Capability): void {
    rpc_call(this.#env, this.#cap, 'destroy', rm);
  }

  /** `Connection::upgrade_ram`. */
  upgrade_ram(bytes: number): boolean {
    return this.#env.upgrade(this.#cap, { ram: bytes, caps: 0 });
  }

  /** `Connection::upgrade_caps`. */
  upgrade_caps(caps: number): boolean {
    return this.#env.upgrade(this.#cap, { ram: 0, caps });
  }

  /** Close the session (`~Rm_connection`): every map it created is destroyed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#env.close(this.#cap);
  }
}

/**
 * `Genode::Pd_connection`: an additional PD session (192 KiB, 13 caps donated), e.g. as a second
 * RAM account. Its RAM allocator view is the session itself (`Pd_ram_allocator`).
 */
export class Pd_connection extends Pd_session_client {
  readonly #env: Env;
  readonly #cap: Capability;

  constructor(env: Env, label = '') {
    const cap = env.session('PD', label, PD_SESSION_QUOTA);
    super(env, cap);
    this.#env = env;
    this.#cap = cap;
  }

  /** The session capability. */
  cap(): Capability {
    return this.#cap;
  }

  /** Close the session. */
  close(): void {
    this.#env.close(this.#cap);
  }
}

/** `Genode::Rom_connection`: a ROM session for one boot module. */
export class Rom_connection {
  readonly #env: Env;
  readonly #cap: Capability;

  constructor(env: Env, module: string) {
    this.#env = env;
    this.#cap = env.session('ROM', module, ROM_SESSION_QUOTA);
  }

  /** The module's read-only dataspace. */
  dataspace(): Capability {
    return rpc_call(this.#env, this.#cap, 'dataspace');
  }

  /** Close the session. */
  close(): void {
    this.#env.close(this.#cap);
  }
}

/** `Genode::Dataspace_client`: `size()` (page-rounded) and `writeable()`. */
export class Dataspace_client {
  readonly #env: { kernel: Env['kernel'] };
  readonly #cap: Capability;

  constructor(env: { kernel: Env['kernel'] }, cap: Capability) {
    this.#env = env;
    this.#cap = cap;
  }

  /** Page-rounded size. */
  size(): number {
    return rpc_call(this.#env, this.#cap, 'rpc_size');
  }

  /** Whether mappings may be writeable (false for ROM and managed dataspaces). */
  writeable(): boolean {
    return rpc_call(this.#env, this.#cap, 'rpc_writeable');
  }
}
