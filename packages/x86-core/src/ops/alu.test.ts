import { describe, expect, it } from 'vitest';
import { exec, flagStr } from '../../test/harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const movEax = (v: number): number[] => [0xb8, ...le32(v)];
const movEbx = (v: number): number[] => [0xbb, ...le32(v)];

/** Runs `eax op= ebx` (opcode byte, ModRM D8) after the given setup, returns [eax, flags]. */
function alu(op: number, a: number, b: number, pre: number[] = []): [number, string] {
  const m = exec([...movEax(a), ...movEbx(b), ...pre, op, 0xd8]);
  return [m.cpu.r32[0]! >>> 0, flagStr(m.cpu.getEflags())];
}

describe('ALU flags (hand-checked, SDM vol. 1 §3.4.3)', () => {
  it('ADD: signed overflow into the sign bit', () => {
    expect(alu(0x01, 0x7fffffff, 1)).toEqual([0x80000000, 'PASO']);
  });
  it('ADD: unsigned carry out to zero', () => {
    expect(alu(0x01, 0xffffffff, 1)).toEqual([0, 'CPAZ']);
  });
  it('SUB: borrow below zero', () => {
    expect(alu(0x29, 0, 1)).toEqual([0xffffffff, 'CPAS']);
  });
  it('SUB: signed overflow from the most negative value', () => {
    expect(alu(0x29, 0x80000000, 1)).toEqual([0x7fffffff, 'PAO']);
  });
  it('ADC adds the carry (STC first)', () => {
    expect(alu(0x11, 0xffffffff, 0, [0xf9])).toEqual([0, 'CPAZ']);
  });
  it('SBB subtracts the borrow (STC first)', () => {
    expect(alu(0x19, 0, 0, [0xf9])).toEqual([0xffffffff, 'CPAS']);
  });
  it('AND/OR/XOR clear CF and OF', () => {
    expect(alu(0x21, 0xf0f0f0f0, 0x0ff00ff0, [0xf9])).toEqual([0x00f000f0, 'P']);
    expect(alu(0x09, 0x80000000, 1)).toEqual([0x80000001, 'S']);
    expect(alu(0x31, 0x1234, 0x1234)).toEqual([0, 'PZ']);
  });
  it('CMP sets flags without writing', () => {
    expect(alu(0x39, 3, 5)).toEqual([3, 'CAS']);
  });
  it('byte and word forms sign-extend for the flags', () => {
    // add al, bl (00 D8): 0x7f + 1 = 0x80 → OF, SF, AF
    const m = exec([...movEax(0x1234567f), ...movEbx(1), 0x00, 0xd8]);
    expect(m.cpu.r32[0]! >>> 0).toBe(0x12345680);
    expect(flagStr(m.cpu.getEflags())).toBe('ASO');
    // sub ax, bx (66 29 D8): 0 - 1 = 0xffff, upper half untouched
    const w = exec([...movEax(0xabcd0000), ...movEbx(1), 0x66, 0x29, 0xd8]);
    expect(w.cpu.r32[0]! >>> 0).toBe(0xabcdffff);
    expect(flagStr(w.cpu.getEflags())).toBe('CPAS');
  });
});

describe('INC/DEC/NEG/NOT', () => {
  it('INC keeps CF', () => {
    const m = exec([...movEax(0x7fffffff), 0xf9, 0x40]);
    expect(m.cpu.r32[0]! >>> 0).toBe(0x80000000);
    expect(flagStr(m.cpu.getEflags())).toBe('CPASO');
  });
  it('DEC keeps CF clear', () => {
    const m = exec([...movEax(0), 0xf8, 0x48]);
    expect(m.cpu.r32[0]! >>> 0).toBe(0xffffffff);
    expect(flagStr(m.cpu.getEflags())).toBe('PAS');
  });
  it('NEG sets CF unless the operand was zero', () => {
    const m = exec([...movEax(5), 0xf7, 0xd8]);
    expect(m.cpu.r32[0]! >>> 0).toBe(0xfffffffb);
    expect(flagStr(m.cpu.getEflags())).toBe('CAS');
    const z = exec([...movEax(0), 0xf7, 0xd8]);
    expect(flagStr(z.cpu.getEflags())).toBe('PZ');
  });
  it('NOT changes no flag', () => {
    const m = exec([...movEax(0x0f0f0f0f), 0xf9, 0xf7, 0xd0]);
    expect(m.cpu.r32[0]! >>> 0).toBe(0xf0f0f0f0);
    expect(flagStr(m.cpu.getEflags())).toBe('C');
  });
  it('ADD to memory writes memory and flags', () => {
    // mov esi, 0x2000; add [esi], ebx
    const m = exec([0xbe, ...le32(0x2000), ...movEbx(0x10), 0x01, 0x1e], 'pm32', (mm) =>
      mm.mem.write32(0x2000, 0xfffffff0),
    );
    expect(m.mem.read32(0x2000)).toBe(0);
    expect(flagStr(m.cpu.getEflags())).toBe('CPZ');
  });
});
