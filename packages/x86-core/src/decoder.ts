/**
 * The decoder: turns guest bytes into {@link Insn}s once, grouped into {@link Block}s.
 *
 * Prefixes (SDM vol. 2, §2.1.1), ModRM/SIB in 16 and 32 bits (tables 2-1 to 2-3), the one-byte and
 * 0F opcode maps (appendix A). Every operand-size, register-vs-memory and addressing variant
 * selects its own handler, so execution does no decoding at all. Invalid encodings decode to the
 * #UD handler (the fault is raised when, and only if, the instruction executes).
 */

import { readSlow } from './access.js';
import { Block } from './code-cache.js';
import type { Cpu } from './cpu.js';
import { FAULT, raiseFault } from './fault.js';
import { type Handler, Insn, InsnFlag, ZERO_REG } from './insn.js';
import * as alu from './ops/alu.js';
import * as bcd from './ops/bcd.js';
import * as bits from './ops/bits.js';
import * as cond from './ops/cond-ops.js';
import * as ctl from './ops/control.js';
import * as data from './ops/data.js';
import * as fl from './ops/flag-ops.js';
import * as io from './ops/io.js';
import * as md from './ops/muldiv.js';
import * as seg from './ops/seg-ops.js';
import * as shx from './ops/shift-ops.js';
import * as str from './ops/string.js';
import * as sys from './ops/system.js';
import * as incdec from './ops/unary.js';
import { x87 } from './ops/x87.js';
import { ACC_FETCH, ACC_USER, translate } from './paging.js';
import { TLB_MMIO, TLB_VALID } from './tlb.js';

/** Maximum instructions per block. */
export const MAX_BLOCK_INSNS = 64;

const O32 = InsnFlag.O32;
const A32 = InsnFlag.A32;
const REP = InsnFlag.REP;
const REPNE = InsnFlag.REPNE;
const LOCK = InsnFlag.LOCK;
const MODREG = InsnFlag.MODREG;
const END = InsnFlag.END;
const WRITES = InsnFlag.WRITES;
const INVALID = InsnFlag.INVALID;

const UD: Handler = sys.ud;

/** Thrown (internally) when a non-first instruction would leave the block's page. */
const ABORT = Object.freeze({ abort: true });

/** Reads instruction bytes at CS:IP with IP wrap, the CS limit and page crossings. */
export class Fetcher {
  c: Cpu | null = null;
  ip = 0;
  ipMask = 0xffff;
  csBase = 0;
  csLimit = 0;
  /** Linear page (address & ~0xfff) whose physical page is `pagePhys`. */
  pageLin = 0;
  pagePhys = -1;
  /** First instruction of a block: may fault and cross pages. */
  strict = true;
  /** The current instruction read bytes outside the block's page (or wrapped IP). */
  crossed = false;
  /** The current instruction's IP wrapped around 64 KiB. */
  wrapped = false;
  /**
   * Physical address of the page the current instruction continued into (page-aligned), or -1:
   * none yet, -2: not cacheable (MMIO, or a fetcher without a block page).
   */
  crossPhys = -1;
  /** Bytes read for the current instruction. */
  count = 0;
  /** The last ModRM byte read. */
  lastModrm = 0;

  begin(): void {
    this.crossed = false;
    this.wrapped = false;
    this.crossPhys = -1;
    this.count = 0;
  }

  byte(): number {
    const c = this.c!;
    const off = this.ip & this.ipMask;
    if (this.count >= 15) {
      if (!this.strict) throw ABORT;
      raiseFault(c, 13, 0);
    }
    if (off >>> 0 > this.csLimit >>> 0) {
      if (!this.strict) throw ABORT;
      raiseFault(c, 13, 0);
    }
    if (this.ip !== off && this.ipMask !== -1) {
      // IP wrapped around 64 KiB: not contiguous with the block.
      if (!this.strict) throw ABORT;
      this.crossed = true;
      this.wrapped = true;
    }
    this.ip = off + 1;
    const lin = (this.csBase + off) | 0;
    if ((lin & ~0xfff) === this.pageLin && this.pagePhys >= 0) {
      this.count++;
      return c.m8[this.pagePhys | (lin & 0xfff)]!;
    }
    if (!this.strict) throw ABORT;
    this.crossed = true;
    const v = fetchByteSlow(c, lin, this);
    this.count++;
    return v;
  }

  imm8(): number {
    return this.byte();
  }

  imm8s(): number {
    return (this.byte() << 24) >> 24;
  }

  imm16(): number {
    const lo = this.byte();
    return lo | (this.byte() << 8);
  }

  imm16s(): number {
    return (this.imm16() << 16) >> 16;
  }

  imm32(): number {
    const a = this.byte();
    const b = this.byte();
    const c = this.byte();
    return a | (b << 8) | (c << 16) | (this.byte() << 24);
  }
}

function fetchByteSlow(c: Cpu, lin: number, f: Fetcher): number {
  let e = c.tlb[lin >>> 12]!;
  if ((e & c.rmask) !== TLB_VALID) e = translate(c, lin, ACC_FETCH | (c.cpl === 3 ? ACC_USER : 0));
  const page = (e & ~0xfff) ^ (lin & ~0xfff);
  if ((e & TLB_MMIO) === 0) {
    // Remember the second page of an instruction crossing out of the block's page.
    if (f.crossPhys === -1 && f.pagePhys >= 0 && (lin & ~0xfff) === ((f.pageLin + 0x1000) | 0))
      f.crossPhys = page;
    else if (f.crossPhys !== page) f.crossPhys = -2;
    return c.m8[page | (lin & 0xfff)]!;
  }
  f.crossPhys = -2;
  return readSlow(c, lin, 1, c.cpl === 3);
}

const scratchFetcher = new Fetcher();

/**
 * Decodes the block at CS:`eip`. `phys` is the physical address of its first byte (-1: do not
 * cache, e.g. code in MMIO). The first instruction may fault (#PF, #GP); later ones never do —
 * the block simply ends before them.
 */
