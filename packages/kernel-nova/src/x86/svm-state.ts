/**
 * Guest state transfer between an x86-core processor in guest mode and the kernel's
 * {@link VcpuState}, one MTD group at a time (spec/nova.md §5.2; the G-kernel's
 * `Utcb::load_svm` / `save_svm`). Segments keep SVM's 12-bit attribute layout, which is what
 * NOVA's UTCB carries on SVM (`ar`: type, S, DPL, P, AVL, L, D/B, G) and what x86-core's
 * segment caches hold. State this i686 does not have (r8–r15, PDPTEs, the SYSCALL MSRs, TPR,
 * TSC_AUX, XCR0/XSS) is kept as written in `extra` and read back unchanged, as the VMCB would.
 *
 * INJ, STA, TSC, CTRL and EFER involve the vCPU's controls and live in {@link X86Vcpu}.
 */
import { type Cpu, Seg } from '@genode-ts/x86-core';
import { Mtd } from '../mtd.js';
import type { Segment, VcpuState } from '../vcpu-state.js';

/** x86-core's SYSENTER MSR numbers (IA32_SYSENTER_CS/ESP/EIP). */
const SYSENTER_CS = 0x174;
const SYSENTER_ESP = 0x175;
const SYSENTER_EIP = 0x176;

/** MTD groups the processor has no registers for: held in `extra`. */
export const EXTRA_GROUPS: number =
  Mtd.R8_R15 | Mtd.PDPTE | Mtd.SYSCALL_SWAPGS | Mtd.TPR | Mtd.TSC_AUX | Mtd.XSAVE;

function readSeg(c: Cpu, seg: number, into: Segment): void {
  into.sel = c.segSel[seg]!;
  into.ar = c.segAttr[seg]!;
  into.limit = c.segLimit[seg]! >>> 0;
  into.base = c.segBase[seg]! >>> 0;
}

function writeSeg(c: Cpu, seg: number, s: Segment): void {
  c.loadSegmentCache(seg, s.sel & 0xffff, s.base % 2 ** 32, s.limit % 2 ** 32, s.ar & 0xfff);
}

/** Copy the groups of `mtd` the processor has no registers for (field by field: this is hot). */
function copyExtra(dst: VcpuState, src: VcpuState, mtd: number): void {
  if (mtd & Mtd.R8_R15) {
    dst.r8 = src.r8;
    dst.r9 = src.r9;
    dst.r10 = src.r10;
    dst.r11 = src.r11;
    dst.r12 = src.r12;
    dst.r13 = src.r13;
    dst.r14 = src.r14;
    dst.r15 = src.r15;
  }
  if (mtd & Mtd.PDPTE) {
    dst.pdpte0 = src.pdpte0;
    dst.pdpte1 = src.pdpte1;
    dst.pdpte2 = src.pdpte2;
    dst.pdpte3 = src.pdpte3;
  }
  if (mtd & Mtd.SYSCALL_SWAPGS) {
    dst.star = src.star;
    dst.lstar = src.lstar;
    dst.cstar = src.cstar;
    dst.sfmask = src.sfmask;
    dst.kernelGsBase = src.kernelGsBase;
  }
  if (mtd & Mtd.TPR) {
    dst.tpr = src.tpr;
    dst.tprThreshold = src.tprThreshold;
  }
  if (mtd & Mtd.TSC_AUX) dst.tscAux = src.tscAux;
  if (mtd & Mtd.XSAVE) {
    dst.xcr0 = src.xcr0;
    dst.xss = src.xss;
  }
}

function msr(c: Cpu, n: number): number {
  const v = c.msrs.get(n);
  return v === undefined ? 0 : Number(v) % 2 ** 32;
}

/** Copy the architectural groups of `mtd` from the processor into `into`. */
export function loadArchState(c: Cpu, into: VcpuState, mtd: number, extra: VcpuState): void {
  const r = c.r32;
  if (mtd & Mtd.ACDB) {
    into.rax = r[0]! >>> 0;
    into.rcx = r[1]! >>> 0;
    into.rdx = r[2]! >>> 0;
    into.rbx = r[3]! >>> 0;
  }
  if (mtd & Mtd.EBSD) {
    into.rbp = r[5]! >>> 0;
    into.rsi = r[6]! >>> 0;
    into.rdi = r[7]! >>> 0;
  }
  if (mtd & Mtd.ESP) into.rsp = r[4]! >>> 0;
  if (mtd & Mtd.EIP) into.rip = c.eip >>> 0;
  if (mtd & Mtd.EFL) into.rflags = c.getEflags() >>> 0;
  if (mtd & Mtd.ESDS) {
    readSeg(c, Seg.DS, into.ds);
    readSeg(c, Seg.ES, into.es);
  }
  if (mtd & Mtd.FSGS) {
    readSeg(c, Seg.FS, into.fs);
    readSeg(c, Seg.GS, into.gs);
  }
  if (mtd & Mtd.CSSS) {
    readSeg(c, Seg.CS, into.cs);
    readSeg(c, Seg.SS, into.ss);
  }
  if (mtd & Mtd.TR) {
    into.tr.sel = c.trSel;
    into.tr.ar = c.trAttr;
    into.tr.limit = c.trLimit >>> 0;
    into.tr.base = c.trBase >>> 0;
  }
  if (mtd & Mtd.LDTR) {
    into.ldtr.sel = c.ldtSel;
    into.ldtr.ar = c.ldtAttr;
    into.ldtr.limit = c.ldtLimit >>> 0;
    into.ldtr.base = c.ldtBase >>> 0;
  }
  if (mtd & Mtd.GDTR) {
    into.gdtr.sel = 0;
    into.gdtr.ar = 0;
    into.gdtr.limit = c.gdtLimit;
    into.gdtr.base = c.gdtBase >>> 0;
  }
  if (mtd & Mtd.IDTR) {
    into.idtr.sel = 0;
    into.idtr.ar = 0;
    into.idtr.limit = c.idtLimit;
    into.idtr.base = c.idtBase >>> 0;
  }
  if (mtd & Mtd.CR) {
    into.cr0 = c.cr0 >>> 0;
    into.cr2 = c.cr2 >>> 0;
    into.cr3 = c.cr3 >>> 0;
    into.cr4 = c.cr4 >>> 0;
  }
  if (mtd & Mtd.DR) into.dr7 = c.dr[7]! >>> 0;
  if (mtd & Mtd.SYS) {
    into.sysenterCs = msr(c, SYSENTER_CS);
    into.sysenterRsp = msr(c, SYSENTER_ESP);
    into.sysenterRip = msr(c, SYSENTER_EIP);
  }
  if (mtd & EXTRA_GROUPS) copyExtra(into, extra, mtd);
}

