/**
 * Bit instructions: BT/BTS/BTR/BTC (register and immediate offsets; a register offset reaches
 * memory beyond the operand), BSF/BSR (destination unchanged when the source is zero, as P6
 * does), SHLD/SHRD (16-bit counts above 16 follow the 48-bit rotate Bochs documents).
 */
import {
  ea,
  linRead,
  linWrite,
  probeWrite,
  readLin16,
  readLin32,
  writeLin16,
  writeLin32,
} from '../access.js';
import type { Cpu } from '../cpu.js';
import { CF, materialize, setResultWith, ZF } from '../flags.js';
import type { Insn } from '../insn.js';

function setCfOnly(c: Cpu, bit: number): void {
  materialize(c);
  c.fl = (c.fl & ~CF) | bit;
}

// BT family: op = 0 BT, 1 BTS, 2 BTR, 3 BTC (in imm2).

function btApply(op: number, v: number, mask: number): number {
  if (op === 1) return v | mask;
  if (op === 2) return v & ~mask;
  return v ^ mask;
}

/** BTx r16, r16/imm (register destination). Bit offset: imm when imm ≥ 0 else reg. */
export function bt_w_R(c: Cpu, i: Insn): void {
  const off = (i.imm >= 0 ? i.imm : c.r16[i.reg]!) & 15;
  const v = c.r16[i.rm]!;
  setCfOnly(c, (v >>> off) & 1);
  if (i.imm2 !== 0) c.r16[i.rm] = btApply(i.imm2, v, 1 << off);
}
/** BTx r32, r32/imm. */
export function bt_d_R(c: Cpu, i: Insn): void {
  const off = (i.imm >= 0 ? i.imm : c.r32[i.reg]!) & 31;
  const v = c.r32[i.rm]!;
  setCfOnly(c, (v >>> off) & 1);
  if (i.imm2 !== 0) c.r32[i.rm] = btApply(i.imm2, v, 1 << off);
}
/** BTx m16, r16/imm. */
export function bt_w_M(c: Cpu, i: Insn): void {
  let addr = ea(c, i);
  let off: number;
  if (i.imm >= 0) {
    off = i.imm & 15;
  } else {
    const b = (c.r16[i.reg]! << 16) >> 16;
    addr = (addr + (b >> 4) * 2) & i.amask;
    off = b & 15;
  }
  if (i.imm2 === 0) {
    const v = readLin16(c, linRead(c, i.seg, addr, 2));
    setCfOnly(c, (v >>> off) & 1);
    return;
  }
  const lin = linWrite(c, i.seg, addr, 2);
  const v = readLin16(c, lin);
  writeLin16(c, lin, btApply(i.imm2, v, 1 << off));
  setCfOnly(c, (v >>> off) & 1);
}
/** BTx m32, r32/imm. */
export function bt_d_M(c: Cpu, i: Insn): void {
  let addr = ea(c, i);
  let off: number;
  if (i.imm >= 0) {
    off = i.imm & 31;
  } else {
    const b = c.r32[i.reg]!;
    addr = (addr + (b >> 5) * 4) & i.amask;
    off = b & 31;
  }
  if (i.imm2 === 0) {
    const v = readLin32(c, linRead(c, i.seg, addr, 4));
    setCfOnly(c, (v >>> off) & 1);
    return;
  }
  const lin = linWrite(c, i.seg, addr, 4);
  const v = readLin32(c, lin);
  writeLin32(c, lin, btApply(i.imm2, v, 1 << off));
  setCfOnly(c, (v >>> off) & 1);
}

// --- BSF / BSR --------------------------------------------------------------------------------

function bsfCore(c: Cpu, v: number): number {
  materialize(c);
  if (v === 0) {
    c.fl |= ZF;
    return -1;
  }
  c.fl &= ~ZF;
  return 31 - Math.clz32(v & -v);
}

function bsrCore(c: Cpu, v: number): number {
  materialize(c);
  if (v === 0) {
    c.fl |= ZF;
    return -1;
  }
  c.fl &= ~ZF;
  return 31 - Math.clz32(v);
}

