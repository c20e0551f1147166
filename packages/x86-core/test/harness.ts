/** Test helpers: run hand-encoded code on a fresh processor in real or flat 32-bit mode. */
import { Cpu, PhysicalMemory, Seg } from '../src/index.js';

/** Where test code is placed. */
export const CODE = 0x1000;

export interface Machine {
  mem: PhysicalMemory;
  cpu: Cpu;
}

/** A fresh 2 MiB machine with `code` at {@link CODE}, in flat 32-bit protected mode (CPL 0) or real mode. */
export function machine(
  code: number[] | Uint8Array,
  mode: 'pm32' | 'real' = 'pm32',
  memBytes = 2 << 20,
): Machine {
  const mem = new PhysicalMemory({ size: memBytes });
  const cpu = new Cpu({ memory: mem });
  mem.write(CODE, Uint8Array.from(code));
  if (mode === 'pm32') {
    cpu.cr0 = 0x11;
    cpu.refreshMode();
    cpu.loadSegmentCache(Seg.CS, 0x08, 0, -1, 0xc9b);
    for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) cpu.loadSegmentCache(s, 0x10, 0, -1, 0xc93);
    cpu.r32[4] = 0x80000;
  } else {
    cpu.loadSegmentCache(Seg.CS, 0, 0, 0xffff, 0x9b);
    cpu.r32[4] = 0x8000;
  }
  cpu.eip = CODE;
  return { mem, cpu };
}

/** Runs until HLT (code should end with F4) or the budget; returns the run exit. */
export function runToHlt(m: Machine, budget = 10_000): number {
  return m.cpu.run(budget);
}

/** Runs code and returns the machine (code gets an HLT appended). */
export function exec(code: number[], mode: 'pm32' | 'real' = 'pm32', setup?: (m: Machine) => void): Machine {
  const m = machine([...code, 0xf4], mode);
  setup?.(m);
  m.cpu.run(10_000);
  return m;
}

/** EFLAGS arithmetic bits as a readable string, e.g. "CZ" for CF|ZF. */
export function flagStr(fl: number): string {
  let s = '';
  if (fl & 0x1) s += 'C';
  if (fl & 0x4) s += 'P';
  if (fl & 0x10) s += 'A';
  if (fl & 0x40) s += 'Z';
  if (fl & 0x80) s += 'S';
  if (fl & 0x800) s += 'O';
  return s;
}
