import { describe, expect, it } from 'vitest';
import { exec } from '../../test/harness.js';
import { RunExit } from '../run-exit.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const regs = (eax: number, ebx: number, edx = 0): number[] => [
  0xb8,
  ...le32(eax),
  0xbb,
  ...le32(ebx),
  0xba,
  ...le32(edx),
];

describe('MUL/IMUL/DIV/IDIV', () => {
  it('MUL r32 produces EDX:EAX and CF=OF when the high half is used', () => {
    const m = exec([...regs(0x80000000, 2), 0xf7, 0xe3]);
    expect([m.cpu.r32[0]! >>> 0, m.cpu.r32[2]! >>> 0]).toEqual([0, 1]);
    expect(m.cpu.getEflags() & 0x801).toBe(0x801);
  });
  it('MUL r32 of large operands is exact', () => {
    const m = exec([...regs(0xffffffff, 0xffffffff), 0xf7, 0xe3]);
    expect([m.cpu.r32[0]! >>> 0, m.cpu.r32[2]! >>> 0]).toEqual([1, 0xfffffffe]);
  });
  it('IMUL r32 (one operand) sign-extends into EDX', () => {
    const m = exec([...regs(-2, 3), 0xf7, 0xeb]);
    expect([m.cpu.r32[0]! >>> 0, m.cpu.r32[2]! >>> 0]).toEqual([0xfffffffa, 0xffffffff]);
    expect(m.cpu.getEflags() & 0x801).toBe(0);
  });
  it('IMUL r32, r/m32, imm8 reports signed overflow', () => {
    const m = exec([...regs(0, 0x40000000), 0x6b, 0xc3, 4]);
    expect(m.cpu.r32[0]).toBe(0);
    expect(m.cpu.getEflags() & 0x801).toBe(0x801);
    const ok = exec([...regs(0, -3), 0x6b, 0xc3, 7]);
    expect(ok.cpu.r32[0]).toBe(-21);
    expect(ok.cpu.getEflags() & 0x801).toBe(0);
  });
  it('DIV r32 divides EDX:EAX', () => {
    const m = exec([...regs(0, 2, 1), 0xf7, 0xf3]);
    expect([m.cpu.r32[0]! >>> 0, m.cpu.r32[2]! >>> 0]).toEqual([0x80000000, 0]);
    const big = exec([...regs(0x12345678, 0x10000, 0xabc), 0xf7, 0xf3]);
    // 0x00000abc12345678 / 0x10000 = 0xabc1234, remainder 0x5678
    expect([big.cpu.r32[0]! >>> 0, big.cpu.r32[2]! >>> 0]).toEqual([0xabc1234, 0x5678]);
  });
  it('IDIV r32 truncates toward zero; the remainder has the dividend sign', () => {
    const m = exec([...regs(-7, 2, -1), 0xf7, 0xfb]);
    expect([m.cpu.r32[0], m.cpu.r32[2]]).toEqual([-3, -1]);
  });
  it('DIV overflow and division by zero raise #DE (vector 0) with EIP at the instruction', () => {
    for (const code of [
      [...regs(0, 2, 2), 0xf7, 0xf3],
      [...regs(1, 0, 0), 0xf7, 0xf3],
      [...regs(0x80000000, -1, -1), 0xf7, 0xfb],
    ]) {
      let vector = -1;
      let eip = -1;
      const m = exec(code, 'pm32', (mm) => {
        mm.cpu.eventInterceptor = (c, v) => {
          vector = v;
          eip = c.eip;
          c.halt();
          return true;
        };
      });
      expect(vector).toBe(0);
      expect(eip).toBe(0x1000 + code.length - 2);
      expect(m.cpu.run(1)).toBe(RunExit.HLT);
    }
  });
  it('8- and 16-bit forms use AX and DX:AX', () => {
    // mov ax, 0x0190 (400); mov bl, 7; div bl → AL = 57, AH = 1
    const m = exec([0x66, 0xb8, 0x90, 0x01, 0xb3, 7, 0xf6, 0xf3]);
    expect(m.cpu.r16[0]).toBe((1 << 8) | 57);
    // mov ax, -300; mov bx, 7; cwd; idiv bx → ax = -42, dx = -6
    const w = exec([0x66, 0xb8, 0xd4, 0xfe, 0x66, 0xbb, 7, 0, 0x66, 0x99, 0x66, 0xf7, 0xfb]);
    expect([(w.cpu.r16[0]! << 16) >> 16, (w.cpu.r16[4]! << 16) >> 16]).toEqual([-42, -6]);
  });
});
