import type { Attach_result, Attr, Fault, Fault_type, Range } from '../base/region-map.js';
import type { Capability } from '../kernel/capability.js';
import { INVALID_CAPABILITY, isValidCapability } from '../kernel/capability.js';
import type { BootedKernel, KernelPd } from '../kernel/kernel.js';
import type { Flexpage } from '../kernel/memory.js';
import { alignUp, isAligned, PAGE_SIZE_LOG2 } from '../page.js';
import { AvlTree, compareNumbers } from '../util/avl-tree.js';
import { bitSet, log2Floor, truncLog2 } from '../util/log2.js';
import { DATASPACE_OPS, Dataspace_component } from './dataspace-component.js';
import { Free_space } from './free-space.js';
import { type Md_account, REGION_MD_SIZE, Slab_accounting } from './metadata.js';
import type { Faulter_queue, Rm_faulter } from './rm-faulter.js';
import { NO_FAULT } from './rm-faulter.js';
import { type Region_map_detach, Rm_region } from './rm-region.js';
import type { Rpc_entrypoint } from './rpc-entrypoint.js';

/** Depth limit of nested region maps at fault time (§3.4). */
export const RECURSION_LIMIT = 5;

/** Outcome of a fault lookup (`With_mapping_result`). */
export type With_mapping_result =
  | 'RESOLVED'
  | 'RECURSION_LIMIT'
  | 'NO_REGION'
  | 'REFLECTED'
  | 'WRITE_VIOLATION'
  | 'EXEC_VIOLATION';

/** A fault in the coordinates of one level of the lookup (`Core::Fault`). */
export interface Core_fault {
  readonly hotspot: number;
  readonly access: Exclude<Fault_type, 'NONE'>;
  /** Rights still permitted by every region passed so far. */
  readonly w: boolean;
  readonly x: boolean;
  /** Inclusive bounds of the coordinate system. */
  readonly lo: number;
  readonly hi: number;
}

/** What the region map needs from core. */
export interface Region_map_env {
  readonly kernel: BootedKernel;
  readonly ep: Rpc_entrypoint;
}

/** The RPC operations of a region map. */
export const REGION_MAP_OPS: readonly string[] = ['attach', 'detach', 'fault_handler', 'fault', 'dataspace'];

const MAX_ADDR = 2 ** 53 - 1;

/**
 * Core's `Region_map_component` (spec/genode.md §3.2–3.4): the regions of one address-space
 * layout, their placement, detach with flushing, fault lookup through nested maps, and the FIFO
 * of faulting threads. Regions and free space live in balanced trees.
 */
export class Region_map_component implements Region_map_detach, Faulter_queue {
  readonly vm_start: number;
  readonly vm_size: number;
  readonly label: string;
  /** The managed dataspace representing this map. */
  readonly ds: Dataspace_component;
  /** The map's own capability. */
  readonly cap: Capability;
  /** Set for a PD's `address_space()`: flushes go to the kernel. */
  address_space: KernelPd | null = null;
  destroyed = false;
  readonly #env: Region_map_env;
  readonly #regions = new AvlTree<number, Rm_region>(compareNumbers);
  readonly #free = new Free_space();
  readonly #faulters: Rm_faulter[] = [];
  readonly #md: Slab_accounting;
  #fault_sigh: Capability = INVALID_CAPABILITY;

  constructor(
    env: Region_map_env,
    options: { vm_start: number; vm_size: number; md: Md_account; label: string },
  ) {
    this.#env = env;
    this.label = options.label;
    this.vm_start = options.vm_start;
    this.vm_size = alignUp(options.vm_size);
    if (this.vm_size > 0) this.#free.add(this.vm_start, this.vm_size);
    this.#md = new Slab_accounting(options.md, REGION_MD_SIZE);
    this.ds = new Dataspace_component({
      kind: 'MANAGED',
      size: this.vm_size,
      phys: 0,
      writeable: false,
      sub_rm: this,
    });
    this.ds.cap = env.ep.manage(this.ds, DATASPACE_OPS);
    this.cap = env.ep.manage(this, REGION_MAP_OPS);
  }

