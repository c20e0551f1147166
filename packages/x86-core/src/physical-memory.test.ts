import { describe, expect, it } from 'vitest';
import { exec } from '../test/harness.js';
import { X86Error } from './errors.js';
import { PhysicalMemory } from './physical-memory.js';

describe('PhysicalMemory', () => {
  it('dispatches MMIO by absolute address and reads all ones where nothing is', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const log: string[] = [];
    mem.addMmio(0xfee00000, 0x1000, {
      read: (a, s) => {
        log.push(`r${s}@${a.toString(16)}`);
        return 0x1234;
      },
      write: (a, s, v) => {
        log.push(`w${s}@${a.toString(16)}=${v.toString(16)}`);
      },
    });
    expect(mem.read32(0xfee00020)).toBe(0x1234);
    mem.write16(0xfee000f0, 0xbeef);
    expect(log).toEqual(['r4@fee00020', 'w2@fee000f0=beef']);
    expect(mem.read8(0xf0000000)).toBe(0xff);
    expect(mem.read32(0xf0000000) >>> 0).toBe(0xffffffff);
    expect(() => mem.addMmio(0xfee00800, 16, { read: () => 0, write: () => {} })).toThrow(X86Error);
  });
  it('lets MMIO overlay RAM (like VGA at 0xa0000)', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const vram = new Uint8Array(0x20000);
    mem.addMmio(0xa0000, 0x20000, {
      read: (a) => vram[a - 0xa0000]!,
      write: (a, _s, v) => {
        vram[a - 0xa0000] = v;
      },
    });
    mem.write8(0xb8000, 0x41);
    expect(vram[0x18000]).toBe(0x41);
    expect(mem.u8[0xb8000]).toBe(0);
    expect(mem.isRamPage(0xb8)).toBe(false);
    expect(mem.isRamPage(0x9f)).toBe(true);
  });
  it('the CPU reaches MMIO through the TLB slow path', () => {
    const seen: number[] = [];
    // mov dword [0x00c00010], 0x55aa; mov eax, [0x00c00010]
    const m = exec(
      [0xc7, 0x05, 0x10, 0x00, 0xc0, 0x00, 0xaa, 0x55, 0, 0, 0xa1, 0x10, 0x00, 0xc0, 0x00],
      'pm32',
      (mm) =>
        mm.mem.addMmio(0xc00000, 0x1000, {
          read: () => 0x77,
          write: (_a, _s, v) => {
            seen.push(v);
          },
        }),
    );
    expect(seen).toEqual([0x55aa]);
    expect(m.cpu.r32[0]).toBe(0x77);
  });
  it('shares an external buffer window', () => {
    const buf = new ArrayBuffer(3 << 16);
    const mem = new PhysicalMemory({ buffer: buf, byteOffset: 1 << 16, byteLength: 1 << 16 });
    mem.write32(4, 0x01020304);
    expect(new Uint8Array(buf)[(1 << 16) + 4]).toBe(4);
    expect(() => new PhysicalMemory({ buffer: buf, byteOffset: 100 })).toThrow(X86Error);
  });
});
