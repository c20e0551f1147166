import {
  copyVcpuState,
  type DescriptorTableRegister,
  MTD,
  type Segment,
  type VcpuState,
} from '../kernel/vcpu-state.js';

/**
 * One register of `Genode::Vcpu_state`: the value delivered with the exit, and whether the
 * handler changed it (`charge`). Only charged registers are written back.
 */
export class Vcpu_register<T> {
  #value: T;
  #charged = false;

  constructor(value: T) {
    this.#value = value;
  }

  /** The current value. */
  value(): T {
    return this.#value;
  }

  /** Set the value; it will be written back to the vCPU. */
  charge(value: T): void {
    this.#value = value;
    this.#charged = true;
  }

  /** Whether the handler set the value. */
  charged(): boolean {
    return this.#charged;
  }
}

type Reg = Vcpu_register<number>;
type Big = Vcpu_register<bigint>;

function n(v: number): Reg {
  return new Vcpu_register(v);
}
function b(v: bigint): Big {
  return new Vcpu_register(v);
}
function seg(s: Segment): Vcpu_register<Segment> {
  return new Vcpu_register({ ...s });
}
function range(r: DescriptorTableRegister): Vcpu_register<DescriptorTableRegister> {
  return new Vcpu_register({ ...r });
}

/**
 * `Genode::Vcpu_state` (x86, 2023+): the guest state presented to a VMM's exit handler inside
 * `Vcpu::with_state`. Registers keep Genode's names; `charge()` marks what to write back. The
 * kernel-level record is {@link VcpuState}; which groups of it a write-back touches follows
 * NOVA's MTD bits.
 */
export class Vcpu_state {
  readonly ax: Reg;
  readonly cx: Reg;
  readonly dx: Reg;
  readonly bx: Reg;
  readonly bp: Reg;
  readonly si: Reg;
  readonly di: Reg;
  readonly sp: Reg;
  readonly ip: Reg;
  readonly ip_len: Reg;
  readonly flags: Reg;
  readonly r8: Reg;
  readonly r9: Reg;
  readonly r10: Reg;
  readonly r11: Reg;
  readonly r12: Reg;
  readonly r13: Reg;
  readonly r14: Reg;
  readonly r15: Reg;
  readonly es: Vcpu_register<Segment>;
  readonly cs: Vcpu_register<Segment>;
  readonly ss: Vcpu_register<Segment>;
  readonly ds: Vcpu_register<Segment>;
  readonly fs: Vcpu_register<Segment>;
  readonly gs: Vcpu_register<Segment>;
  readonly tr: Vcpu_register<Segment>;
  readonly ldtr: Vcpu_register<Segment>;
  readonly gdtr: Vcpu_register<DescriptorTableRegister>;
  readonly idtr: Vcpu_register<DescriptorTableRegister>;
  readonly cr0: Reg;
  readonly cr2: Reg;
  readonly cr3: Reg;
  readonly cr4: Reg;
  readonly dr7: Reg;
  readonly sysenter_cs: Reg;
  readonly sysenter_sp: Reg;
  readonly sysenter_ip: Reg;
  /** Exit qualifications (read-only): SVM exitinfo1/exitinfo2. */
  readonly qual_primary: Reg;
  readonly qual_secondary: Reg;
  readonly ctrl_primary: Reg;
  readonly ctrl_secondary: Reg;
  readonly inj_info: Reg;
  readonly inj_error: Reg;
  readonly intr_state: Reg;
  readonly actv_state: Reg;
  readonly tsc: Big;
  /** A TSC-offset *delta*: on write-back it is added to the current offset (NOVA). Starts at 0. */
  readonly tsc_offset: Big;
  readonly tsc_aux: Reg;
  readonly efer: Reg;
  readonly pdpte_0: Big;
  readonly pdpte_1: Big;
  readonly pdpte_2: Big;
  readonly pdpte_3: Big;
  readonly star: Big;
  readonly lstar: Big;
  readonly cstar: Big;
  readonly fmask: Big;
  readonly kernel_gs_base: Big;
  readonly tpr: Reg;
  readonly tpr_threshold: Reg;
  readonly xcr0: Reg;
  readonly xss: Reg;
  /** Exit reason (SVM numbering). */
  readonly exit_reason: number;

