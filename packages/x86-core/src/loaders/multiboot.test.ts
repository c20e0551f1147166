import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cpu } from '../cpu.js';
import { X86Error } from '../errors.js';
import { PhysicalMemory } from '../physical-memory.js';
import { enterMultiboot, findMultibootHeader, loadElf, loadMultiboot, MULTIBOOT_MAGIC } from './multiboot.js';

function aout(code: number[], bss = 0x100): Uint8Array {
  const load = 0x100000;
  const img = new Uint8Array(32 + code.length);
  const dv = new DataView(img.buffer);
  const flags = 0x10000;
  dv.setUint32(0, MULTIBOOT_MAGIC, true);
  dv.setUint32(4, flags, true);
  dv.setUint32(8, -(MULTIBOOT_MAGIC + flags) >>> 0, true);
  dv.setUint32(12, load, true);
  dv.setUint32(16, load, true);
  dv.setUint32(20, load + img.length, true);
  dv.setUint32(24, load + img.length + bss, true);
  dv.setUint32(28, load + 32, true);
  img.set(code, 32);
  return img;
}

function elf(code: number[], paddr: number): Uint8Array {
  const img = new Uint8Array(0x54 + code.length);
  const dv = new DataView(img.buffer);
  img.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 3, true);
  dv.setUint32(24, paddr, true);
  dv.setUint32(28, 0x34, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  dv.setUint32(0x34, 1, true);
  dv.setUint32(0x38, 0x54, true);
  dv.setUint32(0x3c, paddr, true);
  dv.setUint32(0x40, paddr, true);
  dv.setUint32(0x44, code.length, true);
  dv.setUint32(0x48, code.length + 16, true);
  img.set(code, 0x54);
  return img;
}

describe('Multiboot loader', () => {
  it('loads the a.out kludge, zeroes the bss and enters 32-bit protected mode', () => {
    const mem = new PhysicalMemory({ size: 4 << 20 });
    mem.write(0x100040, Uint8Array.from([1, 2, 3]));
    const img = loadMultiboot(mem, aout([0xb8, 1, 0, 0, 0, 0xf4]));
    expect(img).toEqual({ kind: 'multiboot-aout', entry: 0x100020, start: 0x100000, end: 0x100026 + 0x100 });
    expect(mem.read8(0x100040)).toBe(0);
    const cpu = new Cpu({ memory: mem });
    enterMultiboot(cpu, img.entry, 0x9000);
    expect(cpu.r32[0]! >>> 0).toBe(0x2badb002);
    expect(cpu.r32[3]).toBe(0x9000);
    expect(cpu.cs32).toBe(true);
    cpu.run(10);
    expect(cpu.r32[0]).toBe(1);
  });
  it('loads ELF32 program headers', () => {
    const mem = new PhysicalMemory({ size: 4 << 20 });
    const img = loadElf(mem, elf([0x90, 0xf4], 0x200000));
    expect(img.entry).toBe(0x200000);
    expect(mem.read8(0x200001)).toBe(0xf4);
    expect(img.end).toBe(0x200012);
  });
  it('rejects images that do not fit or make no sense', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    expect(() => loadMultiboot(mem, aout([0x90]))).toThrow(X86Error);
    expect(() => loadMultiboot(mem, new Uint8Array(100))).toThrow(X86Error);
    expect(findMultibootHeader(new Uint8Array(3))).toBe(-1);
  });
  it('never throws anything but BAD_IMAGE on random input (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (tail, asElf) => {
        const mem = new PhysicalMemory({ size: 1 << 20 });
        const head = asElf ? [0x7f, 0x45, 0x4c, 0x46, 1, 1] : [0x02, 0xb0, 0xad, 0x1b];
        const image = Uint8Array.from([...head, ...tail]);
        try {
          loadMultiboot(mem, image);
        } catch (e) {
          expect(e).toBeInstanceOf(X86Error);
          expect((e as X86Error).code).toBe('BAD_IMAGE');
        }
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
