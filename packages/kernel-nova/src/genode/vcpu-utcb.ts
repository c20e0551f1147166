import type { VcpuState } from '@genode-ts/genode-base';
import { Mtd } from '../mtd.js';
import { UtcbOffset as F, type Utcb } from '../utcb.js';
import type { Segment } from '../vcpu-state.js';

type GenodeSegment = VcpuState['cs'];

type WordField =
  | 'tscVal'
  | 'tscOff'
  | 'pdpte0'
  | 'pdpte1'
  | 'pdpte2'
  | 'pdpte3'
  | 'star'
  | 'lstar'
  | 'cstar'
  | 'sfmask'
  | 'kernelGsBase';

/** A 64-bit field as a bigint, exactly (numbers lose bits above 2^53). */
function big(u: Utcb, f: WordField): bigint {
  return u.view.getBigUint64(u.base + F[f], true);
}

function setBig(u: Utcb, f: WordField, b: bigint): void {
  u.view.setBigUint64(u.base + F[f], BigInt.asUintN(64, b), true);
}

function seg(s: Segment, into: GenodeSegment): void {
  into.sel = s.sel;
  into.ar = s.ar;
  into.limit = s.limit;
  into.base = s.base;
}

/**
 * Read the guest state a vCPU-exit message carries (spec/nova.md §5.2: the fields selected by
 * `mtd`, and the exit reason always) from a handler's UTCB into genode-base's `VcpuState`.
 */
export function readVcpuState(u: Utcb, mtd: number, s: VcpuState): void {
  if (mtd & Mtd.ACDB) {
    s.ax = u.word(F.rax);
    s.cx = u.word(F.rcx);
    s.dx = u.word(F.rdx);
    s.bx = u.word(F.rbx);
  }
  if (mtd & Mtd.EBSD) {
    s.bp = u.word(F.rbp);
    s.si = u.word(F.rsi);
    s.di = u.word(F.rdi);
  }
  if (mtd & Mtd.ESP) s.sp = u.word(F.rsp);
  if (mtd & Mtd.EIP) {
    s.ip = u.word(F.rip);
    s.instLen = u.word(F.instLen);
  }
  if (mtd & Mtd.EFL) s.flags = u.word(F.rflags);
  if (mtd & Mtd.R8_R15) {
    s.r8 = u.word(F.r8);
    s.r9 = u.word(F.r9);
    s.r10 = u.word(F.r10);
    s.r11 = u.word(F.r11);
    s.r12 = u.word(F.r12);
    s.r13 = u.word(F.r13);
    s.r14 = u.word(F.r14);
    s.r15 = u.word(F.r15);
  }
  if (mtd & Mtd.ESDS) {
    seg(u.segment('es'), s.es);
    seg(u.segment('ds'), s.ds);
  }
  if (mtd & Mtd.FSGS) {
    seg(u.segment('fs'), s.fs);
    seg(u.segment('gs'), s.gs);
  }
  if (mtd & Mtd.CSSS) {
    seg(u.segment('cs'), s.cs);
    seg(u.segment('ss'), s.ss);
  }
  if (mtd & Mtd.TR) seg(u.segment('tr'), s.tr);
  if (mtd & Mtd.LDTR) seg(u.segment('ldtr'), s.ldtr);
  if (mtd & Mtd.GDTR) {
    const g = u.segment('gdtr');
    s.gdtr.limit = g.limit;
    s.gdtr.base = g.base;
  }
  if (mtd & Mtd.IDTR) {
    const g = u.segment('idtr');
    s.idtr.limit = g.limit;
    s.idtr.base = g.base;
  }
  if (mtd & Mtd.CR) {
    s.cr0 = u.word(F.cr0);
    s.cr2 = u.word(F.cr2);
    s.cr3 = u.word(F.cr3);
    s.cr4 = u.word(F.cr4);
  }
  if (mtd & Mtd.DR) s.dr7 = u.word(F.dr7);
  if (mtd & Mtd.SYS) {
    s.sysenterCs = u.word(F.sysenterCs);
    s.sysenterSp = u.word(F.sysenterRsp);
    s.sysenterIp = u.word(F.sysenterRip);
  }
  if (mtd & Mtd.QUAL) {
    s.qual0 = u.word(F.qual0);
    s.qual1 = u.word(F.qual1);
  }
  if (mtd & Mtd.INJ) {
    s.injInfo = u.dword(F.intrInfo);
    s.injError = u.dword(F.intrError);
  }
  if (mtd & Mtd.STA) {
    s.intrState = u.dword(F.intrState);
    s.actvState = u.dword(F.actvState);
  }
  if (mtd & Mtd.TSC) {
    s.tsc = big(u, 'tscVal');
    s.tscOffset = big(u, 'tscOff');
  }
  if (mtd & Mtd.TSC_AUX) s.tscAux = u.word(F.tscAux);
  if (mtd & Mtd.EFER) s.efer = u.word(F.efer);
  if (mtd & Mtd.PDPTE) {
    s.pdpte = [big(u, 'pdpte0'), big(u, 'pdpte1'), big(u, 'pdpte2'), big(u, 'pdpte3')];
  }
  if (mtd & Mtd.SYSCALL_SWAPGS) {
    s.star = big(u, 'star');
    s.lstar = big(u, 'lstar');
    s.cstar = big(u, 'cstar');
    s.sfmask = big(u, 'sfmask');
    s.kernelGsBase = big(u, 'kernelGsBase');
  }
  if (mtd & Mtd.TPR) {
    s.tpr = u.dword(F.tpr);
    s.tprThreshold = u.dword(F.tprThreshold);
  }
  if (mtd & Mtd.XSAVE) {
    s.xcr0 = u.word(F.xcr0);
    s.xss = u.word(F.xss);
  }
  // base-nova `_read_nova_state`: the FPU area is copied when the MTD has FPU.
  if (mtd & Mtd.FPU) s.fpu.set(u.fpuImage());
  s.exitReason = u.word(F.exitReason);
}

