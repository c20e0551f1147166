/**
 * Hardware task switching (SDM vol. 3A, §7.3 "Task Switching"): through a TSS descriptor or a
 * task gate, from JMP, CALL, INT/exceptions and IRET with EFLAGS.NT; 16- and 32-bit TSS formats;
 * busy bits, the back link, NT, CR3 and LDTR loads, CR0.TS; faults after the commit point are
 * raised in the context of the new task. Also the inner-ring stack lookup of privilege changes.
 */
import { readSys8, readSys16, readSys32, writeSys8, writeSys16, writeSys32 } from './access.js';
import { Cr0, Flag, Seg } from './constants.js';
import type { Cpu } from './cpu.js';
import { raiseFault } from './fault.js';
import { getFlags } from './flags.js';
import { A_P, descAttr, descBase, descLimit, fetchDescriptor, setAccessed } from './segmentation.js';

/** What started a task switch. */
export const TaskSource = {
  JMP: 0,
  CALL: 1,
  INT: 2,
  IRET: 3,
} as const;

/** An inner-ring stack from the TSS, validated. */
export interface TssStack {
  ss: number;
  esp: number;
  ssBase: number;
  ssLimit: number;
  ssAttr: number;
}

/**
 * Reads SS:ESP for privilege level `dpl` from the current TSS and validates the stack segment
 * (SDM vol. 3A, §6.12.1): #TS for a bad selector or descriptor, #SS when not present.
 */
export function readTssStack(c: Cpu, dpl: number, ext: number): TssStack {
  const tss32 = (c.trAttr & 8) !== 0;
  let ss: number;
  let esp: number;
  if (tss32) {
    const off = 4 + dpl * 8;
    if (off + 5 > c.trLimit >>> 0) raiseFault(c, 10, (c.trSel & 0xfffc) + ext);
    esp = readSys32(c, (c.trBase + off) | 0);
    ss = readSys16(c, (c.trBase + off + 4) | 0);
  } else {
    const off = 2 + dpl * 4;
    if (off + 3 > c.trLimit >>> 0) raiseFault(c, 10, (c.trSel & 0xfffc) + ext);
    esp = readSys16(c, (c.trBase + off) | 0);
    ss = readSys16(c, (c.trBase + off + 2) | 0);
  }
  const err = (ss & 0xfffc) + ext;
  if ((ss & 0xfffc) === 0) raiseFault(c, 10, ext);
  if (!fetchDescriptor(c, ss)) raiseFault(c, 10, err);
  const attr = descAttr(c.descHi);
  if ((ss & 3) !== dpl || ((attr >> 5) & 3) !== dpl || (attr & 0x1a) !== 0x12) raiseFault(c, 10, err);
  if ((attr & A_P) === 0) raiseFault(c, 12, err);
  setAccessed(c);
  return {
    ss,
    esp,
    ssBase: descBase(c.descLo, c.descHi),
    ssLimit: descLimit(c.descLo, c.descHi),
    ssAttr: attr | 1,
  };
}

/**
 * Switches to the task whose TSS selector is `sel`. `c.eip` must hold the EIP to save for the
 * old task. Faults before the commit point leave the old task intact; later ones are in the new
 * task.
 */
