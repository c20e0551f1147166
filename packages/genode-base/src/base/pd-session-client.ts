import type {
  Attach_dma_result,
  Pd_session_component,
  Quota_amount,
  Ref_account_result,
} from '../core/pd-session-component.js';
import type { Transfer_result } from '../core/quota.js';
import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type { KernelPd, KernelSignalSource } from '../kernel/kernel.js';
import type { Alloc_result, Cache } from './region-map.js';
import { type Rpc_context, rpc_call } from './rpc.js';

/**
 * `Genode::Ram_allocator` (2017–2025): allocate and free RAM dataspaces. `try_alloc` returns an
 * `Alloc_result`; `alloc` is the throwing wrapper (`Out_of_ram`, `Out_of_caps`, `Denied`).
 */
export interface Ram_allocator {
  try_alloc(size: number, cache?: Cache): Alloc_result;
  alloc(size: number, cache?: Cache): Capability;
  free(ds: Capability): void;
  dataspace_size(ds: Capability): number;
}

/** Throw the 2017–2024 exception for an allocation error. */
export function throw_alloc_error(error: 'OUT_OF_RAM' | 'OUT_OF_CAPS' | 'DENIED'): never {
  throw new GenodeError(
    error === 'OUT_OF_RAM' ? 'Out_of_ram' : error === 'OUT_OF_CAPS' ? 'Out_of_caps' : 'Denied',
    `RAM allocation failed: ${error}`,
  );
}

/**
 * `Pd_session_client`: the RPC stub of a PD session (accounts, RAM, the PD's region maps,
 * signal contexts). It is also a {@link Ram_allocator} (`Pd_ram_allocator` of 2017–2025).
 */
export class Pd_session_client implements Ram_allocator {
  readonly #ctx: Rpc_context;
  readonly #cap: Capability;

  constructor(ctx: Rpc_context, cap: Capability) {
    this.#ctx = ctx;
    this.#cap = cap;
  }

  /** The session capability (`rpc_cap()`). */
  rpc_cap(): Capability {
    return this.#cap;
  }

  #call<T>(op: keyof Pd_session_component & string, ...args: readonly unknown[]): T {
    return rpc_call<T>(this.#ctx, this.#cap, op, ...args);
  }

  /** Define the reference account (once); `INVALID_SESSION` for a non-PD capability. */
  ref_account(pd: Capability): Ref_account_result {
    return this.#call('ref_account', pd);
  }

  /** Transfer RAM or capability quota along the reference-account edge. */
  transfer_quota(to: Capability, amount: Quota_amount): Transfer_result {
    return this.#call('transfer_quota', to, amount);
  }

  /** RAM limit of the account. */
  ram_quota(): number {
    return this.#call('ram_quota');
  }
  /** RAM in use. */
  used_ram(): number {
    return this.#call('used_ram');
  }
  /** RAM available (`limit - used`). */
  avail_ram(): number {
    return this.#call('avail_ram');
  }
  /** Capability limit. */
  cap_quota(): number {
    return this.#call('cap_quota');
  }
  /** Capabilities in use. */
  used_caps(): number {
    return this.#call('used_caps');
  }
  /** Capabilities available. */
  avail_caps(): number {
    return this.#call('avail_caps');
  }

  /** `Ram_allocator::try_alloc`. */
  try_alloc(size: number, cache: Cache = 'CACHED'): Alloc_result {
    return this.#call('alloc_ram', size, cache);
  }

  /** `Ram_allocator::alloc`: throws `Out_of_ram`, `Out_of_caps` or `Denied`. */
  alloc(size: number, cache: Cache = 'CACHED'): Capability {
    const r = this.try_alloc(size, cache);
    if (!r.ok) throw_alloc_error(r.error);
    return r.cap;
  }

  /** Free an own dataspace; foreign or unknown ones are ignored by core. */
  free(ds: Capability): void {
    this.#call('free_ram', ds);
  }

  /** Size of an own dataspace, 0 otherwise. */
  dataspace_size(ds: Capability): number {
    return this.#call('ram_size', ds);
  }

  /** Make later attachments of an own dataspace read-only. */
  seal_ram(ds: Capability): void {
    this.#call('seal_ram', ds);
  }

  /** Physical address of an own dataspace (platform drivers). */
  dma_addr(ds: Capability): number {
    return this.#call('dma_addr', ds);
  }

  /** Attach for DMA at `at` in the PD's address space. */
  attach_dma(ds: Capability, at: number): Attach_dma_result {
    return this.#call('attach_dma', ds, at);
  }

  /** The PD's address-space region map. */
  address_space(): Capability {
    return this.#call('address_space');
  }

  /** The PD's stack-area region map. */
  stack_area(): Capability {
    return this.#call('stack_area');
  }

  /** The PD's linker-area region map. */
  linker_area(): Capability {
    return this.#call('linker_area');
  }

  /** Allocate a signal context at `source` (one capability). */
  alloc_context(source: KernelSignalSource, imprint: number): Capability {
    const r = this.#call<{ ok: true; cap: Capability } | { ok: false }>('alloc_context', source, imprint);
    if (!r.ok) throw new GenodeError('Out_of_caps', 'no capability left for a signal context');
    return r.cap;
  }

  /** Free a signal context. */
  free_context(cap: Capability): void {
    this.#call('free_context', cap);
  }

  /** Eagerly populate `[virt, virt+size)` of the PD's address space (`Pd_session::map`). */
  map(virt: number, size: number): void {
    this.#call('map', virt, size);
  }

  /** The kernel PD behind the session (`Native_pd`). */
  native_pd(): KernelPd | undefined {
    return this.#call('native_pd');
  }

  /** Submit a signal. */
  submit(cap: Capability, count = 1): void {
    this.#call('submit', cap, count);
  }
}
