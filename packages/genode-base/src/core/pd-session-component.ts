import type { Alloc_result, Cache } from '../base/region-map.js';
import type { Capability } from '../kernel/capability.js';
import { INVALID_CAPABILITY } from '../kernel/capability.js';
import type { BootedKernel, KernelPd, KernelSignalSource } from '../kernel/kernel.js';
import { alignUp } from '../page.js';
import { DATASPACE_OPS, Dataspace_component } from './dataspace-component.js';
import type { Phys_allocator } from './phys-allocator.js';
import { Account, Quota_guard, type Transfer_result } from './quota.js';
import { Region_map_component } from './region-map-component.js';
import { Rm_faulter } from './rm-faulter.js';
import type { Rpc_entrypoint } from './rpc-entrypoint.js';
import { type Session_quota, SLAB_BLOCK_SIZE } from './session-quota.js';

/** A quota amount of one unit (`Ram_quota{n}` / `Cap_quota{n}`). */
export interface Quota_amount {
  readonly unit: 'RAM' | 'caps';
  readonly value: number;
}

/** `Ram_quota{n}`. */
export function Ram_quota(value: number): Quota_amount {
  return { unit: 'RAM', value };
}

/** `Cap_quota{n}`. */
export function Cap_quota(value: number): Quota_amount {
  return { unit: 'caps', value };
}

/** `Pd_session::Ref_account_result`. */
export type Ref_account_result = 'OK' | 'INVALID_SESSION';

/** `Pd_session::Attach_dma_result`. */
export type Attach_dma_result = 'OK' | 'OUT_OF_RAM' | 'OUT_OF_CAPS' | 'DENIED';

/** Result of `alloc_context`. */
export type Alloc_context_result =
  | { readonly ok: true; readonly cap: Capability }
  | { readonly ok: false; readonly error: 'OUT_OF_CAPS' };

/** What a PD session needs from core. */
export interface Pd_env {
  readonly kernel: BootedKernel;
  readonly ep: Rpc_entrypoint;
  readonly phys: Phys_allocator;
  /** Core's own log (no label). */
  log(line: string): void;
}

/** Stack area of a PD: 256 MiB (`stack_area_virtual_size`). */
export const STACK_AREA_SIZE = 0x1000_0000;
/** NOVA's stack-area base inside the address space (2017+). */
export const STACK_AREA_BASE = 0xa000_0000;
/** `LINKER_AREA_SIZE` (2020–2024). */
export const LINKER_AREA_SIZE = 0x1000_0000;

/** The RPC operations of a PD session. */
export const PD_SESSION_OPS: readonly string[] = [
  'ref_account',
  'transfer_quota',
  'ram_quota',
  'used_ram',
  'avail_ram',
  'cap_quota',
  'used_caps',
  'avail_caps',
  'alloc_ram',
  'free_ram',
  'ram_size',
  'seal_ram',
  'dma_addr',
  'attach_dma',
  'address_space',
  'stack_area',
  'linker_area',
  'alloc_context',
  'free_context',
  'submit',
  'native_pd',
  'map',
];

/**
 * Core's `Pd_session_component` (spec/genode.md §2.3, §3.1): the RAM and capability accounts of
 * one protection domain, its RAM-dataspace factory, its three region maps and its signal
 * contexts. The session's quota guards are the account; region metadata is charged to them too.
 */
export class Pd_session_component {
  readonly label: string;
  readonly kernel_pd: KernelPd | null;
  readonly ram_guard: Quota_guard;
  readonly cap_guard: Quota_guard;
  ram_account: Account | null = null;
  cap_account: Account | null = null;
  readonly address_space_rm: Region_map_component | null;
  readonly stack_area_rm: Region_map_component | null;
  readonly linker_area_rm: Region_map_component | null;
  readonly cap: Capability;
  /** The quota donated when the session was created. */
  readonly donation: Session_quota;
  closed = false;
  readonly #env: Pd_env;
  readonly #dataspaces = new Set<Dataspace_component>();
  readonly #contexts = new Set<number>();

