/**
 * System instructions: descriptor-table registers (LGDT/LIDT/SGDT/SIDT/LLDT/SLDT/LTR/STR),
 * LMSW/SMSW/CLTS, MOV to/from CR and DR, INVLPG, INVD/WBINVD, LAR/LSL/VERR/VERW/ARPL, CPUID,
 * RDTSC, RDMSR/WRMSR, RDPMC, UD2 (SDM vol. 2 and vol. 3A ch. 2).
 */
import { ea, rd16, rd32, wr16, wr32, writeSys8 } from '../access.js';
import { Cr0, Cr4 } from '../constants.js';
import type { Cpu } from '../cpu.js';
import { raiseFault, raiseGp, raiseUd } from '../fault.js';
import { materialize, ZF } from '../flags.js';
import type { Insn } from '../insn.js';
import { readMsr, writeMsr } from '../msr.js';
import { A_P, descAttr, descBase, descLimit, fetchDescriptor } from '../segmentation.js';
import { tlbInvalidatePage } from '../tlb.js';

const EAX = 0;
const ECX = 1;
const EDX = 2;
const EBX = 3;

function requireCpl0(c: Cpu): void {
  if (c.protectedMode && (c.v86Mode || c.cpl !== 0)) raiseGp(c, 0);
}

function requireProtected(c: Cpu): void {
  if (!c.protectedMode || c.v86Mode) raiseUd(c);
}

// --- GDTR / IDTR --------------------------------------------------------------------------------

/** LGDT/LIDT (imm2: 0 GDT, 1 IDT); a 16-bit operand size loads a 24-bit base. */
export function lgdt_lidt(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const off = ea(c, i);
  const limit = rd16(c, i.seg, off);
  let base = rd32(c, i.seg, (off + 2) & i.amask);
  if ((i.flags & 1) === 0) base &= 0xffffff;
  if (i.imm2 === 0) {
    c.gdtLimit = limit;
    c.gdtBase = base;
  } else {
    c.idtLimit = limit;
    c.idtBase = base;
  }
}
/** SGDT/SIDT (imm2: 0 GDT, 1 IDT); with a 16-bit operand size the sixth byte is stored as 0. */
export function sgdt_sidt(c: Cpu, i: Insn): void {
  const off = ea(c, i);
  const limit = i.imm2 === 0 ? c.gdtLimit : c.idtLimit;
  let base = i.imm2 === 0 ? c.gdtBase : c.idtBase;
  if ((i.flags & 1) === 0) base &= 0xffffff;
  wr16(c, i.seg, off, limit);
  wr32(c, i.seg, (off + 2) & i.amask, base);
}

// --- LDTR / TR ----------------------------------------------------------------------------------

function selOperand(c: Cpu, i: Insn): number {
  return (i.flags & 0x40) !== 0 ? c.r16[i.rm * 2]! : rd16(c, i.seg, ea(c, i));
}

function storeSel(c: Cpu, i: Insn, v: number): void {
  if ((i.flags & 0x40) !== 0) {
    if ((i.flags & 1) !== 0) c.r32[i.rm] = v;
    else c.r16[i.rm * 2] = v;
  } else {
    wr16(c, i.seg, ea(c, i), v);
  }
}

