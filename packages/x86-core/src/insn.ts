import type { Cpu } from './cpu.js';

/**
 * An instruction handler: executes one decoded instruction. `c.eip` already points past the
 * instruction when it runs (branch targets are relative to it); a guest fault is raised with
 * `raiseFault` and must happen before the handler commits any architectural state.
 */
export type Handler = (c: Cpu, i: Insn) => void;

/** Register index that always reads zero (absent base or index of an effective address). */
export const ZERO_REG = 8;

/**
 * One decoded instruction. Decoding happens once per instruction per code block; execution reads
 * the fields, never the bytes again. All fields are small integers so that every `Insn` shares one
 * hidden class (monomorphic loads in the handlers).
 *
 * Register fields hold indices into the register view matching the operand size: `r32` index
 * (0–7) for dwords, `r16` index (2·n) for words, `r8` index (AL=0, CL=4, DL=8, BL=12, AH=1, …) for
 * bytes.
 */
export class Insn {
  /** Handler that executes this instruction. */
  fn: Handler;
  /** Instruction length in bytes. */
  len = 0;
  /** `reg` operand (size-mapped register index). */
  reg = 0;
  /** `rm` operand when it names a register (size-mapped), else the raw ModRM.rm. */
  rm = 0;
  /** Effective address: base register (r32 index, {@link ZERO_REG} when absent). */
  base: number = ZERO_REG;
  /** Effective address: index register (r32 index, {@link ZERO_REG} when absent). */
  index: number = ZERO_REG;
  /** Effective address: scale shift (0–3). */
  scale = 0;
  /** Effective address: displacement (sign-extended). */
  disp = 0;
  /** Address-size mask applied to the effective address: 0xffff or -1. */
  amask = -1;
  /** Segment register of the memory operand (after overrides). */
  seg = 3;
  /** First immediate (sign- or zero-extended as the instruction defines). */
  imm = 0;
  /** Second immediate (ENTER's level, a far pointer's selector). */
  imm2 = 0;
  /** Opcode: 0x000–0x0ff one-byte, 0x100–0x1ff `0F xx`; for groups the ModRM.reg is in bits 9–11. */
  opc = 0;
  /** Prefix and size bits ({@link InsnFlag}). */
  flags = 0;
  /** Position in its block: `c.retired + pos` is the exact count of instructions retired before it. */
  pos = 0;

  constructor(fn: Handler) {
    this.fn = fn;
  }

  /** Resets every field so that a scratch `Insn` can be reused by the decoder. */
  clear(fn: Handler): void {
    this.fn = fn;
    this.len = 0;
    this.reg = 0;
    this.rm = 0;
    this.base = ZERO_REG;
    this.index = ZERO_REG;
    this.scale = 0;
    this.disp = 0;
    this.amask = -1;
    this.seg = 3;
    this.imm = 0;
    this.imm2 = 0;
    this.opc = 0;
    this.flags = 0;
    this.pos = 0;
  }

  /** Copies all fields from another instruction. */
  copyFrom(o: Insn): void {
    this.fn = o.fn;
    this.len = o.len;
    this.reg = o.reg;
    this.rm = o.rm;
    this.base = o.base;
    this.index = o.index;
    this.scale = o.scale;
    this.disp = o.disp;
    this.amask = o.amask;
    this.seg = o.seg;
    this.imm = o.imm;
    this.imm2 = o.imm2;
    this.opc = o.opc;
    this.flags = o.flags;
    this.pos = o.pos;
  }
}

/** Bits of {@link Insn.flags}. */
export const InsnFlag = {
  /** Operand size is 32 bits. */
  O32: 0x1,
  /** Address size is 32 bits. */
  A32: 0x2,
  /** REP/REPE (F3) prefix. */
  REP: 0x4,
  /** REPNE (F2) prefix. */
  REPNE: 0x8,
  /** LOCK prefix. */
  LOCK: 0x10,
  /** A segment-override prefix was present. */
  SEGOVR: 0x20,
  /** ModRM.mod was 3 (register operand). */
  MODREG: 0x40,
  /** The instruction ends its block (control transfer or a state change the decoder depends on). */
  END: 0x80,
  /** The instruction may write memory (self-modifying code check after it). */
  WRITES: 0x100,
  /** The instruction is invalid (#UD when executed). */
  INVALID: 0x200,
} as const;
