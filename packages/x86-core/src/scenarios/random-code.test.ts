/**
 * Robustness: random byte strings executed as code in real mode, 16-bit and 32-bit protected
 * mode (CPL 0 and 3) and virtual-8086 mode never make the core throw (GENODE_TS_LONG=1: 20,000
 * programs per mode instead of 250) — every outcome is an
 * architectural exception, a HLT, a shutdown or the end of the budget — and they leave the
 * state consistent (EFLAGS bit 1 set, segment caches matching the mode). fast-check, fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cpu } from '../cpu.js';
import { PhysicalMemory } from '../physical-memory.js';
import { RunExit } from '../run-exit.js';

const GDT = 0x800;
const IDT = 0x400;

function setup(mode: 'real' | 'pm16' | 'pm32' | 'ring3' | 'v86', code: Uint8Array, compile: boolean) {
  const mem = new PhysicalMemory({ size: 1 << 20 });
  const cpu = new Cpu({ memory: mem });
  cpu.compileThreshold = compile ? 2 : Number.POSITIVE_INFINITY;
  mem.write(0x1000, code);
  mem.write(0x1000 + code.length, code); // run the same bytes twice: exercises compiled blocks
  // GDT: 08 code32 DPL0, 10 data DPL0, 18 code16 DPL0, 23 code32 DPL3, 2b data DPL3, 30 TSS
  const desc = [
    [0, 0],
    [0x0000ffff, 0x00cf9a00],
    [0x0000ffff, 0x00cf9200],
    [0x0000ffff, 0x00009a00],
    [0x0000ffff, 0x00cffa00],
    [0x0000ffff, 0x00cff200],
    [0x30000067, 0x00008900],
  ];
  desc.forEach(([lo, hi], k) => {
    mem.write32(GDT + 8 * k, lo!);
    mem.write32(GDT + 8 * k + 4, hi!);
  });
  mem.write32(0x3004, 0x9000); // TSS ESP0
  mem.write32(0x3008, 0x10); // TSS SS0
  // IDT: every vector → 08:0x5000 (HLT); real-mode IVT at 0 → 0000:0x5000.
  for (let v = 0; v < 64; v++) {
    mem.write32(IDT + 8 * v, (0x08 << 16) | 0x5000);
    mem.write32(IDT + 8 * v + 4, 0xee00);
    mem.write32(v * 4, 0x00005000);
  }
  mem.write8(0x5000, 0xf4);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 8 * desc.length - 1;
  if (mode === 'real') {
    cpu.loadSegmentCache(1, 0, 0, 0xffff, 0x9b);
    cpu.idtBase = 0;
    cpu.idtLimit = 0x3ff;
    cpu.r32[4] = 0x8000;
  } else {
    cpu.idtBase = IDT;
    cpu.idtLimit = 64 * 8 - 1;
    cpu.trSel = 0x30;
    cpu.trBase = 0x3000;
    cpu.trLimit = 0x67;
    cpu.trAttr = 0x8b;
    cpu.cr0 = 0x11;
    cpu.refreshMode();
    const user = mode === 'ring3';
    cpu.loadSegmentCache(
      1,
      user ? 0x23 : mode === 'pm16' ? 0x18 : 0x08,
      0,
      mode === 'pm16' ? 0xffff : -1,
      user ? 0xcfb : mode === 'pm16' ? 0x9b : 0xc9b,
    );
    for (const s of [0, 2, 3, 4, 5]) cpu.loadSegmentCache(s, user ? 0x2b : 0x10, 0, -1, user ? 0xcf3 : 0xc93);
    cpu.r32[4] = 0x8000;
    cpu.refreshMode();
    if (mode === 'v86') {
      cpu.setEflags(0x20002);
      for (const s of [0, 1, 2, 3, 4, 5]) cpu.loadSegmentCache(s, 0, 0, 0xffff, s === 1 ? 0xfb : 0xf3);
      cpu.refreshMode();
    }
  }
  cpu.eip = 0x1000;
  return { cpu, mem };
}

describe('random code never breaks the core', () => {
  for (const mode of ['real', 'pm16', 'pm32', 'ring3', 'v86'] as const) {
    it(`${mode}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.boolean(), (code, compile) => {
          const { cpu } = setup(mode, code, compile);
          const exit = cpu.run(300);
          expect([RunExit.BUDGET, RunExit.HLT, RunExit.SHUTDOWN]).toContain(exit);
          expect(cpu.getEflags() & 2).toBe(2);
          expect(cpu.v86Mode).toBe((cpu.getEflags() & 0x20000) !== 0 && cpu.protectedMode);
          // Run on: the state is still usable.
          cpu.run(50);
        }),
        { seed: 20260101, numRuns: process.env.GENODE_TS_LONG === '1' ? 20_000 : 250 },
      );
    }, 3_600_000);
  }
});
