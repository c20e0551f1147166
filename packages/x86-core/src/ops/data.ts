/**
 * Data movement: MOV, MOVZX/MOVSX, LEA, XCHG, PUSH/POP, PUSHA/POPA, CBW/CWD, LAHF/SAHF, XLAT,
 * BSWAP, CMOVcc, SETcc, CMPXCHG, CMPXCHG8B, XADD, ENTER/LEAVE, BOUND.
 */
import {
  ea,
  linWrite,
  rd8,
  rd16,
  rd32,
  readLin8,
  readLin16,
  readLin32,
  wr8,
  wr16,
  wr32,
  writeLin8,
  writeLin16,
  writeLin32,
} from '../access.js';
import type { Cpu } from '../cpu.js';
import { raiseFault, raiseUd } from '../fault.js';
import { getFlags, materialize, setAdd, setSub, testCc, ZF } from '../flags.js';
import type { Insn } from '../insn.js';
import { pop16, pop32, push16, push32 } from '../stack.js';

const EAX = 0;
const EDX = 2;
const ESP = 4;
const EBP = 5;
const SS = 2;

// --- MOV -------------------------------------------------------------------------------------

/** MOV r8, r8 (rm ← reg). */
export function mov_b_RR(c: Cpu, i: Insn): void {
  c.r8[i.rm] = c.r8[i.reg]!;
}
/** MOV m8, r8. */
export function mov_b_MR(c: Cpu, i: Insn): void {
  wr8(c, i.seg, ea(c, i), c.r8[i.reg]!);
}
/** MOV r8, m8. */
export function mov_b_RM(c: Cpu, i: Insn): void {
  c.r8[i.reg] = rd8(c, i.seg, ea(c, i));
}
/** MOV r8, imm8. */
export function mov_b_RI(c: Cpu, i: Insn): void {
  c.r8[i.rm] = i.imm;
}
/** MOV m8, imm8. */
export function mov_b_MI(c: Cpu, i: Insn): void {
  wr8(c, i.seg, ea(c, i), i.imm);
}
/** MOV r16, r16. */
export function mov_w_RR(c: Cpu, i: Insn): void {
  c.r16[i.rm] = c.r16[i.reg]!;
}
/** MOV m16, r16. */
export function mov_w_MR(c: Cpu, i: Insn): void {
  wr16(c, i.seg, ea(c, i), c.r16[i.reg]!);
}
/** MOV r16, m16. */
export function mov_w_RM(c: Cpu, i: Insn): void {
  c.r16[i.reg] = rd16(c, i.seg, ea(c, i));
}
/** MOV r16, imm16. */
export function mov_w_RI(c: Cpu, i: Insn): void {
  c.r16[i.rm] = i.imm;
}
/** MOV m16, imm16. */
export function mov_w_MI(c: Cpu, i: Insn): void {
  wr16(c, i.seg, ea(c, i), i.imm);
}
/** MOV r32, r32. */
export function mov_d_RR(c: Cpu, i: Insn): void {
  c.r32[i.rm] = c.r32[i.reg]!;
}
/** MOV m32, r32. */
export function mov_d_MR(c: Cpu, i: Insn): void {
  wr32(c, i.seg, ea(c, i), c.r32[i.reg]!);
}
/** MOV r32, m32. */
export function mov_d_RM(c: Cpu, i: Insn): void {
  c.r32[i.reg] = rd32(c, i.seg, ea(c, i));
}
/** MOV r32, imm32. */
export function mov_d_RI(c: Cpu, i: Insn): void {
  c.r32[i.rm] = i.imm;
}
/** MOV m32, imm32. */
export function mov_d_MI(c: Cpu, i: Insn): void {
  wr32(c, i.seg, ea(c, i), i.imm);
}

// --- MOVZX / MOVSX -----------------------------------------------------------------------------

