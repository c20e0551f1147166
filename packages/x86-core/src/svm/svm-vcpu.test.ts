import { describe, expect, it } from 'vitest';
import { Seg } from '../constants.js';
import { Cpu } from '../cpu.js';
import { PhysicalMemory } from '../physical-memory.js';
import { SvmExit } from '../svm-exit.js';
import { type NestedPageTable, NpfError, NptRights } from './nested-paging.js';
import { EventType, SvmVcpu } from './svm-vcpu.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** A host RAM of 4 MiB; the guest's physical page g maps to host page g + 0x100 unless changed. */
class Npt implements NestedPageTable {
  readonly map = new Map<number, number>();
  lookup(gpaPage: number): number {
    return this.map.get(gpaPage) ?? -1;
  }
  mapPage(gpa: number, hpa: number, rights = NptRights.READ | NptRights.WRITE | NptRights.EXEC): void {
    this.map.set(gpa & ~0xfff, (hpa & ~0xfff) | rights);
  }
}

const HOST_OFFSET = 0x100000;

/** A flat 32-bit guest with its first 64 KiB mapped (host = guest + 1 MiB) and `code` at guest 0x1000. */
function guest(code: number[], options: { npt?: boolean } = {}) {
  const mem = new PhysicalMemory({ size: 4 << 20 });
  const npt = new Npt();
  for (let p = 0; p < 0x10000; p += 0x1000) npt.mapPage(p, p + HOST_OFFSET);
  const cpu = new Cpu({ memory: mem });
  const vcpu = new SvmVcpu(cpu, { npt: options.npt === false ? null : npt });
  cpu.cr0 = 0x11;
  cpu.refreshMode();
  cpu.loadSegmentCache(Seg.CS, 0x08, 0, -1, 0xc9b);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) cpu.loadSegmentCache(s, 0x10, 0, -1, 0xc93);
  cpu.r32[4] = 0x8000;
  cpu.eip = 0x1000;
  mem.write((options.npt === false ? 0 : HOST_OFFSET) + 0x1000, Uint8Array.from(code));
  return { mem, cpu, vcpu, npt };
}

describe('SVM model: instruction intercepts', () => {
  it('exits on OUT with the I/O qualification, the next RIP and the instruction length', () => {
    // mov al, 0x41; out 0x80, al; nop
    const g = guest([0xb0, 0x41, 0xe6, 0x80, 0x90]);
    const x = g.vcpu.run(100);
    expect(x.code).toBe(SvmExit.IOIO);
    expect(x.info1).toBe((0x80 << 16) | 0x10 | 0x100);
    expect(x.info2).toBe(0x1004);
    expect(x.instLen).toBe(2);
    expect(g.cpu.eip).toBe(0x1002);
    expect(x.instructions).toBe(2);
  });
  it('qualifies REP OUTSW (string, REP, 16-bit size, segment) and IN', () => {
    const g = guest([0xb9, 1, 0, 0, 0, 0x66, 0xf3, 0x6f]);
    const x = g.vcpu.run(10);
    expect(x.info1 & 0xffff).toBe(0x4 | 0x8 | 0x20 | 0x100 | (3 << 10));
    expect(x.info1 & 0x1).toBe(0);
    const i = guest([0x66, 0xba, 0x34, 0x12, 0xec]);
    const y = i.vcpu.run(10);
    expect(y.info1 >>> 16).toBe(0x1234);
    expect(y.info1 & 0x1).toBe(1);
  });
  it('lets ports through per the I/O permission map', () => {
    const g = guest([0xe6, 0x80, 0xe6, 0x81, 0x90]);
    const iopm = new Uint8Array(0x2000);
    iopm[0x81 >> 3] = 1 << (0x81 & 7);
    g.vcpu.intercepts.io = iopm;
    const x = g.vcpu.run(10);
    expect(x.code).toBe(SvmExit.IOIO);
    expect(x.info1 >>> 16).toBe(0x81);
  });
  it('exits on HLT, CPUID and MSR accesses before they execute', () => {
    const h = guest([0x90, 0xf4]);
    expect(h.vcpu.run(10)).toMatchObject({ code: SvmExit.HLT, instLen: 1 });
    expect(h.cpu.halted).toBe(false);
    const c = guest([0x31, 0xc0, 0x0f, 0xa2]);
    expect(c.vcpu.run(10)).toMatchObject({ code: SvmExit.CPUID, instLen: 2 });
    expect(c.cpu.r32[3]).toBe(0);
    const w = guest([0xb9, ...le32(0x10), 0x0f, 0x30]);
    expect(w.vcpu.run(10)).toMatchObject({ code: SvmExit.MSR, info1: 1 });
    const r = guest([0x0f, 0x32]);
    expect(r.vcpu.run(10)).toMatchObject({ code: SvmExit.MSR, info1: 0 });
  });
  it('ends a run at the instruction budget with a recall exit, and on recall()', () => {
    const g = guest([0xeb, 0xfe]);
    const x = g.vcpu.run(1000);
    expect(x).toMatchObject({ code: SvmExit.RECALL, instructions: 1000 });
    g.vcpu.recall();
    expect(g.vcpu.run(1000)).toMatchObject({ code: SvmExit.RECALL, instructions: 0 });
  });
});