/** The low 32 bits of a 64-bit state value, as the processor's signed register content. */
function lo(v: number): number {
  return (v % 2 ** 32) | 0;
}

/**
 * Copy the architectural groups of `mtd` from `from` into the processor (a VMRUN with a new
 * VMCB state): the mode follows CR0, EFLAGS.VM and the CS/SS caches, the CPL is SS.DPL (as
 * AMD's VMCB CPL field), and the TLB is flushed when paging state changed. 64-bit values are
 * truncated to the 32 bits this processor has.
 */
export function storeArchState(c: Cpu, from: VcpuState, mtd: number, extra: VcpuState): void {
  const r = c.r32;
  if (mtd & Mtd.ACDB) {
    r[0] = lo(from.rax);
    r[1] = lo(from.rcx);
    r[2] = lo(from.rdx);
    r[3] = lo(from.rbx);
  }
  if (mtd & Mtd.EBSD) {
    r[5] = lo(from.rbp);
    r[6] = lo(from.rsi);
    r[7] = lo(from.rdi);
  }
  if (mtd & Mtd.ESP) r[4] = lo(from.rsp);
  if (mtd & Mtd.EIP) c.eip = lo(from.rip);
  let mode = false;
  let paging = false;
  if (mtd & Mtd.CR) {
    const cr0 = lo(from.cr0);
    const cr3 = lo(from.cr3);
    const cr4 = lo(from.cr4);
    paging = ((c.cr0 ^ cr0) & 0x80010001) !== 0 || c.cr3 !== cr3 || c.cr4 !== cr4;
    c.cr0 = cr0;
    c.cr2 = lo(from.cr2);
    c.cr3 = cr3;
    c.cr4 = cr4;
    mode = true;
  }
  if (mtd & Mtd.EFL) {
    c.setEflags(lo(from.rflags));
    mode = true;
  }
  if (mode) c.refreshMode();
  if (mtd & Mtd.ESDS) {
    writeSeg(c, Seg.DS, from.ds);
    writeSeg(c, Seg.ES, from.es);
  }
  if (mtd & Mtd.FSGS) {
    writeSeg(c, Seg.FS, from.fs);
    writeSeg(c, Seg.GS, from.gs);
  }
  if (mtd & Mtd.CSSS) {
    writeSeg(c, Seg.CS, from.cs);
    writeSeg(c, Seg.SS, from.ss);
    mode = true;
  }
  if (mtd & Mtd.TR) {
    c.trSel = from.tr.sel & 0xffff;
    c.trAttr = from.tr.ar & 0xfff;
    c.trLimit = lo(from.tr.limit);
    c.trBase = lo(from.tr.base);
  }
  if (mtd & Mtd.LDTR) {
    c.ldtSel = from.ldtr.sel & 0xffff;
    c.ldtAttr = from.ldtr.ar & 0xfff;
    c.ldtLimit = lo(from.ldtr.limit);
    c.ldtBase = lo(from.ldtr.base);
  }
  if (mtd & Mtd.GDTR) {
    c.gdtLimit = from.gdtr.limit & 0xffff;
    c.gdtBase = lo(from.gdtr.base);
  }
  if (mtd & Mtd.IDTR) {
    c.idtLimit = from.idtr.limit & 0xffff;
    c.idtBase = lo(from.idtr.base);
  }
  if (mtd & Mtd.DR) c.dr[7] = lo(from.dr7);
  if (mtd & Mtd.SYS) {
    c.msrs.set(SYSENTER_CS, BigInt(from.sysenterCs % 2 ** 32));
    c.msrs.set(SYSENTER_ESP, BigInt(from.sysenterRsp % 2 ** 32));
    c.msrs.set(SYSENTER_EIP, BigInt(from.sysenterRip % 2 ** 32));
  }
  if (mode) {
    c.refreshMode();
    c.setCpl(c.v86Mode ? 3 : c.protectedMode ? (c.segAttr[Seg.SS]! >> 5) & 3 : 0);
  }
  if (paging) c.flushTlb();
  if (mtd & EXTRA_GROUPS) copyExtra(extra, from, mtd);
}