  /** Number of regions (reserved ones included). */
  get region_count(): number {
    return this.#regions.size;
  }

  /** Number of threads queued on unresolved faults in this map. */
  get faulter_count(): number {
    return this.#faulters.length;
  }

  /** Metadata objects charged (one per region). */
  get metadata_objects(): number {
    return this.#md.objects;
  }

  /** RPC `attach` (2024-06+ semantics, §3.2). */
  attach(ds: Capability, attr: Attr): Attach_result {
    return this.attach_internal(ds, attr ?? {}, false);
  }

  /** Attach with the DMA flag (PD session `attach_dma`). */
  attach_internal(dsCap: Capability, attr: Attr, dma: boolean): Attach_result {
    const offset = attr.offset ?? 0;
    // 1. offset must be page-aligned
    if (!isAligned(offset)) return fail('REGION_CONFLICT');
    // 2. dataspace validity
    const dsc = this.#env.ep.apply(dsCap, Dataspace_component);
    if (dsc === undefined || dsc.destroyed) return fail('INVALID_DATASPACE');
    // 3. offset inside the dataspace
    if (offset >= dsc.size) return fail('REGION_CONFLICT');
    // 4. size: 0 = rest of the dataspace, page-rounded
    const rawSize = attr.size ? attr.size : dsc.size - offset;
    if (!Number.isSafeInteger(rawSize) || rawSize < 0) return fail('REGION_CONFLICT');
    const size = alignUp(rawSize);
    // 5. no region larger than the dataspace
    if (dsc.size < size + offset) return fail('REGION_CONFLICT');
    // metadata first, as the range allocator reserves its blocks before it searches
    const md = this.#md.can_alloc();
    if (md !== 'OK') return fail(md);
    // 6. placement
    let at: number | undefined;
    if (attr.use_at) {
      const want = attr.at ?? 0;
      // Core does not check `at` alignment; this model rejects unaligned addresses (spec §3.2 allows it).
      if (!Number.isSafeInteger(want) || want < 0 || !isAligned(want)) return fail('REGION_CONFLICT');
      if (want + size > MAX_ADDR || !this.#free.fits_at(want, size)) return fail('REGION_CONFLICT');
      at = want;
    } else {
      let align = log2Floor(size);
      if (align >= 64) align = PAGE_SIZE_LOG2;
      for (; at === undefined && align >= PAGE_SIZE_LOG2; align--) {
        // no alignment beyond that of the backing store
        if ((dsc.phys + offset) % 2 ** align !== 0) continue;
        at = this.#free.find_aligned(size, align);
      }
      if (at === undefined) return fail('REGION_CONFLICT');
    }
    // 7. record the region
    this.#free.take(at, size);
    this.#md.alloc();
    const region = new Rm_region(this, dsc, {
      base: at,
      size,
      offset,
      write: !!attr.writeable && !dsc.sealed,
      exec: !!attr.executable,
      dma,
    });
    this.#regions.set(at, region);
    dsc.attached_to(region);
    // 8. wake faulters covered by the new region
    this.#wake_faulters(at, size);
    // 9.
    const range: Range = { start: at, num_bytes: size };
    return { ok: true, range };
  }

  /** RPC `detach`: remove the region containing `at` (§3.3). */
  detach(at: number): void {
    this.detach_at(at);
  }

  /** Remove the region containing `at`, flushing it unless already reserved. */
  detach_at(at: number): void {
    const region = this.region_at(at);
    if (region === undefined) return;
    if (!region.reserved) this.#reserve_and_flush_region(region);
    this.#regions.delete(region.base);
    this.#free.add(region.base, region.size);
    this.#md.free();
  }

  /** Flush the region containing `at` but keep its range reserved (dataspace destruction). */
  reserve_and_flush(at: number): void {
    const region = this.region_at(at);
    if (region !== undefined && !region.reserved) this.#reserve_and_flush_region(region);
  }

  /** RPC `fault_handler`. */
  fault_handler(sigh: Capability): void {
    this.#fault_sigh = sigh ?? INVALID_CAPABILITY;
  }

  /** RPC `fault`: the head of the faulter FIFO. */
  fault(): Fault {
    const head = this.#faulters[0];
    return head === undefined ? NO_FAULT : head.fault;
  }

  /** RPC `dataspace`. */
  dataspace(): Capability {
    return this.ds.cap;
  }

  /** The region containing `addr` (reserved ones included). */
  region_at(addr: number): Rm_region | undefined {
    const e = this.#regions.floor(addr);
    if (e === undefined) return undefined;
    return addr < e.key + e.value.size ? e.value : undefined;
  }

  /** Regions in address order. */
  regions(): IterableIterator<Rm_region> {
    return this.#regions.values();
  }

  /** Free ranges in address order (tests). */
  free_ranges(): { base: number; size: number }[] {
    return [...this.#free.ranges()];
  }

  /**
   * Remove the translations of `[base, base+size)` from the address space owning this map and,
   * through every region that shows this map as a managed dataspace, from the maps above it.
   */
  unmap_region(base: number, size: number, depth = 0): void {
    if (depth > RECURSION_LIMIT) return;
    if (this.address_space !== null) this.#env.kernel.unmap(this.address_space, base, size);
    for (const r of this.ds.regions) {
      const dsBase = Math.max(r.offset, base);
      const dsEnd = Math.min(r.offset + r.size, base + size);
      if (dsBase < dsEnd && r.rm instanceof Region_map_component) {
        r.rm.unmap_region(r.base + dsBase - r.offset, dsEnd - dsBase, depth + 1);
      }
    }
  }

  /**
   * Look up the fault through nested maps (§3.4). Resolved: the flexpage to install. Otherwise
   * the fault was queued at the map where the lookup ended if that map has a handler
   * (REFLECTED), or the result names why not.
   */
  with_mapping_for_fault(
    fault: Core_fault,
    faulter: Rm_faulter,
    maxMapLog2: number,
  ): { result: With_mapping_result; mapping?: Flexpage } {
    let mapping: Flexpage | undefined;
    const result = this.#with_region_at_fault(RECURSION_LIMIT, fault, faulter, (region, rel) => {
      const dsc = region.dsc!;
      // translate to physical coordinates (`within_ram`)
      const hotspot = rel.hotspot + region.offset + dsc.phys;
      const w = rel.w && dsc.writeable_ds;
      const lo = Math.max(rel.lo + region.offset, 0) + dsc.phys;
      const hi = Math.min(rel.hi + region.offset, dsc.size - 1) + dsc.phys;
      const src = constrainToRegion(hotspot, lo, hi);
      if (src === undefined) return 'NO_REGION';
      const common = commonLog2(fault.hotspot, 0, 64, hotspot, src.base, src.log2);
      const mapLog2 = Math.min(common, maxMapLog2);
      mapping = {
        phys: truncLog2(hotspot, mapLog2),
        virt: truncLog2(fault.hotspot, mapLog2),
        log2: mapLog2,
        rights: { write: w, exec: rel.x },
      };
      return 'RESOLVED';
    });
    return mapping === undefined ? { result } : { result, mapping };
  }