describe('SVM model: nested paging', () => {
  it('exits on an unmapped guest-physical page with the NPF error code and GPA, then resumes', () => {
    // mov eax, [0x20010]; mov [0x20014], eax; hlt
    const g = guest([0xa1, ...le32(0x20010), 0xa3, ...le32(0x20014), 0xf4]);
    g.npt.map.delete(0x20000);
    g.vcpu.intercepts.hlt = true;
    const x = g.vcpu.run(100);
    expect(x.code).toBe(SvmExit.NPT_FAULT);
    expect(x.info2).toBe(0x20010);
    expect(x.info1).toBe(NpfError.U + NpfError.FINAL);
    expect(g.cpu.eip).toBe(0x1000);
    // Map it read-only: the read passes, the write faults with P|W.
    g.npt.mapPage(0x20000, 0x300000, NptRights.READ);
    g.mem.write32(0x300010, 0x12345678);
    const y = g.vcpu.run(100);
    expect(y.code).toBe(SvmExit.NPT_FAULT);
    expect(y.info1).toBe(NpfError.P + NpfError.W + NpfError.U + NpfError.FINAL);
    expect(y.info2).toBe(0x20014);
    expect(g.cpu.r32[0]).toBe(0x12345678);
    // Upgrade, invalidate (host side), resume: the write lands in host memory.
    g.npt.mapPage(0x20000, 0x300000);
    g.vcpu.invalidate();
    expect(g.vcpu.run(100).code).toBe(SvmExit.HLT);
    expect(g.mem.read32(0x300014)).toBe(0x12345678);
  });
  it('keeps nothing stale after a revoke', () => {
    // loop: mov eax, [0x30000]; jmp loop
    const g = guest([0xa1, ...le32(0x30000), 0xeb, 0xf9]);
    g.npt.mapPage(0x30000, 0x200000);
    expect(g.vcpu.run(50).code).toBe(SvmExit.RECALL);
    g.npt.map.delete(0x30000);
    g.vcpu.invalidate();
    const x = g.vcpu.run(50);
    expect([x.code, x.info2]).toEqual([SvmExit.NPT_FAULT, 0x30000]);
  });
  it('reports faults during the guest page walk with the walk bit', () => {
    // Guest paging with CR3 at guest 0x40000, which is not mapped in the NPT.
    const g = guest([0x90, 0x90]);
    g.cpu.cr3 = 0x40000;
    g.cpu.cr0 |= 0x80000000 | 0;
    g.cpu.flushTlb();
    const x = g.vcpu.run(10);
    expect(x.code).toBe(SvmExit.NPT_FAULT);
    expect(x.info2).toBe(0x40000);
    expect(x.info1).toBe(NpfError.U + NpfError.WALK);
  });
  it('exits on an instruction fetch from an unmapped page with the fetch bit', () => {
    const g = guest([0xe9, ...le32(0x50000 - 0x1005)]);
    const x = g.vcpu.run(10);
    expect([x.code, x.info2, x.info1]).toEqual([
      SvmExit.NPT_FAULT,
      0x50000,
      NpfError.U + NpfError.ID + NpfError.FINAL,
    ]);
  });
});

