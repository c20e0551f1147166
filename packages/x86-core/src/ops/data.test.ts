import { describe, expect, it } from 'vitest';
import { exec } from '../../test/harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const mov = (op: number, v: number): number[] => [op, ...le32(v)];

describe('CMPXCHG / CMPXCHG8B / XADD / BSWAP', () => {
  it('CMPXCHG stores on equal (ZF=1) and loads EAX otherwise', () => {
    const eq = exec([...mov(0xb8, 5), ...mov(0xbb, 5), ...mov(0xb9, 9), 0x0f, 0xb1, 0xcb]);
    expect([eq.cpu.r32[3], eq.cpu.getEflags() & 0x40]).toEqual([9, 0x40]);
    const ne = exec([...mov(0xb8, 5), ...mov(0xbb, 6), ...mov(0xb9, 9), 0x0f, 0xb1, 0xcb]);
    expect([ne.cpu.r32[0], ne.cpu.r32[3], ne.cpu.getEflags() & 0x40]).toEqual([6, 6, 0]);
  });
  it('CMPXCHG8B compares EDX:EAX with m64', () => {
    const setup = (m: { mem: { write32(a: number, v: number): void } }) => {
      m.mem.write32(0x2000, 0x22222222);
      m.mem.write32(0x2004, 0x11111111);
    };
    const code = [
      ...mov(0xbe, 0x2000),
      ...mov(0xb8, 0x22222222),
      ...mov(0xba, 0x11111111),
      ...mov(0xbb, 0xaaaa),
      ...mov(0xb9, 0xbbbb),
      0x0f,
      0xc7,
      0x0e,
    ];
    const eq = exec(code, 'pm32', setup);
    expect([eq.mem.read32(0x2000), eq.mem.read32(0x2004), eq.cpu.getEflags() & 0x40]).toEqual([
      0xaaaa, 0xbbbb, 0x40,
    ]);
    const code2 = [...mov(0xbe, 0x2000), ...mov(0xb8, 1), ...mov(0xba, 2), 0x0f, 0xc7, 0x0e];
    const ne = exec(code2, 'pm32', setup);
    expect([ne.cpu.r32[0], ne.cpu.r32[2], ne.cpu.getEflags() & 0x40]).toEqual([0x22222222, 0x11111111, 0]);
  });
  it('XADD exchanges and adds', () => {
    const m = exec([...mov(0xbb, 10), ...mov(0xb9, 3), 0x0f, 0xc1, 0xcb]);
    expect([m.cpu.r32[3], m.cpu.r32[1]]).toEqual([13, 10]);
  });
  it('BSWAP reverses the bytes', () => {
    const m = exec([...mov(0xb8, 0x12345678), 0x0f, 0xc8]);
    expect(m.cpu.r32[0]).toBe(0x78563412);
  });
});

describe('MOVZX/MOVSX, LEA, XCHG, CMOVcc, SETcc', () => {
  it('zero- and sign-extend', () => {
    const m = exec([...mov(0xbb, 0x8080), 0x0f, 0xb6, 0xc3, 0x0f, 0xbe, 0xcb, 0x0f, 0xbf, 0xd3]);
    expect([m.cpu.r32[0], m.cpu.r32[1], m.cpu.r32[2]]).toEqual([0x80, -128, -32640]);
  });
  it('LEA computes base + index*scale + disp without memory access', () => {
    const m = exec([...mov(0xbb, 0x100), ...mov(0xb9, 3), 0x8d, 0x44, 0x8b, 0x08]);
    expect(m.cpu.r32[0]).toBe(0x100 + 12 + 8);
  });
  it('CMOVcc and SETcc follow the flags', () => {
    // cmp ebx, ecx (5 vs 9): cmovl eax, ebx; setg dl; setl dh
    const m = exec([
      ...mov(0xbb, 5),
      ...mov(0xb9, 9),
      0x39,
      0xcb,
      0x0f,
      0x4c,
      0xc3,
      0x0f,
      0x9f,
      0xc2,
      0x0f,
      0x9c,
      0xc6,
    ]);
    expect(m.cpu.r32[0]).toBe(5);
    expect([m.cpu.r8[8], m.cpu.r8[9]]).toEqual([0, 1]);
  });
});

describe('stack frames', () => {
  it('PUSHAD/POPAD round trip, POPAD skips ESP', () => {
    const m = exec([...mov(0xb8, 1), ...mov(0xbb, 2), 0x60, ...mov(0xb8, 9), ...mov(0xbb, 9), 0x61]);
    expect([m.cpu.r32[0], m.cpu.r32[3], m.cpu.r32[4]]).toEqual([1, 2, 0x80000]);
  });
  it('ENTER builds a frame (level 0 and 1) and LEAVE removes it', () => {
    const m = exec([...mov(0xbd, 0x1234), 0xc8, 0x10, 0x00, 0x00]);
    expect(m.cpu.r32[5]).toBe(0x80000 - 4);
    expect(m.cpu.r32[4]).toBe(0x80000 - 4 - 0x10);
    expect(m.mem.read32(0x80000 - 4)).toBe(0x1234);
    const l1 = exec([...mov(0xbd, 0x1234), 0xc8, 0x08, 0x00, 0x01, 0xc9]);
    expect([l1.cpu.r32[4], l1.cpu.r32[5]]).toEqual([0x80000, 0x1234]);
  });
});