export function switchTask(c: Cpu, sel: number, source: number, ext: number): void {
  const err = (sel & 0xfffc) + ext;
  const iret = source === TaskSource.IRET;
  if ((sel & 4) !== 0) raiseFault(c, iret ? 10 : 13, err);
  if (!fetchDescriptor(c, sel)) raiseFault(c, iret ? 10 : 13, err);
  const lo = c.descLo;
  const hi = c.descHi;
  const descAddr = c.descAddr;
  const type = (hi >>> 8) & 0x1f;
  if (iret) {
    if (type !== 0x03 && type !== 0x0b) raiseFault(c, 10, err);
  } else if (type !== 0x01 && type !== 0x09) {
    raiseFault(c, 13, err);
  }
  if ((hi & 0x8000) === 0) raiseFault(c, 11, err);
  const newBase = descBase(lo, hi);
  const newLimit = descLimit(lo, hi);
  const tss32 = (type & 8) !== 0;
  if (newLimit >>> 0 < (tss32 ? 0x67 : 0x2b)) raiseFault(c, 10, err);

  // Read the whole new state first (its pages must be present before anything changes).
  const s = c.scratch;
  if (tss32) {
    s[0] = readSys32(c, (newBase + 0x1c) | 0); // CR3
    s[1] = readSys32(c, (newBase + 0x20) | 0); // EIP
    s[2] = readSys32(c, (newBase + 0x24) | 0); // EFLAGS
    for (let k = 0; k < 8; k++) s[3 + k] = readSys32(c, (newBase + 0x28 + 4 * k) | 0);
    for (let k = 0; k < 6; k++) s[11 + k] = readSys16(c, (newBase + 0x48 + 4 * k) | 0);
    s[17] = readSys16(c, (newBase + 0x60) | 0); // LDT
  } else {
    s[0] = c.cr3;
    s[1] = readSys16(c, (newBase + 0x0e) | 0);
    s[2] = readSys16(c, (newBase + 0x10) | 0);
    for (let k = 0; k < 8; k++) s[3 + k] = readSys16(c, (newBase + 0x12 + 2 * k) | 0);
    for (let k = 0; k < 4; k++) s[11 + k] = readSys16(c, (newBase + 0x22 + 2 * k) | 0);
    s[15] = c.segSel[Seg.FS]!;
    s[16] = c.segSel[Seg.GS]!;
    s[17] = readSys16(c, (newBase + 0x2a) | 0);
  }

  // Save the old task.
  let flags = getFlags(c);
  if (iret) flags &= ~Flag.NT;
  const ob = c.trBase;
  if ((c.trAttr & 8) !== 0) {
    writeSys32(c, (ob + 0x20) | 0, c.eip);
    writeSys32(c, (ob + 0x24) | 0, flags);
    for (let k = 0; k < 8; k++) writeSys32(c, (ob + 0x28 + 4 * k) | 0, c.r32[k]!);
    for (let k = 0; k < 6; k++) writeSys16(c, (ob + 0x48 + 4 * k) | 0, c.segSel[k]!);
  } else {
    writeSys16(c, (ob + 0x0e) | 0, c.eip);
    writeSys16(c, (ob + 0x10) | 0, flags);
    for (let k = 0; k < 8; k++) writeSys16(c, (ob + 0x12 + 2 * k) | 0, c.r32[k]!);
    for (let k = 0; k < 4; k++) writeSys16(c, (ob + 0x22 + 2 * k) | 0, c.segSel[k]!);
  }
  // Busy bits and the back link.
  if (source === TaskSource.JMP || iret) {
    const oldDesc = (c.gdtBase + (c.trSel & 0xfff8) + 5) | 0;
    logUndo(c, oldDesc, 1);
    writeSys8(c, oldDesc, c.trAttr & ~0x2 & 0xff);
  }
  if (source === TaskSource.CALL || source === TaskSource.INT) {
    logUndo(c, newBase, 2);
    writeSys16(c, newBase, c.trSel);
  }
  const newAttr = descAttr(hi) | 0x2;
  if (!iret) {
    logUndo(c, (descAddr + 5) | 0, 1);
    writeSys8(c, (descAddr + 5) | 0, newAttr & 0xff);
  }

  // Commit: TR, CR3, registers, flags, raw selectors.
  c.trSel = sel & 0xffff;
  c.trBase = newBase;
  c.trLimit = newLimit;
  c.trAttr = newAttr;
  if (tss32 && (c.cr0 & Cr0.PG) !== 0 && s[0] !== c.cr3) {
    c.cr3 = s[0]!;
    c.flushTlbNonGlobal();
  } else if (tss32) {
    c.cr3 = s[0]!;
  }
  c.eip = s[1]!;
  let nflags = s[2]!;
  if (!tss32) nflags = (nflags & 0xffff) | 0;
  if (source === TaskSource.CALL || source === TaskSource.INT) nflags |= Flag.NT;
  for (let k = 0; k < 8; k++) {
    if (tss32) c.r32[k] = s[3 + k]!;
    else c.r16[k * 2] = s[3 + k]!;
  }
  c.cr0 |= Cr0.TS;
  c.setEflags(nflags);
  c.ldtSel = s[17]!;
  for (let k = 0; k < 6; k++) c.segSel[k] = s[11 + k]!;
  const v86 = (nflags & Flag.VM) !== 0 && tss32;
  if (v86) {
    for (let k = 0; k < 6; k++)
      c.loadSegmentCache(k, s[11 + k]!, s[11 + k]! << 4, 0xffff, k === Seg.CS ? 0xfb : 0xf3);
    c.refreshMode();
  } else {
    // CPL comes from the new CS selector's RPL.
    c.setCpl(s[12]! & 3);
  }
  loadTaskLdt(c, s[17]!);
  if (!v86) loadTaskSegments(c, s);
  c.refreshMode();
}