/** SLDT. */
export function sldt(c: Cpu, i: Insn): void {
  requireProtected(c);
  storeSel(c, i, c.ldtSel);
}
/** STR. */
export function str(c: Cpu, i: Insn): void {
  requireProtected(c);
  storeSel(c, i, c.trSel);
}
/** LLDT. */
export function lldt(c: Cpu, i: Insn): void {
  requireProtected(c);
  requireCpl0(c);
  const sel = selOperand(c, i);
  const err = sel & 0xfffc;
  if (err === 0) {
    c.ldtSel = sel;
    c.ldtBase = 0;
    c.ldtLimit = 0;
    c.ldtAttr = 0;
    return;
  }
  if ((sel & 4) !== 0) raiseGp(c, err);
  if (!fetchDescriptor(c, sel)) raiseGp(c, err);
  const attr = descAttr(c.descHi);
  if ((attr & 0x1f) !== 0x02) raiseGp(c, err);
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
  c.ldtSel = sel;
  c.ldtBase = descBase(c.descLo, c.descHi);
  c.ldtLimit = descLimit(c.descLo, c.descHi);
  c.ldtAttr = attr;
}
/** LTR: loads TR and marks the TSS busy. */
export function ltr(c: Cpu, i: Insn): void {
  requireProtected(c);
  requireCpl0(c);
  const sel = selOperand(c, i);
  const err = sel & 0xfffc;
  if (err === 0 || (sel & 4) !== 0) raiseGp(c, err);
  if (!fetchDescriptor(c, sel)) raiseGp(c, err);
  const attr = descAttr(c.descHi);
  const type = attr & 0x1f;
  if (type !== 0x01 && type !== 0x09) raiseGp(c, err);
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
  c.descHi |= 0x200;
  writeSys8(c, (c.descAddr + 5) | 0, (c.descHi >>> 8) & 0xff);
  c.trSel = sel;
  c.trBase = descBase(c.descLo, c.descHi);
  c.trLimit = descLimit(c.descLo, c.descHi);
  c.trAttr = attr | 2;
}

// --- VERR / VERW / LAR / LSL / ARPL ----------------------------------------------------------

function setZf(c: Cpu, on: boolean): void {
  materialize(c);
  if (on) c.fl |= ZF;
  else c.fl &= ~ZF;
}

/** VERR (imm2 = 0) / VERW (imm2 = 1). */
export function verr_verw(c: Cpu, i: Insn): void {
  requireProtected(c);
  const sel = selOperand(c, i);
  if ((sel & 0xfffc) === 0 || !fetchDescriptor(c, sel)) {
    setZf(c, false);
    return;
  }
  const attr = descAttr(c.descHi);
  const dpl = (attr >> 5) & 3;
  if ((attr & 0x10) === 0) {
    setZf(c, false);
    return;
  }
  const code = (attr & 8) !== 0;
  const conforming = code && (attr & 4) !== 0;
  if (!conforming && (c.cpl > dpl || (sel & 3) > dpl)) {
    setZf(c, false);
    return;
  }
  if (i.imm2 === 0) setZf(c, !code || (attr & 2) !== 0);
  else setZf(c, !code && (attr & 2) !== 0);
}

/** LAR/LSL access check; on success the value to load is left in `c.scratch[14]`. */
function larLslCommon(c: Cpu, i: Insn, lsl: boolean): boolean {
  requireProtected(c);
  const sel = selOperand(c, i);
  if ((sel & 0xfffc) === 0 || !fetchDescriptor(c, sel)) return false;
  const attr = descAttr(c.descHi);
  const dpl = (attr >> 5) & 3;
  const type = attr & 0x1f;
  if ((attr & 0x10) === 0) {
    // System descriptors: LAR accepts TSS, LDT and gates; LSL accepts TSS and LDT only.
    const okLar =
      type === 1 ||
      type === 2 ||
      type === 3 ||
      type === 4 ||
      type === 5 ||
      type === 9 ||
      type === 0xb ||
      type === 0xc;
    const okLsl = type === 1 || type === 2 || type === 3 || type === 9 || type === 0xb;
    if (lsl ? !okLsl : !okLar) return false;
  }
  const conformingCode = (attr & 0x1c) === 0x1c;
  if (!conformingCode && (c.cpl > dpl || (sel & 3) > dpl)) return false;
  c.scratch[14] = lsl ? descLimit(c.descLo, c.descHi) : c.descHi & 0x00f0ff00;
  return true;
}

