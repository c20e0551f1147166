import { describe, expect, it } from 'vitest';
import { CODE, machine } from '../test/harness.js';
import { FAULT } from './fault.js';
import { ACC_USER, ACC_WRITE, translate } from './paging.js';
import { TLB_GLOBAL, TLB_NOUSER, TLB_RO, tlbInvalidatePage } from './tlb.js';

const PD = 0x10000;
const PT = 0x11000;

/** Identity-maps the first 4 MiB with 4 KiB pages (PDE 0 → PT), then enables paging. */
function paged(pteFlags = 0x7, pdeFlags = 0x7) {
  const m = machine([0xf4]);
  for (let k = 0; k < 1024; k++) m.mem.write32(PT + 4 * k, (k << 12) | pteFlags);
  m.mem.write32(PD, PT | pdeFlags);
  m.cpu.cr3 = PD;
  m.cpu.cr0 |= 0x80000000 | 0;
  m.cpu.flushTlb();
  return m;
}

function pf(
  fn: () => void,
  c: { excVector: number; excCode: number; excAddr: number },
): [number, number, number] {
  try {
    fn();
  } catch (e) {
    if (e !== FAULT) throw e;
    return [c.excVector, c.excCode, c.excAddr];
  }
  return [-1, -1, -1];
}

describe('2-level paging and the TLB', () => {
  it('translates through PDE/PTE and sets accessed and dirty bits', () => {
    const m = paged();
    const e = translate(m.cpu, 0x5123, 0);
    expect(((e & ~0xfff) ^ 0x5123) >>> 0).toBe(0x5123);
    expect(m.mem.read32(PT + 5 * 4) & 0x60).toBe(0x20);
    expect(m.mem.read32(PD) & 0x20).toBe(0x20);
    expect(e & TLB_RO).toBe(TLB_RO);
    translate(m.cpu, 0x5123, ACC_WRITE);
    expect(m.mem.read32(PT + 5 * 4) & 0x60).toBe(0x60);
  });
  it('raises #PF with the architectural error code and address', () => {
    const m = paged();
    m.mem.write32(PT + 0x300 * 4, 0); // not present
    m.mem.write32(PT + 0x301 * 4, (0x301 << 12) | 0x5); // user, read-only
    m.mem.write32(PT + 0x302 * 4, (0x302 << 12) | 0x3); // supervisor
    const c = m.cpu;
    expect(pf(() => translate(c, 0x300123, 0), c)).toEqual([14, 0, 0x300123]);
    expect(pf(() => translate(c, 0x300123, ACC_WRITE | ACC_USER), c)).toEqual([14, 6, 0x300123]);
    expect(pf(() => translate(c, 0x301000, ACC_WRITE | ACC_USER), c)).toEqual([14, 7, 0x301000]);
    expect(pf(() => translate(c, 0x302000, ACC_USER), c)).toEqual([14, 5, 0x302000]);
    // Supervisor writes to a read-only page: allowed with CR0.WP = 0, #PF with WP = 1.
    expect(pf(() => translate(c, 0x301000, ACC_WRITE), c)[0]).toBe(-1);
    c.cr0 |= 0x10000;
    expect(pf(() => translate(c, 0x301000, ACC_WRITE), c)).toEqual([14, 3, 0x301000]);
  });
  it('maps 4 MiB pages with CR4.PSE and INVLPG drops the whole large page', () => {
    const m = paged();
    m.mem.write32(PD + 4, 0x00400000 | 0x87); // 4 MiB page at 4 MiB... mapped onto physical 4 MiB
    m.mem.write32(PD + 8, 0x00000000 | 0x87); // virtual 8 MiB → physical 0
    m.cpu.cr4 |= 0x10;
    const e = translate(m.cpu, 0x801234, 0);
    expect(((e & ~0xfff) ^ 0x801234) >>> 0).toBe(0x1234);
    translate(m.cpu, 0x9ff000, 0);
    expect(m.cpu.tlb[0x9ff]).not.toBe(0);
    // INVLPG of any address in the large page clears every cached 4 KiB piece of it.
    m.cpu.flushTlbNonGlobal();
    translate(m.cpu, 0x801234, 0);
    translate(m.cpu, 0x9ff000, 0);
    tlbInvalidatePage(m.cpu, 0x800000);
    expect(m.cpu.tlb[0x801]).toBe(0);
    expect(m.cpu.tlb[0x9ff]).toBe(0);
  });
  it('keeps global pages over a CR3 write when CR4.PGE is set', () => {
    const m = paged(0x107);
    m.cpu.cr4 |= 0x80;
    const e = translate(m.cpu, 0x7000, 0);
    expect(e & TLB_GLOBAL).toBe(TLB_GLOBAL);
    m.mem.write32(PT + 8 * 4, (8 << 12) | 0x7);
    translate(m.cpu, 0x8000, 0);
    m.cpu.flushTlbNonGlobal();
    expect(m.cpu.tlb[7]).not.toBe(0);
    expect(m.cpu.tlb[8]).toBe(0);
    m.cpu.flushTlb();
    expect(m.cpu.tlb[7]).toBe(0);
  });
  it('marks supervisor pages so that CPL 3 takes the slow path', () => {
    const m = paged(0x3);
    expect(translate(m.cpu, 0x6000, 0) & TLB_NOUSER).toBe(TLB_NOUSER);
  });
  it('runs code through paging and applies the A20 gate', () => {
    const m = paged();
    // code at CODE is identity-mapped: mov eax, [0x100010]; hlt  (0x100010 aliases 0x10 with A20 off)
    m.mem.write(CODE, Uint8Array.from([0xa1, 0x10, 0x00, 0x10, 0x00, 0xf4]));
    m.mem.write32(0x10, 0x11111111);
    m.mem.write32(0x100010, 0x22222222);
    m.cpu.setA20(false);
    m.cpu.run(10);
    expect(m.cpu.r32[0]).toBe(0x11111111);
  });
});