  #with_region_at_fault(
    limit: number,
    fault: Core_fault,
    faulter: Rm_faulter,
    resolved: (region: Rm_region, rel: Core_fault) => With_mapping_result,
  ): With_mapping_result {
    if (limit === 0) return 'RECURSION_LIMIT';
    const reflect = (result: With_mapping_result): With_mapping_result => {
      if (!isValidCapability(this.#fault_sigh)) return result;
      this.#enqueue(faulter, { type: fault.access, addr: fault.hotspot });
      return 'REFLECTED';
    };
    const region = this.region_at(fault.hotspot);
    if (region === undefined || region.dsc === null) return reflect('NO_REGION');
    const rel: Core_fault = {
      hotspot: fault.hotspot - region.base,
      access: fault.access,
      w: fault.w && region.write,
      x: fault.x && region.exec,
      lo: Math.max(fault.lo, region.base) - region.base,
      hi: Math.min(fault.hi, region.base + region.size - 1) - region.base,
    };
    const dsc = region.dsc;
    if (dsc.sub_rm === null) {
      const writeable = rel.w && dsc.writeable_ds;
      if (rel.access === 'WRITE' && !writeable) return reflect('WRITE_VIOLATION');
      if (rel.access === 'EXEC' && !rel.x) return reflect('EXEC_VIOLATION');
      return resolved(region, rel);
    }
    // traverse into the managed dataspace (`within_sub_region_map`)
    const sub: Core_fault = {
      hotspot: rel.hotspot + region.offset,
      access: rel.access,
      w: rel.w,
      x: rel.x,
      lo: Math.max(rel.lo, 0) + region.offset,
      hi: Math.min(rel.hi, dsc.size - 1) + region.offset,
    };
    return dsc.sub_rm.#with_region_at_fault(limit - 1, sub, faulter, resolved);
  }

  #enqueue(faulter: Rm_faulter, fault: Fault): void {
    faulter.fault = fault;
    faulter.faulting_rm = this;
    this.#faulters.push(faulter);
    this.#env.kernel.submitSignal(this.#fault_sigh);
  }

  /** Remove a faulter from the FIFO without waking it. */
  discard_faulter(faulter: Rm_faulter): void {
    const i = this.#faulters.indexOf(faulter);
    if (i >= 0) this.#faulters.splice(i, 1);
  }

  #wake_faulters(at: number, size: number): void {
    if (this.#faulters.length === 0) return;
    const keep: Rm_faulter[] = [];
    const wake: Rm_faulter[] = [];
    for (const f of this.#faulters) (f.fault_in_addr_range(at, size) ? wake : keep).push(f);
    this.#faulters.length = 0;
    this.#faulters.push(...keep);
    for (const f of wake) f.continue_after_resolved_fault();
  }

  #reserve_and_flush_region(region: Rm_region): void {
    region.dsc?.detached_from(region);
    region.dsc = null;
    this.unmap_region(region.base, region.size);
  }

  /**
   * Destroy the map (RM-session destroy, PD-session close): detach it from every map that shows
   * it, drop queued faulters (they stay blocked), detach all regions, dissolve both capabilities.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.ds.destroyed = true;
    this.ds.detach_from_rm_sessions();
    this.#env.ep.dissolve(this);
    for (const f of [...this.#faulters]) f.faulting_rm = null;
    this.#faulters.length = 0;
    for (const r of [...this.#regions.values()]) this.detach_at(r.base);
    this.#env.ep.dissolve(this.ds);
  }
}

function fail(error: 'REGION_CONFLICT' | 'INVALID_DATASPACE' | 'OUT_OF_RAM' | 'OUT_OF_CAPS'): Attach_result {
  return { ok: false, error };
}

/**
 * The largest naturally aligned block around `hotspot` inside `[lo, hi]`, at least one page
 * (`Log2_range::constrained`).
 */
function constrainToRegion(
  hotspot: number,
  lo: number,
  hi: number,
): { base: number; log2: number } | undefined {
  let best: { base: number; log2: number } | undefined;
  for (let l = PAGE_SIZE_LOG2; l <= 52; l++) {
    const base = truncLog2(hotspot, l);
    if (base < lo || base + 2 ** l - 1 > hi) break;
    best = { base, log2: l };
  }
  return best;
}

/**
 * The flexpage size compatible with both ranges: the offset of the hotspot in the flexpage must
 * be equal on both sides (`Log2_range::common_log2`).
 */
function commonLog2(h1: number, b1: number, s1: number, h2: number, b2: number, s2: number): number {
  const d1 = h1 - b1;
  const d2 = h2 - b2;
  const max = Math.min(s1, s2);
  let n = PAGE_SIZE_LOG2;
  while (n < max && bitSet(d1, n) === bitSet(d2, n)) n++;
  return n;
}
