/**
 * Delivery of interrupts and exceptions (SDM vol. 3A, ch. 6; vol. 2, INT n/INTO/INT3 pseudo-code):
 * real-mode IVT, protected-mode IDT gates (interrupt, trap, task; 16- and 32-bit), privilege
 * changes through the TSS, entry from virtual-8086 mode, error codes with the EXT bit, and the
 * double-fault / triple-fault escalation of SDM vol. 3A, table 6-5.
 */
import { readSys16, readSys32, wr16, wr32, writeSys16, writeSys32 } from './access.js';
import { Cr0, Flag, Seg } from './constants.js';
import type { Cpu } from './cpu.js';
import { FAULT, raiseFault } from './fault.js';
import { getFlags } from './flags.js';
import { A_P, descAttr, descBase, descLimit, fetchDescriptor, loadSegReal } from './segmentation.js';
import { readTssStack, switchTask, TaskSource } from './task-switch.js';

/** How an event arose: decides privilege checks, the EXT bit and the pushed EIP. */
export const EventKind = {
  /** A fault or abort detected by the processor. */
  EXCEPTION: 0,
  /** INT n (opcode CD): gate DPL checked, IOPL-sensitive in virtual-8086 mode. */
  SOFTWARE: 1,
  /** INT3 / INTO / BOUND-style software exceptions: gate DPL checked. */
  SOFTWARE_EXCEPTION: 2,
  /** An external interrupt (INTR). */
  EXTERNAL: 3,
  /** NMI. */
  NMI: 4,
  /** A trap detected after an instruction (single-step #DB). */
  TRAP: 5,
  /** INT1 / ICEBP (F1): like an external #DB, no DPL check. */
  ICEBP: 6,
} as const;

const CONTRIBUTORY = (1 << 0) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13);
const HAS_ERROR_CODE = (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17);

/** Whether exception `second`, raised while delivering `first`, becomes a double fault. */
function isDoubleFault(first: number, second: number): boolean {
  const firstContrib = first < 32 && ((CONTRIBUTORY >> first) & 1) !== 0;
  const secondContrib = second < 32 && ((CONTRIBUTORY >> second) & 1) !== 0;
  if (firstContrib && secondContrib) return true;
  if (first === 14 && (secondContrib || second === 14)) return true;
  return false;
}

/**
 * Hook that a virtualization layer installs to intercept events before delivery. Returns true
 * when the event was consumed (turned into an exit).
 */
export type EventInterceptor = (c: Cpu, vector: number, code: number, kind: number) => boolean;

/**
 * Delivers an event (exception, software interrupt, external interrupt, NMI). Faults during
 * delivery escalate per the double-fault rules; a fault while delivering #DF shuts down.
 * Never throws a guest fault.
 */
export function deliverEvent(c: Cpu, vector: number, code: number, kind: number): void {
  let v = vector;
  let cd = code;
  let k = kind;
  let first = -1;
  for (let guard = 0; guard < 8; guard++) {
    // An intercepted #PF leaves CR2 alone (SVM passes the address in EXITINFO2).
    if (c.eventInterceptor?.(c, v, cd, k)) return;
    if (v === 14 && k === EventKind.EXCEPTION) c.cr2 = c.excAddr;
    const eipBefore = c.eip;
    try {
      c.ext = k === EventKind.SOFTWARE || k === EventKind.SOFTWARE_EXCEPTION ? 0 : 1;
      deliverOnce(c, v, cd, k);
      c.ext = 0;
      return;
    } catch (e) {
      if (e !== FAULT) throw e;
      c.eip = eipBefore;
      const nv = c.excVector;
      const ncd = c.excCode;
      const firstClass = k === EventKind.EXCEPTION || k === EventKind.TRAP ? v : -1;
      if (firstClass === 8) {
        c.shutdown = true;
        return;
      }
      if (firstClass >= 0 && isDoubleFault(firstClass, nv)) {
        v = 8;
        cd = 0;
      } else {
        v = nv;
        cd = ncd;
      }
      k = EventKind.EXCEPTION;
      if (first < 0) first = v;
    }
  }
  c.shutdown = true;
}

function deliverOnce(c: Cpu, vector: number, code: number, kind: number): void {
  if (!c.protectedMode) {
    deliverReal(c, vector);
    return;
  }
  if (c.v86Mode && kind === EventKind.SOFTWARE && (c.fl & Flag.IOPL) !== Flag.IOPL) {
    raiseFault(c, 13, 0);
  }
  deliverProtected(c, vector, code, kind);
}

