/**
 * The guest state block of the virtualization model: the architectural state of a vCPU as a
 * plain record, laid out like AMD's VMCB state-save area (and NOVA's UTCB): segments with
 * selector, SVM attributes, limit and base; CRs, DR6/DR7, EFLAGS, RIP and the GPRs; the
 * interrupt shadow. A VMM or a kernel copies it to and from a {@link Cpu} with
 * {@link saveGuestState} / {@link loadGuestState}.
 */
import { Flag } from '../constants.js';
import { type Cpu, EV_SHADOW } from '../cpu.js';
import { Msr } from '../msr.js';

/** A segment register with its hidden part (attributes in SVM's 12-bit layout). */
export interface SegmentRegister {
  sel: number;
  attr: number;
  limit: number;
  base: number;
}

/** A descriptor-table register. */
export interface TableRegister {
  base: number;
  limit: number;
}

/** The guest state block. All values are 32-bit numbers (unsigned where the hardware says so). */
export interface GuestState {
  eax: number;
  ecx: number;
  edx: number;
  ebx: number;
  esp: number;
  ebp: number;
  esi: number;
  edi: number;
  eip: number;
  eflags: number;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  dr6: number;
  dr7: number;
  es: SegmentRegister;
  cs: SegmentRegister;
  ss: SegmentRegister;
  ds: SegmentRegister;
  fs: SegmentRegister;
  gs: SegmentRegister;
  ldtr: SegmentRegister;
  tr: SegmentRegister;
  gdtr: TableRegister;
  idtr: TableRegister;
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
  /** Interrupt shadow (SVM INTERRUPT_SHADOW): the next instruction runs before interrupts. */
  interruptShadow: boolean;
  /** The vCPU is in the HLT state. */
  halted: boolean;
}

function _segment(): SegmentRegister {
  return { sel: 0, attr: 0, limit: 0, base: 0 };
}

/** A guest state block in the reset state (real mode at F000:FFF0). */
export function resetGuestState(): GuestState {
  const data = (): SegmentRegister => ({ sel: 0, attr: 0x93, limit: 0xffff, base: 0 });
  return {
    eax: 0,
    ecx: 0,
    edx: 0x633,
    ebx: 0,
    esp: 0,
    ebp: 0,
    esi: 0,
    edi: 0,
    eip: 0xfff0,
    eflags: 2,
    cr0: 0x60000010,
    cr2: 0,
    cr3: 0,
    cr4: 0,
    dr6: 0xffff0ff0,
    dr7: 0x400,
    es: data(),
    cs: { sel: 0xf000, attr: 0x9b, limit: 0xffff, base: 0xffff0000 },
    ss: data(),
    ds: data(),
    fs: data(),
    gs: data(),
    ldtr: { sel: 0, attr: 0x82, limit: 0xffff, base: 0 },
    tr: { sel: 0, attr: 0x8b, limit: 0xffff, base: 0 },
    gdtr: { base: 0, limit: 0xffff },
    idtr: { base: 0, limit: 0xffff },
    sysenterCs: 0,
    sysenterEsp: 0,
    sysenterEip: 0,
    interruptShadow: false,
    halted: false,
  };
}

