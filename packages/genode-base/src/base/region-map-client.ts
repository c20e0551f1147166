import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type { Attach_error, Attach_result, Attr, Fault, Region_map } from './region-map.js';
import { type Rpc_context, rpc_call } from './rpc.js';

/** `Region_map::State` of the 2016-04..2024-06 API. */
export interface Region_map_state {
  readonly type: 'READY' | 'READ_FAULT' | 'WRITE_FAULT' | 'EXEC_FAULT';
  readonly addr: number;
}

/** Throw the 2017–2024 exception for an attach error (`Region_map::Region_conflict`, …). */
export function throw_attach_error(error: Attach_error): never {
  const code =
    error === 'REGION_CONFLICT'
      ? 'Region_conflict'
      : error === 'INVALID_DATASPACE'
        ? 'Invalid_dataspace'
        : error === 'OUT_OF_RAM'
          ? 'Out_of_ram'
          : 'Out_of_caps';
  throw new GenodeError(code, `attach failed: ${error}`);
}

/**
 * `Genode::Region_map_client`: the RPC stub of a region map.
 *
 * Primitive calls use the current API (2024-06+): `attach(ds, attr)` returns an
 * {@link Attach_result}, `fault()` a {@link Fault}. The 2017-05..2024-06 convenience calls the seed
 * uses — `attach_at`, `attach_executable`, `attach_rwx`, `state()` — are provided with that
 * era's semantics: writeable by default, errors thrown as `Region_conflict`, `Invalid_dataspace`,
 * `Out_of_ram`, `Out_of_caps`. Each method belongs to exactly one era.
 *
 * As on NOVA, the result of `dataspace()` is cached (repeated capability transfers would yield
 * different selectors there).
 */
export class Region_map_client implements Region_map {
  readonly #ctx: Rpc_context;
  readonly #cap: Capability;
  #ds: Capability | undefined;

  constructor(ctx: Rpc_context, cap: Capability) {
    this.#ctx = ctx;
    this.#cap = cap;
  }

  /** The region map's capability. */
  rpc_cap(): Capability {
    return this.#cap;
  }

  /** 2024-06+: attach; `{}` = whole dataspace, anywhere, read-only, non-executable. */
  attach(ds: Capability, attr: Attr): Attach_result {
    return rpc_call(this.#ctx, this.#cap, 'attach', ds, attr);
  }

  /** Detach the region containing `at`. */
  detach(at: number): void {
    rpc_call(this.#ctx, this.#cap, 'detach', at);
  }

  /** Register the fault handler (a signal-context capability). */
  fault_handler(sigh: Capability): void {
    rpc_call(this.#ctx, this.#cap, 'fault_handler', sigh);
  }

  /** 2024-06+: the fault at the head of the faulter queue. */
  fault(): Fault {
    return rpc_call(this.#ctx, this.#cap, 'fault');
  }

  /** The managed dataspace of this region map (cached). */
  dataspace(): Capability {
    this.#ds ??= rpc_call<Capability>(this.#ctx, this.#cap, 'dataspace');
    return this.#ds;
  }

  /**
   * 2017-05..2024-06: attach at `local_addr`, writeable, non-executable; returns the address.
   * Throws `Region_conflict`, `Invalid_dataspace`, `Out_of_ram`, `Out_of_caps`.
   */
  attach_at(ds: Capability, local_addr: number, size = 0, offset = 0): number {
    return this.#legacy(ds, {
      size,
      offset,
      use_at: true,
      at: local_addr,
      executable: false,
      writeable: true,
    });
  }

  /** 2017-05..2024-06: attach at `local_addr`, writeable and executable. */
  attach_executable(ds: Capability, local_addr: number, size = 0, offset = 0): number {
    return this.#legacy(ds, {
      size,
      offset,
      use_at: true,
      at: local_addr,
      executable: true,
      writeable: true,
    });
  }

  /** 2017-05..2024-06 (2018+): attach anywhere, writeable and executable. */
  attach_rwx(ds: Capability, size = 0, offset = 0): number {
    return this.#legacy(ds, { size, offset, use_at: false, executable: true, writeable: true });
  }

  /**
   * 2017-05..2024-06: attach anywhere (or at `local_addr`), writeable unless told otherwise;
   * returns the address or throws.
   */
  attach_legacy(
    ds: Capability,
    options: {
      size?: number;
      offset?: number;
      use_local_addr?: boolean;
      local_addr?: number;
      executable?: boolean;
      writeable?: boolean;
    } = {},
  ): number {
    return this.#legacy(ds, {
      size: options.size ?? 0,
      offset: options.offset ?? 0,
      use_at: options.use_local_addr ?? false,
      at: options.local_addr ?? 0,
      executable: options.executable ?? false,
      writeable: options.writeable ?? true,
    });
  }

  /** 2016-04..2024-06: the fault state as `READY`/`READ_FAULT`/`WRITE_FAULT`/`EXEC_FAULT`. */
  state(): Region_map_state {
    const f = this.fault();
    const type =
      f.type === 'READ'
        ? 'READ_FAULT'
        : f.type === 'WRITE'
          ? 'WRITE_FAULT'
          : f.type === 'EXEC'
            ? 'EXEC_FAULT'
            : 'READY';
    return { type, addr: f.type === 'NONE' ? 0 : f.addr };
  }

  #legacy(ds: Capability, attr: Attr): number {
    const r = this.attach(ds, attr);
    if (!r.ok) throw_attach_error(r.error);
    return r.range.start;
  }
}
