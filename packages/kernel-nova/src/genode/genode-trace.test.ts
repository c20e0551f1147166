import { describe, expect, it } from 'vitest';
import { formatGenodeTrace, GenodeTraceLog, type GenodeTraceRecord, nptChains } from './genode-trace.js';

const exit = (reason: number, vcpu = 1): GenodeTraceRecord => ({
  kind: 'vcpu-exit',
  time: 1.5,
  vcpu,
  reason,
  qual0: 4,
  qual1: 0x2000,
  portal: 0x1fc,
  pid: 0x100fc,
  handler: 'vmm:ep/rpc',
  mtd: 0x1deffff,
});
const reply = (vcpu = 1): GenodeTraceRecord => ({
  kind: 'exit-reply',
  time: 2,
  vcpu,
  mtd: 0,
  items: [{ virt: 0x12000, gpa: 0x2000, log2: 12, rights: 'rwx' }],
  resume: true,
});

describe('the genode-base backend trace', () => {
  it('renders an NPT exit as the guest access and the portal call', () => {
    expect(formatGenodeTrace(exit(0xfc)).split('\n')).toEqual([
      '[1.500] vcpu1 guest access to GPA 0x2000 not in the NPT: exit 0xfc (NPT fault, error 0x4)',
      '[1.500] vcpu1 portal call evt+0xfc (selector 0x1fc, PID 0x100fc, MTD 0x1deffff) -> vmm:ep/rpc',
    ]);
    expect(formatGenodeTrace(reply())).toBe(
      '[2.000] vcpu1 handler replies: MTD 0x0, G item VMM 0x12000 -> GPA 0x2000 (2^12, rwx); vCPU resumes',
    );
    expect(
      formatGenodeTrace({
        kind: 'rm-walk',
        time: 0,
        steps: [
          {
            map: 'vmm address space',
            addr: 0x12000,
            region: { base: 0x10000, size: 0x10000, offset: 0 },
            dataspace: 'MANAGED',
          },
          { map: 'guest ram', addr: 0x2000 },
        ],
      }),
    ).toBe(
      "[0.000] region-map walk: 'vmm address space' @0x12000 in [0x10000, +0x10000) offset 0x0 -> MANAGED => 'guest ram' @0x2000: no region",
    );
  });

  it('groups the records from each NPT exit to that vCPU’s reply', () => {
    const log = new GenodeTraceLog();
    const pf: GenodeTraceRecord = { kind: 'pager-reply', time: 1.7, thread: 'vmm:ep/rpc', result: 'resume' };
    for (const r of [exit(0xfe), reply(), exit(0xfc), pf, exit(0x78, 2), reply(2), reply(), exit(0xfc)])
      log.record(r);
    const chains = log.nptChains();
    expect(chains).toHaveLength(1);
    expect(chains[0]!.map((r) => r.kind)).toEqual([
      'vcpu-exit',
      'pager-reply',
      'vcpu-exit',
      'exit-reply',
      'exit-reply',
    ]);
    expect(nptChains([])).toEqual([]);
    expect(log.lines().length).toBe(8 + 4);
  });
});