  constructor(env: Pd_env, options: { label: string; quota: Session_quota; root?: boolean }) {
    this.#env = env;
    this.label = options.label;
    this.donation = options.quota;
    this.ram_guard = new Quota_guard('RAM', options.quota.ram);
    this.cap_guard = new Quota_guard('caps', options.quota.caps);
    if (options.root) {
      // core's own account: the root of the account tree, everything is transferable
      this.kernel_pd = null;
      this.ram_account = new Account(this.ram_guard, this.label, null, 0);
      this.cap_account = new Account(this.cap_guard, this.label, null, 0);
      this.address_space_rm = null;
      this.stack_area_rm = null;
      this.linker_area_rm = null;
    } else {
      // the session capability itself
      this.cap_guard.try_withdraw(1);
      this.kernel_pd = env.kernel.createPd(this.label);
      const md = { ram: this.ram_guard, caps: this.cap_guard };
      const range = env.kernel.userRange;
      this.address_space_rm = new Region_map_component(env, {
        vm_start: range.start,
        vm_size: range.end - range.start,
        md,
        label: `${this.label} address space`,
      });
      this.address_space_rm.address_space = this.kernel_pd;
      this.stack_area_rm = new Region_map_component(env, {
        vm_start: 0,
        vm_size: STACK_AREA_SIZE,
        md,
        label: `${this.label} stack area`,
      });
      this.linker_area_rm = new Region_map_component(env, {
        vm_start: 0,
        vm_size: LINKER_AREA_SIZE,
        md,
        label: `${this.label} linker area`,
      });
    }
    this.cap = env.ep.manage(this, PD_SESSION_OPS);
  }

  /** RPC `ref_account`: definable once; own cap → no-op; invalid → INVALID_SESSION. */
  ref_account(cap: Capability): Ref_account_result {
    if (this.ram_account !== null) return 'OK';
    if (cap?.id === this.cap.id) return 'OK';
    const pd = this.#env.ep.apply(cap, Pd_session_component);
    if (pd === undefined || pd.ram_account === null || pd.cap_account === null) {
      this.#env.log('Error: invalid PD session specified as ref account');
      return 'INVALID_SESSION';
    }
    this.ram_account = new Account(this.ram_guard, this.label, pd.ram_account);
    this.cap_account = new Account(this.cap_guard, this.label, pd.cap_account);
    return 'OK';
  }

