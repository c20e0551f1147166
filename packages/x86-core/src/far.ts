/**
 * Far control transfers: JMP far, CALL far, RET far, IRET in real, virtual-8086 and protected
 * mode, with call gates (including the stack switch and parameter copy), task gates and TSS
 * targets (SDM vol. 2, the JMP/CALL/RET/IRET pseudo-code; vol. 3A, §5.8).
 */
import { rd16, rd32, readSys16, writeSys16, writeSys32 } from './access.js';
import { Flag, Seg } from './constants.js';
import type { Cpu } from './cpu.js';
import { raiseFault } from './fault.js';
import { getFlags } from './flags.js';
import { stackOffsetOk } from './interrupts.js';
import {
  A_P,
  descAttr,
  descBase,
  descLimit,
  fetchDescriptor,
  loadSegReal,
  nullifyInaccessibleSegments,
  setAccessed,
} from './segmentation.js';
import { peek16, peek32, push16, push32 } from './stack.js';
import { readTssStack, switchTask, TaskSource } from './task-switch.js';

const SS = Seg.SS;
const CS = Seg.CS;

/** JMP ptr16:16/32 or JMP m16:16/32. */
export function jmpFar(c: Cpu, sel: number, off: number, o32: boolean): void {
  sel &= 0xffff;
  if (!o32) off &= 0xffff;
  if (!c.protectedMode || c.v86Mode) {
    if (off >>> 0 > c.segLimit[CS]! >>> 0) raiseFault(c, 13, 0);
    loadSegReal(c, CS, sel);
    c.eip = off;
    return;
  }
  const err = sel & 0xfffc;
  if (err === 0) raiseFault(c, 13, 0);
  if (!fetchDescriptor(c, sel)) raiseFault(c, 13, err);
  const lo = c.descLo;
  const hi = c.descHi;
  const attr = descAttr(hi);
  const dpl = (attr >> 5) & 3;
  if ((attr & 0x10) !== 0) {
    if ((attr & 8) === 0) raiseFault(c, 13, err);
    checkCodeTarget(c, attr, dpl, sel & 3, err);
    const limit = descLimit(lo, hi);
    if (off >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
    setAccessed(c);
    c.loadSegmentCache(CS, (sel & 0xfffc) | c.cpl, descBase(lo, hi), limit, attr | 1);
    c.eip = off;
    return;
  }
  const type = attr & 0x1f;
  if (dpl < c.cpl || dpl < (sel & 3)) raiseFault(c, 13, err);
  if (type === 0x04 || type === 0x0c) {
    if ((attr & A_P) === 0) raiseFault(c, 11, err);
    const tsel = lo >>> 16;
    const toff = type === 0x0c ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
    const terr = tsel & 0xfffc;
    if (terr === 0) raiseFault(c, 13, 0);
    if (!fetchDescriptor(c, tsel)) raiseFault(c, 13, terr);
    const tattr = descAttr(c.descHi);
    const tdpl = (tattr >> 5) & 3;
    if ((tattr & 0x18) !== 0x18) raiseFault(c, 13, terr);
    if ((tattr & 4) !== 0 ? tdpl > c.cpl : tdpl !== c.cpl) raiseFault(c, 13, terr);
    if ((tattr & A_P) === 0) raiseFault(c, 11, terr);
    const limit = descLimit(c.descLo, c.descHi);
    if (toff >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
    setAccessed(c);
    c.loadSegmentCache(CS, terr | c.cpl, descBase(c.descLo, c.descHi), limit, tattr | 1);
    c.eip = toff;
    return;
  }
  if (type === 0x05) {
    if ((attr & A_P) === 0) raiseFault(c, 11, err);
    switchTask(c, lo >>> 16, TaskSource.JMP, 0);
    checkEipAfterTaskSwitch(c);
    return;
  }
  if (type === 0x01 || type === 0x09) {
    if ((attr & A_P) === 0) raiseFault(c, 11, err);
    switchTask(c, sel, TaskSource.JMP, 0);
    checkEipAfterTaskSwitch(c);
    return;
  }
  raiseFault(c, 13, err);
}

function checkEipAfterTaskSwitch(c: Cpu): void {
  if (c.eip >>> 0 > c.segLimit[CS]! >>> 0) raiseFault(c, 13, 0);
}

function checkCodeTarget(c: Cpu, attr: number, dpl: number, rpl: number, err: number): void {
  if ((attr & 4) !== 0) {
    if (dpl > c.cpl) raiseFault(c, 13, err);
  } else if (rpl > c.cpl || dpl !== c.cpl) {
    raiseFault(c, 13, err);
  }
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
}

/** CALL ptr16:16/32 or CALL m16:16/32. `c.eip` is the return address. */
export function callFar(c: Cpu, sel: number, off: number, o32: boolean): void {
  sel &= 0xffff;
  if (!o32) off &= 0xffff;
  if (!c.protectedMode || c.v86Mode) {
    if (off >>> 0 > c.segLimit[CS]! >>> 0) raiseFault(c, 13, 0);
    pushPair(c, c.segSel[CS]!, c.eip, o32);
    loadSegReal(c, CS, sel);
    c.eip = off;
    return;
  }
  const err = sel & 0xfffc;
  if (err === 0) raiseFault(c, 13, 0);
  if (!fetchDescriptor(c, sel)) raiseFault(c, 13, err);
  const lo = c.descLo;
  const hi = c.descHi;
  const attr = descAttr(hi);
  const dpl = (attr >> 5) & 3;
  if ((attr & 0x10) !== 0) {
    if ((attr & 8) === 0) raiseFault(c, 13, err);
    checkCodeTarget(c, attr, dpl, sel & 3, err);
    const limit = descLimit(lo, hi);
    const base = descBase(lo, hi);
    checkPushRoom(c, o32 ? 8 : 4);
    if (off >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
    pushPair(c, c.segSel[CS]!, c.eip, o32);
    setAccessed(c);
    c.loadSegmentCache(CS, (sel & 0xfffc) | c.cpl, base, limit, attr | 1);
    c.eip = off;
    return;
  }
  const type = attr & 0x1f;
  if (dpl < c.cpl || dpl < (sel & 3)) raiseFault(c, 13, err);
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
  if (type === 0x04 || type === 0x0c) {
    callGate(c, lo, hi, type === 0x0c);
    return;
  }
  if (type === 0x05) {
    switchTask(c, lo >>> 16, TaskSource.CALL, 0);
    checkEipAfterTaskSwitch(c);
    return;
  }
  if (type === 0x01 || type === 0x09) {
    switchTask(c, sel, TaskSource.CALL, 0);
    checkEipAfterTaskSwitch(c);
    return;
  }
  raiseFault(c, 13, err);
}

function callGate(c: Cpu, glo: number, ghi: number, gate32: boolean): void {
  const tsel = glo >>> 16;
  const toff = gate32 ? (glo & 0xffff) | (ghi & 0xffff0000) : glo & 0xffff;
  const params = ghi & 0x1f;
  const terr = tsel & 0xfffc;
  if (terr === 0) raiseFault(c, 13, 0);
  if (!fetchDescriptor(c, tsel)) raiseFault(c, 13, terr);
  const lo = c.descLo;
  const hi = c.descHi;
  const attr = descAttr(hi);
  const dpl = (attr >> 5) & 3;
  if ((attr & 0x18) !== 0x18 || dpl > c.cpl) raiseFault(c, 13, terr);
  if ((attr & A_P) === 0) raiseFault(c, 11, terr);
  const limit = descLimit(lo, hi);
  const base = descBase(lo, hi);
  const w = gate32 ? 4 : 2;
  if ((attr & 4) === 0 && dpl < c.cpl) {
    // More privilege: new stack from the TSS, copy the parameters.
    const st = readTssStack(c, dpl, 0);
    const ss32 = (st.ssAttr & 0x400) !== 0;
    const m = ss32 ? -1 : 0xffff;
    const n = 4 + params;
    let sp = st.esp & m;
    for (let k = 1; k <= n; k++) {
      if (!stackOffsetOk((sp - k * w) & m, w, st.ssAttr, st.ssLimit)) raiseFault(c, 12, st.ss & 0xfffc);
    }
    if (toff >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
    const oldSs = c.segSel[SS]!;
    const oldEsp = c.r32[4]!;
    // Read the parameters from the old stack first (they may fault).
    const vals = c.scratch;
    for (let k = 0; k < params; k++) {
      vals[k] = w === 4 ? peek32(c, (params - 1 - k) * 4) : peek16(c, (params - 1 - k) * 2);
    }
    const put = (v: number): void => {
      sp = (sp - w) & m;
      const lin = (st.ssBase + sp) | 0;
      if (w === 4) writeSys32(c, lin, v);
      else writeSys16(c, lin, v);
    };
    put(oldSs);
    put(oldEsp & (w === 4 ? -1 : 0xffff));
    for (let k = 0; k < params; k++) put(vals[k]!);
    put(c.segSel[CS]!);
    put(c.eip);
    c.loadSegmentCache(SS, st.ss, st.ssBase, st.ssLimit, st.ssAttr);
    c.r32[4] = ss32 ? sp : (st.esp & ~0xffff) | sp;
    c.loadSegmentCache(CS, terr | dpl, base, limit, attr | 1);
    c.setCpl(dpl);
    c.refreshMode();
    c.eip = toff;
    return;
  }
  // Same privilege (conforming target, or DPL = CPL).
  checkPushRoom(c, 2 * w);
  if (toff >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
  pushPair(c, c.segSel[CS]!, c.eip, gate32);
  c.loadSegmentCache(CS, terr | c.cpl, base, limit, attr | 1);
  c.eip = toff;
}

function checkPushRoom(c: Cpu, bytes: number): void {
  const m = c.spMask;
  const sp = c.r32[4]! & m;
  const attr = c.segAttr[SS]!;
  for (let k = 2; k <= bytes; k += 2) {
    if (!stackOffsetOk((sp - k) & m, 2, attr, c.segLimit[SS]!)) raiseFault(c, 12, 0);
  }
}

function pushPair(c: Cpu, sel: number, off: number, o32: boolean): void {
  const esp = c.r32[4]!;
  try {
    if (o32) {
      push32(c, sel);
      push32(c, off);
    } else {
      push16(c, sel);
      push16(c, off);
    }
  } catch (e) {
    c.r32[4] = esp;
    throw e;
  }
}

/** RET far [imm16]. */
export function retFar(c: Cpu, imm: number, o32: boolean): void {
  const w = o32 ? 4 : 2;
  const off = o32 ? peek32(c, 0) : peek16(c, 0);
  const sel = (o32 ? peek32(c, 4) : peek16(c, 2)) & 0xffff;
  const m = c.spMask;
  if (!c.protectedMode || c.v86Mode) {
    if (off >>> 0 > c.segLimit[CS]! >>> 0) raiseFault(c, 13, 0);
    loadSegReal(c, CS, sel);
    c.eip = off;
    const esp = c.r32[4]!;
    c.r32[4] = (esp & ~m) | ((esp + 2 * w + imm) & m);
    return;
  }
  const err = sel & 0xfffc;
  if (err === 0) raiseFault(c, 13, 0);
  if (!fetchDescriptor(c, sel)) raiseFault(c, 13, err);
  const lo = c.descLo;
  const hi = c.descHi;
  const attr = descAttr(hi);
  const dpl = (attr >> 5) & 3;
  const rpl = sel & 3;
  if ((attr & 0x18) !== 0x18 || rpl < c.cpl) raiseFault(c, 13, err);
  if ((attr & 4) !== 0 ? dpl > rpl : dpl !== rpl) raiseFault(c, 13, err);
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
  const limit = descLimit(lo, hi);
  const base = descBase(lo, hi);
  if (rpl === c.cpl) {
    if (off >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
    setAccessed(c);
    c.loadSegmentCache(CS, sel, base, limit, attr | 1);
    c.eip = off;
    const esp = c.r32[4]!;
    c.r32[4] = (esp & ~m) | ((esp + 2 * w + imm) & m);
    return;
  }
  // Return to an outer privilege level: SS:ESP follow the parameters.
  const newEsp = o32 ? peek32(c, 8 + imm) : peek16(c, 4 + imm);
  const newSs = (o32 ? peek32(c, 12 + imm) : peek16(c, 6 + imm)) & 0xffff;
  const sattr = checkOuterStack(c, newSs, rpl);
  const slo = c.descLo;
  const shi = c.descHi;
  if (off >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
  c.loadSegmentCache(CS, sel, base, limit, attr | 1);
  c.setCpl(rpl);
  c.loadSegmentCache(SS, newSs, descBase(slo, shi), descLimit(slo, shi), sattr | 1);
  c.r32[4] = (sattr & 0x400) !== 0 ? (newEsp + imm) | 0 : (c.r32[4]! & ~0xffff) | ((newEsp + imm) & 0xffff);
  c.eip = off;
  c.refreshMode();
  nullifyInaccessibleSegments(c);
}

function checkOuterStack(c: Cpu, ss: number, rpl: number): number {
  const err = ss & 0xfffc;
  if (err === 0) raiseFault(c, 13, 0);
  if (!fetchDescriptor(c, ss)) raiseFault(c, 13, err);
  const attr = descAttr(c.descHi);
  if ((ss & 3) !== rpl || ((attr >> 5) & 3) !== rpl || (attr & 0x1a) !== 0x12) raiseFault(c, 13, err);
  if ((attr & A_P) === 0) raiseFault(c, 12, err);
  setAccessed(c);
  return attr;
}

/** IRET / IRETD. */
export function iret(c: Cpu, o32: boolean): void {
  const m = c.spMask;
  if (!c.protectedMode) {
    const off = o32 ? peek32(c, 0) : peek16(c, 0);
    const sel = (o32 ? peek32(c, 4) : peek16(c, 2)) & 0xffff;
    const fl = o32 ? peek32(c, 8) : peek16(c, 4);
    if (off >>> 0 > c.segLimit[CS]! >>> 0) raiseFault(c, 13, 0);
    loadSegReal(c, CS, sel);
    c.eip = off;
    const esp = c.r32[4]!;
    c.r32[4] = (esp & ~m) | ((esp + (o32 ? 12 : 6)) & m);
    const cur = getFlags(c);
    if (o32) c.setEflags((fl & 0x257fd5) | (cur & 0x1a0000));
    else c.setEflags((cur & ~0xffff) | (fl & 0xffff));
    c.nmiBlocked = false;
    return;
  }
  if (c.v86Mode) {
    if ((c.fl & Flag.IOPL) !== Flag.IOPL) raiseFault(c, 13, 0);
    const off = o32 ? peek32(c, 0) : peek16(c, 0);
    const sel = (o32 ? peek32(c, 4) : peek16(c, 2)) & 0xffff;
    const fl = o32 ? peek32(c, 8) : peek16(c, 4);
    if (off >>> 0 > c.segLimit[CS]! >>> 0) raiseFault(c, 13, 0);
    loadSegReal(c, CS, sel);
    c.eip = o32 ? off : off & 0xffff;
    const esp = c.r32[4]!;
    c.r32[4] = (esp & ~m) | ((esp + (o32 ? 12 : 6)) & m);
    const cur = getFlags(c);
    // IOPL, VM, VIP, VIF are unchanged.
    const keep = Flag.IOPL | Flag.VM | Flag.VIP | Flag.VIF | (o32 ? 0 : 0xffff0000);
    c.setEflags((cur & keep) | (fl & ~keep));
    c.nmiBlocked = false;
    return;
  }
  c.nmiBlocked = false;
  if ((c.fl & Flag.NT) !== 0) {
    // Return from a nested task through the back link.
    const link = readSys16(c, c.trBase);
    switchTask(c, link, TaskSource.IRET, 0);
    checkEipAfterTaskSwitch(c);
    return;
  }
  const off = o32 ? peek32(c, 0) : peek16(c, 0);
  const sel = (o32 ? peek32(c, 4) : peek16(c, 2)) & 0xffff;
  const fl = o32 ? peek32(c, 8) : peek16(c, 4);
  if (o32 && (fl & Flag.VM) !== 0 && c.cpl === 0) {
    iretToV86(c, off, sel, fl);
    return;
  }
  const err = sel & 0xfffc;
  if (err === 0) raiseFault(c, 13, 0);
  if (!fetchDescriptor(c, sel)) raiseFault(c, 13, err);
  const lo = c.descLo;
  const hi = c.descHi;
  const attr = descAttr(hi);
  const dpl = (attr >> 5) & 3;
  const rpl = sel & 3;
  if ((attr & 0x18) !== 0x18 || rpl < c.cpl) raiseFault(c, 13, err);
  if ((attr & 4) !== 0 ? dpl > rpl : dpl !== rpl) raiseFault(c, 13, err);
  if ((attr & A_P) === 0) raiseFault(c, 11, err);
  const limit = descLimit(lo, hi);
  const base = descBase(lo, hi);
  const oldCpl = c.cpl;
  const newFlags = iretFlags(c, fl, o32, oldCpl);
  if (rpl === oldCpl) {
    if (off >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
    setAccessed(c);
    c.loadSegmentCache(CS, sel, base, limit, attr | 1);
    c.eip = off;
    const esp = c.r32[4]!;
    c.r32[4] = (esp & ~m) | ((esp + (o32 ? 12 : 6)) & m);
    c.setEflags(newFlags);
    return;
  }
  const newEsp = o32 ? peek32(c, 12) : peek16(c, 6);
  const newSs = (o32 ? peek32(c, 16) : peek16(c, 8)) & 0xffff;
  const sattr = checkOuterStack(c, newSs, rpl);
  const slo = c.descLo;
  const shi = c.descHi;
  if (off >>> 0 > limit >>> 0) raiseFault(c, 13, 0);
  c.loadSegmentCache(CS, sel, base, limit, attr | 1);
  c.setCpl(rpl);
  c.loadSegmentCache(SS, newSs, descBase(slo, shi), descLimit(slo, shi), sattr | 1);
  c.r32[4] = (sattr & 0x400) !== 0 ? newEsp : (c.r32[4]! & ~0xffff) | (newEsp & 0xffff);
  c.eip = off;
  c.setEflags(newFlags);
  c.refreshMode();
  nullifyInaccessibleSegments(c);
}

/** EFLAGS after a protected-mode IRET at privilege `cpl` (IOPL and IF are privileged). */
function iretFlags(c: Cpu, fl: number, o32: boolean, cpl: number): number {
  const cur = getFlags(c);
  const iopl = (cur >> 12) & 3;
  let mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT;
  if (o32) mask |= Flag.RF | Flag.AC | Flag.ID;
  if (cpl <= iopl) mask |= Flag.IF;
  if (cpl === 0) {
    mask |= Flag.IOPL;
    if (o32) mask |= Flag.VIF | Flag.VIP;
  }
  return (cur & ~mask) | (fl & mask);
}

function iretToV86(c: Cpu, off: number, sel: number, fl: number): void {
  // Stack: EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS (dwords).
  const vals = c.scratch;
  for (let k = 3; k < 9; k++) vals[k] = peek32(c, k * 4);
  const newEsp = vals[3]!;
  c.setEflags(fl);
  c.refreshMode();
  loadSegReal(c, CS, sel);
  loadSegReal(c, SS, vals[4]!);
  loadSegReal(c, Seg.ES, vals[5]!);
  loadSegReal(c, Seg.DS, vals[6]!);
  loadSegReal(c, Seg.FS, vals[7]!);
  loadSegReal(c, Seg.GS, vals[8]!);
  c.r32[4] = newEsp;
  c.eip = off & 0xffff;
  c.refreshMode();
}

/** Reads a far pointer (offset, then selector) at `seg:off`; returns the offset, leaves the selector in `c.farSel`. */
export function readFarPointer(c: Cpu, seg: number, off: number, o32: boolean, amask: number): number {
  const o = o32 ? rd32(c, seg, off) : rd16(c, seg, off);
  c.farSel = rd16(c, seg, (off + (o32 ? 4 : 2)) & amask);
  return o;
}