/** LAR r16/r32, r/m16. */
export function lar(c: Cpu, i: Insn): void {
  if (!larLslCommon(c, i, false)) {
    setZf(c, false);
    return;
  }
  const v = c.scratch[14]!;
  setZf(c, true);
  if ((i.flags & 1) !== 0) c.r32[i.reg] = v;
  else c.r16[i.reg * 2] = v & 0xffff;
}
/** LSL r16/r32, r/m16. */
export function lsl(c: Cpu, i: Insn): void {
  if (!larLslCommon(c, i, true)) {
    setZf(c, false);
    return;
  }
  const v = c.scratch[14]!;
  setZf(c, true);
  if ((i.flags & 1) !== 0) c.r32[i.reg] = v;
  else c.r16[i.reg * 2] = v & 0xffff;
}

/** ARPL r/m16, r16 (protected mode only). */
export function arpl(c: Cpu, i: Insn): void {
  requireProtected(c);
  const isReg = (i.flags & 0x40) !== 0;
  const dst = isReg ? c.r16[i.rm * 2]! : rd16(c, i.seg, ea(c, i));
  const src = c.r16[i.reg * 2]!;
  if ((dst & 3) < (src & 3)) {
    const v = (dst & ~3) | (src & 3);
    if (isReg) c.r16[i.rm * 2] = v;
    else wr16(c, i.seg, ea(c, i), v);
    setZf(c, true);
  } else {
    setZf(c, false);
  }
}

// --- MSW / CR / DR ---------------------------------------------------------------------------

/** SMSW r/m (register with 32-bit operand size stores all of CR0). */
export function smsw(c: Cpu, i: Insn): void {
  if ((i.flags & 0x40) !== 0) {
    if ((i.flags & 1) !== 0) c.r32[i.rm] = c.cr0;
    else c.r16[i.rm * 2] = c.cr0 & 0xffff;
  } else {
    wr16(c, i.seg, ea(c, i), c.cr0 & 0xffff);
  }
}
/** LMSW r/m16: loads PE, MP, EM, TS; cannot clear PE. */
export function lmsw(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = (i.flags & 0x40) !== 0 ? c.r16[i.rm * 2]! : rd16(c, i.seg, ea(c, i));
  const next = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & 1);
  setCr0(c, next);
}
/** CLTS. */
export function clts(c: Cpu, _i: Insn): void {
  requireCpl0(c);
  c.cr0 &= ~Cr0.TS;
}

const CR0_WRITABLE = Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.NW | Cr0.CD | Cr0.PG;
const CR4_WRITABLE = Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.MCE | Cr4.PGE | Cr4.PCE;

/** Writes CR0 with its architectural side effects (mode refresh, TLB flush); #GP on bad combinations. */
export function setCr0(c: Cpu, v: number): void {
  v |= Cr0.ET;
  if ((v & Cr0.PG) !== 0 && (v & Cr0.PE) === 0) raiseGp(c, 0);
  if ((v & Cr0.NW) !== 0 && (v & Cr0.CD) === 0) raiseGp(c, 0);
  const old = c.cr0;
  c.cr0 = (v & (CR0_WRITABLE | Cr0.ET)) | 0;
  if (((old ^ c.cr0) & (Cr0.PG | Cr0.WP | Cr0.PE)) !== 0) c.flushTlb();
  if (((old ^ c.cr0) & Cr0.PE) !== 0) c.refreshMode();
}

