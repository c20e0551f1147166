import { describe, expect, it } from 'vitest';
import { type Test_kernel_defect, testKernel } from '../test-kernel/test-kernel.js';
import { formatResult } from './adapter.js';
import { conformance_suite } from './suite.js';

/*
 * The suite must notice a broken kernel. Each deliberate defect of the test kernel is caught by
 * the scenarios named here (and only those pass that do not depend on the broken mechanism).
 */
const caught: Record<Test_kernel_defect, readonly string[]> = {
  // stale translations survive detach/free: reused addresses show old memory
  'unmap-does-not-flush': [
    'sub_rm',
    'rm_fault',
    'rm_fault_no_nox',
    'rm_stress',
    'rule-06-nested',
    'rule-07-faults',
    'rule-09-detach',
  ],
  // every mapping writeable and executable: ROM becomes writeable, exec faults vanish
  'map-ignores-rights': ['rm_fault', 'rm_fault_no_nox', 'rule-05-rights', 'rule-08-violations'],
  // a reflected fault is never resumed
  'wake-is-lost': [
    'rm_fault',
    'rm_fault_no_nox',
    'rm_nested',
    'rule-05-rights',
    'rule-07-faults',
    'rule-08-violations',
    'rule-09-detach',
  ],
  // a thread whose timed `down` ran out still takes the next `up`
  'timeout-stays-waiter': ['kernel-timed-down'],
};

describe.each(Object.entries(caught) as [Test_kernel_defect, readonly string[]][])(
  'the conformance suite against a kernel whose %s',
  (defect, expected) => {
    it(`fails exactly: ${expected.join(', ')}`, () => {
      const results = conformance_suite.map((s) => s.run(testKernel({ defect })));
      const failing = results.filter((r) => !r.passed).map((r) => r.name);
      expect(failing).toEqual(expected);
      for (const r of results.filter((x) => !x.passed)) expect(formatResult(r)).toContain('FAILED');
    }, 60_000);
  },
);

describe('concrete symptoms', () => {
  it('rm_stress reports the stale page in round 0 when unmap does not flush', () => {
    const r = conformance_suite
      .find((s) => s.name === 'rm_stress')!
      .run(testKernel({ defect: 'unmap-does-not-flush' }));
    expect(r.log.some((l) => /Error: value @ 0x[0-9a-f]+ {2}aa != 55 in round 0$/.test(l))).toBe(true);
    expect(r.log).toContain('[init] child "test-rm_stress" exited with exit value -1');
  });

  it('rm_fault logs "could modify ROM" when the kernel ignores rights', () => {
    const r = conformance_suite
      .find((s) => s.name === 'rm_fault')!
      .run(testKernel({ defect: 'map-ignores-rights' }));
    expect(r.log.some((l) => l.includes('Error: could modify ROM !!! 0x10102464c457f'))).toBe(true);
  });
});
