/**
 * The x86-core vCPU engine: real guest code for kernel-nova's vCPU ECs (spec/nova.md §5.4–5.5,
 * DESIGN.md "The vCPU path" and "Time and determinism").
 */
import { type CpuidConfig, PhysicalMemory as X86PhysicalMemory } from '@genode-ts/x86-core';
import { KernelNovaError } from '../errors.js';
import type { PhysicalMemory } from '../physical-memory.js';
import type { VcpuEngine, VcpuPort } from '../vcpu-engine.js';
import { X86Vcpu } from './x86-vcpu.js';

/** Options of {@link x86VcpuEngine}. */
export interface X86VcpuEngineOptions {
  /**
   * TSC ticks per guest instruction, a positive integer (default 1). Guest instructions are the
   * only thing that moves the virtual clock while a vCPU is in guest mode: with the kernel's
   * default 1 GHz TSC, one instruction is one nanosecond of virtual time.
   */
  readonly ticksPerInstruction?: number;
  /** CPUID identity and features the guests see (x86-core's `defaultCpuidConfig()` otherwise). */
  readonly cpuid?: Partial<CpuidConfig>;
  /**
   * Executions of a block before x86-core compiles it to JavaScript (x86-core's default 64;
   * `Infinity` keeps every guest in the interpreter).
   */
  readonly compileThreshold?: number;
}

/**
 * A {@link VcpuEngine} running every vCPU EC on an x86-core processor in SVM guest mode. One
 * engine serves one machine (the kernel it is passed to); all its vCPUs share the machine's RAM
 * buffer — guest RAM is host frames, never a copy — and one decoded-code cache.
 */
export class X86VcpuEngine implements VcpuEngine {
  /** The live vCPUs in creation order (a destroyed vCPU EC leaves the list). */
  readonly vcpus: X86Vcpu[] = [];
  /** TSC ticks per guest instruction. */
  readonly ticksPerInstruction: number;
  private readonly options: X86VcpuEngineOptions;
  private readonly memories = new Map<PhysicalMemory, X86PhysicalMemory>();
  private created = 0;

  constructor(options: X86VcpuEngineOptions = {}) {
    const k = options.ticksPerInstruction ?? 1;
    if (!Number.isSafeInteger(k) || k < 1) {
      throw new KernelNovaError('BAD_CONFIG', `ticksPerInstruction must be a positive integer, got ${k}`);
    }
    this.ticksPerInstruction = k;
    this.options = options;
  }

  /** The processor's view of the machine's RAM: the same buffer, plus MMIO beyond it. */
  private memoryFor(mem: PhysicalMemory): X86PhysicalMemory {
    let x = this.memories.get(mem);
    if (x !== undefined) return x;
    try {
      x = new X86PhysicalMemory({ buffer: mem.buffer });
    } catch (cause) {
      throw new KernelNovaError('BAD_CONFIG', 'machine memory is too large for the x86 core', { cause });
    }
    const xm = x;
    // Frames beyond RAM are the kernel's MMIO (`PhysicalMemory.mmio`), looked up per access.
    if (x.size < 2 ** 32) {
      xm.addMmio(x.size, 2 ** 32 - x.size, {
        read: (addr, size) => mem.read(addr, size),
        write: (addr, size, value) => mem.write(addr, size, value >>> 0),
      });
    }
    // Host code's writes through the kernel drop decoded guest code in those bytes.
    mem.onWrite((addr, length) => xm.invalidate(addr, length));
    this.memories.set(mem, x);
    return x;
  }

  attach(port: VcpuPort): X86Vcpu {
    const o = this.options;
    const v = new X86Vcpu(port, {
      memory: this.memoryFor(port.guest.memory),
      ticksPerInstruction: this.ticksPerInstruction,
      apicId: this.created++,
      onDestroy: (x) => {
        const i = this.vcpus.indexOf(x);
        if (i >= 0) this.vcpus.splice(i, 1);
      },
      ...(o.cpuid === undefined ? {} : { cpuid: o.cpuid }),
      ...(o.compileThreshold === undefined ? {} : { compileThreshold: o.compileThreshold }),
    });
    this.vcpus.push(v);
    return v;
  }

  /**
   * Host code wrote `[addr, addr + length)` of the machine's RAM without going through the
   * kernel (e.g. through the RAM buffer directly): drop decoded guest code in those bytes.
   */
  invalidateCode(addr: number, length: number): void {
    for (const x of this.memories.values()) x.invalidate(addr, length);
  }
}

/**
 * Real guest execution for `NovaKernel.boot({ vcpuEngine })` and genode-base's
 * `novaKernel({ vcpuEngine })`: every vCPU EC runs on an x86-core processor in guest mode.
 *
 * @example
 * ```ts
 * import { boot } from '@genode-ts/genode-base';
 * import { novaKernel, x86VcpuEngine } from '@genode-ts/kernel-nova';
 *
 * const system = boot({ kernel: novaKernel({ vcpuEngine: x86VcpuEngine() }), ramBytes: 64 << 20 });
 * ```
 */
export function x86VcpuEngine(options: X86VcpuEngineOptions = {}): X86VcpuEngine {
  return new X86VcpuEngine(options);
}
