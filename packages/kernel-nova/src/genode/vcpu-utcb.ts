import type { VcpuState } from '@genode-ts/genode-base';
import { Mtd } from '../mtd.js';
import { type Utcb, UtcbField } from '../utcb.js';
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
  return u.view.getBigUint64(u.base + UtcbField[f][0], true);
}

function setBig(u: Utcb, f: WordField, b: bigint): void {
  u.view.setBigUint64(u.base + UtcbField[f][0], BigInt.asUintN(64, b), true);
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
    s.ax = u.get('rax');
    s.cx = u.get('rcx');
    s.dx = u.get('rdx');
    s.bx = u.get('rbx');
  }
  if (mtd & Mtd.EBSD) {
    s.bp = u.get('rbp');
    s.si = u.get('rsi');
    s.di = u.get('rdi');
  }
  if (mtd & Mtd.ESP) s.sp = u.get('rsp');
  if (mtd & Mtd.EIP) {
    s.ip = u.get('rip');
    s.instLen = u.get('instLen');
  }
  if (mtd & Mtd.EFL) s.flags = u.get('rflags');
  if (mtd & Mtd.R8_R15) {
    s.r8 = u.get('r8');
    s.r9 = u.get('r9');
    s.r10 = u.get('r10');
    s.r11 = u.get('r11');
    s.r12 = u.get('r12');
    s.r13 = u.get('r13');
    s.r14 = u.get('r14');
    s.r15 = u.get('r15');
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
    s.cr0 = u.get('cr0');
    s.cr2 = u.get('cr2');
    s.cr3 = u.get('cr3');
    s.cr4 = u.get('cr4');
  }
  if (mtd & Mtd.DR) s.dr7 = u.get('dr7');
  if (mtd & Mtd.SYS) {
    s.sysenterCs = u.get('sysenterCs');
    s.sysenterSp = u.get('sysenterRsp');
    s.sysenterIp = u.get('sysenterRip');
  }
  if (mtd & Mtd.QUAL) {
    s.qual0 = u.get('qual0');
    s.qual1 = u.get('qual1');
  }
  if (mtd & Mtd.INJ) {
    s.injInfo = u.get('intrInfo');
    s.injError = u.get('intrError');
  }
  if (mtd & Mtd.STA) {
    s.intrState = u.get('intrState');
    s.actvState = u.get('actvState');
  }
  if (mtd & Mtd.TSC) {
    s.tsc = big(u, 'tscVal');
    s.tscOffset = big(u, 'tscOff');
  }
  if (mtd & Mtd.TSC_AUX) s.tscAux = u.get('tscAux');
  if (mtd & Mtd.EFER) s.efer = u.get('efer');
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
    s.tpr = u.get('tpr');
    s.tprThreshold = u.get('tprThreshold');
  }
  if (mtd & Mtd.XSAVE) {
    s.xcr0 = u.get('xcr0');
    s.xss = u.get('xss');
  }
  s.exitReason = u.get('exitReason');
}

/**
 * Write the state a handler's reply (or `ec_ctrl` set-state) carries into the UTCB: the fields
 * selected by `mtd` (QUAL is read only and not written; CTRL is write only), and set the UTCB's
 * `mtd` word. A written TSC offset is added to the vCPU's by the kernel (NOVA).
 */
export function writeVcpuState(s: VcpuState, mtd: number, u: Utcb): void {
  if (mtd & Mtd.ACDB) {
    u.set('rax', s.ax);
    u.set('rcx', s.cx);
    u.set('rdx', s.dx);
    u.set('rbx', s.bx);
  }
  if (mtd & Mtd.EBSD) {
    u.set('rbp', s.bp);
    u.set('rsi', s.si);
    u.set('rdi', s.di);
  }
  if (mtd & Mtd.ESP) u.set('rsp', s.sp);
  if (mtd & Mtd.EIP) {
    u.set('rip', s.ip);
    u.set('instLen', s.instLen);
  }
  if (mtd & Mtd.EFL) u.set('rflags', s.flags);
  if (mtd & Mtd.R8_R15) {
    u.set('r8', s.r8);
    u.set('r9', s.r9);
    u.set('r10', s.r10);
    u.set('r11', s.r11);
    u.set('r12', s.r12);
    u.set('r13', s.r13);
    u.set('r14', s.r14);
    u.set('r15', s.r15);
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
    u.set('cr0', s.cr0);
    u.set('cr2', s.cr2);
    u.set('cr3', s.cr3);
    u.set('cr4', s.cr4);
  }
  if (mtd & Mtd.DR) u.set('dr7', s.dr7);
  if (mtd & Mtd.SYS) {
    u.set('sysenterCs', s.sysenterCs);
    u.set('sysenterRsp', s.sysenterSp);
    u.set('sysenterRip', s.sysenterIp);
  }
  if (mtd & Mtd.CTRL) {
    u.set('ctrl0', s.ctrl0);
    u.set('ctrl1', s.ctrl1);
  }
  if (mtd & Mtd.INJ) {
    u.set('intrInfo', s.injInfo);
    u.set('intrError', s.injError);
  }
  if (mtd & Mtd.STA) {
    u.set('intrState', s.intrState);
    u.set('actvState', s.actvState);
  }
  if (mtd & Mtd.TSC) setBig(u, 'tscOff', s.tscOffset);
  if (mtd & Mtd.TSC_AUX) u.set('tscAux', s.tscAux);
  if (mtd & Mtd.EFER) u.set('efer', s.efer);
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
    u.set('tpr', s.tpr);
    u.set('tprThreshold', s.tprThreshold);
  }
  if (mtd & Mtd.XSAVE) {
    u.set('xcr0', s.xcr0);
    u.set('xss', s.xss);
  }
  u.mtd = mtd;
}