/** MOV r32, CRn (reg = n). */
export function mov_r_cr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  let v: number;
  switch (i.reg) {
    case 0:
      v = c.cr0;
      break;
    case 2:
      v = c.cr2;
      break;
    case 3:
      v = c.cr3;
      break;
    case 4:
      v = c.cr4;
      break;
    default:
      raiseUd(c);
  }
  c.r32[i.rm] = v;
}
/** MOV CRn, r32. */
export function mov_cr_r(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const v = c.r32[i.rm]!;
  switch (i.reg) {
    case 0:
      setCr0(c, v);
      break;
    case 2:
      c.cr2 = v;
      break;
    case 3:
      c.cr3 = v & ~0xfe7;
      c.flushTlbNonGlobal();
      break;
    case 4: {
      if ((v & ~CR4_WRITABLE) !== 0) raiseGp(c, 0);
      const old = c.cr4;
      c.cr4 = v;
      if (((old ^ v) & (Cr4.PSE | Cr4.PGE | Cr4.PAE)) !== 0) c.flushTlb();
      break;
    }
    default:
      raiseUd(c);
  }
}
/** MOV r32, DRn. */
export function mov_r_dr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  let n = i.reg;
  if (n === 4 || n === 5) {
    if ((c.cr4 & Cr4.DE) !== 0) raiseUd(c);
    n += 2;
  }
  c.r32[i.rm] = c.dr[n]!;
}
/** MOV DRn, r32 (breakpoints are stored, not armed). */
export function mov_dr_r(c: Cpu, i: Insn): void {
  requireCpl0(c);
  let n = i.reg;
  if (n === 4 || n === 5) {
    if ((c.cr4 & Cr4.DE) !== 0) raiseUd(c);
    n += 2;
  }
  let v = c.r32[i.rm]!;
  if (n === 6) v = (v & 0xe00f) | (0xffff0ff0 | 0);
  else if (n === 7) v = (v & 0xffff2bff) | 0x400;
  c.dr[n] = v;
}

// --- TLB and caches -----------------------------------------------------------------------

/** INVLPG m. */
export function invlpg(c: Cpu, i: Insn): void {
  requireCpl0(c);
  const lin = (c.segBase[i.seg]! + ea(c, i)) | 0;
  if (c.invlpgHook?.(c, lin, i)) return;
  tlbInvalidatePage(c, lin);
}
/** INVD / WBINVD (caches are not modelled). */
export function invd(c: Cpu, _i: Insn): void {
  requireCpl0(c);
}

// --- CPUID / RDTSC / MSRs ---------------------------------------------------------------------

/** CPUID. */
export function cpuid(c: Cpu, i: Insn): void {
  if (c.cpuidHook?.(c, i)) return;
  const out = c.scratch;
  c.cpuidTable.lookup(c.r32[EAX]!, out);
  c.r32[EAX] = out[0]!;
  c.r32[EBX] = out[1]!;
  c.r32[ECX] = out[2]!;
  c.r32[EDX] = out[3]!;
}
/** RDTSC (#GP when CR4.TSD and CPL > 0). */
export function rdtsc(c: Cpu, i: Insn): void {
  if ((c.cr4 & Cr4.TSD) !== 0 && c.protectedMode && c.cpl !== 0) raiseGp(c, 0);
  const t = c.tscNumber(c.retired + i.pos);
  c.r32[EAX] = t % 4294967296;
  c.r32[EDX] = Math.floor(t / 4294967296);
}
/** RDMSR (#GP for unknown MSRs or CPL > 0). */
export function rdmsr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  c.exactRetired = c.retired + i.pos;
  if (c.msrHook?.(c, false, i)) return;
  const v = readMsr(c, c.r32[ECX]!);
  if (v === undefined) raiseGp(c, 0);
  c.r32[EAX] = Number(v & 0xffffffffn);
  c.r32[EDX] = Number((v >> 32n) & 0xffffffffn);
}
/** WRMSR. */
export function wrmsr(c: Cpu, i: Insn): void {
  requireCpl0(c);
  c.exactRetired = c.retired + i.pos;
  if (c.msrHook?.(c, true, i)) return;
  const v = (BigInt(c.r32[EDX]! >>> 0) << 32n) | BigInt(c.r32[EAX]! >>> 0);
  if (!writeMsr(c, c.r32[ECX]!, v)) raiseGp(c, 0);
}
/** RDPMC: no performance counters (#GP). */
export function rdpmc(c: Cpu, _i: Insn): void {
  raiseGp(c, 0);
}
/** UD2 and every undefined opcode. */
export function ud(c: Cpu, _i: Insn): void {
  raiseUd(c);
}
