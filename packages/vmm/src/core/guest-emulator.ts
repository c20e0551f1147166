import type { Blocking, Vcpu_state } from '@genode-ts/genode-base';
import {
  type CpuidConfig,
  type EmulationResult,
  type GuestPhysicalAccess,
  InstructionEmulator,
  type PortIo,
} from '@genode-ts/x86-core';
import type { AccessSize } from '../bus/access-sizes.js';
import type { Motherboard } from '../motherboard.js';
import { PAGE_SIZE } from '../types.js';
import { chargeGuestState, cloneGuestState, toGuestState } from '../vcpu/state-convert.js';
import type { Guest_memory } from './guest-memory.js';
import type { Vmm_stats } from './vmm-stats.js';

/** Thrown inside an emulation attempt when a RAM page is not mapped in the VMM yet. */
class Need_touch {
  readonly gpa: number;
  readonly write: boolean;
  constructor(gpa: number, write: boolean) {
    this.gpa = gpa;
    this.write = write;
  }
}

interface Journal_entry {
  readonly kind: 'mmio-read' | 'mmio-write' | 'io-read' | 'io-write';
  readonly addr: number;
  readonly size: number;
  readonly value: number;
}

/** What the emulator needs from the VMM. */
export interface Guest_emulator_env {
  readonly memory: Guest_memory;
  readonly board: Motherboard;
  readonly stats: Vmm_stats;
  /** Makes the VMM's page of guest-physical `gpa` present (a VMM page fault resolved by core). */
  touch(gpa: number, write: boolean): Blocking<void>;
}

/**
 * Executes single guest instructions for the VMM (MMIO after an NPT fault outside RAM, string
 * I/O after an IOIO exit) with x86-core's {@link InstructionEmulator}: code fetches, the guest's
 * page walk and RAM operands go to guest memory through the VMM's window, everything else to the
 * motherboard's MMIO bus (unclaimed: all ones) and port-I/O bus.
 *
 * The emulator's callbacks cannot block, so a RAM page the VMM has not mapped yet aborts the
 * attempt; the VMM touches the page (a page fault core resolves) and the instruction runs again.
 * Device accesses of an aborted attempt are journalled and replayed on the retry (reads return
 * the recorded value, writes are not repeated), so every device sees each access exactly once.
 */
export class Guest_emulator {
  readonly #env: Guest_emulator_env;
  readonly #emu: InstructionEmulator;
  #journal: Journal_entry[] = [];
  #pos = 0;

  constructor(env: Guest_emulator_env, cpuid?: Partial<CpuidConfig>) {
    this.#env = env;
    const io: PortIo = {
      read: (port, size) => this.#device('io-read', port, size, 0),
      write: (port, size, value) => {
        this.#device('io-write', port, size, value);
      },
    };
    this.#emu = new InstructionEmulator(cpuid === undefined ? { io } : { io, cpuid });
  }

  #device(kind: Journal_entry['kind'], addr: number, size: number, value: number): number {
    if (this.#pos < this.#journal.length) {
      const e = this.#journal[this.#pos++]!;
      return e.value;
    }
    const { board, stats } = this.#env;
    const s = size as AccessSize;
    let v = value;
    switch (kind) {
      case 'mmio-read':
        v = board.mmio.read(addr, s);
        stats.mmioReads++;
        break;
      case 'mmio-write':
        board.mmio.write(addr, s, value);
        stats.mmioWrites++;
        break;
      case 'io-read':
        v = board.io.read(addr, s);
        stats.ioReads++;
        break;
      case 'io-write':
        board.io.write(addr, s, value);
        stats.ioWrites++;
        break;
    }
    this.#journal.push({ kind, addr, size, value: v });
    this.#pos++;
    return v;
  }

  #read(gpa: number, size: 1 | 2 | 4): number {
    const mem = this.#env.memory;
    if (mem.backed_region(gpa) === undefined) return this.#device('mmio-read', gpa, size, 0);
    if ((gpa % PAGE_SIZE) + size > PAGE_SIZE || mem.backed_region(gpa + size - 1) === undefined) {
      let v = 0;
      for (let i = size - 1; i >= 0; i--) v = v * 256 + this.#read(gpa + i, 1);
      return v >>> 0;
    }
    const v = mem.read_now(gpa, size);
    if (v === undefined) throw new Need_touch(gpa, false);
    return v;
  }

  #write(gpa: number, size: 1 | 2 | 4, value: number): void {
    const mem = this.#env.memory;
    if (mem.backed_region(gpa) === undefined) {
      this.#device('mmio-write', gpa, size, value);
      return;
    }
    if ((gpa % PAGE_SIZE) + size > PAGE_SIZE || mem.backed_region(gpa + size - 1) === undefined) {
      for (let i = 0; i < size; i++) this.#write(gpa + i, 1, (value >>> (8 * i)) & 0xff);
      return;
    }
    if (!mem.write_now(gpa, size, value)) throw new Need_touch(gpa, true);
  }

  /**
   * Emulates the instruction at the state's CS:EIP (the state must carry
   * `EMULATION_MTD`); charges what changed. The result says whether it completed, raised an
   * exception (nothing changed; the caller injects it) or halted.
   */
  *step(state: Vcpu_state): Blocking<EmulationResult> {
    const before = toGuestState(state);
    const access: GuestPhysicalAccess = {
      read: (gpa, size) => this.#read(gpa, size),
      write: (gpa, size, value) => this.#write(gpa, size, value),
    };
    this.#journal = [];
    for (;;) {
      this.#pos = 0;
      const gs = cloneGuestState(before);
      let r: EmulationResult;
      try {
        r = this.#emu.step(gs, access);
      } catch (e) {
        if (!(e instanceof Need_touch)) throw e;
        yield* this.#env.touch(e.gpa, e.write);
        continue;
      }
      if (r.status !== 'exception') chargeGuestState(state, before, gs);
      this.#journal = [];
      return r;
    }
  }
}