/** MOVZX r16, r8. */
export function movzx_wb_R(c: Cpu, i: Insn): void {
  c.r16[i.reg] = c.r8[i.rm]!;
}
/** MOVZX r16, m8. */
export function movzx_wb_M(c: Cpu, i: Insn): void {
  c.r16[i.reg] = rd8(c, i.seg, ea(c, i));
}
/** MOVZX r32, r8. */
export function movzx_db_R(c: Cpu, i: Insn): void {
  c.r32[i.reg] = c.r8[i.rm]!;
}
/** MOVZX r32, m8. */
export function movzx_db_M(c: Cpu, i: Insn): void {
  c.r32[i.reg] = rd8(c, i.seg, ea(c, i));
}
/** MOVZX r32, r16. */
export function movzx_dw_R(c: Cpu, i: Insn): void {
  c.r32[i.reg] = c.r16[i.rm]!;
}
/** MOVZX r32, m16. */
export function movzx_dw_M(c: Cpu, i: Insn): void {
  c.r32[i.reg] = rd16(c, i.seg, ea(c, i));
}
/** MOVSX r16, r8. */
export function movsx_wb_R(c: Cpu, i: Insn): void {
  c.r16[i.reg] = (c.r8[i.rm]! << 24) >> 24;
}
/** MOVSX r16, m8. */
export function movsx_wb_M(c: Cpu, i: Insn): void {
  c.r16[i.reg] = (rd8(c, i.seg, ea(c, i)) << 24) >> 24;
}
/** MOVSX r32, r8. */
export function movsx_db_R(c: Cpu, i: Insn): void {
  c.r32[i.reg] = (c.r8[i.rm]! << 24) >> 24;
}
/** MOVSX r32, m8. */
export function movsx_db_M(c: Cpu, i: Insn): void {
  c.r32[i.reg] = (rd8(c, i.seg, ea(c, i)) << 24) >> 24;
}
/** MOVSX r32, r16. */
export function movsx_dw_R(c: Cpu, i: Insn): void {
  c.r32[i.reg] = (c.r16[i.rm]! << 16) >> 16;
}
/** MOVSX r32, m16. */
export function movsx_dw_M(c: Cpu, i: Insn): void {
  c.r32[i.reg] = (rd16(c, i.seg, ea(c, i)) << 16) >> 16;
}
/** MOVZX/MOVSX r16, r/m16 with a register source (a plain 16-bit move reg ← rm). */
export function mov_w_GE_R(c: Cpu, i: Insn): void {
  c.r16[i.reg] = c.r16[i.rm]!;
}

// --- LEA -----------------------------------------------------------------------------------

/** LEA r16, m. */
export function lea_w(c: Cpu, i: Insn): void {
  c.r16[i.reg] = ea(c, i);
}
/** LEA r32, m. */
export function lea_d(c: Cpu, i: Insn): void {
  c.r32[i.reg] = ea(c, i);
}

// --- XCHG ----------------------------------------------------------------------------------

/** XCHG r8, r8. */
export function xchg_b_RR(c: Cpu, i: Insn): void {
  const v = c.r8;
  const t = v[i.rm]!;
  v[i.rm] = v[i.reg]!;
  v[i.reg] = t;
}
/** XCHG m8, r8. */
export function xchg_b_MR(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const t = readLin8(c, lin);
  writeLin8(c, lin, c.r8[i.reg]!);
  c.r8[i.reg] = t;
}
/** XCHG r16, r16. */
export function xchg_w_RR(c: Cpu, i: Insn): void {
  const v = c.r16;
  const t = v[i.rm]!;
  v[i.rm] = v[i.reg]!;
  v[i.reg] = t;
}
/** XCHG m16, r16. */
export function xchg_w_MR(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const t = readLin16(c, lin);
  writeLin16(c, lin, c.r16[i.reg]!);
  c.r16[i.reg] = t;
}
/** XCHG r32, r32. */
export function xchg_d_RR(c: Cpu, i: Insn): void {
  const v = c.r32;
  const t = v[i.rm]!;
  v[i.rm] = v[i.reg]!;
  v[i.reg] = t;
}
/** XCHG m32, r32. */
export function xchg_d_MR(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const t = readLin32(c, lin);
  writeLin32(c, lin, c.r32[i.reg]!);
  c.r32[i.reg] = t;
}
/** NOP (also XCHG eAX, eAX and PAUSE). */
export function nop(_c: Cpu, _i: Insn): void {}

