import { describe, expect, it } from 'vitest';
import { exec } from '../../test/harness.js';
import { CpuidEdx } from '../cpuid.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

function trap(
  code: number[],
  setup?: Parameters<typeof exec>[2],
): { vector: number; m: ReturnType<typeof exec> } {
  let vector = -1;
  const m = exec(code, 'pm32', (mm) => {
    setup?.(mm);
    mm.cpu.eventInterceptor = (c, v) => {
      vector = v;
      c.halt();
      return true;
    };
  });
  return { vector, m };
}

describe('CPUID', () => {
  it('reports GenuineIntel, family 6, and exactly the implemented features', () => {
    const m = exec([0x31, 0xc0, 0x0f, 0xa2]);
    const vendor = Buffer.from([
      ...le32(m.cpu.r32[3]!),
      ...le32(m.cpu.r32[2]!),
      ...le32(m.cpu.r32[1]!),
    ]).toString();
    expect(vendor).toBe('GenuineIntel');
    const l1 = exec([0xb8, 1, 0, 0, 0, 0x0f, 0xa2]);
    expect((l1.cpu.r32[0]! >> 8) & 0xf).toBe(6);
    const edx = l1.cpu.r32[2]!;
    for (const bit of [
      CpuidEdx.FPU,
      CpuidEdx.PSE,
      CpuidEdx.TSC,
      CpuidEdx.MSR,
      CpuidEdx.CX8,
      CpuidEdx.PGE,
      CpuidEdx.CMOV,
    ]) {
      expect(edx & bit).toBe(bit);
    }
    // Not implemented, so not advertised: VME, PAE, APIC, SEP, MTRR, MMX, FXSR, SSE.
    for (const bit of [1 << 1, 1 << 6, 1 << 9, 1 << 11, 1 << 12, 1 << 23, 1 << 24, 1 << 25])
      expect(edx & bit).toBe(0);
  });
});

describe('MSRs', () => {
  it('write and read the TSC and SYSENTER MSRs; unknown MSRs raise #GP', () => {
    // mov ecx, 0x10; xor edx, edx; mov eax, 1000; wrmsr; rdmsr
    const tsc = exec([0xb9, ...le32(0x10), 0x31, 0xd2, 0xb8, ...le32(1000), 0x0f, 0x30, 0x0f, 0x32]);
    expect(tsc.cpu.r32[0]).toBe(1001);
    const bad = trap([0xb9, ...le32(0xc0000080), 0x0f, 0x32]);
    expect(bad.vector).toBe(13);
  });
});

describe('control registers', () => {
  it('CR4 accepts PSE/PGE/TSD/DE and refuses PAE and VME', () => {
    const ok = exec([0xb8, ...le32(0x90), 0x0f, 0x22, 0xe0]);
    expect(ok.cpu.cr4).toBe(0x90);
    expect(trap([0xb8, ...le32(0x20), 0x0f, 0x22, 0xe0]).vector).toBe(13);
    expect(trap([0xb8, ...le32(0x1), 0x0f, 0x22, 0xe0]).vector).toBe(13);
  });
  it('CR0.PG without PE is #GP; MOV CR1 is #UD', () => {
    expect(trap([0xb8, ...le32(0x80000000), 0x0f, 0x22, 0xc0]).vector).toBe(13);
    expect(trap([0x0f, 0x20, 0xc8]).vector).toBe(6);
  });
  it('RDTSC at CPL 3 with CR4.TSD faults', () => {
    const r = trap([0x0f, 0x31], (m) => {
      m.cpu.cr4 = 0x4;
      m.cpu.loadSegmentCache(1, 0x1b, 0, -1, 0xcfb);
      m.cpu.refreshMode();
    });
    expect(r.vector).toBe(13);
  });
});
