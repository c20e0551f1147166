import { describe, expect, it } from 'vitest';
import { exec } from '../test/harness.js';
import { X86Error } from './errors.js';
import { PortBus } from './port-io.js';

describe('PortBus', () => {
  it('routes claimed ports and reads all ones elsewhere', () => {
    const bus = new PortBus();
    const writes: number[] = [];
    bus.register(0x60, 5, { read: (p) => p, write: (_p, _s, v) => writes.push(v) });
    expect(bus.read(0x64, 1)).toBe(0x64);
    expect(bus.read(0x80, 1)).toBe(0xff);
    expect(bus.read(0x80, 2)).toBe(0xffff);
    expect(bus.read(0x80, 4)).toBe(0xffffffff);
    bus.write(0x60, 1, 7);
    bus.write(0x70, 1, 8);
    expect(writes).toEqual([7]);
    expect(() => bus.register(0x64, 1, { read: () => 0, write: () => {} })).toThrow(X86Error);
    expect(() => bus.register(0xffff, 2, { read: () => 0, write: () => {} })).toThrow(X86Error);
  });
});

describe('I/O permission (IOPL and the TSS bitmap)', () => {
  const TSS = 0x6000;
  /** Ring-3-like check without a ring switch: CPL 3 via a DPL-3 code segment cache. */
  function run(code: number[], bitmap: Record<number, number>) {
    let fault = -1;
    const m = exec(code, 'pm32', (mm) => {
      mm.mem.write16(TSS + 0x66, 0x68);
      for (const [k, v] of Object.entries(bitmap)) mm.mem.write8(TSS + 0x68 + Number(k), v);
      mm.mem.write8(TSS + 0x68 + 0x2000, 0xff);
      mm.cpu.trBase = TSS;
      mm.cpu.trLimit = 0x68 + 0x2000;
      mm.cpu.trAttr = 0x8b;
      mm.cpu.loadSegmentCache(1, 0x1b, 0, -1, 0xcfb);
      mm.cpu.loadSegmentCache(2, 0x23, 0, -1, 0xcf3);
      mm.cpu.refreshMode();
      mm.cpu.eventInterceptor = (c, v) => {
        // The HLT appended by exec() faults at CPL 3 too: only faults before it count.
        if (c.eip !== 0x1000 + code.length) fault = v;
        c.halt();
        return true;
      };
    });
    return { m, fault };
  }
  it('allows ports whose bitmap bits are clear and faults otherwise', () => {
    // mov dx, 0x80; in al, dx; mov dx, 0x81; in al, dx
    const code = [0x66, 0xba, 0x80, 0x00, 0xec, 0x66, 0xba, 0x81, 0x00, 0xec];
    const ok = run(code.slice(0, 5), { 16: 0x02 });
    expect(ok.fault).toBe(-1);
    expect(ok.m.cpu.r8[0]).toBe(0xff);
    const bad = run(code, { 16: 0x02 });
    expect(bad.fault).toBe(13);
    // A 16-bit access checks both bits.
    const word = run([0x66, 0xba, 0x80, 0x00, 0x66, 0xed], { 16: 0x02 });
    expect(word.fault).toBe(13);
  });
});
