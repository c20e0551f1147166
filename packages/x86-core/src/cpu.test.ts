import { describe, expect, it } from 'vitest';
import { CODE, machine } from '../test/harness.js';
import { Cpu } from './cpu.js';
import { X86Error } from './errors.js';
import { PhysicalMemory } from './physical-memory.js';
import { RunExit } from './run-exit.js';

describe('Cpu lifecycle', () => {
  it('resets to real mode at F000:FFF0 with CS base FFFF0000 and EDX = signature', () => {
    const cpu = new Cpu({ memory: new PhysicalMemory({ size: 1 << 20 }) });
    expect(cpu.eip).toBe(0xfff0);
    expect(cpu.segSel[1]).toBe(0xf000);
    expect(cpu.segBase[1]! >>> 0).toBe(0xffff0000);
    expect(cpu.cr0).toBe(0x60000010);
    expect(cpu.getEflags()).toBe(2);
    expect(cpu.r32[2]).toBe(0x633);
  });
  it('INIT keeps the x87 state and MSRs', () => {
    const cpu = new Cpu({ memory: new PhysicalMemory({ size: 1 << 20 }) });
    cpu.fpu.cw = 0x27f;
    cpu.msrs.set(0x174, 8n);
    cpu.eip = 0x1234;
    cpu.init();
    expect(cpu.eip).toBe(0xfff0);
    expect(cpu.fpu.cw).toBe(0x27f);
    expect(cpu.msrs.get(0x174)).toBe(8n);
  });
  it('refuses bad configuration', () => {
    expect(() => new PhysicalMemory({ size: 1000 })).toThrow(X86Error);
    expect(() => new Cpu({ memory: new PhysicalMemory({ size: 4096 }), tscPerInstruction: 0 })).toThrow(
      X86Error,
    );
  });
  it('stops exactly at the instruction budget, also inside compiled loops', () => {
    // mov ecx, 1000000; loop: dec ecx; jnz loop; hlt
    const m = machine([0xb9, 0x40, 0x42, 0x0f, 0x00, 0x49, 0x75, 0xfd, 0xf4]);
    for (const n of [1, 2, 3, 1000, 12345]) {
      const before = m.cpu.retired;
      expect(m.cpu.run(n)).toBe(RunExit.BUDGET);
      expect(m.cpu.retired - before).toBe(n);
    }
  });
  it('counts instructions deterministically and derives the TSC from them', () => {
    const run = (): [number, bigint] => {
      const m = machine([0xb9, 0x10, 0x27, 0x00, 0x00, 0x49, 0x75, 0xfd, 0x0f, 0x31, 0xf4]);
      m.cpu.run(1e6);
      return [m.cpu.retired, (BigInt(m.cpu.r32[2]! >>> 0) << 32n) | BigInt(m.cpu.r32[0]! >>> 0)];
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    expect(a[0]).toBe(1 + 2 * 10000 + 1 + 1);
    expect(a[1]).toBe(BigInt(1 + 2 * 10000));
  });
  it('requestStop ends run() with STOPPED at the next boundary', () => {
    const m = machine([0xeb, 0xfe]);
    m.cpu.ioHook = null;
    m.cpu.requestStop();
    expect(m.cpu.run(100)).toBe(RunExit.STOPPED);
    expect(m.cpu.run(100)).toBe(RunExit.BUDGET);
  });
  it('several CPUs share one physical memory', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const a = new Cpu({ memory: mem, apicId: 0 });
    const b = new Cpu({ memory: mem, apicId: 1 });
    // Both real mode at 0:1000 run "inc word [0x2000]; hlt".
    mem.write(CODE, Uint8Array.from([0xff, 0x06, 0x00, 0x20, 0xf4]));
    for (const c of [a, b]) {
      c.loadSegmentCache(1, 0, 0, 0xffff, 0x9b);
      c.eip = CODE;
      c.run(10);
    }
    expect(mem.read16(0x2000)).toBe(2);
  });
});