export function decodeBlock(c: Cpu, eip: number, phys: number, mode: number, csLimit: number): Block {
  const f = scratchFetcher;
  f.c = c;
  f.ipMask = mode === 1 ? -1 : 0xffff;
  f.ip = eip;
  f.csBase = c.segBase[1]!;
  f.csLimit = csLimit;
  const lin = (f.csBase + eip) | 0;
  f.pageLin = lin & ~0xfff;
  const e = c.tlb[lin >>> 12]!;
  f.pagePhys = phys >= 0 && (e & TLB_MMIO) === 0 ? phys & ~0xfff : -1;
  const insns: Insn[] = [];
  let bytes = 0;
  let cacheable = phys >= 0 && f.pagePhys >= 0;
  let phys2 = -1;
  for (let n = 0; n < MAX_BLOCK_INSNS; n++) {
    f.strict = n === 0;
    f.begin();
    const startIp = f.ip;
    const i = new Insn(UD);
    try {
      decodeOne(c, f, i, mode);
    } catch (err) {
      if (err === ABORT) {
        f.ip = startIp;
        break;
      }
      // An instruction whose first byte was fetched has started: a later fetch fault counts it
      // (v86's rule; see Cpu.retired).
      if (err === FAULT && f.count > 0) c.retired += 1;
      f.c = null;
      throw err;
    }
    i.len = f.count;
    i.pos = n;
    if (f.crossed) {
      // An instruction running into the next page ends the block; the block stays cacheable,
      // remembering that page (fetchBlock checks the mapping, writes to it invalidate).
      if (f.wrapped || f.crossPhys < 0 || n > 0 || f.crossPhys === f.pagePhys) cacheable = false;
      else phys2 = f.crossPhys;
    }
    insns.push(i);
    bytes += i.len;
    if ((i.flags & END) !== 0 || f.crossed) break;
    const next = (f.csBase + (f.ip & f.ipMask)) | 0;
    if ((next & ~0xfff) !== f.pageLin) break;
  }
  f.c = null;
  const b = new Block(cacheable ? phys : -1, mode, insns, bytes, mode === 1 ? -1 : 0xffff);
  if (cacheable) b.phys2 = phys2;
  const last = insns[insns.length - 1]!;
  b.linkable = (last.flags & END) === 0 || NEAR_TRANSFERS.has(last.fn);
  return b;
}

/** Handlers after which CS, the mode and the TLB are unchanged: their successors may be chained. */
const NEAR_TRANSFERS = new Set<Handler>([
  ctl.jo,
  ctl.jno,
  ctl.jb,
  ctl.jnb,
  ctl.jz,
  ctl.jnz,
  ctl.jbe,
  ctl.ja,
  ctl.js,
  ctl.jns,
  ctl.jp,
  ctl.jnp,
  ctl.jl,
  ctl.jge,
  ctl.jle,
  ctl.jg,
  ctl.jmp_rel,
  ctl.jmp_w_R,
  ctl.jmp_d_R,
  ctl.jmp_w_M,
  ctl.jmp_d_M,
  ctl.call_rel_w,
  ctl.call_rel_d,
  ctl.call_w_R,
  ctl.call_d_R,
  ctl.call_w_M,
  ctl.call_d_M,
  ctl.ret_w,
  ctl.ret_d,
  ctl.ret_imm_w,
  ctl.ret_imm_d,
  ctl.loop,
  ctl.loope,
  ctl.loopne,
  ctl.jcxz,
]);