const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/** Copies the CPU's state into a guest state block (a new one unless `into` is given). */
export function saveGuestState(c: Cpu, into?: GuestState): GuestState {
  const s = into ?? resetGuestState();
  const r = c.r32;
  s.eax = r[0]! >>> 0;
  s.ecx = r[1]! >>> 0;
  s.edx = r[2]! >>> 0;
  s.ebx = r[3]! >>> 0;
  s.esp = r[4]! >>> 0;
  s.ebp = r[5]! >>> 0;
  s.esi = r[6]! >>> 0;
  s.edi = r[7]! >>> 0;
  s.eip = c.eip >>> 0;
  s.eflags = c.getEflags() >>> 0;
  s.cr0 = c.cr0 >>> 0;
  s.cr2 = c.cr2 >>> 0;
  s.cr3 = c.cr3 >>> 0;
  s.cr4 = c.cr4 >>> 0;
  s.dr6 = c.dr[6]! >>> 0;
  s.dr7 = c.dr[7]! >>> 0;
  SEGS.forEach((name, k) => {
    s[name] = {
      sel: c.segSel[k]!,
      attr: c.segAttr[k]!,
      limit: c.segLimit[k]! >>> 0,
      base: c.segBase[k]! >>> 0,
    };
  });
  s.ldtr = { sel: c.ldtSel, attr: c.ldtAttr, limit: c.ldtLimit >>> 0, base: c.ldtBase >>> 0 };
  s.tr = { sel: c.trSel, attr: c.trAttr, limit: c.trLimit >>> 0, base: c.trBase >>> 0 };
  s.gdtr = { base: c.gdtBase >>> 0, limit: c.gdtLimit };
  s.idtr = { base: c.idtBase >>> 0, limit: c.idtLimit };
  s.sysenterCs = Number(c.msrs.get(Msr.SYSENTER_CS) ?? 0n);
  s.sysenterEsp = Number(c.msrs.get(Msr.SYSENTER_ESP) ?? 0n);
  s.sysenterEip = Number(c.msrs.get(Msr.SYSENTER_EIP) ?? 0n);
  s.interruptShadow = (c.events & EV_SHADOW) !== 0;
  s.halted = c.halted;
  return s;
}

/** Loads a guest state block into the CPU (mode, TLB and caches follow). */
export function loadGuestState(c: Cpu, s: GuestState): void {
  const r = c.r32;
  r[0] = s.eax;
  r[1] = s.ecx;
  r[2] = s.edx;
  r[3] = s.ebx;
  r[4] = s.esp;
  r[5] = s.ebp;
  r[6] = s.esi;
  r[7] = s.edi;
  c.eip = s.eip | 0;
  const pagingChanged =
    ((c.cr0 ^ s.cr0) & 0x80010001) !== 0 || c.cr3 !== (s.cr3 | 0) || c.cr4 !== (s.cr4 | 0);
  c.cr0 = s.cr0 | 0;
  c.cr2 = s.cr2 | 0;
  c.cr3 = s.cr3 | 0;
  c.cr4 = s.cr4 | 0;
  c.dr[6] = s.dr6 | 0;
  c.dr[7] = s.dr7 | 0;
  c.fl = (s.eflags & 0x3f7fd5) | Flag.FIXED;
  c.lz = 0;
  c.refreshMode();
  SEGS.forEach((name, k) => {
    const g = s[name];
    c.loadSegmentCache(k, g.sel, g.base, g.limit, g.attr);
  });
  c.ldtSel = s.ldtr.sel;
  c.ldtAttr = s.ldtr.attr;
  c.ldtLimit = s.ldtr.limit | 0;
  c.ldtBase = s.ldtr.base | 0;
  c.trSel = s.tr.sel;
  c.trAttr = s.tr.attr;
  c.trLimit = s.tr.limit | 0;
  c.trBase = s.tr.base | 0;
  c.gdtBase = s.gdtr.base | 0;
  c.gdtLimit = s.gdtr.limit;
  c.idtBase = s.idtr.base | 0;
  c.idtLimit = s.idtr.limit;
  c.msrs.set(Msr.SYSENTER_CS, BigInt(s.sysenterCs >>> 0));
  c.msrs.set(Msr.SYSENTER_ESP, BigInt(s.sysenterEsp >>> 0));
  c.msrs.set(Msr.SYSENTER_EIP, BigInt(s.sysenterEip >>> 0));
  c.refreshMode();
  c.setCpl(c.v86Mode ? 3 : c.protectedMode ? (s.ss.attr >> 5) & 3 : 0);
  if (s.interruptShadow) c.events |= EV_SHADOW;
  else c.events &= ~EV_SHADOW;
  c.halted = s.halted;
  if (pagingChanged) c.flushTlb();
}
