import { defineKernel, type Kernel } from '@genode-ts/genode-base';
import type { Tracer } from '../trace.js';
import type { VcpuEngine } from '../vcpu-engine.js';
import type { GenodeTracer } from './genode-trace.js';
import { NovaGenodeKernel } from './nova-backend.js';

/** Options of {@link novaKernel}. */
export interface NovaKernelOptions {
  /**
   * Guest execution for vCPU ECs, handed to the NOVA model's boot (`NovaOptions.vcpuEngine`):
   * `@genode-ts/x86-core`'s SVM model, or a test engine. Without one, a vCPU blocks after its
   * STARTUP exit.
   */
  readonly vcpuEngine?: VcpuEngine;
  /** Genode-level trace (vCPU exits, page faults, core's pager, region-map walks, mappings). */
  readonly trace?: GenodeTracer;
  /** NOVA-level trace (every hypercall, scheduling decision and event). */
  readonly kernelTrace?: Tracer;
  /** TSC frequency of the virtual clock in kHz (default 1 GHz). */
  readonly tscKhz?: number;
  /** Bytes at the top of RAM for the kernel's pool (UTCBs, quotas; default RAM / 8, ≥ 1 MiB). */
  readonly kernelMemory?: number;
  /** Called with each booted kernel (tests: invariant checks; tools: inspection). */
  readonly onBoot?: (kernel: NovaGenodeKernel) => void;
}

/**
 * genode-base's kernel backend on NOVA — what `repos/base-nova` is to Genode: core as NOVA's
 * root task, threads as global ECs with SCs, entrypoints as local ECs serving portals, core's
 * pager answering page faults by delegation from the kernel space, unmap by revoke, RPC as NOVA
 * calls with capabilities as typed items, signals as signal semaphores, VMs as guest PDs with
 * vCPU ECs and exit portals.
 *
 * @example
 * ```ts
 * import { boot } from '@genode-ts/genode-base';
 * import { novaKernel } from '@genode-ts/kernel-nova';
 *
 * const system = boot({ kernel: novaKernel({ vcpuEngine }), ramBytes: 64 << 20 });
 * ```
 */
export function novaKernel(options: NovaKernelOptions = {}): Kernel {
  return defineKernel({
    name: 'nova',
    boot(machine, core) {
      const k = new NovaGenodeKernel(machine, core, options);
      options.onBoot?.(k);
      return k;
    },
  });
}