/** Decodes one instruction at the fetcher's position into `i` (for tools: disassembly, tests). */
export function decodeAt(c: Cpu, eip: number, mode: number, i: Insn): void {
  const f = scratchFetcher;
  f.c = c;
  f.ipMask = mode === 1 ? -1 : 0xffff;
  f.ip = eip;
  f.csBase = c.segBase[1]!;
  f.csLimit = c.segLimit[1]!;
  f.pageLin = -1;
  f.pagePhys = -1;
  f.strict = true;
  f.begin();
  try {
    decodeOne(c, f, i, mode);
    i.len = f.count;
  } finally {
    f.c = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Register index mapping per operand size.

function r8(n: number): number {
  return n < 4 ? n << 2 : ((n - 4) << 2) | 1;
}

// ---------------------------------------------------------------------------------------------
// ALU handler table: ALU[op][size][form].

const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'] as const;
const SIZES = ['b', 'w', 'd'] as const;
const FORMS = ['RR', 'MR', 'RM', 'RI', 'MI'] as const;
const F_RR = 0;
const F_MR = 1;
const F_RM = 2;
const F_RI = 3;
const F_MI = 4;

const ALU: Handler[] = [];
for (const name of ALU_NAMES) {
  for (const s of SIZES) {
    for (const form of FORMS) {
      const h = (alu as unknown as Record<string, Handler>)[`${name}_${s}_${form}`];
      if (h === undefined) throw new Error(`missing ALU handler ${name}_${s}_${form}`);
      ALU.push(h);
    }
  }
}

function aluH(op: number, size: number, form: number): Handler {
  return ALU[op * 15 + size * 5 + form]!;
}

const TEST: Handler[] = [
  alu.test_b_RR,
  alu.test_b_MR,
  alu.test_b_RR,
  alu.test_b_RI,
  alu.test_b_MI,
  alu.test_w_RR,
  alu.test_w_MR,
  alu.test_w_RR,
  alu.test_w_RI,
  alu.test_w_MI,
  alu.test_d_RR,
  alu.test_d_MR,
  alu.test_d_RR,
  alu.test_d_RI,
  alu.test_d_MI,
];

const SHIFT_NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'] as const;
/** SHIFT[op * 12 + size * 4 + (memory ? 2 : 0) + (CL ? 1 : 0)]. */
const SHIFT: Handler[] = [];
for (const name of SHIFT_NAMES) {
  for (const s of SIZES) {
    for (const form of ['RI', 'RC', 'MI', 'MC']) {
      const h = (shx as unknown as Record<string, Handler>)[`${name}_${s}_${form}`];
      if (h === undefined) throw new Error(`missing shift handler ${name}_${s}_${form}`);
      SHIFT.push(h);
    }
  }
}

const CC_NAMES = [
  'o',
  'no',
  'b',
  'nb',
  'z',
  'nz',
  'be',
  'a',
  's',
  'ns',
  'p',
  'np',
  'l',
  'ge',
  'le',
  'g',
] as const;
function condHandler(prefix: string, cc: number, suffix: string): Handler {
  const h = (cond as unknown as Record<string, Handler>)[`${prefix}${CC_NAMES[cc]}${suffix}`];
  if (h === undefined) throw new Error(`missing handler ${prefix}${CC_NAMES[cc]}${suffix}`);
  return h;
}

const JCC: Handler[] = [
  ctl.jo,
  ctl.jno,
  ctl.jb,
  ctl.jnb,
  ctl.jz,
  ctl.jnz,
  ctl.jbe,
  ctl.ja,
  ctl.js,
  ctl.jns,
  ctl.jp,
  ctl.jnp,
  ctl.jl,
  ctl.jge,
  ctl.jle,
  ctl.jg,
];

// ---------------------------------------------------------------------------------------------
// ModRM.

/**
 * Decodes ModRM (+ SIB + displacement). Sets reg (raw), rm (raw register number when mod = 3),
 * the effective-address fields and the segment. Returns true for a register operand.
 */
function modrm(f: Fetcher, i: Insn, a32: boolean, segOvr: number): boolean {
  const m = f.byte();
  f.lastModrm = m;
  const mod = m >> 6;
  i.reg = (m >> 3) & 7;
  const rm = m & 7;
  if (mod === 3) {
    i.rm = rm;
    i.flags |= MODREG;
    return true;
  }
  let defSeg = 3;
  if (a32) {
    i.amask = -1;
    i.flags |= A32;
    let base = rm;
    if (rm === 4) {
      const sib = f.byte();
      i.scale = sib >> 6;
      const idx = (sib >> 3) & 7;
      i.index = idx === 4 ? ZERO_REG : idx;
      base = sib & 7;
      if (base === 5 && mod === 0) {
        i.base = ZERO_REG;
        i.disp = f.imm32();
      } else {
        i.base = base;
      }
    } else if (rm === 5 && mod === 0) {
      i.base = ZERO_REG;
      i.disp = f.imm32();
    } else {
      i.base = rm;
    }
    if (i.base === 4 || i.base === 5) defSeg = 2;
    if (mod === 1) i.disp = f.imm8s();
    else if (mod === 2) i.disp = f.imm32();
  } else {
    i.amask = 0xffff;
    switch (rm) {
      case 0:
        i.base = 3;
        i.index = 6;
        break;
      case 1:
        i.base = 3;
        i.index = 7;
        break;
      case 2:
        i.base = 5;
        i.index = 6;
        defSeg = 2;
        break;
      case 3:
        i.base = 5;
        i.index = 7;
        defSeg = 2;
        break;
      case 4:
        i.base = 6;
        break;
      case 5:
        i.base = 7;
        break;
      case 6:
        if (mod === 0) {
          i.base = ZERO_REG;
          i.disp = f.imm16();
        } else {
          i.base = 5;
          defSeg = 2;
        }
        break;
      default:
        i.base = 3;
        break;
    }
    if (mod === 1) i.disp = f.imm8s();
    else if (mod === 2) i.disp = f.imm16();
  }
  i.seg = segOvr >= 0 ? segOvr : defSeg;
  return false;
}

// ---------------------------------------------------------------------------------------------
// The opcode maps.

function decodeOne(c: Cpu, f: Fetcher, i: Insn, mode: number): void {
  const def32 = mode === 1;
  let o32 = def32;
  let a32 = def32;
  let segOvr = -1;
  let flags = 0;
  let b = f.byte();
  // Prefixes.
  for (;;) {
    let prefix = true;
    switch (b) {
      case 0x26:
        segOvr = 0;
        break;
      case 0x2e:
        segOvr = 1;
        break;
      case 0x36:
        segOvr = 2;
        break;
      case 0x3e:
        segOvr = 3;
        break;
      case 0x64:
        segOvr = 4;
        break;
      case 0x65:
        segOvr = 5;
        break;
      case 0x66:
        o32 = !def32;
        break;
      case 0x67:
        a32 = !def32;
        break;
      case 0xf0:
        flags |= LOCK;
        break;
      case 0xf2:
        flags = (flags & ~REP) | REPNE;
        break;
      case 0xf3:
        flags = (flags & ~REPNE) | REP;
        break;
      default:
        prefix = false;
        break;
    }
    if (!prefix) break;
    b = f.byte();
  }
  if (segOvr >= 0) flags |= InsnFlag.SEGOVR;
  if (o32) flags |= O32;
  if (a32) flags |= A32;
  i.flags = flags;
  i.seg = segOvr >= 0 ? segOvr : 3;
  i.amask = a32 ? -1 : 0xffff;
  const sz = o32 ? 2 : 1;
  const ipMask = o32 ? -1 : 0xffff;
  let lockable = false;
  let fn: Handler = UD;
  if (b === 0x0f) {
    b = f.byte();
    i.opc = 0x100 | b;
    [fn, lockable] = decode0f(c, f, i, b, o32, a32, segOvr, sz, ipMask);
  } else {
    i.opc = b;
    [fn, lockable] = decode1(c, f, i, b, o32, a32, segOvr, sz, ipMask);
  }
  if ((i.flags & LOCK) !== 0 && (!lockable || (i.flags & MODREG) !== 0) && !c.ignoreInvalidLock) fn = UD;
  if (fn === UD) i.flags |= INVALID | END;
  i.fn = fn;
}

type Decoded = [Handler, boolean];

const NOT_LOCKABLE = false;
const LOCKABLE = true;

function decode1(
  c: Cpu,
  f: Fetcher,
  i: Insn,
  op: number,
  o32: boolean,
  a32: boolean,
  segOvr: number,
  sz: number,
  ipMask: number,
): Decoded {
  void c;
  // ALU block 00–3F (columns 0–5 of each row).
  if (op < 0x40 && (op & 7) < 6) {
    const a = op >> 3;
    const form = op & 7;
    switch (form) {
      case 0: {
        const isReg = modrm(f, i, a32, segOvr);
        i.reg = r8(i.reg);
        if (isReg) {
          i.rm = r8(i.rm);
          return [aluH(a, 0, F_RR), NOT_LOCKABLE];
        }
        if (a !== 7) i.flags |= WRITES;
        return [aluH(a, 0, F_MR), a !== 7];
      }
      case 1: {
        const isReg = modrm(f, i, a32, segOvr);
        if (!o32) i.reg <<= 1;
        if (isReg) {
          if (!o32) i.rm <<= 1;
          return [aluH(a, sz, F_RR), NOT_LOCKABLE];
        }
        if (a !== 7) i.flags |= WRITES;
        return [aluH(a, sz, F_MR), a !== 7];
      }
      case 2: {
        const isReg = modrm(f, i, a32, segOvr);
        if (isReg) {
          const dst = r8(i.reg);
          i.reg = r8(i.rm);
          i.rm = dst;
          return [aluH(a, 0, F_RR), NOT_LOCKABLE];
        }
        i.reg = r8(i.reg);
        return [aluH(a, 0, F_RM), NOT_LOCKABLE];
      }
      case 3: {
        const isReg = modrm(f, i, a32, segOvr);
        const k = o32 ? 0 : 1;
        if (isReg) {
          const dst = i.reg << k;
          i.reg = i.rm << k;
          i.rm = dst;
          return [aluH(a, sz, F_RR), NOT_LOCKABLE];
        }
        i.reg <<= k;
        return [aluH(a, sz, F_RM), NOT_LOCKABLE];
      }
      case 4:
        i.rm = 0;
        i.imm = f.imm8s();
        return [aluH(a, 0, F_RI), NOT_LOCKABLE];
      default:
        i.rm = 0;
        i.imm = o32 ? f.imm32() : f.imm16s();
        return [aluH(a, sz, F_RI), NOT_LOCKABLE];
    }
  }
  switch (op) {
    case 0x06:
    case 0x0e:
    case 0x16:
    case 0x1e:
      i.reg = op >> 3;
      return [o32 ? seg.push_sreg_d : seg.push_sreg_w, NOT_LOCKABLE];
    case 0x07:
    case 0x17:
    case 0x1f:
      i.reg = op >> 3;
      i.flags |= END;
      return [o32 ? seg.pop_sreg_d : seg.pop_sreg_w, NOT_LOCKABLE];
    case 0x0f:
      return [UD, NOT_LOCKABLE];
    case 0x27:
      return [bcd.daa, NOT_LOCKABLE];
    case 0x2f:
      return [bcd.das, NOT_LOCKABLE];
    case 0x37:
      return [bcd.aaa, NOT_LOCKABLE];
    case 0x3f:
      return [bcd.aas, NOT_LOCKABLE];
  }
  if (op >= 0x40 && op < 0x50) {
    const r = op & 7;
    i.rm = o32 ? r : r << 1;
    if (op < 0x48) return [o32 ? incdec.inc_d_R : incdec.inc_w_R, NOT_LOCKABLE];
    return [o32 ? incdec.dec_d_R : incdec.dec_w_R, NOT_LOCKABLE];
  }
  if (op >= 0x50 && op < 0x58) {
    const r = op & 7;
    i.reg = o32 ? r : r << 1;
    return [o32 ? data.push_d_R : data.push_w_R, NOT_LOCKABLE];
  }
  if (op >= 0x58 && op < 0x60) {
    const r = op & 7;
    i.reg = o32 ? r : r << 1;
    return [o32 ? data.pop_d_R : data.pop_w_R, NOT_LOCKABLE];
  }
  if (op >= 0x70 && op < 0x80) {
    i.imm = f.imm8s();
    i.imm2 = ipMask;
    i.flags |= END;
    return [JCC[op & 15]!, NOT_LOCKABLE];
  }
  if (op >= 0x91 && op < 0x98) {
    const r = op & 7;
    i.reg = o32 ? r : r << 1;
    i.rm = 0;
    return [o32 ? data.xchg_d_RR : data.xchg_w_RR, NOT_LOCKABLE];
  }
  if (op >= 0xb0 && op < 0xb8) {
    i.rm = r8(op & 7);
    i.imm = f.imm8();
    return [data.mov_b_RI, NOT_LOCKABLE];
  }
  if (op >= 0xb8 && op < 0xc0) {
    const r = op & 7;
    i.rm = o32 ? r : r << 1;
    i.imm = o32 ? f.imm32() : f.imm16();
    return [o32 ? data.mov_d_RI : data.mov_w_RI, NOT_LOCKABLE];
  }
  if (op >= 0xd8 && op <= 0xdf) {
    const isReg = modrm(f, i, a32, segOvr);
    // x87 opcode in imm: (escape & 7) << 8 | the ModRM byte (the FOP register's layout).
    i.imm = ((op & 7) << 8) | f.lastModrm;
    if (!x87Valid(op & 7, f.lastModrm)) return [UD, NOT_LOCKABLE];
    if (!isReg) i.flags |= WRITES;
    return [x87, NOT_LOCKABLE];
  }
  switch (op) {
    case 0x60:
      return [o32 ? data.pusha_d : data.pusha_w, NOT_LOCKABLE];
    case 0x61:
      return [o32 ? data.popa_d : data.popa_w, NOT_LOCKABLE];
    case 0x62: {
      const isReg = modrm(f, i, a32, segOvr);
      if (isReg) return [UD, NOT_LOCKABLE];
      if (!o32) i.reg <<= 1;
      return [o32 ? data.bound_d : data.bound_w, NOT_LOCKABLE];
    }
    case 0x63:
      if (!modrm(f, i, a32, segOvr)) i.flags |= WRITES;
      return [sys.arpl, NOT_LOCKABLE];
    case 0x68:
      i.imm = o32 ? f.imm32() : f.imm16();
      return [o32 ? data.push_d_I : data.push_w_I, NOT_LOCKABLE];
    case 0x69:
    case 0x6b: {
      const isReg = modrm(f, i, a32, segOvr);
      i.imm = op === 0x6b ? f.imm8s() : o32 ? f.imm32() : f.imm16s();
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (isReg) return [o32 ? md.imul3_d_R : md.imul3_w_R, NOT_LOCKABLE];
      return [o32 ? md.imul3_d_M : md.imul3_w_M, NOT_LOCKABLE];
    }
    case 0x6a:
      i.imm = f.imm8s();
      return [o32 ? data.push_d_I : data.push_w_I, NOT_LOCKABLE];
    case 0x6c:
    case 0x6d:
      i.imm2 = op === 0x6c ? 1 : o32 ? 4 : 2;
      i.flags |= END | WRITES;
      return [str.ins, NOT_LOCKABLE];
    case 0x6e:
    case 0x6f:
      i.imm2 = op === 0x6e ? 1 : o32 ? 4 : 2;
      i.flags |= END;
      return [str.outs, NOT_LOCKABLE];
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83: {
      const isReg = modrm(f, i, a32, segOvr);
      const a = i.reg;
      const byteOp = op === 0x80 || op === 0x82;
      const s = byteOp ? 0 : sz;
      if (byteOp) i.imm = f.imm8s();
      else if (op === 0x83) i.imm = f.imm8s();
      else i.imm = o32 ? f.imm32() : f.imm16s();
      if (isReg) {
        i.rm = byteOp ? r8(i.rm) : o32 ? i.rm : i.rm << 1;
        return [aluH(a, s, F_RI), NOT_LOCKABLE];
      }
      if (a !== 7) i.flags |= WRITES;
      return [aluH(a, s, F_MI), a !== 7];
    }
    case 0x84:
    case 0x85: {
      const isReg = modrm(f, i, a32, segOvr);
      const s = op === 0x84 ? 0 : sz;
      if (op === 0x84) {
        i.reg = r8(i.reg);
        if (isReg) i.rm = r8(i.rm);
      } else if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      return [TEST[s * 5 + (isReg ? F_RR : F_MR)]!, NOT_LOCKABLE];
    }
    case 0x86:
    case 0x87: {
      const isReg = modrm(f, i, a32, segOvr);
      if (op === 0x86) {
        i.reg = r8(i.reg);
        if (isReg) i.rm = r8(i.rm);
        if (!isReg) i.flags |= WRITES;
        return [isReg ? data.xchg_b_RR : data.xchg_b_MR, !isReg];
      }
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (!isReg) i.flags |= WRITES;
      if (isReg) return [o32 ? data.xchg_d_RR : data.xchg_w_RR, NOT_LOCKABLE];
      return [o32 ? data.xchg_d_MR : data.xchg_w_MR, LOCKABLE];
    }
    case 0x88:
    case 0x89:
    case 0x8a:
    case 0x8b: {
      const isReg = modrm(f, i, a32, segOvr);
      const byteOp = (op & 1) === 0;
      const toReg = op >= 0x8a;
      if (byteOp) {
        i.reg = r8(i.reg);
        if (isReg) i.rm = r8(i.rm);
      } else if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (isReg) {
        if (toReg) {
          const t = i.reg;
          i.reg = i.rm;
          i.rm = t;
        }
        return [byteOp ? data.mov_b_RR : o32 ? data.mov_d_RR : data.mov_w_RR, NOT_LOCKABLE];
      }
      if (toReg) return [byteOp ? data.mov_b_RM : o32 ? data.mov_d_RM : data.mov_w_RM, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [byteOp ? data.mov_b_MR : o32 ? data.mov_d_MR : data.mov_w_MR, NOT_LOCKABLE];
    }
    case 0x8c: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg > 5) return [UD, NOT_LOCKABLE];
      if (isReg) return [seg.mov_R_sreg, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [seg.mov_M_sreg, NOT_LOCKABLE];
    }
    case 0x8d: {
      const isReg = modrm(f, i, a32, segOvr);
      if (isReg) return [UD, NOT_LOCKABLE];
      if (!o32) i.reg <<= 1;
      return [o32 ? data.lea_d : data.lea_w, NOT_LOCKABLE];
    }
    case 0x8e: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg > 5 || i.reg === 1) return [UD, NOT_LOCKABLE];
      i.flags |= END;
      if (isReg) {
        i.rm <<= 1;
        return [seg.mov_sreg_R, NOT_LOCKABLE];
      }
      return [seg.mov_sreg_M, NOT_LOCKABLE];
    }
    case 0x8f: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg !== 0) return [UD, NOT_LOCKABLE];
      if (isReg) {
        i.reg = o32 ? i.rm : i.rm << 1;
        return [o32 ? data.pop_d_R : data.pop_w_R, NOT_LOCKABLE];
      }
      i.flags |= WRITES;
      return [o32 ? data.pop_d_M : data.pop_w_M, NOT_LOCKABLE];
    }
    case 0x90:
      return [data.nop, NOT_LOCKABLE];
    case 0x98:
      return [o32 ? data.cwde : data.cbw, NOT_LOCKABLE];
    case 0x99:
      return [o32 ? data.cdq : data.cwd, NOT_LOCKABLE];
    case 0x9a:
      i.imm = o32 ? f.imm32() : f.imm16();
      i.imm2 = f.imm16();
      i.flags |= END | WRITES;
      return [ctl.call_far_I, NOT_LOCKABLE];
    case 0x9b:
      return [x87wait, NOT_LOCKABLE];
    case 0x9c:
      i.flags |= WRITES;
      return [o32 ? fl.pushf_d : fl.pushf_w, NOT_LOCKABLE];
    case 0x9d:
      i.flags |= END;
      return [o32 ? fl.popf_d : fl.popf_w, NOT_LOCKABLE];
    case 0x9e:
      return [data.sahf, NOT_LOCKABLE];
    case 0x9f:
      return [data.lahf, NOT_LOCKABLE];
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      i.base = ZERO_REG;
      i.index = ZERO_REG;
      i.disp = a32 ? f.imm32() : f.imm16();
      i.reg = 0;
      const byteOp = (op & 1) === 0;
      if (op < 0xa2) return [byteOp ? data.mov_b_RM : o32 ? data.mov_d_RM : data.mov_w_RM, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [byteOp ? data.mov_b_MR : o32 ? data.mov_d_MR : data.mov_w_MR, NOT_LOCKABLE];
    }
    case 0xa4:
    case 0xa5:
    case 0xa6:
    case 0xa7:
    case 0xaa:
    case 0xab:
    case 0xac:
    case 0xad:
    case 0xae:
    case 0xaf: {
      if ((i.flags & (REP | REPNE)) !== 0) i.flags |= END;
      const w = (op & 1) === 0 ? 0 : sz;
      switch (op & 0xfe) {
        case 0xa4:
          i.flags |= WRITES;
          return [[str.movs_b, str.movs_w, str.movs_d][w]!, NOT_LOCKABLE];
        case 0xa6:
          return [[str.cmps_b, str.cmps_w, str.cmps_d][w]!, NOT_LOCKABLE];
        case 0xaa:
          i.flags |= WRITES;
          return [[str.stos_b, str.stos_w, str.stos_d][w]!, NOT_LOCKABLE];
        case 0xac:
          return [[str.lods_b, str.lods_w, str.lods_d][w]!, NOT_LOCKABLE];
        default:
          return [[str.scas_b, str.scas_w, str.scas_d][w]!, NOT_LOCKABLE];
      }
    }
    case 0xa8:
      i.rm = 0;
      i.imm = f.imm8s();
      return [alu.test_b_RI, NOT_LOCKABLE];
    case 0xa9:
      i.rm = 0;
      i.imm = o32 ? f.imm32() : f.imm16s();
      return [o32 ? alu.test_d_RI : alu.test_w_RI, NOT_LOCKABLE];
    case 0xc0:
    case 0xc1:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const isReg = modrm(f, i, a32, segOvr);
      const byteOp = (op & 1) === 0;
      let cl = 0;
      if (op < 0xd0) i.imm = f.imm8();
      else if (op < 0xd2) i.imm = 1;
      else cl = 1;
      const size = byteOp ? 0 : sz;
      if (isReg) {
        i.rm = byteOp ? r8(i.rm) : o32 ? i.rm : i.rm << 1;
        return [SHIFT[i.reg * 12 + size * 4 + cl]!, NOT_LOCKABLE];
      }
      i.flags |= WRITES;
      return [SHIFT[i.reg * 12 + size * 4 + 2 + cl]!, NOT_LOCKABLE];
    }
    case 0xc2:
      i.imm = f.imm16();
      i.flags |= END;
      return [o32 ? ctl.ret_imm_d : ctl.ret_imm_w, NOT_LOCKABLE];
    case 0xc3:
      i.flags |= END;
      return [o32 ? ctl.ret_d : ctl.ret_w, NOT_LOCKABLE];
    case 0xc4:
    case 0xc5: {
      const isReg = modrm(f, i, a32, segOvr);
      if (isReg) return [UD, NOT_LOCKABLE];
      i.imm2 = op === 0xc4 ? 0 : 3;
      if (!o32) i.reg <<= 1;
      return [o32 ? seg.lxs_d : seg.lxs_w, NOT_LOCKABLE];
    }
    case 0xc6:
    case 0xc7: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg !== 0) return [UD, NOT_LOCKABLE];
      const byteOp = op === 0xc6;
      i.imm = byteOp ? f.imm8() : o32 ? f.imm32() : f.imm16();
      if (isReg) {
        i.rm = byteOp ? r8(i.rm) : o32 ? i.rm : i.rm << 1;
        return [byteOp ? data.mov_b_RI : o32 ? data.mov_d_RI : data.mov_w_RI, NOT_LOCKABLE];
      }
      i.flags |= WRITES;
      return [byteOp ? data.mov_b_MI : o32 ? data.mov_d_MI : data.mov_w_MI, NOT_LOCKABLE];
    }
    case 0xc8:
      i.imm = f.imm16();
      i.imm2 = f.imm8() | (o32 ? 0x100 : 0);
      i.flags |= WRITES;
      return [data.enter, NOT_LOCKABLE];
    case 0xc9:
      return [o32 ? data.leave_d : data.leave_w, NOT_LOCKABLE];
    case 0xca:
      i.imm = f.imm16();
      i.flags |= END;
      return [ctl.retf, NOT_LOCKABLE];
    case 0xcb:
      i.flags |= END;
      return [ctl.retf, NOT_LOCKABLE];
    case 0xcc:
      i.flags |= END;
      return [ctl.int3, NOT_LOCKABLE];
    case 0xcd:
      i.imm = f.imm8();
      i.flags |= END;
      return [ctl.int_n, NOT_LOCKABLE];
    case 0xce:
      i.flags |= END;
      return [ctl.into, NOT_LOCKABLE];
    case 0xcf:
      i.flags |= END;
      return [ctl.iret_op, NOT_LOCKABLE];
    case 0xd4:
      i.imm = f.imm8();
      return [bcd.aam, NOT_LOCKABLE];
    case 0xd5:
      i.imm = f.imm8();
      return [bcd.aad, NOT_LOCKABLE];
    case 0xd6:
      return [fl.salc, NOT_LOCKABLE];
    case 0xd7:
      return [data.xlat, NOT_LOCKABLE];
    case 0xe0:
    case 0xe1:
    case 0xe2:
    case 0xe3:
      i.imm = f.imm8s();
      i.imm2 = ipMask;
      i.flags |= END;
      return [[ctl.loopne, ctl.loope, ctl.loop, ctl.jcxz][op & 3]!, NOT_LOCKABLE];
    case 0xe4:
      i.imm = f.imm8();
      i.flags |= END;
      return [io.in_b_I, NOT_LOCKABLE];
    case 0xe5:
      i.imm = f.imm8();
      i.flags |= END;
      return [o32 ? io.in_d_I : io.in_w_I, NOT_LOCKABLE];
    case 0xe6:
      i.imm = f.imm8();
      i.flags |= END;
      return [io.out_b_I, NOT_LOCKABLE];
    case 0xe7:
      i.imm = f.imm8();
      i.flags |= END;
      return [o32 ? io.out_d_I : io.out_w_I, NOT_LOCKABLE];
    case 0xe8:
      i.imm = o32 ? f.imm32() : f.imm16s();
      i.flags |= END | WRITES;
      return [o32 ? ctl.call_rel_d : ctl.call_rel_w, NOT_LOCKABLE];
    case 0xe9:
      i.imm = o32 ? f.imm32() : f.imm16s();
      i.imm2 = ipMask;
      i.flags |= END;
      return [ctl.jmp_rel, NOT_LOCKABLE];
    case 0xea:
      i.imm = o32 ? f.imm32() : f.imm16();
      i.imm2 = f.imm16();
      i.flags |= END;
      return [ctl.jmp_far_I, NOT_LOCKABLE];
    case 0xeb:
      i.imm = f.imm8s();
      i.imm2 = ipMask;
      i.flags |= END;
      return [ctl.jmp_rel, NOT_LOCKABLE];
    case 0xec:
      i.flags |= END;
      return [io.in_b_D, NOT_LOCKABLE];
    case 0xed:
      i.flags |= END;
      return [o32 ? io.in_d_D : io.in_w_D, NOT_LOCKABLE];
    case 0xee:
      i.flags |= END;
      return [io.out_b_D, NOT_LOCKABLE];
    case 0xef:
      i.flags |= END;
      return [o32 ? io.out_d_D : io.out_w_D, NOT_LOCKABLE];
    case 0xf1:
      i.flags |= END;
      return [ctl.int1, NOT_LOCKABLE];
    case 0xf4:
      i.flags |= END;
      return [ctl.hlt, NOT_LOCKABLE];
    case 0xf5:
      return [fl.cmc, NOT_LOCKABLE];
    case 0xf6:
    case 0xf7: {
      const isReg = modrm(f, i, a32, segOvr);
      const byteOp = op === 0xf6;
      if (i.reg < 2) i.imm = byteOp ? f.imm8s() : o32 ? f.imm32() : f.imm16s();
      const lockOk = i.reg === 2 || i.reg === 3;
      if (isReg) {
        i.rm = byteOp ? r8(i.rm) : o32 ? i.rm : i.rm << 1;
        if (i.reg === 2)
          return [byteOp ? incdec.not_b_R : o32 ? incdec.not_d_R : incdec.not_w_R, NOT_LOCKABLE];
        if (i.reg === 3)
          return [byteOp ? incdec.neg_b_R : o32 ? incdec.neg_d_R : incdec.neg_w_R, NOT_LOCKABLE];
        return [byteOp ? md.grp3_b_R : o32 ? md.grp3_d_R : md.grp3_w_R, NOT_LOCKABLE];
      }
      if (i.reg === 2) {
        i.flags |= WRITES;
        return [byteOp ? incdec.not_b_M : o32 ? incdec.not_d_M : incdec.not_w_M, LOCKABLE];
      }
      if (i.reg === 3) {
        i.flags |= WRITES;
        return [byteOp ? incdec.neg_b_M : o32 ? incdec.neg_d_M : incdec.neg_w_M, LOCKABLE];
      }
      if (lockOk) i.flags |= WRITES;
      return [byteOp ? md.grp3_b_M : o32 ? md.grp3_d_M : md.grp3_w_M, lockOk];
    }
    case 0xf8:
      return [fl.clc, NOT_LOCKABLE];
    case 0xf9:
      return [fl.stc, NOT_LOCKABLE];
    case 0xfa:
      return [fl.cli, NOT_LOCKABLE];
    case 0xfb:
      i.flags |= END;
      return [fl.sti, NOT_LOCKABLE];
    case 0xfc:
      return [fl.cld, NOT_LOCKABLE];
    case 0xfd:
      return [fl.std, NOT_LOCKABLE];
    case 0xfe: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg > 1) return [UD, NOT_LOCKABLE];
      if (isReg) {
        i.rm = r8(i.rm);
        return [i.reg === 0 ? incdec.inc_b_R : incdec.dec_b_R, NOT_LOCKABLE];
      }
      i.flags |= WRITES;
      return [i.reg === 0 ? incdec.inc_b_M : incdec.dec_b_M, LOCKABLE];
    }
    case 0xff:
      return decodeFF(f, i, o32, a32, segOvr);
  }
  return [UD, NOT_LOCKABLE];
}