/** BSF r16, r/m16 (source in imm2: 0 register, 1 memory). */
export function bsf_w(c: Cpu, i: Insn): void {
  const v = i.imm2 === 0 ? c.r16[i.rm]! : readLin16(c, linRead(c, i.seg, ea(c, i), 2));
  const r = bsfCore(c, v);
  if (r >= 0) c.r16[i.reg] = r;
}
/** BSF r32, r/m32. */
export function bsf_d(c: Cpu, i: Insn): void {
  const v = i.imm2 === 0 ? c.r32[i.rm]! : readLin32(c, linRead(c, i.seg, ea(c, i), 4));
  const r = bsfCore(c, v);
  if (r >= 0) c.r32[i.reg] = r;
}
/** BSR r16, r/m16. */
export function bsr_w(c: Cpu, i: Insn): void {
  const v = i.imm2 === 0 ? c.r16[i.rm]! : readLin16(c, linRead(c, i.seg, ea(c, i), 2));
  const r = bsrCore(c, v);
  if (r >= 0) c.r16[i.reg] = r;
}
/** BSR r32, r/m32. */
export function bsr_d(c: Cpu, i: Insn): void {
  const v = i.imm2 === 0 ? c.r32[i.rm]! : readLin32(c, linRead(c, i.seg, ea(c, i), 4));
  const r = bsrCore(c, v);
  if (r >= 0) c.r32[i.reg] = r;
}

// --- SHLD / SHRD (count: imm, or CL when imm2 bit 1 is set; bit 0 of imm2 = SHRD) ---------------

function dshift(c: Cpu, right: boolean, d: number, s: number, n: number, bits: number): number {
  let r: number;
  let cf: number;
  if (bits === 32) {
    if (right) {
      r = (d >>> n) | (s << (32 - n));
      cf = (d >>> (n - 1)) & 1;
    } else {
      r = (d << n) | (s >>> (32 - n));
      cf = (d >>> (32 - n)) & 1;
    }
  } else {
    const v48 = right ? d * 2 ** 32 + s * 2 ** 16 + d : d * 2 ** 32 + s * 2 ** 16 + d;
    if (right) {
      r = Math.floor(v48 / 2 ** n) & 0xffff;
      cf = Math.floor(v48 / 2 ** (n - 1)) & 1;
    } else {
      r = Math.floor(v48 / 2 ** (32 - n)) & 0xffff;
      cf = Math.floor(v48 / 2 ** (48 - n)) & 1;
    }
  }
  const top = bits - 1;
  const of = ((r >>> top) ^ (d >>> top)) & 1;
  const sh = 32 - bits;
  setResultWith(c, (r << sh) >> sh, cf | (of << 11));
  return r;
}

function dcount(c: Cpu, i: Insn): number {
  return ((i.imm2 & 2) !== 0 ? c.r8[4]! : i.imm) & 31;
}

/** SHLD/SHRD r16, r16. */
export function shxd_w_R(c: Cpu, i: Insn): void {
  const n = dcount(c, i);
  if (n === 0) return;
  c.r16[i.rm] = dshift(c, (i.imm2 & 1) !== 0, c.r16[i.rm]!, c.r16[i.reg]!, n, 16);
}
/** SHLD/SHRD m16, r16. */
export function shxd_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const d = readLin16(c, lin);
  const n = dcount(c, i);
  if (n === 0) return;
  probeWrite(c, lin, 2);
  writeLin16(c, lin, dshift(c, (i.imm2 & 1) !== 0, d, c.r16[i.reg]!, n, 16));
}
/** SHLD/SHRD r32, r32. */
export function shxd_d_R(c: Cpu, i: Insn): void {
  const n = dcount(c, i);
  if (n === 0) return;
  c.r32[i.rm] = dshift(c, (i.imm2 & 1) !== 0, c.r32[i.rm]!, c.r32[i.reg]!, n, 32);
}
/** SHLD/SHRD m32, r32. */
export function shxd_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const d = readLin32(c, lin);
  const n = dcount(c, i);
  if (n === 0) return;
  probeWrite(c, lin, 4);
  writeLin32(c, lin, dshift(c, (i.imm2 & 1) !== 0, d, c.r32[i.reg]!, n, 32));
}
