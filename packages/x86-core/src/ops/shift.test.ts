import { describe, expect, it } from 'vitest';
import { exec } from '../../test/harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** Runs `<op> eax, count` (C1 /r ib) after `mov eax, v` (and STC/CLC); returns [eax, CF, OF]. */
function shift(reg: number, v: number, count: number, cf = 0): [number, number, number] {
  const m = exec([0xb8, ...le32(v), cf ? 0xf9 : 0xf8, 0xc1, 0xc0 | (reg << 3), count]);
  const f = m.cpu.getEflags();
  return [m.cpu.r32[0]! >>> 0, f & 1, (f >> 11) & 1];
}

describe('shifts and rotates (SDM vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR)', () => {
  it('SHL by 1: CF = bit out, OF = MSB xor CF', () => {
    expect(shift(4, 0x80000001, 1)).toEqual([0x00000002, 1, 1]);
  });
  it('SHR by 1: OF = original MSB', () => {
    expect(shift(5, 0x80000001, 1)).toEqual([0x40000000, 1, 1]);
  });
  it('SAR by 1 keeps the sign, OF = 0', () => {
    expect(shift(7, 0x80000001, 1)).toEqual([0xc0000000, 1, 0]);
  });
  it('ROL/ROR by 1', () => {
    expect(shift(0, 0x80000001, 1)).toEqual([0x00000003, 1, 1]);
    expect(shift(1, 0x80000001, 1)).toEqual([0xc0000000, 1, 0]);
  });
  it('RCL/RCR go through CF', () => {
    expect(shift(2, 0x80000000, 1, 0)).toEqual([0, 1, 1]);
    expect(shift(3, 0x00000001, 1, 1)).toEqual([0x80000000, 1, 1]);
  });
  it('a count of 0 changes nothing, flags included; counts are masked to 5 bits', () => {
    expect(shift(4, 0x1234, 0, 1)).toEqual([0x1234, 1, 0]);
    expect(shift(4, 0x80000001, 33)).toEqual([0x00000002, 1, 1]);
  });
  it('rotates keep the other flags (ZF from an earlier CMP survives ROL)', () => {
    // xor ebx, ebx (ZF=1); mov eax, 1; rol eax, 4; → ZF still 1
    const m = exec([0x31, 0xdb, 0xb8, 1, 0, 0, 0, 0xc1, 0xc0, 4]);
    expect(m.cpu.r32[0]).toBe(0x10);
    expect(m.cpu.getEflags() & 0x40).toBe(0x40);
  });
  it('8-bit RCL takes the count modulo 9', () => {
    // mov al, 0x81; clc; rcl al, 9 → unchanged, CF unchanged
    const m = exec([0xb0, 0x81, 0xf8, 0xc0, 0xd0, 9]);
    expect(m.cpu.r8[0]).toBe(0x81);
    expect(m.cpu.getEflags() & 1).toBe(0);
  });
  it('shifts by CL', () => {
    // mov eax, 1; mov cl, 31; shl eax, cl
    const m = exec([0xb8, 1, 0, 0, 0, 0xb1, 31, 0xd3, 0xe0]);
    expect(m.cpu.r32[0]! >>> 0).toBe(0x80000000);
  });
});
