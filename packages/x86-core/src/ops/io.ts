/**
 * Port I/O: IN/OUT with the protected-mode permission check (CPL ≤ IOPL, else the TSS I/O
 * permission bitmap; always the bitmap in virtual-8086 mode; SDM vol. 1, §19.5).
 */
import { readSys8, readSys16 } from '../access.js';
import { Flag } from '../constants.js';
import { type Cpu, EV_VMEXIT } from '../cpu.js';
import { raiseFault } from '../fault.js';
import type { Insn } from '../insn.js';

/** Raises #GP(0) unless the current privilege may access `size` bytes at `port`. */
export function checkIo(c: Cpu, port: number, size: number): void {
  if (!c.protectedMode) return;
  if (!c.v86Mode && c.cpl <= (c.fl & Flag.IOPL) >> 12) return;
  // The bitmap lives in a 32-bit TSS only.
  const type = c.trAttr & 0xf;
  if ((type & 8) === 0 || c.trLimit >>> 0 < 0x67) raiseFault(c, 13, 0);
  const mapBase = readSys16(c, (c.trBase + 0x66) | 0);
  const byte = mapBase + (port >>> 3);
  const last = byte + 1;
  if (last > c.trLimit >>> 0) raiseFault(c, 13, 0);
  const bits = readSys8(c, (c.trBase + byte) | 0) | (readSys8(c, (c.trBase + byte + 1) | 0) << 8);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) raiseFault(c, 13, 0);
}

/**
 * Reads a port through the I/O hook (virtualization) or the bus. NaN means the hook ended the
 * instruction with a VM exit: the caller must return without changing anything.
 */
export function portIn(c: Cpu, port: number, size: 1 | 2 | 4, i: Insn): number {
  if (c.ioHook !== null) {
    const v = c.ioHook(c, port, size, false, 0, i);
    if (v !== undefined) return (c.events & EV_VMEXIT) !== 0 ? Number.NaN : v;
  }
  return c.io.read(port, size);
}

/** Writes a port through the I/O hook (virtualization) or the bus. */
export function portOut(c: Cpu, port: number, size: 1 | 2 | 4, value: number, i: Insn): void {
  if (c.ioHook !== null && c.ioHook(c, port, size, true, value, i) !== undefined) return;
  c.io.write(port, size, value);
}

/** IN AL, imm8. */
export function in_b_I(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  checkIo(c, i.imm, 1);
  const v = portIn(c, i.imm, 1, i);
  if (!Number.isNaN(v)) c.r8[0] = v;
}
/** IN AX, imm8. */
export function in_w_I(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  checkIo(c, i.imm, 2);
  const v = portIn(c, i.imm, 2, i);
  if (!Number.isNaN(v)) c.r16[0] = v;
}
/** IN EAX, imm8. */
export function in_d_I(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  checkIo(c, i.imm, 4);
  const v = portIn(c, i.imm, 4, i);
  if (!Number.isNaN(v)) c.r32[0] = v;
}
/** IN AL, DX. */
export function in_b_D(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  const port = c.r16[4]!;
  checkIo(c, port, 1);
  const v = portIn(c, port, 1, i);
  if (!Number.isNaN(v)) c.r8[0] = v;
}
/** IN AX, DX. */
export function in_w_D(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  const port = c.r16[4]!;
  checkIo(c, port, 2);
  const v = portIn(c, port, 2, i);
  if (!Number.isNaN(v)) c.r16[0] = v;
}
/** IN EAX, DX. */
export function in_d_D(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  const port = c.r16[4]!;
  checkIo(c, port, 4);
  const v = portIn(c, port, 4, i);
  if (!Number.isNaN(v)) c.r32[0] = v;
}
/** OUT imm8, AL. */
export function out_b_I(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  checkIo(c, i.imm, 1);
  portOut(c, i.imm, 1, c.r8[0]!, i);
}
/** OUT imm8, AX. */
export function out_w_I(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  checkIo(c, i.imm, 2);
  portOut(c, i.imm, 2, c.r16[0]!, i);
}
/** OUT imm8, EAX. */
export function out_d_I(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  checkIo(c, i.imm, 4);
  portOut(c, i.imm, 4, c.r32[0]!, i);
}
/** OUT DX, AL. */
export function out_b_D(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  const port = c.r16[4]!;
  checkIo(c, port, 1);
  portOut(c, port, 1, c.r8[0]!, i);
}
/** OUT DX, AX. */
export function out_w_D(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  const port = c.r16[4]!;
  checkIo(c, port, 2);
  portOut(c, port, 2, c.r16[0]!, i);
}
/** OUT DX, EAX. */
export function out_d_D(c: Cpu, i: Insn): void {
  c.exactRetired = c.retired + i.pos;
  const port = c.r16[4]!;
  checkIo(c, port, 4);
  portOut(c, port, 4, c.r32[0]!, i);
}
