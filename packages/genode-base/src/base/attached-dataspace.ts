import { GenodeError } from '../errors.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import type { Env, Local_region_map } from './env.js';
import type { Ram_allocator } from './pd-session-client.js';
import type { Cache } from './region-map.js';
import { throw_attach_error } from './region-map-client.js';

/**
 * `Genode::Attached_dataspace`: attach a whole dataspace writeable anywhere in the local address
 * space (throws `Region_conflict`, `Invalid_dataspace`, `Out_of_ram`, `Out_of_caps`).
 * `destroy()` detaches unless `invalidate()` was called.
 */
export class Attached_dataspace {
  readonly #rm: Local_region_map;
  readonly #cap: Capability;
  readonly #addr: number;
  readonly #size: number;
  #valid = true;

  constructor(rm: Local_region_map, ds: Capability) {
    this.#rm = rm;
    this.#cap = ds;
    const r = rm.attach(ds, { writeable: true });
    if (!r.ok) throw_attach_error(r.error);
    this.#addr = r.range.start;
    this.#size = r.range.num_bytes;
  }

  /** The dataspace. */
  cap(): Capability {
    return this.#cap;
  }
  /** Where it is attached. */
  local_addr(): number {
    return this.#addr;
  }
  /** Attached size. */
  size(): number {
    return this.#size;
  }

  /** Skip the detach in `destroy` (the dataspace is known to be gone). */
  invalidate(): void {
    this.#valid = false;
  }

  /** `~Attached_dataspace`. */
  destroy(): void {
    if (this.#valid) this.#rm.detach(this.#addr);
    this.#valid = false;
  }
}

/**
 * `Genode::Attached_ram_dataspace`: allocate RAM and attach it writeable anywhere. Size 0
 * allocates nothing (`local_addr()` is 0). If the attach fails the RAM is freed and the error
 * rethrown. Non-CACHED memory is mapped eagerly (`Pd_session::map`, as touching each page does).
 */
export class Attached_ram_dataspace {
  #ram: Ram_allocator;
  readonly #rm: Local_region_map;
  readonly #env: Env | undefined;
  #cap: Capability | null = null;
  #addr = 0;
  #size = 0;
  readonly #cache: Cache;

  constructor(ram: Ram_allocator, rm: Local_region_map, size: number, cache: Cache = 'CACHED', env?: Env) {
    this.#ram = ram;
    this.#rm = rm;
    this.#cache = cache;
    this.#env = env;
    this.#alloc(size);
  }

  #alloc(size: number): void {
    if (size === 0) return;
    const cap = this.#ram.alloc(size, this.#cache);
    const r = this.#rm.attach(cap, { writeable: true });
    if (!r.ok) {
      this.#ram.free(cap);
      if (r.error === 'REGION_CONFLICT')
        throw new GenodeError('Region_conflict', 'Attached_dataspace::Region_conflict');
      throw_attach_error(r.error);
    }
    this.#cap = cap;
    this.#addr = r.range.start;
    this.#size = r.range.num_bytes;
    if (this.#cache !== 'CACHED' && this.#env !== undefined) {
      this.#env.pd().map(this.#addr, this.#size);
    }
  }

  #release(): void {
    if (this.#cap === null) return;
    this.#rm.detach(this.#addr);
    this.#ram.free(this.#cap);
    this.#cap = null;
    this.#addr = 0;
    this.#size = 0;
  }

  /** The dataspace (invalid capability for size 0). */
  cap(): Capability {
    return this.#cap ?? { id: -1 };
  }
  /** Local address, 0 for size 0. */
  local_addr(): number {
    return this.#addr;
  }
  /** Size in bytes. */
  size(): number {
    return this.#size;
  }

  /** Zero the memory through the local mapping. */
  clear(): Blocking<void> {
    return this.#rm.local.fill(this.#addr, this.#size, 0);
  }

  /** Exchange the dataspaces of two instances. */
  swap(other: Attached_ram_dataspace): void {
    const a = [this.#ram, this.#cap, this.#addr, this.#size] as const;
    this.#ram = other.#ram;
    this.#cap = other.#cap;
    this.#addr = other.#addr;
    this.#size = other.#size;
    [other.#ram, other.#cap, other.#addr, other.#size] = a;
  }

  /** Re-allocate with `new_size` (no-op when smaller; content is not retained). */
  realloc(ram: Ram_allocator, new_size: number): void {
    if (new_size < this.#size) return;
    this.#release();
    this.#ram = ram;
    this.#alloc(new_size);
  }

  /** `~Attached_ram_dataspace`: detach, then free. */
  destroy(): void {
    this.#release();
  }
}
