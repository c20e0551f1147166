/**
 * Group 2: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR (ModRM.reg selects; /6 is SAL as on P6) with a
 * count of 1, CL or imm8, masked to 5 bits. A masked count of 0 changes nothing, flags included.
 * Rotates change only CF and OF; shifts set CF/OF explicitly, AF = 0, and ZF/SF/PF from the
 * result. OF is computed with the count-1 formula for every count (it is undefined otherwise;
 * this is Bochs' choice too).
 */
import {
  ea,
  linWrite,
  probeWrite,
  readLin8,
  readLin16,
  readLin32,
  writeLin8,
  writeLin16,
  writeLin32,
} from '../access.js';
import type { Cpu } from '../cpu.js';
import { CF, getCf, materialize, OF, setResultWith } from '../flags.js';
import type { Insn } from '../insn.js';

/** Count operand: imm (1 or imm8) unless imm2 is -1 (CL). */
function count(c: Cpu, i: Insn): number {
  return (i.imm2 === -1 ? c.r8[4]! : i.imm) & 0x1f;
}

/**
 * Performs shift/rotate `op` on the zero-extended `bits`-wide value `v` by `cnt` (1–31) and
 * records the flags; returns the zero-extended result.
 */
export function shiftOp(c: Cpu, op: number, v: number, cnt: number, bits: number): number {
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  const top = bits - 1;
  let r: number;
  let cf: number;
  let of: number;
  switch (op) {
    case 0: {
      const n = cnt % bits;
      r = n === 0 ? v : ((v << n) | (v >>> (bits - n))) & mask;
      cf = r & 1;
      of = ((r >>> top) ^ cf) & 1;
      materialize(c);
      c.fl = (c.fl & ~(CF | OF)) | cf | (of << 11);
      return r;
    }
    case 1: {
      const n = cnt % bits;
      r = n === 0 ? v : ((v >>> n) | (v << (bits - n))) & mask;
      cf = (r >>> top) & 1;
      of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      materialize(c);
      c.fl = (c.fl & ~(CF | OF)) | cf | (of << 11);
      return r;
    }
    case 2: {
      const n = bits === 32 ? cnt : cnt % (bits + 1);
      const oldCf = getCf(c);
      if (n === 0) {
        r = v;
        cf = oldCf;
      } else {
        r = ((v << n) | (oldCf << (n - 1)) | (n > 1 ? v >>> (bits + 1 - n) : 0)) & mask;
        cf = (v >>> (bits - n)) & 1;
      }
      of = ((r >>> top) ^ cf) & 1;
      materialize(c);
      c.fl = (c.fl & ~(CF | OF)) | cf | (of << 11);
      return r;
    }
    case 3: {
      const n = bits === 32 ? cnt : cnt % (bits + 1);
      const oldCf = getCf(c);
      if (n === 0) {
        r = v;
        cf = oldCf;
      } else {
        r = ((v >>> n) | (oldCf << (bits - n)) | (n > 1 ? v << (bits + 1 - n) : 0)) & mask;
        cf = (v >>> (n - 1)) & 1;
      }
      of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      materialize(c);
      c.fl = (c.fl & ~(CF | OF)) | cf | (of << 11);
      return r;
    }
    case 4:
    case 6:
      r = (v << cnt) & mask;
      cf = cnt <= bits ? (v >>> (bits - cnt)) & 1 : 0;
      of = ((r >>> top) ^ cf) & 1;
      break;
    case 5:
      r = (v >>> cnt) & mask;
      cf = (v >>> (cnt - 1)) & 1;
      // MSB(original) for a count of 1; the result-based form for larger counts matches the 286
      // data and Bochs.
      of = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      if (cnt === 1) of = (v >>> top) & 1;
      break;
    default: {
      const sv = (v << (32 - bits)) >> (32 - bits);
      r = (sv >> cnt) & mask;
      cf = (sv >> (cnt - 1)) & 1;
      of = 0;
      break;
    }
  }
  setResultWith(c, (r << (32 - bits)) >> (32 - bits), cf | (of << 11));
  return r;
}

/** Group 2 on r8. */
export function shift_b_R(c: Cpu, i: Insn): void {
  const n = count(c, i);
  if (n !== 0) c.r8[i.rm] = shiftOp(c, i.reg, c.r8[i.rm]!, n, 8);
}
/** Group 2 on m8. */
export function shift_b_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 1);
  const v = readLin8(c, lin);
  const n = count(c, i);
  if (n === 0) return;
  probeWrite(c, lin, 1);
  writeLin8(c, lin, shiftOp(c, i.reg, v, n, 8));
}
/** Group 2 on r16. */
export function shift_w_R(c: Cpu, i: Insn): void {
  const n = count(c, i);
  if (n !== 0) c.r16[i.rm] = shiftOp(c, i.reg, c.r16[i.rm]!, n, 16);
}
/** Group 2 on m16. */
export function shift_w_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 2);
  const v = readLin16(c, lin);
  const n = count(c, i);
  if (n === 0) return;
  probeWrite(c, lin, 2);
  writeLin16(c, lin, shiftOp(c, i.reg, v, n, 16));
}
/** Group 2 on r32. */
export function shift_d_R(c: Cpu, i: Insn): void {
  const n = count(c, i);
  if (n !== 0) c.r32[i.rm] = shiftOp(c, i.reg, c.r32[i.rm]!, n, 32);
}
/** Group 2 on m32. */
export function shift_d_M(c: Cpu, i: Insn): void {
  const lin = linWrite(c, i.seg, ea(c, i), 4);
  const v = readLin32(c, lin);
  const n = count(c, i);
  if (n === 0) return;
  probeWrite(c, lin, 4);
  writeLin32(c, lin, shiftOp(c, i.reg, v, n, 32));
}