/**
 * Write the state a handler's reply (or `ec_ctrl` set-state) carries into the UTCB: the fields
 * selected by `mtd` (QUAL is read only and not written; CTRL is write only), and set the UTCB's
 * `mtd` word. A written TSC offset is added to the vCPU's by the kernel (NOVA).
 */
export function writeVcpuState(s: VcpuState, mtd: number, u: Utcb): void {
  if (mtd & Mtd.ACDB) {
    u.setWord(F.rax, s.ax);
    u.setWord(F.rcx, s.cx);
    u.setWord(F.rdx, s.dx);
    u.setWord(F.rbx, s.bx);
  }
  if (mtd & Mtd.EBSD) {
    u.setWord(F.rbp, s.bp);
    u.setWord(F.rsi, s.si);
    u.setWord(F.rdi, s.di);
  }
  if (mtd & Mtd.ESP) u.setWord(F.rsp, s.sp);
  if (mtd & Mtd.EIP) {
    u.setWord(F.rip, s.ip);
    u.setWord(F.instLen, s.instLen);
  }
  if (mtd & Mtd.EFL) u.setWord(F.rflags, s.flags);
  if (mtd & Mtd.R8_R15) {
    u.setWord(F.r8, s.r8);
    u.setWord(F.r9, s.r9);
    u.setWord(F.r10, s.r10);
    u.setWord(F.r11, s.r11);
    u.setWord(F.r12, s.r12);
    u.setWord(F.r13, s.r13);
    u.setWord(F.r14, s.r14);
    u.setWord(F.r15, s.r15);
  }
  if (mtd & Mtd.ESDS) {
    u.setSegment('es', s.es);
    u.setSegment('ds', s.ds);
  }
  if (mtd & Mtd.FSGS) {
    u.setSegment('fs', s.fs);
    u.setSegment('gs', s.gs);
  }
  if (mtd & Mtd.CSSS) {
    u.setSegment('cs', s.cs);
    u.setSegment('ss', s.ss);
  }
  if (mtd & Mtd.TR) u.setSegment('tr', s.tr);
  if (mtd & Mtd.LDTR) u.setSegment('ldtr', s.ldtr);
  if (mtd & Mtd.GDTR) u.setSegment('gdtr', { sel: 0, ar: 0, limit: s.gdtr.limit, base: s.gdtr.base });
  if (mtd & Mtd.IDTR) u.setSegment('idtr', { sel: 0, ar: 0, limit: s.idtr.limit, base: s.idtr.base });
  if (mtd & Mtd.CR) {
    u.setWord(F.cr0, s.cr0);
    u.setWord(F.cr2, s.cr2);
    u.setWord(F.cr3, s.cr3);
    u.setWord(F.cr4, s.cr4);
  }
  if (mtd & Mtd.DR) u.setWord(F.dr7, s.dr7);
  if (mtd & Mtd.SYS) {
    u.setWord(F.sysenterCs, s.sysenterCs);
    u.setWord(F.sysenterRsp, s.sysenterSp);
    u.setWord(F.sysenterRip, s.sysenterIp);
  }
  if (mtd & Mtd.CTRL) {
    u.setDword(F.ctrl0, s.ctrl0);
    u.setDword(F.ctrl1, s.ctrl1);
  }
  if (mtd & Mtd.INJ) {
    u.setDword(F.intrInfo, s.injInfo);
    u.setDword(F.intrError, s.injError);
  }
  if (mtd & Mtd.STA) {
    u.setDword(F.intrState, s.intrState);
    u.setDword(F.actvState, s.actvState);
  }
  if (mtd & Mtd.TSC) setBig(u, 'tscOff', s.tscOffset);
  if (mtd & Mtd.TSC_AUX) u.setWord(F.tscAux, s.tscAux);
  if (mtd & Mtd.EFER) u.setWord(F.efer, s.efer);
  if (mtd & Mtd.PDPTE) {
    setBig(u, 'pdpte0', s.pdpte[0]);
    setBig(u, 'pdpte1', s.pdpte[1]);
    setBig(u, 'pdpte2', s.pdpte[2]);
    setBig(u, 'pdpte3', s.pdpte[3]);
  }
  if (mtd & Mtd.SYSCALL_SWAPGS) {
    setBig(u, 'star', s.star);
    setBig(u, 'lstar', s.lstar);
    setBig(u, 'cstar', s.cstar);
    setBig(u, 'sfmask', s.sfmask);
    setBig(u, 'kernelGsBase', s.kernelGsBase);
  }
  if (mtd & Mtd.TPR) {
    u.setDword(F.tpr, s.tpr);
    u.setDword(F.tprThreshold, s.tprThreshold);
  }
  if (mtd & Mtd.XSAVE) {
    u.setWord(F.xcr0, s.xcr0);
    u.setWord(F.xss, s.xss);
  }
  if (mtd & Mtd.FPU) u.fpuImage().set(s.fpu);
  u.mtd = mtd;
}