/** Real-address mode: push FLAGS, CS, IP and jump through the IVT (SDM vol. 2, INT n). */
function deliverReal(c: Cpu, vector: number): void {
  const entry = vector << 2;
  if (entry + 3 > c.idtLimit >>> 0) raiseFault(c, 13, 0);
  const ip = rd16Idt(c, entry);
  const cs = rd16Idt(c, entry + 2);
  const flags = getFlags(c);
  const m = c.spMask;
  const esp = c.r32[4]!;
  wr16(c, Seg.SS, (esp - 2) & m, flags);
  wr16(c, Seg.SS, (esp - 4) & m, c.segSel[Seg.CS]!);
  wr16(c, Seg.SS, (esp - 6) & m, c.eip);
  c.r32[4] = (esp & ~m) | ((esp - 6) & m);
  c.fl = flags & ~(Flag.IF | Flag.TF | Flag.AC | Flag.RF);
  c.lz = 0;
  loadSegReal(c, Seg.CS, cs);
  c.eip = ip;
}

function rd16Idt(c: Cpu, off: number): number {
  // The IVT is read at IDTR.base + offset (linear = physical in real mode).
  return readSys16(c, (c.idtBase + off) | 0);
}

/** Protected mode (and virtual-8086 mode): IDT gate dispatch. */
function deliverProtected(c: Cpu, vector: number, code: number, kind: number): void {
  const ext = c.ext;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > c.idtLimit >>> 0) raiseFault(c, 13, idtErr);
  const gAddr = (c.idtBase + vector * 8) | 0;
  const lo = readSys32(c, gAddr);
  const hi = readSys32(c, (gAddr + 4) | 0);
  const type = (hi >>> 8) & 0x1f;
  const gdpl = (hi >>> 13) & 3;
  if (type !== 0x05 && type !== 0x06 && type !== 0x07 && type !== 0x0e && type !== 0x0f) {
    raiseFault(c, 13, idtErr);
  }
  const software = kind === EventKind.SOFTWARE || kind === EventKind.SOFTWARE_EXCEPTION;
  if (software && gdpl < c.cpl) raiseFault(c, 13, idtErr);
  if ((hi & 0x8000) === 0) raiseFault(c, 11, idtErr);
  const pushCode =
    kind === EventKind.EXCEPTION && code >= 0 && vector < 32 && ((HAS_ERROR_CODE >> vector) & 1) !== 0;

  if (type === 0x05) {
    // Task gate.
    const tssSel = lo >>> 16;
    switchTask(c, tssSel, TaskSource.INT, ext);
    if (pushCode) {
      // The error code goes on the new task's stack, in the TSS's operand size.
      if ((c.trAttr & 0x8) !== 0) pushSys32(c, code);
      else pushSys16(c, code);
    }
    return;
  }

  const gate32 = (type & 8) !== 0;
  const trapGate = (type & 1) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) raiseFault(c, 13, ext);
  if (!fetchDescriptor(c, sel)) raiseFault(c, 13, (sel & 0xfffc) + ext);
  const dlo = c.descLo;
  const dhi = c.descHi;
  const attr = descAttr(dhi);
  const dpl = (attr >> 5) & 3;
  if ((attr & 0x18) !== 0x18 || dpl > c.cpl) raiseFault(c, 13, (sel & 0xfffc) + ext);
  if ((attr & A_P) === 0) raiseFault(c, 11, (sel & 0xfffc) + ext);
  const conforming = (attr & 4) !== 0;
  const limit = descLimit(dlo, dhi);
  const base = descBase(dlo, dhi);
  const oldFlags = getFlags(c);
  const oldCs = c.segSel[Seg.CS]!;
  const oldEip = c.eip;
  const fromV86 = c.v86Mode;

  if (!conforming && dpl < c.cpl) {
    // Inter-privilege: switch to the inner stack from the TSS.
    if (fromV86 && dpl !== 0) raiseFault(c, 13, (sel & 0xfffc) + ext);
    const st = readTssStack(c, dpl, ext);
    const newSs = st.ss;
    const newEsp = st.esp;
    const ssAttr = st.ssAttr;
    const ssBase = st.ssBase;
    const ssLimit = st.ssLimit;
    const oldSs = c.segSel[Seg.SS]!;
    const oldEsp = c.r32[4]!;
    const ss32 = (ssAttr & 0x400) !== 0;
    const m = ss32 ? -1 : 0xffff;
    const w = gate32 ? 4 : 2;
    const n = (fromV86 ? 9 : 5) + (pushCode ? 1 : 0);
    let sp = newEsp & m;
    // Every push must fit the new stack segment before anything changes (#SS(newSS)).
    for (let k = 1; k <= n; k++) {
      if (!stackOffsetOk((sp - k * w) & m, w, ssAttr, ssLimit)) raiseFault(c, 12, (newSs & 0xfffc) + ext);
    }
    const push = (v: number): void => {
      sp = (sp - w) & m;
      const lin = (ssBase + sp) | 0;
      if (w === 4) writeSys32(c, lin, v);
      else writeSys16(c, lin, v);
    };
    if (fromV86) {
      push(c.segSel[Seg.GS]!);
      push(c.segSel[Seg.FS]!);
      push(c.segSel[Seg.DS]!);
      push(c.segSel[Seg.ES]!);
    }
    push(oldSs);
    push(oldEsp);
    push(oldFlags);
    push(oldCs);
    push(oldEip);
    if (pushCode) push(code);
    if (offset >>> 0 > limit >>> 0) raiseFault(c, 13, ext);
    // Commit.
    c.fl = oldFlags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM | (trapGate ? 0 : Flag.IF));
    c.lz = 0;
    if (fromV86) {
      c.refreshMode();
      c.loadSegmentCache(Seg.GS, 0, 0, 0, 0);
      c.loadSegmentCache(Seg.FS, 0, 0, 0, 0);
      c.loadSegmentCache(Seg.DS, 0, 0, 0, 0);
      c.loadSegmentCache(Seg.ES, 0, 0, 0, 0);
    }
    c.loadSegmentCache(Seg.SS, newSs, ssBase, ssLimit, ssAttr);
    c.r32[4] = (newEsp & ~m) | sp;
    c.loadSegmentCache(Seg.CS, (sel & 0xfffc) | dpl, base, limit, attr);
    c.setCpl(dpl);
    c.refreshMode();
    c.eip = offset;
    return;
  }
  if (fromV86) raiseFault(c, 13, (sel & 0xfffc) + ext);
  if (!conforming && dpl !== c.cpl) raiseFault(c, 13, (sel & 0xfffc) + ext);
  // Same privilege.
  const w = gate32 ? 4 : 2;
  const m = c.spMask;
  const esp = c.r32[4]!;
  let sp = esp & m;
  const push = (v: number): void => {
    sp = (sp - w) & m;
    if (w === 4) wr32(c, Seg.SS, sp, v);
    else wr16(c, Seg.SS, sp, v);
  };
  push(oldFlags);
  push(oldCs);
  push(oldEip);
  if (pushCode) push(code);
  if (offset >>> 0 > limit >>> 0) raiseFault(c, 13, ext);
  c.r32[4] = (esp & ~m) | sp;
  c.fl = oldFlags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM | (trapGate ? 0 : Flag.IF));
  c.lz = 0;
  c.loadSegmentCache(Seg.CS, (sel & 0xfffc) | c.cpl, base, limit, attr);
  c.eip = offset;
}

