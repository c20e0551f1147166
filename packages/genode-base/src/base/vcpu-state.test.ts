import { describe, expect, it } from 'vitest';
import { createVcpuState, MTD } from '../kernel/vcpu-state.js';
import { Vcpu_state } from './vcpu-state.js';

function exit(reason: number, fields: Record<string, unknown> = {}) {
  const s = createVcpuState();
  Object.assign(s, {
    ax: 1,
    cx: 2,
    ip: 0x1000,
    instLen: 2,
    flags: 0x202,
    cr0: 0x11,
    ...fields,
    exitReason: reason,
  });
  return s;
}

describe('Vcpu_state', () => {
  it('charged_mtd names exactly the groups whose registers were charged', () => {
    const st = new Vcpu_state(exit(0x7b));
    expect(st.charged_mtd()).toBe(0);
    st.ax.charge(5);
    st.ip.charge(0x1002);
    st.cs.charge({ sel: 8, ar: 0xc9b, limit: 0xffffffff, base: 0 });
    st.tsc_offset.charge(-100n);
    st.qual_primary.charge(1); // read-only: never written back
    expect(st.charged_mtd()).toBe((MTD.ACDB | MTD.EIP | MTD.CSSS | MTD.TSC) >>> 0);
  });

  it('write_to writes the charged groups and leaves the others as the record holds them', () => {
    const st = new Vcpu_state(exit(0x7b));
    st.ax.charge(0xabc);
    st.flags.charge(0x246);
    const rec = exit(0x7b, { ax: 9, cx: 8, dx: 7, flags: 0x2, cr0: 0x80000011 });
    st.write_to(rec);
    // ACDB is one group: cx and dx get the state's values (2 and 0), not the record's
    expect([rec.ax, rec.cx, rec.dx, rec.flags]).toEqual([0xabc, 2, 0, 0x246]);
    expect(rec.cr0).toBe(0x80000011); // CR not charged
  });

  it('reloading for the next exit presents its values with nothing charged', () => {
    const st = new Vcpu_state(exit(0x7b, { ax: 1 }));
    st.ax.charge(42);
    const cs = st.cs.value();
    cs.base = 0x1234; // the handler's copy, not the kernel record
    st.load(exit(0x78, { ax: 7, ip: 0x2000 }));
    expect(st.exit_reason).toBe(0x78);
    expect([st.ax.value(), st.ax.charged(), st.ip.value()]).toEqual([7, false, 0x2000]);
    expect(st.cs.value().base).toBe(0);
    expect(st.charged_mtd()).toBe(0);
  });
});
