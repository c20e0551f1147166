/** INC and DEC (CF is preserved), NOT (no flags) and NEG for every size and form. */
import {
  ea,
  linWrite,
  readLin8,
  readLin16,
  readLin32,
  writeLin8,
  writeLin16,
  writeLin32,
} from '../access.js';
import type { Cpu } from '../cpu.js';
import { setDec, setInc, setSub } from '../flags.js';
import type { Insn } from '../insn.js';

/** INC r8. */
export function inc_b_R(c: Cpu, i: Insn): void {
  const a = (c.r8[i.rm]! << 24) >> 24;
  const r = ((a + 1) << 24) >> 24;
  c.r8[i.rm] = r;
  setInc(c, a, r);
}
/** INC m8. */
export function inc_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const a = (readLin8(c, lin) << 24) >> 24;
  const r = ((a + 1) << 24) >> 24;
  writeLin8(c, lin, r);
  setInc(c, a, r);
}
/** DEC r8. */
export function dec_b_R(c: Cpu, i: Insn): void {
  const a = (c.r8[i.rm]! << 24) >> 24;
  const r = ((a - 1) << 24) >> 24;
  c.r8[i.rm] = r;
  setDec(c, a, r);
}
/** DEC m8. */
export function dec_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const a = (readLin8(c, lin) << 24) >> 24;
  const r = ((a - 1) << 24) >> 24;
  writeLin8(c, lin, r);
  setDec(c, a, r);
}
/** INC r16. */
export function inc_w_R(c: Cpu, i: Insn): void {
  const a = (c.r16[i.rm]! << 16) >> 16;
  const r = ((a + 1) << 16) >> 16;
  c.r16[i.rm] = r;
  setInc(c, a, r);
}
/** INC m16. */
export function inc_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const a = (readLin16(c, lin) << 16) >> 16;
  const r = ((a + 1) << 16) >> 16;
  writeLin16(c, lin, r);
  setInc(c, a, r);
}
/** DEC r16. */
export function dec_w_R(c: Cpu, i: Insn): void {
  const a = (c.r16[i.rm]! << 16) >> 16;
  const r = ((a - 1) << 16) >> 16;
  c.r16[i.rm] = r;
  setDec(c, a, r);
}
/** DEC m16. */
export function dec_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const a = (readLin16(c, lin) << 16) >> 16;
  const r = ((a - 1) << 16) >> 16;
  writeLin16(c, lin, r);
  setDec(c, a, r);
}
/** INC r32. */
export function inc_d_R(c: Cpu, i: Insn): void {
  const a = c.r32[i.rm]!;
  const r = (a + 1) | 0;
  c.r32[i.rm] = r;
  setInc(c, a, r);
}
/** INC m32. */
export function inc_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const a = readLin32(c, lin);
  const r = (a + 1) | 0;
  writeLin32(c, lin, r);
  setInc(c, a, r);
}
/** DEC r32. */
export function dec_d_R(c: Cpu, i: Insn): void {
  const a = c.r32[i.rm]!;
  const r = (a - 1) | 0;
  c.r32[i.rm] = r;
  setDec(c, a, r);
}
/** DEC m32. */
export function dec_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const a = readLin32(c, lin);
  const r = (a - 1) | 0;
  writeLin32(c, lin, r);
  setDec(c, a, r);
}
/** NOT r8. */
export function not_b_R(c: Cpu, i: Insn): void {
  c.r8[i.rm] = ~c.r8[i.rm]!;
}
/** NOT m8. */
export function not_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  writeLin8(c, lin, ~readLin8(c, lin));
}
/** NEG r8. */
export function neg_b_R(c: Cpu, i: Insn): void {
  const b = (c.r8[i.rm]! << 24) >> 24;
  const r = ((0 - b) << 24) >> 24;
  c.r8[i.rm] = r;
  setSub(c, 0, b, r);
}
/** NEG m8. */
export function neg_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const b = (readLin8(c, lin) << 24) >> 24;
  const r = ((0 - b) << 24) >> 24;
  writeLin8(c, lin, r);
  setSub(c, 0, b, r);
}
/** NOT r16. */
export function not_w_R(c: Cpu, i: Insn): void {
  c.r16[i.rm] = ~c.r16[i.rm]!;
}
/** NOT m16. */
export function not_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  writeLin16(c, lin, ~readLin16(c, lin));
}
/** NEG r16. */
export function neg_w_R(c: Cpu, i: Insn): void {
  const b = (c.r16[i.rm]! << 16) >> 16;
  const r = ((0 - b) << 16) >> 16;
  c.r16[i.rm] = r;
  setSub(c, 0, b, r);
}
/** NEG m16. */
export function neg_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const b = (readLin16(c, lin) << 16) >> 16;
  const r = ((0 - b) << 16) >> 16;
  writeLin16(c, lin, r);
  setSub(c, 0, b, r);
}
/** NOT r32. */
export function not_d_R(c: Cpu, i: Insn): void {
  c.r32[i.rm] = ~c.r32[i.rm]!;
}
/** NOT m32. */
export function not_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  writeLin32(c, lin, ~readLin32(c, lin));
}
/** NEG r32. */
export function neg_d_R(c: Cpu, i: Insn): void {
  const b = c.r32[i.rm]! | 0;
  const r = (0 - b) | 0;
  c.r32[i.rm] = r;
  setSub(c, 0, b, r);
}
/** NEG m32. */
export function neg_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const b = readLin32(c, lin) | 0;
  const r = (0 - b) | 0;
  writeLin32(c, lin, r);
  setSub(c, 0, b, r);
}