function pushSys32(c: Cpu, v: number): void {
  const m = c.spMask;
  const esp = c.r32[4]!;
  const sp = (esp - 4) & m;
  wr32(c, Seg.SS, sp, v);
  c.r32[4] = (esp & ~m) | sp;
}

function pushSys16(c: Cpu, v: number): void {
  const m = c.spMask;
  const esp = c.r32[4]!;
  const sp = (esp - 2) & m;
  wr16(c, Seg.SS, sp, v);
  c.r32[4] = (esp & ~m) | sp;
}

/** INT n / INT3 / INTO from an instruction: `c.eip` already points past it. */
export function softwareInterrupt(c: Cpu, vector: number, kind: number): void {
  if (c.protectedMode && c.v86Mode && kind === EventKind.SOFTWARE && (c.fl & Flag.IOPL) !== Flag.IOPL) {
    raiseFault(c, 13, 0);
  }
  if (c.eventInterceptor?.(c, vector, -1, kind)) return;
  if (!c.protectedMode) deliverReal(c, vector);
  else deliverProtected(c, vector, -1, kind);
}

/** Whether CR0.PE is set (exported for tests of mode transitions). */
export function inProtectedMode(c: Cpu): boolean {
  return (c.cr0 & Cr0.PE) !== 0;
}

/** Whether a `w`-byte stack access at offset `off` fits a stack segment (expand-up or -down). */
export function stackOffsetOk(off: number, w: number, attr: number, limit: number): boolean {
  const u = off >>> 0;
  const last = u + w - 1;
  if ((attr & 0x1c) === 0x14) {
    const top = (attr & 0x400) !== 0 ? 0xffffffff : 0xffff;
    return u > limit >>> 0 && last <= top;
  }
  return last <= limit >>> 0;
}
