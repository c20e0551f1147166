/**
 * Flag instructions: CLC/STC/CMC, CLD/STD, CLI/STI (IOPL-sensitive, STI's interrupt shadow),
 * PUSHF/POPF with the privilege rules of SDM vol. 2 (POPF pseudo-code), SALC.
 */
import { Flag } from '../constants.js';
import { type Cpu, EV_SHADOW } from '../cpu.js';
import { raiseFault } from '../fault.js';
import { CF, getCf, getFlags, materialize } from '../flags.js';
import type { Insn } from '../insn.js';
import { pop16, pop32, push16, push32 } from '../stack.js';

/** CLC. */
export function clc(c: Cpu, _i: Insn): void {
  materialize(c);
  c.fl &= ~CF;
}
/** STC. */
export function stc(c: Cpu, _i: Insn): void {
  materialize(c);
  c.fl |= CF;
}
/** CMC. */
export function cmc(c: Cpu, _i: Insn): void {
  materialize(c);
  c.fl ^= CF;
}
/** CLD. */
export function cld(c: Cpu, _i: Insn): void {
  c.fl &= ~Flag.DF;
}
/** STD. */
export function std(c: Cpu, _i: Insn): void {
  c.fl |= Flag.DF;
}

function ioplOk(c: Cpu): boolean {
  if (!c.protectedMode) return true;
  return c.cpl <= (c.fl & Flag.IOPL) >> 12;
}

/** CLI: #GP(0) when CPL > IOPL (and in virtual-8086 mode when IOPL < 3). */
export function cli(c: Cpu, _i: Insn): void {
  if (!ioplOk(c)) raiseFault(c, 13, 0);
  c.fl &= ~Flag.IF;
}
/** STI: interrupts stay inhibited until after the next instruction when IF was clear. */
export function sti(c: Cpu, _i: Insn): void {
  if (!ioplOk(c)) raiseFault(c, 13, 0);
  if ((c.fl & Flag.IF) === 0) {
    c.fl |= Flag.IF;
    c.events |= EV_SHADOW;
  }
}
/** PUSHF. */
export function pushf_w(c: Cpu, _i: Insn): void {
  if (c.v86Mode && (c.fl & Flag.IOPL) !== Flag.IOPL) raiseFault(c, 13, 0);
  push16(c, getFlags(c) & 0xffff);
}
/** PUSHFD (VM and RF read as 0 in the image). */
export function pushf_d(c: Cpu, _i: Insn): void {
  if (c.v86Mode && (c.fl & Flag.IOPL) !== Flag.IOPL) raiseFault(c, 13, 0);
  push32(c, getFlags(c) & 0x00fcffff);
}

/** The EFLAGS bits POPF/POPFD may change at the current privilege (SDM vol. 2, POPF). */
function popfMask(c: Cpu, o32: boolean): number {
  let mask =
    Flag.CF |
    Flag.PF |
    Flag.AF |
    Flag.ZF |
    Flag.SF |
    Flag.TF |
    Flag.DF |
    Flag.OF |
    Flag.NT |
    Flag.IF |
    Flag.IOPL;
  if (o32) mask |= Flag.AC | Flag.ID;
  if (c.protectedMode) {
    const iopl = (c.fl & Flag.IOPL) >> 12;
    if (c.v86Mode || c.cpl > 0) mask &= ~Flag.IOPL;
    if (!c.v86Mode && c.cpl > iopl) mask &= ~Flag.IF;
  }
  return mask;
}

/** POPF (16-bit). */
export function popf_w(c: Cpu, _i: Insn): void {
  if (c.v86Mode && (c.fl & Flag.IOPL) !== Flag.IOPL) raiseFault(c, 13, 0);
  const v = pop16(c);
  const mask = popfMask(c, false);
  const cur = getFlags(c);
  c.setEflags((cur & ~mask) | (v & mask));
}
/** POPFD (32-bit; VM, VIF, VIP unchanged, RF cleared). */
export function popf_d(c: Cpu, _i: Insn): void {
  if (c.v86Mode && (c.fl & Flag.IOPL) !== Flag.IOPL) raiseFault(c, 13, 0);
  const v = pop32(c);
  const mask = popfMask(c, true);
  const cur = getFlags(c);
  c.setEflags(((cur & ~mask) | (v & mask)) & ~Flag.RF);
}
/** SALC (undocumented D6): AL ← CF ? 0xff : 0. */
export function salc(c: Cpu, _i: Insn): void {
  c.r8[0] = getCf(c) !== 0 ? 0xff : 0;
}