describe('SVM model: events', () => {
  function withIdt(code: number[]) {
    const g = guest(code);
    // IDT at guest 0x2000: vectors 0x0e and 0x20 → handler at 0x3000 (hlt); GDT at 0x2800.
    const host = (a: number): number => a + HOST_OFFSET;
    g.mem.write32(host(0x2800 + 8), 0x0000ffff);
    g.mem.write32(host(0x2800 + 12), 0x00cf9a00);
    for (const v of [0x0e, 0x20]) {
      g.mem.write32(host(0x2000 + v * 8), (0x08 << 16) | 0x3000);
      g.mem.write32(host(0x2000 + v * 8 + 4), 0x8e00);
    }
    g.mem.write(host(0x3000), Uint8Array.from([0xf4]));
    g.cpu.gdtBase = 0x2800;
    g.cpu.gdtLimit = 15;
    g.cpu.idtBase = 0x2000;
    g.cpu.idtLimit = 0x7ff;
    return g;
  }
  it('injects an external interrupt before the first instruction', () => {
    const g = withIdt([0x90, 0x90]);
    g.vcpu.inject({ vector: 0x20, type: EventType.EXTERNAL });
    const x = g.vcpu.run(10);
    expect(x.code).toBe(SvmExit.HLT);
    expect(g.cpu.eip).toBe(0x3000);
    expect(g.mem.read32(HOST_OFFSET + 0x8000 - 12)).toBe(0x1000);
  });
  it('intercepts #PF by vector without touching CR2', () => {
    // Guest paging: identity for 0..64 KiB except guest-virtual page 0x9000 (not present).
    const g = withIdt([0xa1, ...le32(0x9008)]);
    const host = (a: number): number => a + HOST_OFFSET;
    g.mem.write32(host(0x4000), 0x5000 | 3);
    for (let k = 0; k < 16; k++) g.mem.write32(host(0x5000 + 4 * k), k === 9 ? 0 : (k << 12) | 3);
    g.cpu.cr3 = 0x4000;
    g.cpu.cr0 |= 0x80000000 | 0;
    g.cpu.flushTlb();
    g.vcpu.intercepts.exceptions = 1 << 14;
    const x = g.vcpu.run(10);
    expect([x.code, x.info1, x.info2]).toEqual([SvmExit.EXCP_BASE + 14, 0, 0x9008]);
    expect(g.cpu.cr2).toBe(0);
    expect(g.cpu.eip).toBe(0x1000);
    // Not intercepted: delivered through the guest IDT, CR2 written.
    g.vcpu.intercepts.exceptions = 0;
    expect(g.vcpu.run(10).code).toBe(SvmExit.HLT);
    expect(g.cpu.cr2).toBe(0x9008);
  });
  it('exits for the interrupt window after STI and its shadow', () => {
    const g = guest([0xfa, 0x90, 0xfb, 0x90, 0x90, 0x90]);
    g.vcpu.requestInterruptWindow(true);
    const x = g.vcpu.run(100);
    expect(x.code).toBe(SvmExit.VINTR);
    expect(g.cpu.eip).toBe(0x1004);
  });
  it('reads and writes the interrupt shadow (SVM INTERRUPT_SHADOW)', () => {
    // sti; nop; nop — the window exit waits for the shadow of STI to pass.
    const g = guest([0xfb, 0x90, 0x90, 0x90]);
    g.vcpu.requestInterruptWindow(true);
    expect(g.vcpu.interruptShadow).toBe(false);
    g.vcpu.run(1);
    expect(g.vcpu.interruptShadow).toBe(true);
    // A host that clears the shadow lets the window open before the next instruction.
    g.vcpu.interruptShadow = false;
    expect(g.vcpu.run(10)).toMatchObject({ code: SvmExit.VINTR, instructions: 0 });
    // With the shadow set by the host, one instruction runs first.
    g.vcpu.interruptShadow = true;
    g.vcpu.requestInterruptWindow(true);
    expect(g.vcpu.run(10)).toMatchObject({ code: SvmExit.VINTR, instructions: 1 });
  });
  it('gives the guest its TSC with the offset', () => {
    const g = guest([0x90, 0x0f, 0x31, 0xf4]);
    g.vcpu.tscOffset = 1_000_000;
    g.vcpu.run(10);
    expect(g.cpu.r32[0]).toBe(1_000_001);
  });
  it('shuts down on a triple fault', () => {
    const g = guest([0x0f, 0x0b]);
    g.cpu.idtLimit = 0;
    expect(g.vcpu.run(10).code).toBe(SvmExit.SHUTDOWN);
  });
});