  constructor(s: VcpuState) {
    this.ax = n(s.ax);
    this.cx = n(s.cx);
    this.dx = n(s.dx);
    this.bx = n(s.bx);
    this.bp = n(s.bp);
    this.si = n(s.si);
    this.di = n(s.di);
    this.sp = n(s.sp);
    this.ip = n(s.ip);
    this.ip_len = n(s.instLen);
    this.flags = n(s.flags);
    this.r8 = n(s.r8);
    this.r9 = n(s.r9);
    this.r10 = n(s.r10);
    this.r11 = n(s.r11);
    this.r12 = n(s.r12);
    this.r13 = n(s.r13);
    this.r14 = n(s.r14);
    this.r15 = n(s.r15);
    this.es = seg(s.es);
    this.cs = seg(s.cs);
    this.ss = seg(s.ss);
    this.ds = seg(s.ds);
    this.fs = seg(s.fs);
    this.gs = seg(s.gs);
    this.tr = seg(s.tr);
    this.ldtr = seg(s.ldtr);
    this.gdtr = range(s.gdtr);
    this.idtr = range(s.idtr);
    this.cr0 = n(s.cr0);
    this.cr2 = n(s.cr2);
    this.cr3 = n(s.cr3);
    this.cr4 = n(s.cr4);
    this.dr7 = n(s.dr7);
    this.sysenter_cs = n(s.sysenterCs);
    this.sysenter_sp = n(s.sysenterSp);
    this.sysenter_ip = n(s.sysenterIp);
    this.qual_primary = n(s.qual0);
    this.qual_secondary = n(s.qual1);
    this.ctrl_primary = n(s.ctrl0);
    this.ctrl_secondary = n(s.ctrl1);
    this.inj_info = n(s.injInfo);
    this.inj_error = n(s.injError);
    this.intr_state = n(s.intrState);
    this.actv_state = n(s.actvState);
    this.tsc = b(s.tsc);
    this.tsc_offset = b(0n);
    this.tsc_aux = n(s.tscAux);
    this.efer = n(s.efer);
    this.pdpte_0 = b(s.pdpte[0]);
    this.pdpte_1 = b(s.pdpte[1]);
    this.pdpte_2 = b(s.pdpte[2]);
    this.pdpte_3 = b(s.pdpte[3]);
    this.star = b(s.star);
    this.lstar = b(s.lstar);
    this.cstar = b(s.cstar);
    this.fmask = b(s.sfmask);
    this.kernel_gs_base = b(s.kernelGsBase);
    this.tpr = n(s.tpr);
    this.tpr_threshold = n(s.tprThreshold);
    this.xcr0 = n(s.xcr0);
    this.xss = n(s.xss);
    this.exit_reason = s.exitReason;
  }

