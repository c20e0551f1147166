/**
 * Decimal adjust: DAA, DAS, AAA, AAS, AAM, AAD (SDM vol. 2 pseudo-code; AAA/AAS adjust AX as a
 * whole, as 386 and later do). Undefined flags: OF follows the adjusting addition/subtraction,
 * AAD's flags are those of the 8-bit addition AL + AH·imm, AAM's low-byte result flags.
 */
import type { Cpu } from '../cpu.js';
import { raiseFault } from '../fault.js';
import { AF, CF, getAf, getCf, materialize, OF, PARITY, PF, SF, setAdd, setLogic, ZF } from '../flags.js';
import type { Insn } from '../insn.js';

function resultFlags(al: number): number {
  return (al === 0 ? ZF : 0) | (al & 0x80 ? SF : 0) | (PARITY[al]! << 2);
}

/** DAA. */
export function daa(c: Cpu, _i: Insn): void {
  const old = c.r8[0]!;
  const oldCf = getCf(c);
  const oldAf = getAf(c);
  let al = old;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || oldAf !== 0) {
    al += 6;
    cf = oldCf | (al > 0xff ? 1 : 0);
    al &= 0xff;
    af = 1;
  }
  if (old > 0x99 || oldCf !== 0) {
    al = (al + 0x60) & 0xff;
    cf = 1;
  } else {
    cf = 0;
  }
  c.r8[0] = al;
  materialize(c);
  const of = (~old & al & 0x80) !== 0 ? OF : 0;
  c.fl = (c.fl & ~(CF | PF | AF | ZF | SF | OF)) | cf | (af ? AF : 0) | resultFlags(al) | of;
}

/** DAS. */
export function das(c: Cpu, _i: Insn): void {
  const old = c.r8[0]!;
  const oldCf = getCf(c);
  const oldAf = getAf(c);
  let al = old;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || oldAf !== 0) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al = (al - 6) & 0xff;
    af = 1;
  }
  if (old > 0x99 || oldCf !== 0) {
    al = (al - 0x60) & 0xff;
    cf = 1;
  }
  c.r8[0] = al;
  materialize(c);
  const of = (old & ~al & 0x80) !== 0 ? OF : 0;
  c.fl = (c.fl & ~(CF | PF | AF | ZF | SF | OF)) | cf | (af ? AF : 0) | resultFlags(al) | of;
}

/** AAA. */
export function aaa(c: Cpu, _i: Insn): void {
  const af = getAf(c);
  materialize(c);
  let ax = c.r16[0]!;
  if ((ax & 0xf) > 9 || af !== 0) {
    ax = (ax + 0x106) & 0xffff;
    c.fl |= AF | CF;
  } else {
    c.fl &= ~(AF | CF);
  }
  c.r16[0] = ax & 0xff0f;
  const al = ax & 0xff;
  c.fl = (c.fl & ~(PF | ZF | SF | OF)) | resultFlags(al);
}

/** AAS. */
export function aas(c: Cpu, _i: Insn): void {
  const af = getAf(c);
  materialize(c);
  let ax = c.r16[0]!;
  if ((ax & 0xf) > 9 || af !== 0) {
    ax = (ax - 6) & 0xffff;
    ax = (ax - 0x100) & 0xffff;
    c.fl |= AF | CF;
  } else {
    c.fl &= ~(AF | CF);
  }
  c.r16[0] = ax & 0xff0f;
  const al = ax & 0xff;
  c.fl = (c.fl & ~(PF | ZF | SF | OF)) | resultFlags(al);
}

/** AAM imm8: #DE when imm8 = 0. */
export function aam(c: Cpu, i: Insn): void {
  const d = i.imm & 0xff;
  if (d === 0) raiseFault(c, 0);
  const al = c.r8[0]!;
  c.r8[1] = Math.floor(al / d);
  const r = al % d;
  c.r8[0] = r;
  setLogic(c, (r << 24) >> 24);
}

/** AAD imm8. */
export function aad(c: Cpu, i: Insn): void {
  const a = c.r8[0]!;
  const b = (c.r8[1]! * (i.imm & 0xff)) & 0xff;
  const r = (a + b) & 0xff;
  c.r16[0] = r;
  setAdd(c, (a << 24) >> 24, (b << 24) >> 24, (r << 24) >> 24);
}
