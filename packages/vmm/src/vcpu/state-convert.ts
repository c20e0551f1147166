import { MTD, type Segment, type Vcpu_register, type Vcpu_state } from '@genode-ts/genode-base';
import type { GuestState, SegmentRegister } from '@genode-ts/x86-core';
import type { InitialCpuState, SegmentState } from '../loaders/cpu-state.js';

/**
 * The state the instruction emulator needs (MMIO and string I/O): general registers, RIP,
 * RFLAGS, all segments and descriptor tables, control and debug registers, SYSENTER MSRs and
 * the interruptibility state.
 */
export const EMULATION_MTD: number =
  MTD.ACDB |
  MTD.EBSD |
  MTD.ESP |
  MTD.EIP |
  MTD.EFL |
  MTD.ESDS |
  MTD.FSGS |
  MTD.CSSS |
  MTD.TR |
  MTD.LDTR |
  MTD.GDTR |
  MTD.IDTR |
  MTD.CR |
  MTD.DR |
  MTD.SYS |
  MTD.STA;

/** DR6's architectural power-on value (DR6 is not part of NOVA's UTCB). */
const DR6_INIT = 0xffff0ff0;

function seg(s: Segment): SegmentRegister {
  return { sel: s.sel, attr: s.ar, limit: s.limit >>> 0, base: s.base >>> 0 };
}

function sameSeg(a: SegmentRegister, b: SegmentRegister): boolean {
  return a.sel === b.sel && a.attr === b.attr && a.limit === b.limit && a.base === b.base;
}

/** The guest state block x86-core's emulator works on, from the registers of an exit (needs {@link EMULATION_MTD}). */
export function toGuestState(s: Vcpu_state): GuestState {
  return {
    eax: s.ax.value() >>> 0,
    ecx: s.cx.value() >>> 0,
    edx: s.dx.value() >>> 0,
    ebx: s.bx.value() >>> 0,
    esp: s.sp.value() >>> 0,
    ebp: s.bp.value() >>> 0,
    esi: s.si.value() >>> 0,
    edi: s.di.value() >>> 0,
    eip: s.ip.value() >>> 0,
    eflags: s.flags.value() >>> 0,
    cr0: s.cr0.value() >>> 0,
    cr2: s.cr2.value() >>> 0,
    cr3: s.cr3.value() >>> 0,
    cr4: s.cr4.value() >>> 0,
    dr6: DR6_INIT,
    dr7: s.dr7.value() >>> 0,
    es: seg(s.es.value()),
    cs: seg(s.cs.value()),
    ss: seg(s.ss.value()),
    ds: seg(s.ds.value()),
    fs: seg(s.fs.value()),
    gs: seg(s.gs.value()),
    ldtr: seg(s.ldtr.value()),
    tr: seg(s.tr.value()),
    gdtr: { ...s.gdtr.value() },
    idtr: { ...s.idtr.value() },
    sysenterCs: s.sysenter_cs.value() >>> 0,
    sysenterEsp: s.sysenter_sp.value() >>> 0,
    sysenterEip: s.sysenter_ip.value() >>> 0,
    interruptShadow: (s.intr_state.value() & 3) !== 0,
    halted: s.actv_state.value() === 1,
  };
}

function chargeIfChanged(reg: Vcpu_register<number>, before: number, after: number): void {
  if (before >>> 0 !== after >>> 0) reg.charge(after >>> 0);
}

function segOut(r: SegmentRegister): Segment {
  return { sel: r.sel, ar: r.attr, limit: r.limit, base: r.base };
}

/**
 * Charges what the emulator changed between `before` and `after` (so that the reply writes back
 * only those groups).
 */