  /** The MTD bits of every group with at least one charged register. */
  charged_mtd(): number {
    const any = (...r: { charged(): boolean }[]): boolean => r.some((x) => x.charged());
    let m = 0;
    if (any(this.ax, this.cx, this.dx, this.bx)) m |= MTD.ACDB;
    if (any(this.bp, this.si, this.di)) m |= MTD.EBSD;
    if (any(this.sp)) m |= MTD.ESP;
    if (any(this.ip, this.ip_len)) m |= MTD.EIP;
    if (any(this.flags)) m |= MTD.EFL;
    if (any(this.es, this.ds)) m |= MTD.ESDS;
    if (any(this.fs, this.gs)) m |= MTD.FSGS;
    if (any(this.cs, this.ss)) m |= MTD.CSSS;
    if (any(this.tr)) m |= MTD.TR;
    if (any(this.ldtr)) m |= MTD.LDTR;
    if (any(this.gdtr)) m |= MTD.GDTR;
    if (any(this.idtr)) m |= MTD.IDTR;
    if (any(this.cr0, this.cr2, this.cr3, this.cr4)) m |= MTD.CR;
    if (any(this.dr7)) m |= MTD.DR;
    if (any(this.sysenter_cs, this.sysenter_sp, this.sysenter_ip)) m |= MTD.SYS;
    if (any(this.ctrl_primary, this.ctrl_secondary)) m |= MTD.CTRL;
    if (any(this.inj_info, this.inj_error)) m |= MTD.INJ;
    if (any(this.intr_state, this.actv_state)) m |= MTD.STA;
    if (any(this.tsc_offset)) m |= MTD.TSC;
    if (any(this.tsc_aux)) m |= MTD.TSC_AUX;
    if (any(this.efer)) m |= MTD.EFER;
    if (any(this.pdpte_0, this.pdpte_1, this.pdpte_2, this.pdpte_3)) m |= MTD.PDPTE;
    if (any(this.r8, this.r9, this.r10, this.r11, this.r12, this.r13, this.r14, this.r15)) m |= MTD.R8_R15;
    if (any(this.star, this.lstar, this.cstar, this.fmask, this.kernel_gs_base)) m |= MTD.SYSCALL_SWAPGS;
    if (any(this.tpr, this.tpr_threshold)) m |= MTD.TPR;
    if (any(this.xcr0, this.xss)) m |= MTD.XSAVE;
    return m >>> 0;
  }

  /** Write the values into a kernel record (all groups; the mask decides what counts). */
  write_to(s: VcpuState): void {
    const src: VcpuState = {
      ...s,
      ax: this.ax.value(),
      cx: this.cx.value(),
      dx: this.dx.value(),
      bx: this.bx.value(),
      bp: this.bp.value(),
      si: this.si.value(),
      di: this.di.value(),
      sp: this.sp.value(),
      ip: this.ip.value(),
      instLen: this.ip_len.value(),
      flags: this.flags.value(),
      r8: this.r8.value(),
      r9: this.r9.value(),
      r10: this.r10.value(),
      r11: this.r11.value(),
      r12: this.r12.value(),
      r13: this.r13.value(),
      r14: this.r14.value(),
      r15: this.r15.value(),
      es: this.es.value(),
      cs: this.cs.value(),
      ss: this.ss.value(),
      ds: this.ds.value(),
      fs: this.fs.value(),
      gs: this.gs.value(),
      tr: this.tr.value(),
      ldtr: this.ldtr.value(),
      gdtr: this.gdtr.value(),
      idtr: this.idtr.value(),
      cr0: this.cr0.value(),
      cr2: this.cr2.value(),
      cr3: this.cr3.value(),
      cr4: this.cr4.value(),
      dr7: this.dr7.value(),
      sysenterCs: this.sysenter_cs.value(),
      sysenterSp: this.sysenter_sp.value(),
      sysenterIp: this.sysenter_ip.value(),
      ctrl0: this.ctrl_primary.value(),
      ctrl1: this.ctrl_secondary.value(),
      injInfo: this.inj_info.value(),
      injError: this.inj_error.value(),
      intrState: this.intr_state.value(),
      actvState: this.actv_state.value(),
      tsc: this.tsc.value(),
      tscOffset: this.tsc_offset.value(),
      tscAux: this.tsc_aux.value(),
      efer: this.efer.value(),
      pdpte: [this.pdpte_0.value(), this.pdpte_1.value(), this.pdpte_2.value(), this.pdpte_3.value()],
      star: this.star.value(),
      lstar: this.lstar.value(),
      cstar: this.cstar.value(),
      sfmask: this.fmask.value(),
      kernelGsBase: this.kernel_gs_base.value(),
      tpr: this.tpr.value(),
      tprThreshold: this.tpr_threshold.value(),
      xcr0: this.xcr0.value(),
      xss: this.xss.value(),
    };
    copyVcpuState(s, src, 0xffffffff & ~MTD.QUAL);
  }
}
