/**
 * Segment-register instructions: MOV Sreg, MOV r/m ← Sreg, PUSH/POP Sreg, LDS/LES/LSS/LFS/LGS.
 * Loading SS inhibits interrupts (and debug traps) until after the next instruction.
 */
import { ea, rd16, rd32, wr16 } from '../access.js';
import { type Cpu, EV_SHADOW } from '../cpu.js';
import { raiseUd } from '../fault.js';
import type { Insn } from '../insn.js';
import { loadSeg } from '../segmentation.js';
import { peek16, peek32, push16 } from '../stack.js';

const SS = 2;
const CS = 1;
const ESP = 4;

function load(c: Cpu, seg: number, sel: number): void {
  if (seg === CS || seg > 5) raiseUd(c);
  loadSeg(c, seg, sel);
  if (seg === SS) c.events |= EV_SHADOW;
}

/** MOV Sreg, r16. */
export function mov_sreg_R(c: Cpu, i: Insn): void {
  load(c, i.reg, c.r16[i.rm]!);
}
/** MOV Sreg, m16. */
export function mov_sreg_M(c: Cpu, i: Insn): void {
  if (i.reg === CS || i.reg > 5) raiseUd(c);
  load(c, i.reg, rd16(c, i.seg, ea(c, i)));
}
/** MOV r16/r32, Sreg (32-bit operand size zero-extends). */
export function mov_R_sreg(c: Cpu, i: Insn): void {
  if (i.reg > 5) raiseUd(c);
  const v = c.segSel[i.reg]!;
  if ((i.flags & 1) !== 0) c.r32[i.rm] = v;
  else c.r16[i.rm * 2] = v;
}
/** MOV m16, Sreg. */
export function mov_M_sreg(c: Cpu, i: Insn): void {
  if (i.reg > 5) raiseUd(c);
  wr16(c, i.seg, ea(c, i), c.segSel[i.reg]!);
}
/** PUSH Sreg (16-bit). */
export function push_sreg_w(c: Cpu, i: Insn): void {
  push16(c, c.segSel[i.reg]!);
}
/** PUSH Sreg (32-bit operand size: ESP moves by 4, only the low word is written, as P6 and later do). */
export function push_sreg_d(c: Cpu, i: Insn): void {
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  const nsp = (esp - 4) & m;
  wr16(c, SS, nsp, c.segSel[i.reg]!);
  c.r32[ESP] = (esp & ~m) | nsp;
}
/** POP Sreg (16-bit). */
export function pop_sreg_w(c: Cpu, i: Insn): void {
  const v = peek16(c, 0);
  load(c, i.reg, v);
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  c.r32[ESP] = (esp & ~m) | ((esp + 2) & m);
}
/** POP Sreg (32-bit). */
export function pop_sreg_d(c: Cpu, i: Insn): void {
  const v = peek32(c, 0) & 0xffff;
  load(c, i.reg, v);
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  c.r32[ESP] = (esp & ~m) | ((esp + 4) & m);
}
/** LDS/LES/LSS/LFS/LGS r16, m16:16 (segment register in imm2). */
export function lxs_w(c: Cpu, i: Insn): void {
  const off = ea(c, i);
  const v = rd16(c, i.seg, off);
  const sel = rd16(c, i.seg, (off + 2) & i.amask);
  loadSeg(c, i.imm2, sel);
  c.r16[i.reg] = v;
}
/** LDS/LES/LSS/LFS/LGS r32, m16:32. */
export function lxs_d(c: Cpu, i: Insn): void {
  const off = ea(c, i);
  const v = rd32(c, i.seg, off);
  const sel = rd16(c, i.seg, (off + 4) & i.amask);
  loadSeg(c, i.imm2, sel);
  c.r32[i.reg] = v;
}
/** LDS/LES/… with a register operand: #UD. */
export function lxs_R(c: Cpu, _i: Insn): void {
  raiseUd(c);
}
