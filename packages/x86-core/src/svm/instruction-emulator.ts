/**
 * An instruction emulator for a VMM: decodes and executes one guest instruction against a guest
 * state block, with every memory access (code fetch, guest page walk, data) going through
 * caller-supplied guest-physical callbacks. This is what Seoul's emulator does when a guest
 * touches MMIO: the NPT exit tells the VMM where; the emulator performs the access on the device
 * model and advances the guest past the instruction.
 *
 * It is the full core underneath (same decoder and semantics as guest execution), on a physical
 * memory whose every address is the caller's: `read/write(gpa, size)`.
 */
import { Cpu, EV_VMEXIT } from '../cpu.js';
import type { CpuidConfig } from '../cpuid.js';
import type { MmioHandler } from '../mmio.js';
import { PhysicalMemory } from '../physical-memory.js';
import type { PortIo } from '../port-io.js';
import { RunExit } from '../run-exit.js';
import { type GuestState, loadGuestState, saveGuestState } from './guest-state.js';

/** Guest-physical memory as the emulated instruction sees it (RAM and device models alike). */
export interface GuestPhysicalAccess {
  /** Reads `size` bytes at guest-physical `gpa` (unsigned for 1/2, any 32-bit pattern for 4). */
  read(gpa: number, size: 1 | 2 | 4): number;
  /** Writes `size` bytes at guest-physical `gpa`. */
  write(gpa: number, size: 1 | 2 | 4, value: number): void;
}

/** The outcome of {@link InstructionEmulator.step}. */
export type EmulationResult =
  | { readonly status: 'done'; readonly instLen: number }
  | {
      /** The instruction raised an exception: nothing changed; inject it (or handle it). */
      readonly status: 'exception';
      readonly vector: number;
      /** Error code, or -1. */
      readonly errorCode: number;
      /** The faulting linear address for #PF. */
      readonly address: number;
    }
  | { readonly status: 'halted' };

/** Options of an {@link InstructionEmulator}. */
export interface InstructionEmulatorOptions {
  /** Port I/O of emulated IN/OUT instructions (default: unclaimed, reads all ones). */
  readonly io?: PortIo;
  readonly cpuid?: Partial<CpuidConfig>;
}

/** Emulates single guest instructions (see the module comment). */
export class InstructionEmulator {
  private readonly memory: PhysicalMemory;
  private readonly cpu: Cpu;
  private access: GuestPhysicalAccess | null = null;
  private fault: { vector: number; code: number; address: number } | null = null;

  constructor(options: InstructionEmulatorOptions = {}) {
    // A one-page "RAM" that is itself covered by the proxy: every physical access is the caller's.
    this.memory = new PhysicalMemory({ size: 4096 });
    const proxy: MmioHandler = {
      read: (addr, size) => this.guest().read(addr >>> 0, size),
      write: (addr, size, value) => this.guest().write(addr >>> 0, size, value),
    };
    this.memory.addMmio(0, 2 ** 32, proxy);
    const base = { memory: this.memory, ...(options.io !== undefined ? { io: options.io } : {}) };
    this.cpu = new Cpu(options.cpuid !== undefined ? { ...base, cpuid: options.cpuid } : base);
    this.cpu.compileThreshold = Number.POSITIVE_INFINITY;
    this.cpu.eventInterceptor = (c, vector, code) => {
      this.fault = { vector, code, address: c.excAddr };
      c.events |= EV_VMEXIT;
      return true;
    };
  }

  private guest(): GuestPhysicalAccess {
    if (this.access === null) throw new Error('InstructionEmulator: no access outside step()');
    return this.access;
  }

  /**
   * Executes the instruction at the state's CS:EIP. On success the state is updated (registers,
   * flags, EIP past the instruction); on an exception it is left as it was.
   */
  step(state: GuestState, access: GuestPhysicalAccess): EmulationResult {
    const c = this.cpu;
    this.access = access;
    this.fault = null;
    try {
      loadGuestState(c, state);
      c.flushTlb();
      c.events &= ~EV_VMEXIT;
      const exit = c.run(1);
      if (this.fault !== null) {
        const f: { vector: number; code: number; address: number } = this.fault;
        return { status: 'exception', vector: f.vector, errorCode: f.code, address: f.address >>> 0 };
      }
      saveGuestState(c, state);
      if (exit === RunExit.HLT || c.halted) return { status: 'halted' };
      return { status: 'done', instLen: c.lastBlock?.insns[0]?.len ?? 0 };
    } finally {
      this.access = null;
    }
  }
}
