import { describe, expect, it } from 'vitest';
import { SvmExit, svmExitName } from './svm-exit.js';

describe('SvmExit', () => {
  it('uses the AMD SVM codes NOVA forwards to the VMM', () => {
    expect(SvmExit.CPUID).toBe(0x72);
    expect(SvmExit.HLT).toBe(0x78);
    expect(SvmExit.IOIO).toBe(0x7b);
    expect(SvmExit.NPT_FAULT).toBe(0xfc);
    expect(SvmExit.STARTUP).toBe(0xfe);
    expect(SvmExit.RECALL).toBe(0xff);
  });

  it('names exits for reports', () => {
    expect(svmExitName(0x78)).toBe('HLT');
    expect(svmExitName(0xfc)).toBe('NPT_FAULT');
    expect(svmExitName(0x4e)).toBe('EXCP_0x0e');
    expect(svmExitName(0x1234)).toBe('0x1234');
  });
});