// --- PUSH / POP ----------------------------------------------------------------------------

/** PUSH r16. */
export function push_w_R(c: Cpu, i: Insn): void {
  push16(c, c.r16[i.reg]!);
}
/** PUSH r32. */
export function push_d_R(c: Cpu, i: Insn): void {
  push32(c, c.r32[i.reg]!);
}
/** PUSH m16. */
export function push_w_M(c: Cpu, i: Insn): void {
  push16(c, rd16(c, i.seg, ea(c, i)));
}
/** PUSH m32. */
export function push_d_M(c: Cpu, i: Insn): void {
  push32(c, rd32(c, i.seg, ea(c, i)));
}
/** PUSH imm16. */
export function push_w_I(c: Cpu, i: Insn): void {
  push16(c, i.imm);
}
/** PUSH imm32. */
export function push_d_I(c: Cpu, i: Insn): void {
  push32(c, i.imm);
}
/** POP r16. */
export function pop_w_R(c: Cpu, i: Insn): void {
  const v = pop16(c);
  c.r16[i.reg] = v;
}
/** POP r32. */
export function pop_d_R(c: Cpu, i: Insn): void {
  const v = pop32(c);
  c.r32[i.reg] = v;
}
/** POP m16: the address is computed with the incremented SP (SDM: POP). */
export function pop_w_M(c: Cpu, i: Insn): void {
  const esp = c.r32[ESP]!;
  const v = pop16(c);
  try {
    wr16(c, i.seg, ea(c, i), v);
  } catch (e) {
    c.r32[ESP] = esp;
    throw e;
  }
}
/** POP m32. */
export function pop_d_M(c: Cpu, i: Insn): void {
  const esp = c.r32[ESP]!;
  const v = pop32(c);
  try {
    wr32(c, i.seg, ea(c, i), v);
  } catch (e) {
    c.r32[ESP] = esp;
    throw e;
  }
}

/** PUSHA (16-bit). */
export function pusha_w(c: Cpu, _i: Insn): void {
  const r = c.r16;
  const sp = r[ESP * 2]!;
  // All eight stores must be possible before ESP moves: write below the top, then move.
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  for (let k = 0; k < 8; k++) {
    wr16(c, SS, (esp - 2 * (k + 1)) & m, k === ESP ? sp : r[k * 2]!);
  }
  c.r32[ESP] = (esp & ~m) | ((esp - 16) & m);
}
/** PUSHAD (32-bit). */
export function pusha_d(c: Cpu, _i: Insn): void {
  const r = c.r32;
  const m = c.spMask;
  const esp = r[ESP]!;
  for (let k = 0; k < 8; k++) {
    wr32(c, SS, (esp - 4 * (k + 1)) & m, r[k]!);
  }
  c.r32[ESP] = (esp & ~m) | ((esp - 32) & m);
}
/** POPA (16-bit): SP's slot is skipped. */
export function popa_w(c: Cpu, _i: Insn): void {
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  const vals = c.scratch;
  for (let k = 0; k < 8; k++) vals[k] = rd16(c, SS, (esp + 2 * (7 - k)) & m);
  for (let k = 0; k < 8; k++) if (k !== ESP) c.r16[k * 2] = vals[k]!;
  c.r32[ESP] = (esp & ~m) | ((esp + 16) & m);
}
/** POPAD (32-bit). */
export function popa_d(c: Cpu, _i: Insn): void {
  const m = c.spMask;
  const esp = c.r32[ESP]!;
  const vals = c.scratch;
  for (let k = 0; k < 8; k++) vals[k] = rd32(c, SS, (esp + 4 * (7 - k)) & m);
  for (let k = 0; k < 8; k++) if (k !== ESP) c.r32[k] = vals[k]!;
  c.r32[ESP] = (esp & ~m) | ((esp + 32) & m);
}

// --- conversions, flags to/from AH, XLAT, BSWAP --------------------------------------------

