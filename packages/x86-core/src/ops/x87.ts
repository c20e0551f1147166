/**
 * x87 escape opcodes D8–DF. `i.imm` holds (opcode & 7) << 8 | ModRM.reg << 3 | ModRM.rm (rm only
 * for register forms; MODREG tells which).
 */
import { ea, wr16 } from '../access.js';
import type { Cpu } from '../cpu.js';
import { raiseFault, raiseUd } from '../fault.js';
import type { Insn } from '../insn.js';

/** Executes an x87 instruction (#NM when CR0.EM or CR0.TS is set). */
export function x87(c: Cpu, i: Insn): void {
  if ((c.cr0 & 0xc) !== 0) raiseFault(c, 7);
  const isReg = (i.flags & 0x40) !== 0;
  const esc = i.imm >> 8;
  const reg = (i.imm >> 3) & 7;
  const fpu = c.fpu;
  if (isReg) {
    if (esc === 3 && (i.imm & 0x3f) === 0x23) {
      fpu.init();
      return;
    }
    if (esc === 3 && (i.imm & 0x3f) === 0x22) {
      fpu.sw &= 0x7f00;
      return;
    }
    if (esc === 7 && (i.imm & 0x3f) === 0x20) {
      c.r16[0] = fpu.status();
      return;
    }
  } else {
    if (esc === 1 && reg === 7) {
      wr16(c, i.seg, ea(c, i), fpu.cw);
      return;
    }
    if (esc === 5 && reg === 7) {
      wr16(c, i.seg, ea(c, i), fpu.status());
      return;
    }
  }
  raiseUd(c);
}
