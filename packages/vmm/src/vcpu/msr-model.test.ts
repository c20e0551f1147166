import { describe, expect, it } from 'vitest';
import { MSR, readMsr, writeMsr } from './msr-model.js';

describe('MSR model', () => {
  const ctx = () => ({ tsc: 1000n, sysenter: { cs: 0, esp: 0, eip: 0 }, miscEnable: 1n });

  it('implements the processor’s MSRs and nothing else', () => {
    const c = ctx();
    expect(readMsr(c, MSR.TSC)).toBe(1000n);
    expect(readMsr(c, MSR.PLATFORM_ID)).toBe(0n);
    expect(readMsr(c, MSR.BIOS_SIGN_ID)).toBe(0n);
    expect(readMsr(c, MSR.MISC_ENABLE)).toBe(1n);
    for (const absent of [0x1b, 0xc0000080, 0x277, 0x00123456]) expect(readMsr(c, absent)).toBeUndefined();
    expect(writeMsr(c, 0x1b, 0n)).toEqual({ ok: false });
  });

  it('stores SYSENTER (32 bits) and MISC_ENABLE; a TSC write is an offset delta', () => {
    const c = ctx();
    expect(writeMsr(c, MSR.SYSENTER_EIP, 0x1_c010_0000n)).toEqual({ ok: true });
    expect(readMsr(c, MSR.SYSENTER_EIP)).toBe(0xc010_0000n);
    writeMsr(c, MSR.MISC_ENABLE, 0x801n);
    expect(readMsr(c, MSR.MISC_ENABLE)).toBe(0x801n);
    expect(writeMsr(c, MSR.TSC, 500n)).toEqual({ ok: true, tscDelta: -500n });
    expect(writeMsr(c, MSR.BIOS_SIGN_ID, 7n)).toEqual({ ok: true });
  });
});
