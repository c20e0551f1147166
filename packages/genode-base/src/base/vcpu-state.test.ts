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

  it('fpu: with_state shows the exit image, charge marks MTD FPU and write_to copies it back', () => {
    const rec = exit(0x78);
    rec.fpu.set([0x7f, 0x03], 0); // FCW 0x037f
    rec.fpu[32 + 9] = 0x3f; // ST0 exponent high byte
    const st = new Vcpu_state(rec);
    let fcw = -1;
    st.fpu.with_state((b) => {
      fcw = b[0]! | (b[1]! << 8);
    });
    expect(fcw).toBe(0x037f);
    expect([st.fpu.charged(), st.charged_mtd()]).toEqual([false, 0]);
    // an uncharged image is not written back
    const out = exit(0x78);
    st.ax.charge(1);
    st.write_to(out);
    expect(out.fpu.every((b) => b === 0)).toBe(true);
    st.fpu.charge((b) => {
      b[0] = 0x7f;
      b[1] = 0x0f; // FCW 0x0f7f
    });
    expect(st.fpu.charged()).toBe(true);
    expect(st.charged_mtd()).toBe((MTD.ACDB | MTD.FPU) >>> 0);
    st.write_to(out);
    expect([out.fpu[0], out.fpu[1], out.fpu[32 + 9]]).toEqual([0x7f, 0x0f, 0x3f]);
    // the handler's buffer is its own: the exit record is untouched
    expect(rec.fpu[1]).toBe(0x03);
  });

  it('fpu: reloading presents the next exit image, not charged; works through a Proxy', () => {
    const st = new Vcpu_state(exit(0x78));
    st.fpu.charge((b) => b.fill(0xaa));
    const next = exit(0x7b);
    next.fpu[2] = 0x28; // FSW TOP = 5
    st.load(next);
    const view = new Proxy(st, {}); // how a VMM may watch the state
    const seen: number[] = [];
    view.fpu.with_state((b) => seen.push(b[2]!, b[3]!, b[0]!));
    expect(seen).toEqual([0x28, 0, 0]);
    expect([view.fpu.charged(), view.charged_mtd()]).toEqual([false, 0]);
    view.fpu.charge((b) => {
      b[32] = 1;
    });
    expect(view.charged_mtd()).toBe(MTD.FPU >>> 0);
    const out = exit(0x7b);
    view.write_to(out);
    expect([out.fpu[2], out.fpu[32]]).toEqual([0x28, 1]);
  });
});