/** CBW: AX ← sign-extend AL. */
export function cbw(c: Cpu, _i: Insn): void {
  c.r16[0] = (c.r8[0]! << 24) >> 24;
}
/** CWDE: EAX ← sign-extend AX. */
export function cwde(c: Cpu, _i: Insn): void {
  c.r32[EAX] = (c.r16[0]! << 16) >> 16;
}
/** CWD: DX:AX ← sign-extend AX. */
export function cwd(c: Cpu, _i: Insn): void {
  c.r16[EDX * 2] = (c.r16[0]! & 0x8000) !== 0 ? 0xffff : 0;
}
/** CDQ: EDX:EAX ← sign-extend EAX. */
export function cdq(c: Cpu, _i: Insn): void {
  c.r32[EDX] = c.r32[EAX]! >> 31;
}
/** LAHF: AH ← SF:ZF:0:AF:0:PF:1:CF. */
export function lahf(c: Cpu, _i: Insn): void {
  c.r8[1] = (getFlags(c) & 0xd5) | 2;
}
/** SAHF: SF, ZF, AF, PF, CF ← AH. */
export function sahf(c: Cpu, _i: Insn): void {
  materialize(c);
  c.fl = (c.fl & ~0xd5) | (c.r8[1]! & 0xd5);
}
/** XLAT: AL ← [seg:(E)BX + AL]. */
export function xlat(c: Cpu, i: Insn): void {
  c.r8[0] = rd8(c, i.seg, (c.r32[3]! + c.r8[0]!) & i.amask);
}
/** BSWAP r32. */
export function bswap(c: Cpu, i: Insn): void {
  const v = c.r32[i.reg]!;
  c.r32[i.reg] = (v >>> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}
/** BSWAP r16 (undefined; P6 and later clear the register's low word). */
export function bswap_w(c: Cpu, i: Insn): void {
  c.r16[i.reg * 2] = 0;
}

// --- CMOVcc / SETcc (condition in imm2) ------------------------------------------------------

/** CMOVcc r16, r16. */
export function cmov_w_R(c: Cpu, i: Insn): void {
  if (testCc(c, i.imm2) !== 0) c.r16[i.reg] = c.r16[i.rm]!;
}
/** CMOVcc r16, m16 (the memory operand is read whatever the condition). */
export function cmov_w_M(c: Cpu, i: Insn): void {
  const v = rd16(c, i.seg, ea(c, i));
  if (testCc(c, i.imm2) !== 0) c.r16[i.reg] = v;
}
/** CMOVcc r32, r32. */
export function cmov_d_R(c: Cpu, i: Insn): void {
  if (testCc(c, i.imm2) !== 0) c.r32[i.reg] = c.r32[i.rm]!;
}
/** CMOVcc r32, m32. */
export function cmov_d_M(c: Cpu, i: Insn): void {
  const v = rd32(c, i.seg, ea(c, i));
  if (testCc(c, i.imm2) !== 0) c.r32[i.reg] = v;
}
/** SETcc r8. */
export function setcc_R(c: Cpu, i: Insn): void {
  c.r8[i.rm] = testCc(c, i.imm2);
}
/** SETcc m8. */
export function setcc_M(c: Cpu, i: Insn): void {
  wr8(c, i.seg, ea(c, i), testCc(c, i.imm2));
}

// --- CMPXCHG / XADD / CMPXCHG8B --------------------------------------------------------------

/** CMPXCHG r/m8, r8 (register destination). */
export function cmpxchg_b_R(c: Cpu, i: Insn): void {
  const v = c.r8;
  const a = (v[0]! << 24) >> 24;
  const d = (v[i.rm]! << 24) >> 24;
  const r = ((a - d) << 24) >> 24;
  if (r === 0) v[i.rm] = v[i.reg]!;
  else v[0] = d;
  setSub(c, a, d, r);
}
/** CMPXCHG m8, r8 (the destination is always written: the old value when unequal). */
export function cmpxchg_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const d = (readLin8(c, lin) << 24) >> 24;
  const a = (c.r8[0]! << 24) >> 24;
  const r = ((a - d) << 24) >> 24;
  writeLin8(c, lin, r === 0 ? c.r8[i.reg]! : d);
  if (r !== 0) c.r8[0] = d;
  setSub(c, a, d, r);
}
/** CMPXCHG r16, r16. */
export function cmpxchg_w_R(c: Cpu, i: Insn): void {
  const v = c.r16;
  const a = (v[0]! << 16) >> 16;
  const d = (v[i.rm]! << 16) >> 16;
  const r = ((a - d) << 16) >> 16;
  if (r === 0) v[i.rm] = v[i.reg]!;
  else v[0] = d;
  setSub(c, a, d, r);
}
/** CMPXCHG m16, r16. */
export function cmpxchg_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const d = (readLin16(c, lin) << 16) >> 16;
  const a = (c.r16[0]! << 16) >> 16;
  const r = ((a - d) << 16) >> 16;
  writeLin16(c, lin, r === 0 ? c.r16[i.reg]! : d);
  if (r !== 0) c.r16[0] = d;
  setSub(c, a, d, r);
}
/** CMPXCHG r32, r32. */
export function cmpxchg_d_R(c: Cpu, i: Insn): void {
  const v = c.r32;
  const a = v[EAX]!;
  const d = v[i.rm]!;
  const r = (a - d) | 0;
  if (r === 0) v[i.rm] = v[i.reg]!;
  else v[EAX] = d;
  setSub(c, a, d, r);
}
/** CMPXCHG m32, r32. */
export function cmpxchg_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const d = readLin32(c, lin);
  const a = c.r32[EAX]!;
  const r = (a - d) | 0;
  writeLin32(c, lin, r === 0 ? c.r32[i.reg]! : d);
  if (r !== 0) c.r32[EAX] = d;
  setSub(c, a, d, r);
}
/** CMPXCHG8B m64: compare EDX:EAX with m64; equal → m64 ← ECX:EBX, else EDX:EAX ← m64. */
export function cmpxchg8b(c: Cpu, i: Insn): void {
  const off = ea(c, i);
  const lin = linWrite(c, i.seg, off, 4);
  const lin2 = linWrite(c, i.seg, (off + 4) & i.amask, 4);
  const lo = readLin32(c, lin);
  const hi = readLin32(c, lin2);
  const r = c.r32;
  materialize(c);
  if (lo === r[EAX] && hi === r[EDX]) {
    writeLin32(c, lin, r[3]!);
    writeLin32(c, lin2, r[1]!);
    c.fl |= ZF;
  } else {
    // The destination is written back unchanged (the locked cycle always writes).
    writeLin32(c, lin, lo);
    writeLin32(c, lin2, hi);
    r[EAX] = lo;
    r[EDX] = hi;
    c.fl &= ~ZF;
  }
}
/** CMPXCHG8B with a register operand is #UD. */
export function cmpxchg8b_R(c: Cpu, _i: Insn): void {
  raiseUd(c);
}
/** XADD r8, r8. */
export function xadd_b_R(c: Cpu, i: Insn): void {
  const v = c.r8;
  const a = (v[i.rm]! << 24) >> 24;
  const b = (v[i.reg]! << 24) >> 24;
  const r = ((a + b) << 24) >> 24;
  v[i.reg] = a;
  v[i.rm] = r;
  setAdd(c, a, b, r);
}
/** XADD m8, r8. */
export function xadd_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const a = (readLin8(c, lin) << 24) >> 24;
  const b = (c.r8[i.reg]! << 24) >> 24;
  const r = ((a + b) << 24) >> 24;
  writeLin8(c, lin, r);
  c.r8[i.reg] = a;
  setAdd(c, a, b, r);
}
/** XADD r16, r16. */
export function xadd_w_R(c: Cpu, i: Insn): void {
  const v = c.r16;
  const a = (v[i.rm]! << 16) >> 16;
  const b = (v[i.reg]! << 16) >> 16;
  const r = ((a + b) << 16) >> 16;
  v[i.reg] = a;
  v[i.rm] = r;
  setAdd(c, a, b, r);
}
/** XADD m16, r16. */
export function xadd_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const a = (readLin16(c, lin) << 16) >> 16;
  const b = (c.r16[i.reg]! << 16) >> 16;
  const r = ((a + b) << 16) >> 16;
  writeLin16(c, lin, r);
  c.r16[i.reg] = a;
  setAdd(c, a, b, r);
}
/** XADD r32, r32. */
export function xadd_d_R(c: Cpu, i: Insn): void {
  const v = c.r32;
  const a = v[i.rm]!;
  const b = v[i.reg]!;
  const r = (a + b) | 0;
  v[i.reg] = a;
  v[i.rm] = r;
  setAdd(c, a, b, r);
}
/** XADD m32, r32. */
export function xadd_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const a = readLin32(c, lin);
  const b = c.r32[i.reg]!;
  const r = (a + b) | 0;
  writeLin32(c, lin, r);
  c.r32[i.reg] = a;
  setAdd(c, a, b, r);
}