export function chargeGuestState(s: Vcpu_state, before: GuestState, after: GuestState): void {
  chargeIfChanged(s.ax, before.eax, after.eax);
  chargeIfChanged(s.cx, before.ecx, after.ecx);
  chargeIfChanged(s.dx, before.edx, after.edx);
  chargeIfChanged(s.bx, before.ebx, after.ebx);
  chargeIfChanged(s.sp, before.esp, after.esp);
  chargeIfChanged(s.bp, before.ebp, after.ebp);
  chargeIfChanged(s.si, before.esi, after.esi);
  chargeIfChanged(s.di, before.edi, after.edi);
  chargeIfChanged(s.ip, before.eip, after.eip);
  chargeIfChanged(s.flags, before.eflags, after.eflags);
  chargeIfChanged(s.cr0, before.cr0, after.cr0);
  chargeIfChanged(s.cr2, before.cr2, after.cr2);
  chargeIfChanged(s.cr3, before.cr3, after.cr3);
  chargeIfChanged(s.cr4, before.cr4, after.cr4);
  chargeIfChanged(s.dr7, before.dr7, after.dr7);
  chargeIfChanged(s.sysenter_cs, before.sysenterCs, after.sysenterCs);
  chargeIfChanged(s.sysenter_sp, before.sysenterEsp, after.sysenterEsp);
  chargeIfChanged(s.sysenter_ip, before.sysenterEip, after.sysenterEip);
  const segs = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;
  for (const name of segs) {
    if (!sameSeg(before[name], after[name])) s[name].charge(segOut(after[name]));
  }
  if (before.gdtr.base !== after.gdtr.base || before.gdtr.limit !== after.gdtr.limit)
    s.gdtr.charge({ ...after.gdtr });
  if (before.idtr.base !== after.idtr.base || before.idtr.limit !== after.idtr.limit)
    s.idtr.charge({ ...after.idtr });
  if (before.interruptShadow !== after.interruptShadow) s.intr_state.charge(after.interruptShadow ? 1 : 0);
}

function segIn(x: SegmentState): Segment {
  return { sel: x.selector, ar: x.attributes, limit: x.limit >>> 0, base: x.base >>> 0 };
}

/**
 * Charges a loader's initial CPU state (the STARTUP exit of the boot vCPU): every register it
 * defines, plus a clean slate for the rest of the architectural state (DR7, SYSENTER, no
 * pending event, active). EFER stays as the kernel's initial VMCB has it (SVME set).
 */
export function chargeInitialState(s: Vcpu_state, c: InitialCpuState): void {
  s.ax.charge(c.eax >>> 0);
  s.bx.charge(c.ebx >>> 0);
  s.cx.charge(c.ecx >>> 0);
  s.dx.charge(c.edx >>> 0);
  s.si.charge(c.esi >>> 0);
  s.di.charge(c.edi >>> 0);
  s.bp.charge(c.ebp >>> 0);
  s.sp.charge(c.esp >>> 0);
  s.ip.charge(c.eip >>> 0);
  s.flags.charge(c.eflags >>> 0);
  s.cr0.charge(c.cr0 >>> 0);
  s.cr2.charge(0);
  s.cr3.charge(c.cr3 >>> 0);
  s.cr4.charge(c.cr4 >>> 0);
  s.cs.charge(segIn(c.cs));
  s.ds.charge(segIn(c.ds));
  s.es.charge(segIn(c.es));
  s.fs.charge(segIn(c.fs));
  s.gs.charge(segIn(c.gs));
  s.ss.charge(segIn(c.ss));
  s.tr.charge(segIn(c.tr));
  s.ldtr.charge(segIn(c.ldtr));
  s.gdtr.charge({ base: c.gdtr.base >>> 0, limit: c.gdtr.limit });
  s.idtr.charge({ base: c.idtr.base >>> 0, limit: c.idtr.limit });
  s.dr7.charge(0x400);
  s.sysenter_cs.charge(0);
  s.sysenter_sp.charge(0);
  s.sysenter_ip.charge(0);
  s.inj_info.charge(0);
  s.inj_error.charge(0);
  s.intr_state.charge(0);
  s.actv_state.charge(0);
}

/** A deep copy of a guest state block. */
export function cloneGuestState(s: GuestState): GuestState {
  return {
    ...s,
    es: { ...s.es },
    cs: { ...s.cs },
    ss: { ...s.ss },
    ds: { ...s.ds },
    fs: { ...s.fs },
    gs: { ...s.gs },
    ldtr: { ...s.ldtr },
    tr: { ...s.tr },
    gdtr: { ...s.gdtr },
    idtr: { ...s.idtr },
  };
}
