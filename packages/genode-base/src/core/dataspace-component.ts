import type { Cache } from '../base/region-map.js';
import type { Capability } from '../kernel/capability.js';
import { INVALID_CAPABILITY } from '../kernel/capability.js';
import type { Region_map_component } from './region-map-component.js';
import type { Rm_region } from './rm-region.js';

/** What kind of memory a dataspace describes. */
export type Dataspace_kind = 'RAM' | 'ROM' | 'MANAGED';

/** Who owns a RAM dataspace (core's `Ram_dataspace_factory`); only the owner may free it. */
export interface Dataspace_owner {
  readonly label: string;
}

/**
 * Core's `Dataspace_component`: a contiguous, page-granular memory object (spec/genode.md §1).
 * Managed dataspaces (the dataspace view of a region map) have `sub_rm` set and `phys` 0.
 */
export class Dataspace_component {
  readonly kind: Dataspace_kind;
  /** Page-rounded size in bytes. */
  readonly size: number;
  /** Physical base (core's `map_src_addr`), 0 for managed dataspaces. */
  readonly phys: number;
  /** Whether mappings may be writeable at all. */
  readonly writeable_ds: boolean;
  readonly cache: Cache;
  readonly owner: Dataspace_owner | null;
  /** The region map this dataspace represents (managed dataspaces only). */
  readonly sub_rm: Region_map_component | null;
  /** Sealed RAM: later attachments become read-only (`seal_ram`). */
  sealed = false;
  /** Dissolved: the capability is gone, regions were reserved and flushed. */
  destroyed = false;
  cap: Capability = INVALID_CAPABILITY;
  /** Regions (in any region map or VM) that reference this dataspace. */
  readonly regions: Set<Rm_region> = new Set();

  constructor(options: {
    kind: Dataspace_kind;
    size: number;
    phys: number;
    writeable: boolean;
    cache?: Cache;
    owner?: Dataspace_owner | null;
    sub_rm?: Region_map_component | null;
  }) {
    this.kind = options.kind;
    this.size = options.size;
    this.phys = options.phys;
    this.writeable_ds = options.writeable;
    this.cache = options.cache ?? 'CACHED';
    this.owner = options.owner ?? null;
    this.sub_rm = options.sub_rm ?? null;
  }

  /** RPC `Dataspace::size()`: the page-rounded size. */
  rpc_size(): number {
    return this.size;
  }

  /** RPC `Dataspace::writeable()`; false for ROM and managed dataspaces. */
  rpc_writeable(): boolean {
    return this.writeable_ds;
  }

  /** Record that `region` references this dataspace. */
  attached_to(region: Rm_region): void {
    this.regions.add(region);
  }

  /** Forget `region`. */
  detached_from(region: Rm_region): void {
    this.regions.delete(region);
  }

  /**
   * Flush every region referencing this dataspace and keep its range reserved until the owner of
   * the region map detaches it (dataspace destruction, §3.3).
   */
  detach_from_rm_sessions(): void {
    for (const r of [...this.regions]) r.rm.reserve_and_flush(r.base);
    this.regions.clear();
  }
}

/** RPC operations a dataspace capability serves. */
export const DATASPACE_OPS: readonly string[] = ['rpc_size', 'rpc_writeable'];
