import { createVcpuState, MTD } from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { Mtd } from '../mtd.js';
import { Utcb } from '../utcb.js';
import { readVcpuState, writeVcpuState } from './vcpu-utcb.js';

function utcb(): Utcb {
  return new Utcb(new DataView(new ArrayBuffer(4096)), 0);
}

describe("genode-base's VcpuState through the UTCB layout (spec/nova.md §5.2)", () => {
  it('round-trips every MTD group of Mtd::ALL and PDPTE', () => {
    const s = createVcpuState();
    Object.assign(s, {
      ax: 1,
      cx: 2,
      dx: 3,
      bx: 4,
      bp: 5,
      si: 6,
      di: 7,
      sp: 8,
      ip: 0xfff0,
      instLen: 2,
      flags: 0x202,
      r8: 8,
      r15: 15,
      cr0: 0x10,
      cr3: 0x1000,
      dr7: 0x400,
      sysenterCs: 0x10,
      sysenterSp: 0x20,
      sysenterIp: 0x30,
      injInfo: 0x80000020,
      intrState: 1,
      actvState: 0,
      efer: 0x500,
      tpr: 3,
      tprThreshold: 1,
      star: 7n,
      lstar: 0x1234n,
      kernelGsBase: 0xffffn,
      pdpte: [1n, 2n, 3n, 4n],
    });
    s.cs = { sel: 0xf000, ar: 0x93, limit: 0xffff, base: 0xffff0000 };
    s.gdtr = { limit: 0x27, base: 0x9000 };
    const u = utcb();
    writeVcpuState(s, MTD.ALL | Mtd.PDPTE, u);
    expect(u.mtd).toBe(MTD.ALL | Mtd.PDPTE);
    expect(u.get('rip')).toBe(0xfff0);
    expect(u.segment('cs')).toEqual({ sel: 0xf000, ar: 0x93, limit: 0xffff, base: 0xffff0000 });
    u.set('exitReason', 0xfe);
    const back = createVcpuState();
    readVcpuState(u, MTD.ALL | Mtd.PDPTE, back);
    expect(back).toEqual({ ...s, exitReason: 0xfe });
  });

  it('QUAL is only read, CTRL only written; a written TSC offset is a word the kernel adds', () => {
    const s = createVcpuState();
    s.qual0 = 0x11;
    s.ctrl0 = 1 << 24;
    s.tscOffset = -5n;
    const u = utcb();
    writeVcpuState(s, Mtd.QUAL | Mtd.CTRL | Mtd.TSC, u);
    expect(u.get('qual0')).toBe(0);
    expect(u.get('ctrl0')).toBe(1 << 24);
    // the offset is a 64-bit word (two's complement), exact
    expect(u.view.getBigUint64(0x240, true)).toBe(2n ** 64n - 5n);
    u.set('qual1', 0xfffff000);
    const back = createVcpuState();
    readVcpuState(u, Mtd.QUAL, back);
    expect([back.qual1, back.ctrl0]).toEqual([0xfffff000, 0]);
  });
});
