import type { Capability } from '../kernel/capability.js';

/**
 * Attributes of an attachment (`Region_map::Attr`, 2024-06+). A value-initialized `{}` means:
 * the whole dataspace, offset 0, core picks the address, **read-only, non-executable**.
 */
export interface Attr {
  /** Bytes to attach; 0 or absent = the rest of the dataspace from `offset`. */
  readonly size?: number;
  /** Offset into the dataspace (must be page-aligned). */
  readonly offset?: number;
  /** Attach at exactly `at` instead of anywhere. */
  readonly use_at?: boolean;
  /** Address inside the region map (used with `use_at`). */
  readonly at?: number;
  readonly executable?: boolean;
  readonly writeable?: boolean;
}

/** `Region_map::Attach_error`. */
export type Attach_error = 'OUT_OF_RAM' | 'OUT_OF_CAPS' | 'REGION_CONFLICT' | 'INVALID_DATASPACE';

/** `Region_map::Range`: where an attachment landed. */
export interface Range {
  readonly start: number;
  readonly num_bytes: number;
}

/** `Region_map::Attach_result` (an `Attempt<Range, Attach_error>`). */
export type Attach_result =
  | { readonly ok: true; readonly range: Range }
  | { readonly ok: false; readonly error: Attach_error };

/** `Region_map::Fault::Type`. */
export type Fault_type = 'NONE' | 'READ' | 'WRITE' | 'EXEC';

/** `Region_map::Fault`: the fault at the head of a region map's faulter queue. */
export interface Fault {
  readonly type: Fault_type;
  /** Fault address in the region map's own coordinates (meaningless for NONE). */
  readonly addr: number;
}

/**
 * The region-map RPC interface as core serves it (the 2024-06+ API, `region_map/region_map.h`).
 * Clients use {@link Region_map_client}; the component's own address space is `env.rm()`.
 */
export interface Region_map {
  /** Attach a dataspace; see spec/genode.md §3.2 for the check order. */
  attach(ds: Capability, attr: Attr): Attach_result;
  /** Detach the region containing `at` (any interior address); unknown addresses are ignored. */
  detach(at: number): void;
  /** Register the signal context notified about unresolved faults in this map. */
  fault_handler(sigh: Capability): void;
  /** The fault at the head of the faulter queue, or `{ type: 'NONE' }`. */
  fault(): Fault;
  /** The managed dataspace representing this region map. */
  dataspace(): Capability;
}

/** Cacheability of RAM (`Genode::Cache`). */
export type Cache = 'CACHED' | 'WRITE_COMBINED' | 'UNCACHED';

/** `Ram_allocator::Alloc_error`. */
export type Alloc_error = 'OUT_OF_RAM' | 'OUT_OF_CAPS' | 'DENIED';

/** `Ram_allocator::Alloc_result` (an `Attempt<Ram_dataspace_capability, Alloc_error>`). */
export type Alloc_result =
  | { readonly ok: true; readonly cap: Capability }
  | { readonly ok: false; readonly error: Alloc_error };