  /** RPC `transfer_quota`: only along the reference-account edge, never below the donation. */
  transfer_quota(to: Capability, amount: Quota_amount): Transfer_result {
    const ram = amount?.unit === 'RAM';
    const own = ram ? this.ram_account : this.cap_account;
    if (own === null) return 'INVALID';
    if (to?.id === this.cap.id) return 'OK';
    if (!Number.isSafeInteger(amount?.value) || amount.value < 0) return 'INVALID';
    const pd = this.#env.ep.apply(to, Pd_session_component);
    const other = pd === undefined ? null : ram ? pd.ram_account : pd.cap_account;
    if (other === null) return 'INVALID';
    const r = own.transfer_quota(other, amount.value);
    const what = ram ? 'RAM' : 'cap';
    if (r === 'INVALID') this.#env.log(`Warning: attempt to transfer ${what} quota to unrelated PD session`);
    if (r === 'EXCEEDED') {
      this.#env.log(
        `Warning: ${what} limit (${own.guard.toString()}) exceeded during transfer_quota(${amount.value})`,
      );
    }
    return r;
  }

  /** RPC `ram_quota`: the limit. */
  ram_quota(): number {
    return this.ram_guard.limit;
  }

  /** RPC `used_ram`. */
  used_ram(): number {
    return this.ram_guard.used;
  }

  /** RPC `avail_ram`. */
  avail_ram(): number {
    return this.ram_guard.avail;
  }

  /** RPC `cap_quota`. */
  cap_quota(): number {
    return this.cap_guard.limit;
  }

  /** RPC `used_caps`. */
  used_caps(): number {
    return this.cap_guard.used;
  }

  /** RPC `avail_caps`. */
  avail_caps(): number {
    return this.cap_guard.avail;
  }

  /** RPC `alloc_ram` (§3.1). */
  alloc_ram(size: number, cache: Cache = 'CACHED'): Alloc_result {
    // 1. zero-sized (and nonsensical) requests are denied
    if (!Number.isSafeInteger(size) || size <= 0) return { ok: false, error: 'DENIED' };
    // 2. page granularity
    const ds_size = alignUp(size);
    // 3. the dataspace itself
    if (!this.ram_guard.try_withdraw(ds_size)) return { ok: false, error: 'OUT_OF_RAM' };
    // 4. worst-case slab block for the dataspace object: a check, not a charge
    if (this.ram_guard.avail < SLAB_BLOCK_SIZE) {
      this.ram_guard.replenish(ds_size);
      return { ok: false, error: 'OUT_OF_RAM' };
    }
    // 5. one capability for the dataspace RPC object
    if (!this.cap_guard.try_withdraw(1)) {
      this.ram_guard.replenish(ds_size);
      return { ok: false, error: 'OUT_OF_CAPS' };
    }
    // 6. physical memory
    const phys = this.#env.phys.alloc(ds_size);
    if (phys === undefined) {
      this.#env.log(`Error: out of physical memory while allocating ${ds_size} bytes`);
      this.ram_guard.replenish(ds_size);
      this.cap_guard.replenish(1);
      return { ok: false, error: 'DENIED' };
    }
    // 7. the dataspace, zero-filled: only frames that held data need zeroing (never-used RAM
    //    reads zero), so untouched guest RAM is never committed by the host.
    const ram = new Uint8Array(this.#env.kernel.memory.buffer);
    for (const r of this.#env.phys.take_dirty(phys, ds_size)) {
      ram.fill(0, r.base, r.base + r.size);
      this.#env.kernel.ramWritten?.(r.base, r.size);
    }
    const dsc = new Dataspace_component({
      kind: 'RAM',
      size: ds_size,
      phys,
      writeable: true,
      cache,
      owner: this,
    });
    dsc.cap = this.#env.ep.manage(dsc, DATASPACE_OPS);
    this.#dataspaces.add(dsc);
    return { ok: true, cap: dsc.cap };
  }

  /** RPC `free_ram`: foreign, unknown or own-session capabilities are silently ignored. */
  free_ram(ds: Capability): void {
    if (ds?.id === this.cap.id) return;
    const dsc = this.#env.ep.apply(ds, Dataspace_component);
    if (dsc === undefined || !this.#dataspaces.has(dsc)) return;
    this.#destroy_dataspace(dsc);
  }

  /** RPC `ram_size`: size if owned, else 0. */
  ram_size(ds: Capability): number {
    const dsc = this.#env.ep.apply(ds, Dataspace_component);
    return dsc !== undefined && this.#dataspaces.has(dsc) ? dsc.size : 0;
  }

  /** RPC `seal_ram`: later attachments of an owned dataspace are read-only. */
  seal_ram(ds: Capability): void {
    const dsc = this.#env.ep.apply(ds, Dataspace_component);
    if (dsc !== undefined && this.#dataspaces.has(dsc)) dsc.sealed = true;
  }

  /** RPC `dma_addr`: the physical address of an owned dataspace, else 0. */
  dma_addr(ds: Capability): number {
    const dsc = this.#env.ep.apply(ds, Dataspace_component);
    return dsc !== undefined && this.#dataspaces.has(dsc) ? dsc.phys : 0;
  }

  /** RPC `attach_dma` (platform driver): rw at `at`, errors other than quota → DENIED. */
  attach_dma(ds: Capability, at: number): Attach_dma_result {
    if (this.address_space_rm === null) return 'DENIED';
    const r = this.address_space_rm.attach_internal(ds, { use_at: true, at, writeable: true }, true);
    if (r.ok) return 'OK';
    return r.error === 'OUT_OF_RAM' || r.error === 'OUT_OF_CAPS' ? r.error : 'DENIED';
  }

  /** RPC `address_space`. */
  address_space(): Capability {
    return this.address_space_rm?.cap ?? INVALID_CAPABILITY;
  }

  /** RPC `stack_area`. */
  stack_area(): Capability {
    return this.stack_area_rm?.cap ?? INVALID_CAPABILITY;
  }

  /** RPC `linker_area`. */
  linker_area(): Capability {
    return this.linker_area_rm?.cap ?? INVALID_CAPABILITY;
  }

  /** RPC `alloc_context`: a signal context at `source` (one capability). */
  alloc_context(source: KernelSignalSource, imprint: number): Alloc_context_result {
    if (!this.cap_guard.try_withdraw(1)) return { ok: false, error: 'OUT_OF_CAPS' };
    const cap = this.#env.kernel.createSignalContext(source, imprint);
    this.#contexts.add(cap.id);
    return { ok: true, cap };
  }

  /** RPC `free_context`. */
  free_context(cap: Capability): void {
    if (cap == null || !this.#contexts.delete(cap.id)) return;
    this.#env.kernel.destroySignalContext(cap);
    this.cap_guard.replenish(1);
  }

  /** RPC `submit`. */
  submit(cap: Capability, count = 1): void {
    this.#env.kernel.submitSignal(cap, count);
  }

  /**
   * RPC `map` (NOVA, 2023+): eagerly populate `[virt, virt+size)` — every page a READ fault would
   * resolve is mapped now; nothing is reflected.
   */
  map(virt: number, size: number): void {
    const pd = this.kernel_pd;
    const rm = this.address_space_rm;
    if (pd === null || rm === null || !Number.isSafeInteger(virt) || !Number.isSafeInteger(size)) return;
    const probe = new Rm_faulter({ id: -1, name: 'map', pd }, () => {});
    for (let a = Math.floor(virt / 4096) * 4096; a < virt + size; a += 4096) {
      const r = rm.with_mapping_for_fault(
        { hotspot: a, access: 'READ', w: true, x: true, lo: 0, hi: 2 ** 53 - 1 },
        probe,
        this.#env.kernel.maxMapLog2,
      );
      // a reflected probe must not stay queued
      probe.dissolve_from_faulting_region_map();
      if (r.mapping !== undefined) this.#env.kernel.map(pd, r.mapping);
    }
  }

  /** RPC `native_pd`: the kernel PD (Genode's `Native_pd` interface, kernel-specific). */
  native_pd(): KernelPd | undefined {
    return this.kernel_pd ?? undefined;
  }

  /** Session upgrade: raise the limits (quota arrives from the client's side). */
  upgrade(quota: Session_quota): void {
    this.ram_guard.upgrade(quota.ram);
    this.cap_guard.upgrade(quota.caps);
  }

  /** Number of dataspaces owned. */
  get dataspace_count(): number {
    return this.#dataspaces.size;
  }

  #destroy_dataspace(dsc: Dataspace_component): void {
    this.#dataspaces.delete(dsc);
    dsc.destroyed = true;
    dsc.detach_from_rm_sessions();
    this.#env.ep.dissolve(dsc);
    this.#env.phys.free(dsc.phys, dsc.size);
    this.ram_guard.replenish(dsc.size);
    this.cap_guard.replenish(1);
  }

  /**
   * Close the session: the PD and its threads vanish, maps and dataspaces are destroyed, the
   * accounts are torn down (quota above the donation goes to the reference account). Returns the
   * donation to hand back to the client.
   */
  close(): Session_quota {
    if (this.closed) return { ram: 0, caps: 0 };
    this.closed = true;
    if (this.kernel_pd !== null) this.#env.kernel.destroyPd(this.kernel_pd);
    this.address_space_rm?.destroy();
    this.stack_area_rm?.destroy();
    this.linker_area_rm?.destroy();
    for (const dsc of [...this.#dataspaces]) this.#destroy_dataspace(dsc);
    for (const id of [...this.#contexts]) this.free_context({ id });
    this.#env.ep.dissolve(this);
    // the session capability
    this.cap_guard.replenish(1);
    const ramDangling = this.ram_account?.destroy() ?? 0;
    const capDangling = this.cap_account?.destroy() ?? 0;
    if (ramDangling > 0 || capDangling > 0) {
      this.#env.log(
        `Warning: destroying account with allocated (possibly leaking?) resources (${ramDangling} RAM, ${capDangling} caps)`,
      );
    }
    // whatever is left is the donation (plus upgrades not handed over); return it all
    const ram = this.ram_guard.limit - this.ram_guard.used;
    const caps = this.cap_guard.limit - this.cap_guard.used;
    return { ram, caps };
  }
}
