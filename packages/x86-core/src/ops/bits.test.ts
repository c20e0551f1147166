import { describe, expect, it } from 'vitest';
import { exec } from '../../test/harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const mov = (op: number, v: number): number[] => [op, ...le32(v)];

describe('BSF/BSR', () => {
  it('find the lowest/highest set bit and clear ZF', () => {
    const m = exec([...mov(0xbb, 0x00008001), 0x0f, 0xbc, 0xc3, 0x0f, 0xbd, 0xcb]);
    expect(m.cpu.r32[0]).toBe(0);
    expect(m.cpu.r32[1]).toBe(15);
    expect(m.cpu.getEflags() & 0x40).toBe(0);
  });
  it('leave the destination alone and set ZF for a zero source', () => {
    const m = exec([...mov(0xb8, 0x1234), ...mov(0xbb, 0), 0x0f, 0xbc, 0xc3]);
    expect(m.cpu.r32[0]).toBe(0x1234);
    expect(m.cpu.getEflags() & 0x40).toBe(0x40);
  });
});

describe('BT/BTS/BTR/BTC', () => {
  it('register forms test and modify the bit, CF = old bit', () => {
    const bt = exec([...mov(0xb8, 0b1010), ...mov(0xbb, 1), 0x0f, 0xa3, 0xd8]);
    expect(bt.cpu.getEflags() & 1).toBe(1);
    const bts = exec([...mov(0xb8, 0b1010), ...mov(0xbb, 2), 0x0f, 0xab, 0xd8]);
    expect([bts.cpu.r32[0], bts.cpu.getEflags() & 1]).toEqual([0b1110, 0]);
    const btr = exec([...mov(0xb8, 0b1010), ...mov(0xbb, 35), 0x0f, 0xb3, 0xd8]);
    expect([btr.cpu.r32[0], btr.cpu.getEflags() & 1]).toEqual([0b0010, 1]);
    const btc = exec([...mov(0xb8, 0b1010), 0x0f, 0xba, 0xf8, 0]);
    expect([btc.cpu.r32[0], btc.cpu.getEflags() & 1]).toEqual([0b1011, 0]);
  });
  it('a register bit offset addresses memory beyond the operand (signed)', () => {
    // mov esi, 0x2000; mov ebx, 35; bts [esi], ebx → bit 3 of [0x2004]; ebx=-1 → bit 31 of [0x1ffc]
    const m = exec([
      ...mov(0xbe, 0x2000),
      ...mov(0xbb, 35),
      0x0f,
      0xab,
      0x1e,
      ...mov(0xbb, -1),
      0x0f,
      0xab,
      0x1e,
    ]);
    expect(m.mem.read32(0x2004)).toBe(8);
    expect(m.mem.read32(0x1ffc) >>> 0).toBe(0x80000000);
  });
});

describe('SHLD/SHRD', () => {
  it('shift in bits from the second operand', () => {
    const l = exec([...mov(0xb8, 0x12345678), ...mov(0xbb, 0x9abcdef0), 0x0f, 0xa4, 0xd8, 8]);
    expect(l.cpu.r32[0]! >>> 0).toBe(0x3456789a);
    const r = exec([...mov(0xb8, 0x12345678), ...mov(0xbb, 0x9abcdef0), 0x0f, 0xac, 0xd8, 8]);
    expect(r.cpu.r32[0]! >>> 0).toBe(0xf0123456);
    expect(r.cpu.getEflags() & 1).toBe(0);
  });
});
