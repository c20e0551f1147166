import { Cpu } from '../cpu.js';
import type { CpuidConfig } from '../cpuid.js';
import {
  enterMultiboot,
  enterReal,
  findMultibootHeader,
  isElf,
  type LoadedImage,
  loadFlat,
  loadMultiboot,
  writeMultibootInfo,
} from '../loaders/multiboot.js';
import { PhysicalMemory } from '../physical-memory.js';
import { PortBus } from '../port-io.js';
import { RunExit } from '../run-exit.js';
import { SimpleUart } from './simple-uart.js';

/** The debug-exit port (QEMU's isa-debug-exit at 0xf4, v86's test exit). */
export const DEBUG_EXIT_PORT = 0xf4;

/** Options of a {@link BareMachine}. */
export interface BareMachineOptions {
  /** RAM in bytes (default 32 MiB). */
  readonly memoryBytes?: number;
  /** Receives every byte written to COM1. */
  readonly onSerial?: (byte: number) => void;
  /** CPUID overrides. */
  readonly cpuid?: Partial<CpuidConfig>;
}

/** Why {@link BareMachine.run} ended. */
export type BareStopReason = 'debug-exit' | 'halted' | 'budget' | 'shutdown';

/** The outcome of {@link BareMachine.run}. */
export interface BareRunResult {
  readonly reason: BareStopReason;
  /** Value written to the debug-exit port, or null. */
  readonly exitValue: number | null;
  /** Instructions retired during this run. */
  readonly instructions: number;
}

/**
 * A processor with RAM, COM1 (a {@link SimpleUart} at 0x3f8) and the debug-exit port: what
 * `x86-core-run`, the system tests and the benchmark boot guests on. No BIOS, no interrupt
 * controller.
 *
 * @example
 * ```ts
 * const m = new BareMachine({ onSerial: (b) => out.push(b) });
 * m.load(image);              // Multiboot (a.out kludge or ELF) or a flat boot sector
 * const r = m.run(1e9);       // { reason: 'debug-exit', exitValue: 0, instructions }
 * ```
 */
export class BareMachine {
  readonly memory: PhysicalMemory;
  readonly bus: PortBus = new PortBus();
  readonly cpu: Cpu;
  readonly uart: SimpleUart;
  exitValue: number | null = null;

  constructor(options: BareMachineOptions = {}) {
    this.memory = new PhysicalMemory({ size: options.memoryBytes ?? 32 << 20 });
    const opts =
      options.cpuid !== undefined
        ? { memory: this.memory, io: this.bus, cpuid: options.cpuid }
        : { memory: this.memory, io: this.bus };
    this.cpu = new Cpu(opts);
    this.uart = new SimpleUart(0x3f8, options.onSerial ?? (() => {}));
    this.bus.register(0x3f8, 8, this.uart);
    this.bus.register(DEBUG_EXIT_PORT, 1, {
      read: () => 0xff,
      write: (_port, _size, value) => {
        this.exitValue = value & 0xff;
        this.cpu.requestStop();
      },
    });
  }

  /**
   * Loads an image and sets the entry state: Multiboot (header in the first 8 KiB, or ELF)
   * enters 32-bit protected mode; anything else is a flat boot sector loaded at `flatAddr`
   * (default 0x7c00) and entered in real mode.
   */
  load(image: Uint8Array, flatAddr = 0x7c00): LoadedImage {
    if (findMultibootHeader(image) >= 0 || isElf(image)) {
      const img = loadMultiboot(this.memory, image);
      enterMultiboot(this.cpu, img.entry, writeMultibootInfo(this.memory));
      return img;
    }
    const img = loadFlat(this.memory, image, flatAddr);
    enterReal(this.cpu, img.entry);
    return img;
  }

  /** Runs until the debug exit, a HLT nothing can wake, a shutdown, or `maxInstructions`. */
  run(maxInstructions: number): BareRunResult {
    const start = this.cpu.retired;
    let left = maxInstructions;
    for (;;) {
      const exit = this.cpu.run(left);
      const done = this.cpu.retired - start;
      if (this.exitValue !== null)
        return { reason: 'debug-exit', exitValue: this.exitValue, instructions: done };
      if (exit === RunExit.HLT) return { reason: 'halted', exitValue: null, instructions: done };
      if (exit === RunExit.SHUTDOWN) return { reason: 'shutdown', exitValue: null, instructions: done };
      if (exit === RunExit.BUDGET) return { reason: 'budget', exitValue: null, instructions: done };
      left = maxInstructions - done;
    }
  }
}
