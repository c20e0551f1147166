import {
  copyVcpuState,
  createVcpuState,
  type DescriptorTableRegister,
  MTD,
  type Segment,
  VCPU_FPU_BYTES,
  type VcpuState,
} from '../kernel/vcpu-state.js';

/** Where the registers of one {@link Vcpu_state} record the MTD groups they were charged in. */
interface Charge_sink {
  mask: number;
}

/**
 * One register of `Genode::Vcpu_state`: the value delivered with the exit, and whether the
 * handler changed it (`charge`). Only charged registers are written back.
 */
export class Vcpu_register<T> {
  #value: T;
  #charged = false;
  readonly #sink: Charge_sink | undefined;
  readonly #mtd: number;

  /** `mtd`: the MTD group the register belongs to, recorded in `sink` when it is charged. */
  constructor(value: T, sink?: Charge_sink, mtd = 0) {
    this.#value = value;
    this.#sink = sink;
    this.#mtd = mtd;
  }

  /** The current value. */
  value(): T {
    return this.#value;
  }

  /** Set the value; it will be written back to the vCPU. */
  charge(value: T): void {
    this.#value = value;
    this.#charged = true;
    if (this.#sink !== undefined) this.#sink.mask |= this.#mtd;
  }

  /** Whether the handler set the value. */
  charged(): boolean {
    return this.#charged;
  }

  /** @internal The value of a new exit, not charged (the state object lives as long as the vCPU). */
  reload(value: T): void {
    this.#value = value;
    this.#charged = false;
  }
}

/**
 * `Genode::Vcpu_state::Fpu` (base/include/spec/x86/cpu/vcpu_state.h, Genode 23.05+): the vCPU's
 * FPU state as the 512-byte FXSAVE image (`Fpu::State`, Intel SDM vol. 1, Table 10-2: FCW at 0,
 * FSW at 2, abridged FTW at 4, ST0–ST7 as 80-bit values in 16-byte slots from byte 32). Read it
 * with {@link Vcpu_fpu.with_state}; change it with {@link Vcpu_fpu.charge}, which marks it for
 * write-back (MTD FPU). The exit delivers it only when the portal's MTD has `MTD.FPU`.
 */
export class Vcpu_fpu {
  private readonly buffer: Uint8Array = new Uint8Array(VCPU_FPU_BYTES);
  /** The exit record's image, copied into `buffer` at the first access after a (re)load. */
  private source: Uint8Array | null;
  private isCharged = false;
  private readonly sink: Charge_sink | undefined;

  /** `source`: the image of the exit (copied lazily); `sink` records MTD FPU when charged. */
  constructor(source: Uint8Array, sink?: Charge_sink) {
    this.source = source;
    this.sink = sink;
  }

  /** Whether the handler charged the state (it will be written back). */
  charged(): boolean {
    return this.isCharged;
  }

  /**
   * Call `fn` with the 512-byte image (Genode passes `Fpu::State const &`: read it, change it
   * only through {@link charge}).
   */
  with_state(fn: (state: Uint8Array) => void): void {
    fn(this.current());
  }

  /** Call `fn` to change the image in place; the image is written back to the vCPU (MTD FPU). */
  charge(fn: (state: Uint8Array) => void): void {
    const b = this.current();
    this.isCharged = true;
    if (this.sink !== undefined) this.sink.mask |= MTD.FPU;
    fn(b);
  }

  /** @internal The image of a new exit, not charged. */
  reload(source: Uint8Array): void {
    this.source = source;
    this.isCharged = false;
  }

  /** @internal Copy the image into `dst` (a kernel record's `fpu`). */
  copy_to(dst: Uint8Array): void {
    dst.set(this.current());
  }

