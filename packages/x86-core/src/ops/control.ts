/**
 * Control transfers: Jcc, JMP, CALL, RET (near and far), LOOP/JCXZ, INT n/INT3/INTO/INT1, IRET,
 * HLT. Near branch targets are masked with the operand-size IP mask kept in `imm2` and checked
 * against the CS limit (#GP(0)) before anything is committed.
 */
import { ea, rd16, rd32 } from '../access.js';
import type { Cpu } from '../cpu.js';
import { callFar, iret, jmpFar, readFarPointer, retFar } from '../far.js';
import { raiseFault } from '../fault.js';
import { getCf, getOf, getPf, getSf, getZf } from '../flags.js';
import type { Insn } from '../insn.js';
import { EventKind, softwareInterrupt } from '../interrupts.js';
import { pop16, pop32, push16, push32 } from '../stack.js';

const ECX = 1;
const ESP = 4;

/** Sets EIP to a near target after the CS limit check. */
function branch(c: Cpu, t: number): void {
  if (t >>> 0 > c.segLimit[1]! >>> 0) raiseFault(c, 13, 0);
  c.eip = t;
}

// --- Jcc ---------------------------------------------------------------------------------

/** JO. */
export function jo(c: Cpu, i: Insn): void {
  if (getOf(c) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JNO. */
export function jno(c: Cpu, i: Insn): void {
  if (getOf(c) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JB/JC. */
export function jb(c: Cpu, i: Insn): void {
  if (getCf(c) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JAE/JNC. */
export function jnb(c: Cpu, i: Insn): void {
  if (getCf(c) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JZ/JE. */
export function jz(c: Cpu, i: Insn): void {
  if (getZf(c) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JNZ/JNE. */
export function jnz(c: Cpu, i: Insn): void {
  if (getZf(c) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JBE. */
export function jbe(c: Cpu, i: Insn): void {
  if ((getCf(c) | getZf(c)) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JA. */
export function ja(c: Cpu, i: Insn): void {
  if ((getCf(c) | getZf(c)) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JS. */
export function js(c: Cpu, i: Insn): void {
  if (getSf(c) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JNS. */
export function jns(c: Cpu, i: Insn): void {
  if (getSf(c) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JP. */
export function jp(c: Cpu, i: Insn): void {
  if (getPf(c) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JNP. */
export function jnp(c: Cpu, i: Insn): void {
  if (getPf(c) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JL. */
export function jl(c: Cpu, i: Insn): void {
  if (getSf(c) !== getOf(c)) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JGE. */
export function jge(c: Cpu, i: Insn): void {
  if (getSf(c) === getOf(c)) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JLE. */
export function jle(c: Cpu, i: Insn): void {
  if (getZf(c) !== 0 || getSf(c) !== getOf(c)) branch(c, (c.eip + i.imm) & i.imm2);
}
/** JG. */
export function jg(c: Cpu, i: Insn): void {
  if (getZf(c) === 0 && getSf(c) === getOf(c)) branch(c, (c.eip + i.imm) & i.imm2);
}

// --- JMP / CALL / RET near ----------------------------------------------------------------

/** JMP rel8/rel16/rel32. */
export function jmp_rel(c: Cpu, i: Insn): void {
  branch(c, (c.eip + i.imm) & i.imm2);
}
/** JMP r16. */
export function jmp_w_R(c: Cpu, i: Insn): void {
  branch(c, c.r16[i.rm]!);
}
/** JMP r32. */
export function jmp_d_R(c: Cpu, i: Insn): void {
  branch(c, c.r32[i.rm]!);
}
/** JMP m16. */
export function jmp_w_M(c: Cpu, i: Insn): void {
  branch(c, rd16(c, i.seg, ea(c, i)));
}
/** JMP m32. */
export function jmp_d_M(c: Cpu, i: Insn): void {
  branch(c, rd32(c, i.seg, ea(c, i)));
}

function callNear16(c: Cpu, t: number): void {
  if (t >>> 0 > c.segLimit[1]! >>> 0) raiseFault(c, 13, 0);
  push16(c, c.eip);
  c.eip = t;
}

function callNear32(c: Cpu, t: number): void {
  if (t >>> 0 > c.segLimit[1]! >>> 0) raiseFault(c, 13, 0);
  push32(c, c.eip);
  c.eip = t;
}

/** CALL rel16. */
export function call_rel_w(c: Cpu, i: Insn): void {
  callNear16(c, (c.eip + i.imm) & 0xffff);
}
/** CALL rel32. */
export function call_rel_d(c: Cpu, i: Insn): void {
  callNear32(c, (c.eip + i.imm) | 0);
}
/** CALL r16. */
export function call_w_R(c: Cpu, i: Insn): void {
  callNear16(c, c.r16[i.rm]!);
}
/** CALL r32. */
export function call_d_R(c: Cpu, i: Insn): void {
  callNear32(c, c.r32[i.rm]!);
}
/** CALL m16. */
export function call_w_M(c: Cpu, i: Insn): void {
  callNear16(c, rd16(c, i.seg, ea(c, i)));
}
/** CALL m32. */
export function call_d_M(c: Cpu, i: Insn): void {
  callNear32(c, rd32(c, i.seg, ea(c, i)));
}

/** RET (16-bit). */
export function ret_w(c: Cpu, _i: Insn): void {
  const esp = c.r32[ESP]!;
  const t = pop16(c);
  if (t > c.segLimit[1]! >>> 0) {
    c.r32[ESP] = esp;
    raiseFault(c, 13, 0);
  }
  c.eip = t;
}
/** RET (32-bit). */
export function ret_d(c: Cpu, _i: Insn): void {
  const esp = c.r32[ESP]!;
  const t = pop32(c);
  if (t >>> 0 > c.segLimit[1]! >>> 0) {
    c.r32[ESP] = esp;
    raiseFault(c, 13, 0);
  }
  c.eip = t;
}
/** RET imm16 (16-bit). */
export function ret_imm_w(c: Cpu, i: Insn): void {
  ret_w(c, i);
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  c.r32[ESP] = (esp & ~m) | ((esp + i.imm) & m);
}
/** RET imm16 (32-bit). */
export function ret_imm_d(c: Cpu, i: Insn): void {
  ret_d(c, i);
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  c.r32[ESP] = (esp & ~m) | ((esp + i.imm) & m);
}

// --- LOOP / JCXZ (count register by address size: amask) --------------------------------

/** LOOP rel8. */
export function loop(c: Cpu, i: Insn): void {
  const m = i.amask;
  const cx = (c.r32[ECX]! - 1) & m;
  if (cx !== 0) {
    const t = (c.eip + i.imm) & i.imm2;
    branch(c, t);
  }
  c.r32[ECX] = (c.r32[ECX]! & ~m) | cx;
}
/** LOOPE/LOOPZ rel8. */
export function loope(c: Cpu, i: Insn): void {
  const m = i.amask;
  const cx = (c.r32[ECX]! - 1) & m;
  if (cx !== 0 && getZf(c) !== 0) branch(c, (c.eip + i.imm) & i.imm2);
  c.r32[ECX] = (c.r32[ECX]! & ~m) | cx;
}
/** LOOPNE/LOOPNZ rel8. */
export function loopne(c: Cpu, i: Insn): void {
  const m = i.amask;
  const cx = (c.r32[ECX]! - 1) & m;
  if (cx !== 0 && getZf(c) === 0) branch(c, (c.eip + i.imm) & i.imm2);
  c.r32[ECX] = (c.r32[ECX]! & ~m) | cx;
}
/** JCXZ/JECXZ rel8. */
export function jcxz(c: Cpu, i: Insn): void {
  if ((c.r32[ECX]! & i.amask) === 0) branch(c, (c.eip + i.imm) & i.imm2);
}

// --- far transfers -------------------------------------------------------------------------

/** JMP ptr16:16 / ptr16:32 (offset in imm, selector in imm2). */
export function jmp_far_I(c: Cpu, i: Insn): void {
  jmpFar(c, i.imm2, i.imm, (i.flags & 1) !== 0);
}
/** JMP m16:16 / m16:32. */
export function jmp_far_M(c: Cpu, i: Insn): void {
  const o32 = (i.flags & 1) !== 0;
  const off = readFarPointer(c, i.seg, ea(c, i), o32, i.amask);
  jmpFar(c, c.farSel, off, o32);
}
/** CALL ptr16:16 / ptr16:32. */
export function call_far_I(c: Cpu, i: Insn): void {
  callFar(c, i.imm2, i.imm, (i.flags & 1) !== 0);
}
/** CALL m16:16 / m16:32. */
export function call_far_M(c: Cpu, i: Insn): void {
  const o32 = (i.flags & 1) !== 0;
  const off = readFarPointer(c, i.seg, ea(c, i), o32, i.amask);
  callFar(c, c.farSel, off, o32);
}
/** RETF [imm16]. */
export function retf(c: Cpu, i: Insn): void {
  retFar(c, i.imm, (i.flags & 1) !== 0);
}
/** IRET / IRETD. */
export function iret_op(c: Cpu, i: Insn): void {
  iret(c, (i.flags & 1) !== 0);
}
/** JMP FAR / CALL FAR with a register operand: #UD. */
export function far_R(c: Cpu, _i: Insn): void {
  raiseFault(c, 6);
}

// --- software interrupts, HLT -------------------------------------------------------------

/** INT imm8. */
export function int_n(c: Cpu, i: Insn): void {
  softwareInterrupt(c, i.imm, EventKind.SOFTWARE);
}
/** INT3. */
export function int3(c: Cpu, _i: Insn): void {
  softwareInterrupt(c, 3, EventKind.SOFTWARE_EXCEPTION);
}
/** INTO: #OF when OF = 1. */
export function into(c: Cpu, _i: Insn): void {
  if (getOf(c) !== 0) softwareInterrupt(c, 4, EventKind.SOFTWARE_EXCEPTION);
}
/** INT1 / ICEBP. */
export function int1(c: Cpu, _i: Insn): void {
  softwareInterrupt(c, 1, EventKind.ICEBP);
}
/** HLT (CPL 0 only). */
export function hlt(c: Cpu, i: Insn): void {
  if (c.cpl !== 0) raiseFault(c, 13, 0);
  if (c.hltHook?.(c, i)) return;
  c.halt();
}