function decodeFF(f: Fetcher, i: Insn, o32: boolean, a32: boolean, segOvr: number): Decoded {
  const isReg = modrm(f, i, a32, segOvr);
  const op = i.reg;
  if (isReg && !o32 && op !== 3 && op !== 5) i.rm <<= 1;
  switch (op) {
    case 0:
      if (isReg) return [o32 ? incdec.inc_d_R : incdec.inc_w_R, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [o32 ? incdec.inc_d_M : incdec.inc_w_M, LOCKABLE];
    case 1:
      if (isReg) return [o32 ? incdec.dec_d_R : incdec.dec_w_R, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [o32 ? incdec.dec_d_M : incdec.dec_w_M, LOCKABLE];
    case 2:
      i.flags |= END | WRITES;
      if (isReg) return [o32 ? ctl.call_d_R : ctl.call_w_R, NOT_LOCKABLE];
      return [o32 ? ctl.call_d_M : ctl.call_w_M, NOT_LOCKABLE];
    case 3:
      i.flags |= END | WRITES;
      return [isReg ? UD : ctl.call_far_M, NOT_LOCKABLE];
    case 4:
      i.flags |= END;
      if (isReg) return [o32 ? ctl.jmp_d_R : ctl.jmp_w_R, NOT_LOCKABLE];
      return [o32 ? ctl.jmp_d_M : ctl.jmp_w_M, NOT_LOCKABLE];
    case 5:
      i.flags |= END;
      return [isReg ? UD : ctl.jmp_far_M, NOT_LOCKABLE];
    case 6:
      if (isReg) {
        i.reg = i.rm;
        return [o32 ? data.push_d_R : data.push_w_R, NOT_LOCKABLE];
      }
      return [o32 ? data.push_d_M : data.push_w_M, NOT_LOCKABLE];
    default:
      return [UD, NOT_LOCKABLE];
  }
}

function decode0f(
  c: Cpu,
  f: Fetcher,
  i: Insn,
  op: number,
  o32: boolean,
  a32: boolean,
  segOvr: number,
  sz: number,
  ipMask: number,
): Decoded {
  void c;
  void sz;
  if (op >= 0x80 && op < 0x90) {
    i.imm = o32 ? f.imm32() : f.imm16s();
    i.imm2 = ipMask;
    i.flags |= END;
    return [JCC[op & 15]!, NOT_LOCKABLE];
  }
  if (op >= 0x40 && op < 0x50) {
    const isReg = modrm(f, i, a32, segOvr);
    i.imm2 = op & 15;
    if (!o32) {
      i.reg <<= 1;
      if (isReg) i.rm <<= 1;
    }
    return [
      condHandler('cmov', op & 15, o32 ? (isReg ? '_d_R' : '_d_M') : isReg ? '_w_R' : '_w_M'),
      NOT_LOCKABLE,
    ];
  }
  if (op >= 0x90 && op < 0xa0) {
    const isReg = modrm(f, i, a32, segOvr);
    i.imm2 = op & 15;
    if (isReg) {
      i.rm = r8(i.rm);
      return [condHandler('set', op & 15, '_R'), NOT_LOCKABLE];
    }
    i.flags |= WRITES;
    return [condHandler('set', op & 15, '_M'), NOT_LOCKABLE];
  }
  if (op >= 0xc8 && op <= 0xcf) {
    i.reg = op & 7;
    return [o32 ? data.bswap : data.bswap_w, NOT_LOCKABLE];
  }
  if ((op >= 0x18 && op <= 0x1f) || op === 0x0d) {
    // Hint NOPs (0F 1F /0 is the documented multi-byte NOP of P6; 0F 18–1E and the register form
    // of 0F 0D are the reserved-NOP space, decoded like iced-x86 does; 0F 0D with a memory operand
    // is AMD's PREFETCH).
    const isReg = modrm(f, i, a32, segOvr);
    if (op === 0x0d && !isReg) return [UD, NOT_LOCKABLE];
    return [data.nop, NOT_LOCKABLE];
  }
  if (op === 0xff || op === 0xb9) {
    // UD0 / UD1 take a ModRM operand.
    modrm(f, i, a32, segOvr);
    return [UD, NOT_LOCKABLE];
  }
  switch (op) {
    case 0x00: {
      const isReg = modrm(f, i, a32, segOvr);
      switch (i.reg) {
        case 0:
          if (!isReg) i.flags |= WRITES;
          return [sys.sldt, NOT_LOCKABLE];
        case 1:
          if (!isReg) i.flags |= WRITES;
          return [sys.str, NOT_LOCKABLE];
        case 2:
          return [sys.lldt, NOT_LOCKABLE];
        case 3:
          return [sys.ltr, NOT_LOCKABLE];
        case 4:
          i.imm2 = 0;
          return [sys.verr_verw, NOT_LOCKABLE];
        case 5:
          i.imm2 = 1;
          return [sys.verr_verw, NOT_LOCKABLE];
        default:
          return [UD, NOT_LOCKABLE];
      }
    }
    case 0x01: {
      const isReg = modrm(f, i, a32, segOvr);
      switch (i.reg) {
        case 0:
        case 1:
          if (isReg) return [UD, NOT_LOCKABLE];
          i.imm2 = i.reg;
          i.flags |= WRITES;
          return [sys.sgdt_sidt, NOT_LOCKABLE];
        case 2:
        case 3:
          if (isReg) return [UD, NOT_LOCKABLE];
          i.imm2 = i.reg - 2;
          i.flags |= END;
          return [sys.lgdt_lidt, NOT_LOCKABLE];
        case 4:
          if (!isReg) i.flags |= WRITES;
          return [sys.smsw, NOT_LOCKABLE];
        case 6:
          i.flags |= END;
          return [sys.lmsw, NOT_LOCKABLE];
        case 7:
          if (isReg) return [UD, NOT_LOCKABLE];
          i.flags |= END;
          return [sys.invlpg, NOT_LOCKABLE];
        default:
          return [UD, NOT_LOCKABLE];
      }
    }
    case 0x02:
    case 0x03:
      modrm(f, i, a32, segOvr);
      return [op === 0x02 ? sys.lar : sys.lsl, NOT_LOCKABLE];
    case 0x06:
      return [sys.clts, NOT_LOCKABLE];
    case 0x08:
    case 0x09:
      return [sys.invd, NOT_LOCKABLE];
    case 0x0b:
      return [UD, NOT_LOCKABLE];
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23: {
      // The mod field is ignored: always a register operand.
      const m = f.byte();
      i.reg = (m >> 3) & 7;
      i.rm = m & 7;
      i.flags |= MODREG | END;
      if ((op & 1) === 0 && (i.reg === 1 || i.reg > 4)) return [UD, NOT_LOCKABLE];
      return [[sys.mov_r_cr, sys.mov_r_dr, sys.mov_cr_r, sys.mov_dr_r][op & 3]!, NOT_LOCKABLE];
    }
    case 0x30:
      i.flags |= END;
      return [sys.wrmsr, NOT_LOCKABLE];
    case 0x31:
      return [sys.rdtsc, NOT_LOCKABLE];
    case 0x32:
      i.flags |= END;
      return [sys.rdmsr, NOT_LOCKABLE];
    case 0x33:
      return [sys.rdpmc, NOT_LOCKABLE];
    case 0xa0:
    case 0xa8:
      i.reg = op === 0xa0 ? 4 : 5;
      return [o32 ? seg.push_sreg_d : seg.push_sreg_w, NOT_LOCKABLE];
    case 0xa1:
    case 0xa9:
      i.reg = op === 0xa1 ? 4 : 5;
      return [o32 ? seg.pop_sreg_d : seg.pop_sreg_w, NOT_LOCKABLE];
    case 0xa2:
      // Ends the block: a virtualization layer may intercept it.
      i.flags |= END;
      return [sys.cpuid, NOT_LOCKABLE];
    case 0xa3:
    case 0xab:
    case 0xb3:
    case 0xbb: {
      const isReg = modrm(f, i, a32, segOvr);
      i.imm = -1;
      i.imm2 = op === 0xa3 ? 0 : op === 0xab ? 1 : op === 0xb3 ? 2 : 3;
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (!isReg && i.imm2 !== 0) i.flags |= WRITES;
      if (isReg) return [o32 ? bits.bt_d_R : bits.bt_w_R, NOT_LOCKABLE];
      return [o32 ? bits.bt_d_M : bits.bt_w_M, i.imm2 !== 0];
    }
    case 0xba: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg < 4) return [UD, NOT_LOCKABLE];
      i.imm2 = i.reg - 4;
      i.imm = f.imm8();
      if (isReg && !o32) i.rm <<= 1;
      if (!isReg && i.imm2 !== 0) i.flags |= WRITES;
      if (isReg) return [o32 ? bits.bt_d_R : bits.bt_w_R, NOT_LOCKABLE];
      return [o32 ? bits.bt_d_M : bits.bt_w_M, i.imm2 !== 0];
    }
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad: {
      const isReg = modrm(f, i, a32, segOvr);
      i.imm2 = (op >= 0xac ? 1 : 0) | ((op & 1) !== 0 ? 2 : 0);
      if ((op & 1) === 0) i.imm = f.imm8();
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (isReg) return [o32 ? bits.shxd_d_R : bits.shxd_w_R, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [o32 ? bits.shxd_d_M : bits.shxd_w_M, NOT_LOCKABLE];
    }
    case 0xaf: {
      const isReg = modrm(f, i, a32, segOvr);
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (isReg) return [o32 ? md.imul_d_R : md.imul_w_R, NOT_LOCKABLE];
      return [o32 ? md.imul_d_M : md.imul_w_M, NOT_LOCKABLE];
    }
    case 0xb0:
    case 0xb1: {
      const isReg = modrm(f, i, a32, segOvr);
      if (op === 0xb0) {
        i.reg = r8(i.reg);
        if (isReg) {
          i.rm = r8(i.rm);
          return [data.cmpxchg_b_R, NOT_LOCKABLE];
        }
        i.flags |= WRITES;
        return [data.cmpxchg_b_M, LOCKABLE];
      }
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (isReg) return [o32 ? data.cmpxchg_d_R : data.cmpxchg_w_R, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [o32 ? data.cmpxchg_d_M : data.cmpxchg_w_M, LOCKABLE];
    }
    case 0xb2:
    case 0xb4:
    case 0xb5: {
      const isReg = modrm(f, i, a32, segOvr);
      if (isReg) return [UD, NOT_LOCKABLE];
      i.imm2 = op === 0xb2 ? 2 : op === 0xb4 ? 4 : 5;
      if (!o32) i.reg <<= 1;
      return [o32 ? seg.lxs_d : seg.lxs_w, NOT_LOCKABLE];
    }
    case 0xb6:
    case 0xb7:
    case 0xbe:
    case 0xbf: {
      const isReg = modrm(f, i, a32, segOvr);
      const sx = op >= 0xbe;
      const srcByte = (op & 1) === 0;
      if (!o32) i.reg <<= 1;
      if (isReg) i.rm = srcByte ? r8(i.rm) : i.rm << 1;
      if (srcByte) {
        if (o32) {
          if (isReg) return [sx ? data.movsx_db_R : data.movzx_db_R, NOT_LOCKABLE];
          return [sx ? data.movsx_db_M : data.movzx_db_M, NOT_LOCKABLE];
        }
        if (isReg) return [sx ? data.movsx_wb_R : data.movzx_wb_R, NOT_LOCKABLE];
        return [sx ? data.movsx_wb_M : data.movzx_wb_M, NOT_LOCKABLE];
      }
      if (o32) {
        if (isReg) return [sx ? data.movsx_dw_R : data.movzx_dw_R, NOT_LOCKABLE];
        return [sx ? data.movsx_dw_M : data.movzx_dw_M, NOT_LOCKABLE];
      }
      if (isReg) return [data.mov_w_GE_R, NOT_LOCKABLE];
      return [data.mov_w_RM, NOT_LOCKABLE];
    }
    case 0xbc:
    case 0xbd: {
      const isReg = modrm(f, i, a32, segOvr);
      i.imm2 = isReg ? 0 : 1;
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (op === 0xbc) return [o32 ? bits.bsf_d : bits.bsf_w, NOT_LOCKABLE];
      return [o32 ? bits.bsr_d : bits.bsr_w, NOT_LOCKABLE];
    }
    case 0xc0:
    case 0xc1: {
      const isReg = modrm(f, i, a32, segOvr);
      if (op === 0xc0) {
        i.reg = r8(i.reg);
        if (isReg) {
          i.rm = r8(i.rm);
          return [data.xadd_b_R, NOT_LOCKABLE];
        }
        i.flags |= WRITES;
        return [data.xadd_b_M, LOCKABLE];
      }
      if (!o32) {
        i.reg <<= 1;
        if (isReg) i.rm <<= 1;
      }
      if (isReg) return [o32 ? data.xadd_d_R : data.xadd_w_R, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [o32 ? data.xadd_d_M : data.xadd_w_M, LOCKABLE];
    }
    case 0xc7: {
      const isReg = modrm(f, i, a32, segOvr);
      if (i.reg !== 1 || isReg) return [UD, NOT_LOCKABLE];
      i.flags |= WRITES;
      return [data.cmpxchg8b, LOCKABLE];
    }
  }
  return [UD, NOT_LOCKABLE];
}

/**
 * Whether an x87 escape encoding exists on a P6 (SDM vol. 2, appendix A.5; FISTTP is SSE3 and the
 * 8087/287 control forms FENI/FDISI/FSETPM are NOPs).
 */
function x87Valid(esc: number, modrm: number): boolean {
  const reg = (modrm >> 3) & 7;
  if (modrm < 0xc0) {
    switch (esc) {
      case 1:
        return reg !== 1;
      case 3:
        return reg !== 1 && reg !== 4 && reg !== 6;
      case 5:
        return reg !== 1 && reg !== 5;
      case 7:
        return reg !== 1;
      default:
        return true;
    }
  }
  switch (esc) {
    case 1:
      if (reg === 2) return modrm === 0xd0;
      if (reg === 4) return modrm === 0xe0 || modrm === 0xe1 || modrm === 0xe4 || modrm === 0xe5;
      if (reg === 5) return modrm !== 0xef;
      return true;
    case 2:
      return reg < 4 || modrm === 0xe9;
    case 3:
      if (reg < 4) return true;
      if (reg === 4) return modrm <= 0xe4;
      return reg === 5 || reg === 6;
    case 5:
      return reg !== 6 && reg !== 7;
    case 6:
      return reg !== 3 || modrm === 0xd9;
    case 7:
      if (reg === 4) return modrm === 0xe0;
      return reg !== 7;
    default:
      return true;
  }
}

/**
 * FWAIT/WAIT: #NM when CR0.MP and CR0.TS are both set; #MF when an unmasked x87 exception is
 * pending and CR0.NE = 1 (with NE = 0 the FERR# line to the PIC is not modelled).
 */
function x87wait(c: Cpu, _i: Insn): void {
  if ((c.cr0 & 0xa) === 0xa) raiseFault(c, 7);
  if ((c.fpu.sw & 0x80) !== 0 && (c.cr0 & 0x20) !== 0) raiseFault(c, 16);
}

/** Re-exported so tests can tell a guest fault from a bug. */
export { FAULT };