  private current(): Uint8Array {
    if (this.source !== null) {
      this.buffer.set(this.source.subarray(0, VCPU_FPU_BYTES));
      this.source = null;
    }
    return this.buffer;
  }
}

type Reg = Vcpu_register<number>;
type Big = Vcpu_register<bigint>;

/** A copy of a segment register (the handler may keep or change it without touching the record). */
function segment(x: Segment): Segment {
  return { sel: x.sel, ar: x.ar, limit: x.limit, base: x.base };
}

function dtr(x: DescriptorTableRegister): DescriptorTableRegister {
  return { limit: x.limit, base: x.base };
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
  /** The FPU image (MTD FPU): `charge(fn)` / `with_state(fn)` as Genode's `Vcpu_state::Fpu`. */
  readonly fpu: Vcpu_fpu;
  private readonly sink: Charge_sink = { mask: 0 };
  /** Scratch record for {@link write_to} (no allocation per exit). */
  private readonly out: VcpuState = createVcpuState();
  // Not a #private field: a VMM may wrap the state in a Proxy (the vmm package's MTD discipline).
  private exitReasonValue: number;

  constructor(s: VcpuState) {
    const sink = this.sink;
    this.ax = new Vcpu_register(s.ax, sink, MTD.ACDB);
    this.cx = new Vcpu_register(s.cx, sink, MTD.ACDB);
    this.dx = new Vcpu_register(s.dx, sink, MTD.ACDB);
    this.bx = new Vcpu_register(s.bx, sink, MTD.ACDB);
    this.bp = new Vcpu_register(s.bp, sink, MTD.EBSD);
    this.si = new Vcpu_register(s.si, sink, MTD.EBSD);
    this.di = new Vcpu_register(s.di, sink, MTD.EBSD);
    this.sp = new Vcpu_register(s.sp, sink, MTD.ESP);
    this.ip = new Vcpu_register(s.ip, sink, MTD.EIP);
    this.ip_len = new Vcpu_register(s.instLen, sink, MTD.EIP);
    this.flags = new Vcpu_register(s.flags, sink, MTD.EFL);
    this.r8 = new Vcpu_register(s.r8, sink, MTD.R8_R15);
    this.r9 = new Vcpu_register(s.r9, sink, MTD.R8_R15);
    this.r10 = new Vcpu_register(s.r10, sink, MTD.R8_R15);
    this.r11 = new Vcpu_register(s.r11, sink, MTD.R8_R15);
    this.r12 = new Vcpu_register(s.r12, sink, MTD.R8_R15);
    this.r13 = new Vcpu_register(s.r13, sink, MTD.R8_R15);
    this.r14 = new Vcpu_register(s.r14, sink, MTD.R8_R15);
    this.r15 = new Vcpu_register(s.r15, sink, MTD.R8_R15);
    this.es = new Vcpu_register(segment(s.es), sink, MTD.ESDS);
    this.cs = new Vcpu_register(segment(s.cs), sink, MTD.CSSS);
    this.ss = new Vcpu_register(segment(s.ss), sink, MTD.CSSS);
    this.ds = new Vcpu_register(segment(s.ds), sink, MTD.ESDS);
    this.fs = new Vcpu_register(segment(s.fs), sink, MTD.FSGS);
    this.gs = new Vcpu_register(segment(s.gs), sink, MTD.FSGS);
    this.tr = new Vcpu_register(segment(s.tr), sink, MTD.TR);
    this.ldtr = new Vcpu_register(segment(s.ldtr), sink, MTD.LDTR);
    this.gdtr = new Vcpu_register(dtr(s.gdtr), sink, MTD.GDTR);
    this.idtr = new Vcpu_register(dtr(s.idtr), sink, MTD.IDTR);
    this.cr0 = new Vcpu_register(s.cr0, sink, MTD.CR);
    this.cr2 = new Vcpu_register(s.cr2, sink, MTD.CR);
    this.cr3 = new Vcpu_register(s.cr3, sink, MTD.CR);
    this.cr4 = new Vcpu_register(s.cr4, sink, MTD.CR);
    this.dr7 = new Vcpu_register(s.dr7, sink, MTD.DR);
    this.sysenter_cs = new Vcpu_register(s.sysenterCs, sink, MTD.SYS);
    this.sysenter_sp = new Vcpu_register(s.sysenterSp, sink, MTD.SYS);
    this.sysenter_ip = new Vcpu_register(s.sysenterIp, sink, MTD.SYS);
    this.qual_primary = new Vcpu_register(s.qual0, sink, 0);
    this.qual_secondary = new Vcpu_register(s.qual1, sink, 0);
    this.ctrl_primary = new Vcpu_register(s.ctrl0, sink, MTD.CTRL);
    this.ctrl_secondary = new Vcpu_register(s.ctrl1, sink, MTD.CTRL);
    this.inj_info = new Vcpu_register(s.injInfo, sink, MTD.INJ);
    this.inj_error = new Vcpu_register(s.injError, sink, MTD.INJ);
    this.intr_state = new Vcpu_register(s.intrState, sink, MTD.STA);
    this.actv_state = new Vcpu_register(s.actvState, sink, MTD.STA);
    this.tsc = new Vcpu_register(s.tsc, sink, MTD.TSC);
    this.tsc_offset = new Vcpu_register(0n, sink, MTD.TSC);
    this.tsc_aux = new Vcpu_register(s.tscAux, sink, MTD.TSC_AUX);
    this.efer = new Vcpu_register(s.efer, sink, MTD.EFER);
    this.pdpte_0 = new Vcpu_register(s.pdpte[0], sink, MTD.PDPTE);
    this.pdpte_1 = new Vcpu_register(s.pdpte[1], sink, MTD.PDPTE);
    this.pdpte_2 = new Vcpu_register(s.pdpte[2], sink, MTD.PDPTE);
    this.pdpte_3 = new Vcpu_register(s.pdpte[3], sink, MTD.PDPTE);
    this.star = new Vcpu_register(s.star, sink, MTD.SYSCALL_SWAPGS);
    this.lstar = new Vcpu_register(s.lstar, sink, MTD.SYSCALL_SWAPGS);
    this.cstar = new Vcpu_register(s.cstar, sink, MTD.SYSCALL_SWAPGS);
    this.fmask = new Vcpu_register(s.sfmask, sink, MTD.SYSCALL_SWAPGS);
    this.kernel_gs_base = new Vcpu_register(s.kernelGsBase, sink, MTD.SYSCALL_SWAPGS);
    this.tpr = new Vcpu_register(s.tpr, sink, MTD.TPR);
    this.tpr_threshold = new Vcpu_register(s.tprThreshold, sink, MTD.TPR);
    this.xcr0 = new Vcpu_register(s.xcr0, sink, MTD.XSAVE);
    this.xss = new Vcpu_register(s.xss, sink, MTD.XSAVE);
    this.fpu = new Vcpu_fpu(s.fpu, sink);
    this.exitReasonValue = s.exitReason;
  }

  /** Exit reason (SVM numbering). */
  get exit_reason(): number {
    return this.exitReasonValue;
  }

  /**
   * @internal Present the state of a new exit: every register takes the exit's value and
   * nothing is charged. Genode's `Vcpu_state` likewise lives as long as its vCPU.
   */
  load(s: VcpuState): void {
    this.sink.mask = 0;
    this.ax.reload(s.ax);
    this.cx.reload(s.cx);
    this.dx.reload(s.dx);
    this.bx.reload(s.bx);
    this.bp.reload(s.bp);
    this.si.reload(s.si);
    this.di.reload(s.di);
    this.sp.reload(s.sp);
    this.ip.reload(s.ip);
    this.ip_len.reload(s.instLen);
    this.flags.reload(s.flags);
    this.r8.reload(s.r8);
    this.r9.reload(s.r9);
    this.r10.reload(s.r10);
    this.r11.reload(s.r11);
    this.r12.reload(s.r12);
    this.r13.reload(s.r13);
    this.r14.reload(s.r14);
    this.r15.reload(s.r15);
    this.es.reload(segment(s.es));
    this.cs.reload(segment(s.cs));
    this.ss.reload(segment(s.ss));
    this.ds.reload(segment(s.ds));
    this.fs.reload(segment(s.fs));
    this.gs.reload(segment(s.gs));
    this.tr.reload(segment(s.tr));
    this.ldtr.reload(segment(s.ldtr));
    this.gdtr.reload(dtr(s.gdtr));
    this.idtr.reload(dtr(s.idtr));
    this.cr0.reload(s.cr0);
    this.cr2.reload(s.cr2);
    this.cr3.reload(s.cr3);
    this.cr4.reload(s.cr4);
    this.dr7.reload(s.dr7);
    this.sysenter_cs.reload(s.sysenterCs);
    this.sysenter_sp.reload(s.sysenterSp);
    this.sysenter_ip.reload(s.sysenterIp);
    this.qual_primary.reload(s.qual0);
    this.qual_secondary.reload(s.qual1);
    this.ctrl_primary.reload(s.ctrl0);
    this.ctrl_secondary.reload(s.ctrl1);
    this.inj_info.reload(s.injInfo);
    this.inj_error.reload(s.injError);
    this.intr_state.reload(s.intrState);
    this.actv_state.reload(s.actvState);
    this.tsc.reload(s.tsc);
    this.tsc_offset.reload(0n);
    this.tsc_aux.reload(s.tscAux);
    this.efer.reload(s.efer);
    this.pdpte_0.reload(s.pdpte[0]);
    this.pdpte_1.reload(s.pdpte[1]);
    this.pdpte_2.reload(s.pdpte[2]);
    this.pdpte_3.reload(s.pdpte[3]);
    this.star.reload(s.star);
    this.lstar.reload(s.lstar);
    this.cstar.reload(s.cstar);
    this.fmask.reload(s.sfmask);
    this.kernel_gs_base.reload(s.kernelGsBase);
    this.tpr.reload(s.tpr);
    this.tpr_threshold.reload(s.tprThreshold);
    this.xcr0.reload(s.xcr0);
    this.xss.reload(s.xss);
    this.fpu.reload(s.fpu);
    this.exitReasonValue = s.exitReason;
  }

  /** The MTD bits of every group with at least one charged register. */
  charged_mtd(): number {
    return this.sink.mask >>> 0;
  }

  /** Write the charged groups into a kernel record (the others keep what it holds). */
  write_to(s: VcpuState): void {
    const mask = this.sink.mask & ~MTD.QUAL;
    if (mask === 0) return;
    const src = this.out;
    src.ax = this.ax.value();
    src.cx = this.cx.value();
    src.dx = this.dx.value();
    src.bx = this.bx.value();
    src.bp = this.bp.value();
    src.si = this.si.value();
    src.di = this.di.value();
    src.sp = this.sp.value();
    src.ip = this.ip.value();
    src.instLen = this.ip_len.value();
    src.flags = this.flags.value();
    src.r8 = this.r8.value();
    src.r9 = this.r9.value();
    src.r10 = this.r10.value();
    src.r11 = this.r11.value();
    src.r12 = this.r12.value();
    src.r13 = this.r13.value();
    src.r14 = this.r14.value();
    src.r15 = this.r15.value();
    src.es = this.es.value();
    src.cs = this.cs.value();
    src.ss = this.ss.value();
    src.ds = this.ds.value();
    src.fs = this.fs.value();
    src.gs = this.gs.value();
    src.tr = this.tr.value();
    src.ldtr = this.ldtr.value();
    src.gdtr = this.gdtr.value();
    src.idtr = this.idtr.value();
    src.cr0 = this.cr0.value();
    src.cr2 = this.cr2.value();
    src.cr3 = this.cr3.value();
    src.cr4 = this.cr4.value();
    src.dr7 = this.dr7.value();
    src.sysenterCs = this.sysenter_cs.value();
    src.sysenterSp = this.sysenter_sp.value();
    src.sysenterIp = this.sysenter_ip.value();
    src.ctrl0 = this.ctrl_primary.value();
    src.ctrl1 = this.ctrl_secondary.value();
    src.injInfo = this.inj_info.value();
    src.injError = this.inj_error.value();
    src.intrState = this.intr_state.value();
    src.actvState = this.actv_state.value();
    src.tsc = this.tsc.value();
    src.tscOffset = this.tsc_offset.value();
    src.tscAux = this.tsc_aux.value();
    src.efer = this.efer.value();
    src.pdpte[0] = this.pdpte_0.value();
    src.pdpte[1] = this.pdpte_1.value();
    src.pdpte[2] = this.pdpte_2.value();
    src.pdpte[3] = this.pdpte_3.value();
    src.star = this.star.value();
    src.lstar = this.lstar.value();
    src.cstar = this.cstar.value();
    src.sfmask = this.fmask.value();
    src.kernelGsBase = this.kernel_gs_base.value();
    src.tpr = this.tpr.value();
    src.tprThreshold = this.tpr_threshold.value();
    src.xcr0 = this.xcr0.value();
    src.xss = this.xss.value();
    copyVcpuState(s, src, mask & ~MTD.FPU);
    if (mask & MTD.FPU) this.fpu.copy_to(s.fpu);
  }
}
