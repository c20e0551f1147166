import type { Capability } from '../kernel/capability.js';
import type { BootedKernel, KernelVcpu, KernelVm, VcpuOptions } from '../kernel/kernel.js';
import { alignUp, isAligned } from '../page.js';
import { AvlTree, compareNumbers } from '../util/avl-tree.js';
import { Dataspace_component } from './dataspace-component.js';
import type { Pd_session_component } from './pd-session-component.js';
import { type Region_map_detach, Rm_region } from './rm-region.js';
import type { Rpc_entrypoint } from './rpc-entrypoint.js';
import type { Session_quota } from './session-quota.js';
import { Plain_session } from './simple-sessions.js';

/** Attributes of a guest-memory attachment (`Vm_session::Attach_attr`). */
export interface Vm_attach_attr {
  readonly offset?: number;
  readonly size?: number;
  readonly executable?: boolean;
  readonly writeable?: boolean;
}

/** Result of a guest-memory attachment. */
export type Vm_attach_result = 'OK' | 'REGION_CONFLICT' | 'INVALID_DATASPACE';

/** The RPC operations of a VM session. */
export const VM_SESSION_OPS: readonly string[] = [
  'attach',
  'detach',
  'create_vcpu',
  'colocated',
  'kernel_vm',
];

/**
 * Core's VM session: a VM with a guest-physical space, eager guest-memory attachments from
 * dataspaces (mapped with the largest co-aligned flexpages, NOVA: `delegate` with H+G) and vCPU
 * creation. Destroying an attached dataspace flushes its guest mappings and keeps the range
 * reserved, as for region maps.
 */
export class Vm_session_component extends Plain_session implements Region_map_detach {
  readonly vm: KernelVm;
  readonly #kernel: BootedKernel;
  readonly #ep: Rpc_entrypoint;
  readonly #regions = new AvlTree<number, Rm_region>(compareNumbers);
  readonly #vcpus = new Set<KernelVcpu>();

  constructor(
    kernel: BootedKernel,
    ep: Rpc_entrypoint,
    label: string,
    quota: Session_quota,
    options: { vmm: Pd_session_component; colocated: boolean },
  ) {
    super(label, quota);
    this.#kernel = kernel;
    this.#ep = ep;
    if (options.vmm.kernel_pd === null) throw new RangeError('VM session needs a VMM PD');
    this.vm = kernel.createVm(options.vmm.kernel_pd, { label, colocated: options.colocated });
    this.cap = ep.manage(this, VM_SESSION_OPS);
  }

  /** RPC `kernel_vm` (the kernel-specific native VM, like `Native_vcpu`). */
  kernel_vm(): KernelVm {
    return this.vm;
  }

  /** RPC `colocated`. */
  colocated(): boolean {
    return this.vm.colocated;
  }

  /** RPC `attach`: map `ds` at guest-physical `gpa` eagerly. */
  attach(ds: Capability, gpa: number, attr: Vm_attach_attr): Vm_attach_result {
    const offset = attr?.offset ?? 0;
    if (!isAligned(offset) || !isAligned(gpa)) return 'REGION_CONFLICT';
    const dsc = this.#ep.apply(ds, Dataspace_component);
    if (dsc === undefined || dsc.destroyed || dsc.sub_rm !== null) return 'INVALID_DATASPACE';
    if (offset >= dsc.size) return 'REGION_CONFLICT';
    const raw = attr?.size ? attr.size : dsc.size - offset;
    if (!Number.isSafeInteger(raw) || raw <= 0) return 'REGION_CONFLICT';
    const size = alignUp(raw);
    if (offset + size > dsc.size) return 'REGION_CONFLICT';
    const prev = this.#regions.floor(gpa + size - 1);
    if (prev !== undefined && prev.key + prev.value.size > gpa) return 'REGION_CONFLICT';
    const region = new Rm_region(this, dsc, {
      base: gpa,
      size,
      offset,
      write: !!attr?.writeable && !dsc.sealed,
      exec: !!attr?.executable,
      dma: false,
    });
    this.#regions.set(gpa, region);
    dsc.attached_to(region);
    const rights = { write: region.write && dsc.writeable_ds, exec: region.exec };
    let pos = 0;
    while (pos < size) {
      const phys = dsc.phys + offset + pos;
      const g = gpa + pos;
      let log2 = 12;
      while (
        log2 < this.#kernel.maxMapLog2 &&
        phys % 2 ** (log2 + 1) === 0 &&
        g % 2 ** (log2 + 1) === 0 &&
        pos + 2 ** (log2 + 1) <= size
      ) {
        log2++;
      }
      this.#kernel.mapGuest(this.vm, { phys, virt: g, log2, rights });
      pos += 2 ** log2;
    }
    return 'OK';
  }

  /** RPC `detach`: remove every attachment overlapping `[gpa, gpa+size)`. */
  detach(gpa: number, size: number): void {
    for (const r of [...this.#regions.values()]) {
      if (r.base < gpa + size && gpa < r.base + r.size) this.detach_at(r.base);
    }
  }

  /** RPC `create_vcpu`. */
  create_vcpu(options: VcpuOptions): KernelVcpu {
    const vcpu = this.#kernel.createVcpu(this.vm, options);
    this.#vcpus.add(vcpu);
    return vcpu;
  }

  /** Detach the attachment containing `at`. */
  detach_at(at: number): void {
    const e = this.#regions.floor(at);
    if (e === undefined || at >= e.key + e.value.size) return;
    this.reserve_and_flush(at);
    this.#regions.delete(e.key);
  }

  /** Flush the attachment containing `at`, keep it reserved (dataspace destroyed). */
  reserve_and_flush(at: number): void {
    const e = this.#regions.floor(at);
    if (e === undefined || at >= e.key + e.value.size) return;
    const r = e.value;
    if (r.dsc === null) return;
    r.dsc.detached_from(r);
    r.dsc = null;
    this.#kernel.unmapGuest(this.vm, r.base, r.size);
  }

  /** Close: vCPUs and the VM vanish. */
  override close(): Session_quota {
    for (const r of [...this.#regions.values()]) this.detach_at(r.base);
    for (const v of this.#vcpus) this.#kernel.destroyVcpu(v);
    this.#vcpus.clear();
    this.#kernel.destroyVm(this.vm);
    this.#ep.dissolve(this);
    return super.close();
  }
}