// --- ENTER / LEAVE / BOUND -------------------------------------------------------------------

/** ENTER imm16, imm8 (32-bit operand size when imm2 bit 8 is set; nesting level in imm2 bits 0–4). */
export function enter(c: Cpu, i: Insn): void {
  const o32 = (i.imm2 & 0x100) !== 0;
  const level = i.imm2 & 0x1f;
  const size = i.imm & 0xffff;
  const m = c.spMask;
  const r = c.r32;
  const esp0 = r[ESP]!;
  const w = o32 ? 4 : 2;
  let sp = (esp0 - w) & m;
  if (o32) wr32(c, SS, sp, r[EBP]!);
  else wr16(c, SS, sp, c.r16[EBP * 2]!);
  const frame = sp;
  if (level > 0) {
    let bp = r[EBP]!;
    for (let k = 1; k < level; k++) {
      bp = (bp - w) & m;
      sp = (sp - w) & m;
      if (o32) wr32(c, SS, sp, rd32(c, SS, bp));
      else wr16(c, SS, sp, rd16(c, SS, bp));
    }
    sp = (sp - w) & m;
    if (o32) wr32(c, SS, sp, frame);
    else wr16(c, SS, sp, frame);
  }
  const newSp = (sp - size) & m;
  // The new stack top must be writable (the processor probes it; Bochs does the same).
  linWrite(c, SS, newSp, 1);
  if (o32) r[EBP] = frame;
  else c.r16[EBP * 2] = frame;
  r[ESP] = (esp0 & ~m) | newSp;
}
/** LEAVE (16-bit operand size). */
export function leave_w(c: Cpu, _i: Insn): void {
  const m = c.spMask;
  const bp = c.r32[EBP]! & m;
  const v = rd16(c, SS, bp);
  c.r32[ESP] = (c.r32[ESP]! & ~m) | ((bp + 2) & m);
  c.r16[EBP * 2] = v;
}
/** LEAVE (32-bit operand size). */
export function leave_d(c: Cpu, _i: Insn): void {
  const m = c.spMask;
  const bp = c.r32[EBP]! & m;
  const v = rd32(c, SS, bp);
  c.r32[ESP] = (c.r32[ESP]! & ~m) | ((bp + 4) & m);
  c.r32[EBP] = v;
}
/** BOUND r16, m16&16: #BR when the index is outside [lower, upper] (signed). */
export function bound_w(c: Cpu, i: Insn): void {
  const off = ea(c, i);
  const lo = (rd16(c, i.seg, off) << 16) >> 16;
  const hi = (rd16(c, i.seg, (off + 2) & i.amask) << 16) >> 16;
  const v = (c.r16[i.reg]! << 16) >> 16;
  if (v < lo || v > hi) raiseFault(c, 5);
}
/** BOUND r32, m32&32. */
export function bound_d(c: Cpu, i: Insn): void {
  const off = ea(c, i);
  const lo = rd32(c, i.seg, off);
  const hi = rd32(c, i.seg, (off + 4) & i.amask);
  const v = c.r32[i.reg]!;
  if (v < lo || v > hi) raiseFault(c, 5);
}