function loadTaskLdt(c: Cpu, sel: number): void {
  const err = sel & 0xfffc;
  if (err === 0) {
    c.ldtSel = sel;
    c.ldtBase = 0;
    c.ldtLimit = 0;
    c.ldtAttr = 0;
    return;
  }
  if ((sel & 4) !== 0) raiseFault(c, 10, err);
  if (!fetchDescriptor(c, sel)) raiseFault(c, 10, err);
  const attr = descAttr(c.descHi);
  if ((attr & 0x1f) !== 0x02) raiseFault(c, 10, err);
  if ((attr & A_P) === 0) raiseFault(c, 10, err);
  c.ldtSel = sel;
  c.ldtBase = descBase(c.descLo, c.descHi);
  c.ldtLimit = descLimit(c.descLo, c.descHi);
  c.ldtAttr = attr;
}

function loadTaskSegments(c: Cpu, s: Int32Array): void {
  const csSel = s[12]!;
  const cpl = csSel & 3;
  // CS.
  {
    const err = csSel & 0xfffc;
    if (err === 0) raiseFault(c, 10, 0);
    if (!fetchDescriptor(c, csSel)) raiseFault(c, 10, err);
    const attr = descAttr(c.descHi);
    const dpl = (attr >> 5) & 3;
    if ((attr & 0x18) !== 0x18) raiseFault(c, 10, err);
    if ((attr & 4) === 0 ? dpl !== cpl : dpl > cpl) raiseFault(c, 10, err);
    if ((attr & A_P) === 0) raiseFault(c, 11, err);
    setAccessed(c);
    c.loadSegmentCache(Seg.CS, csSel, descBase(c.descLo, c.descHi), descLimit(c.descLo, c.descHi), attr | 1);
    c.setCpl(cpl);
  }
  // SS.
  {
    const ss = s[13]!;
    const err = ss & 0xfffc;
    if (err === 0) raiseFault(c, 10, 0);
    if (!fetchDescriptor(c, ss)) raiseFault(c, 10, err);
    const attr = descAttr(c.descHi);
    if ((ss & 3) !== cpl || ((attr >> 5) & 3) !== cpl || (attr & 0x1a) !== 0x12) raiseFault(c, 10, err);
    if ((attr & A_P) === 0) raiseFault(c, 12, err);
    setAccessed(c);
    c.loadSegmentCache(Seg.SS, ss, descBase(c.descLo, c.descHi), descLimit(c.descLo, c.descHi), attr | 1);
  }
  // Data segments.
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const sel = s[11 + seg]!;
    const err = sel & 0xfffc;
    if (err === 0) {
      c.loadSegmentCache(seg, sel, 0, 0, 0);
      continue;
    }
    if (!fetchDescriptor(c, sel)) raiseFault(c, 10, err);
    const attr = descAttr(c.descHi);
    const dpl = (attr >> 5) & 3;
    const code = (attr & 8) !== 0;
    if ((attr & 0x10) === 0 || (code && (attr & 2) === 0)) raiseFault(c, 10, err);
    if ((!code || (attr & 4) === 0) && (dpl < cpl || dpl < (sel & 3))) raiseFault(c, 10, err);
    if ((attr & A_P) === 0) raiseFault(c, 11, err);
    setAccessed(c);
    c.loadSegmentCache(seg, sel, descBase(c.descLo, c.descHi), descLimit(c.descLo, c.descHi), attr | 1);
  }
}

/**
 * In guest mode, remembers the old contents of a system-structure location before a task switch
 * writes it, so that an event delivery ended by a VM exit can be undone (Cpu.deliver).
 */
function logUndo(c: Cpu, lin: number, size: 1 | 2): void {
  if (c.npt === null) return;
  c.undoLog.push(lin, size, size === 1 ? readSys8(c, lin) : readSys16(c, lin));
}
