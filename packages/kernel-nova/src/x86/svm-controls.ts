/**
 * The SVM execution controls as NOVA's G-kernel programs them (spec/nova.md §5.2 CTRL, §5.4):
 * `ctrl[0]` / `ctrl[1]` of a reply are the VMCB's intercept vectors CPU0 (offset 0x0c) and CPU1
 * (0x10); the kernel ORs in what it always forces and, with nested paging, clears INVLPG
 * (`Exc_regs::svm_set_cpu_ctrl0/1`, alex-ab/NOVA r10 `include/svm.hpp`). Bit positions are AMD
 * APM vol. 2, appendix B, table B-1.
 */

/** Intercept vector CPU0 (`ctrl[0]`): the bits the model acts on or forces. */
export const SvmCtrl0 = {
  /** Physical INTR (forced: host interrupts always leave the guest). */
  INTR: 0x1,
  /** Physical NMI (forced). */
  NMI: 0x2,
  /** INIT (forced). */
  INIT: 0x8,
  /** Virtual interrupt window (set by the kernel for an INJ request with bit 12). */
  VINTR: 0x10,
  /** RDTSC (not modelled: RDTSC never exits). */
  RDTSC: 0x4000,
  /** CPUID: exits 0x72 only when the VMM sets it (the G-kernel does not force it on SVM). */
  CPUID: 0x40000,
  /** INVD (forced). */
  INVD: 0x400000,
  /** PAUSE (not modelled). */
  PAUSE: 0x800000,
  /** HLT (forced). */
  HLT: 0x1000000,
  /** INVLPG (cleared with nested paging). */
  INVLPG: 0x2000000,
  /** IOIO_PROT: port I/O through the I/O permission map (forced). */
  IOIO: 0x8000000,
  /** MSR_PROT: RDMSR/WRMSR through the MSR permission map (forced). */
  MSR: 0x10000000,
  /** Shutdown (triple fault, forced). */
  SHUTDOWN: 0x80000000,
} as const;

/** Intercept vector CPU1 (`ctrl[1]`). */
export const SvmCtrl1 = {
  /** VMRUN: AMD requires it set, or VMRUN fails with an invalid-state exit (0xfd). */
  VMRUN: 0x1,
  VMMCALL: 0x2,
  VMLOAD: 0x4,
  VMSAVE: 0x8,
  CLGI: 0x20,
  SKINIT: 0x40,
} as const;

/** `Vmcb::force_ctrl0`: INTR, NMI, INIT, INVD, HLT, IOIO, MSR, SHUTDOWN. */
export const FORCE_CTRL0: number =
  (SvmCtrl0.INTR |
    SvmCtrl0.NMI |
    SvmCtrl0.INIT |
    SvmCtrl0.INVD |
    SvmCtrl0.HLT |
    SvmCtrl0.IOIO |
    SvmCtrl0.MSR |
    SvmCtrl0.SHUTDOWN) >>>
  0;

/** `Vmcb::force_ctrl1`: VMLOAD, VMSAVE, CLGI, SKINIT (not VMRUN: the VMM sets that one). */
export const FORCE_CTRL1: number = SvmCtrl1.VMLOAD | SvmCtrl1.VMSAVE | SvmCtrl1.CLGI | SvmCtrl1.SKINIT;

/** The intercept vectors in effect for `ctrl[0]`, `ctrl[1]` written by a VMM (nested paging on). */
export function effectiveControls(ctrl0: number, ctrl1: number): [number, number] {
  return [((ctrl0 & ~SvmCtrl0.INVLPG) | FORCE_CTRL0) >>> 0, (ctrl1 | FORCE_CTRL1) >>> 0];
}

/**
 * Exceptions the kernel intercepts in a guest with nested paging and eager FPU state (G-kernel
 * `Exc_regs::set_exc`): only #AC (vector 17), which exits as 0x51.
 */
export const SVM_EXCEPTION_INTERCEPTS: number = 1 << 17;

/** EFER bits the model checks (AMD APM vol. 2, §3.1.7). */
export const Efer = {
  /** Long mode enable: this i686 processor has no long mode, so VMRUN fails (invalid state). */
  LME: 0x100,
  /** Long mode active: as LME. */
  LMA: 0x400,
  /** SVM enable: the G-kernel's initial VMCB has it set. */
  SVME: 0x1000,
} as const;

/** CR0 cache-control bits: CD = 0 with NW = 1 is an illegal combination for VMRUN. */
const CR0_NW = 1 << 29;
const CR0_CD = 1 << 30;

/**
 * AMD APM vol. 2, §15.5.1 "VMRUN": the consistency checks that apply to this processor model.
 * Returns why VMRUN would fail (the vCPU then exits 0xfd), or null.
 */
export function vmrunCheck(ctrl1: number, cr0: number, efer: number, injInfo: number): string | null {
  if ((effectiveControls(0, ctrl1)[1] & SvmCtrl1.VMRUN) === 0) return 'VMRUN intercept clear';
  if ((cr0 & CR0_CD) === 0 && (cr0 & CR0_NW) !== 0) return 'CR0.CD = 0 with CR0.NW = 1';
  if ((efer & (Efer.LME | Efer.LMA)) !== 0) return 'EFER.LME/LMA on a processor without long mode';
  if ((injInfo & 0x80000000) !== 0) {
    const type = (injInfo >>> 8) & 7;
    const vector = injInfo & 0xff;
    // EVENTINJ types: 0 INTR, 2 NMI, 3 exception, 4 software interrupt; 1, 5, 6, 7 are reserved.
    if (type !== 0 && type !== 2 && type !== 3 && type !== 4) return `EVENTINJ type ${type} reserved`;
    if (type === 3 && (vector > 31 || vector === 2)) return `EVENTINJ exception vector ${vector}`;
  }
  return null;
}
