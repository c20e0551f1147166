/**
 * Inline code for the block compiler: JavaScript source that does exactly what a handler does
 * for one decoded instruction, with the instruction's fields (registers, displacement, segment,
 * immediate) as constants. The block compiler uses it for the instructions that dominate real
 * kernel code (register moves, loads and stores through the segment check and the TLB, 32-bit
 * ALU operations with lazy flags), so that a compiled block no longer calls a handler, which
 * calls `ea` and `rd32`, which V8 stops inlining once a block's inlining budget is spent.
 *
 * Each snippet is the handler's code transcribed: same evaluation order, same fast path (limit
 * bound, TLB entry test, one typed-array access) and the same slow paths (`segSlow`, `readSlow`,
 * `writeSlow`), so faults, MMIO, code-page writes and counts are unchanged. Names the snippets
 * use: `c` (the CPU), `r`/`r16`/`r8` (its register views), the scratch locals `o l t v`, and the
 * helpers in {@link INLINE_HELPERS}.
 */
import { readSlow, segSlow, writeSlow } from './access.js';
import { AF, ARITH, CF, lazyCf, OF, RESULT_FLAGS } from './flags.js';
import { type Handler, type Insn, ZERO_REG } from './insn.js';
import * as alu from './ops/alu.js';
import * as data from './ops/data.js';
import { sar, shl, shr } from './ops/shift.js';
import * as sh from './ops/shift-ops.js';
import * as un from './ops/unary.js';

/** Helper functions the inline snippets call, by the names they use. */
export const INLINE_HELPERS: Readonly<Record<string, unknown>> = {
  SS: segSlow,
  RS: readSlow,
  WS: writeSlow,
  SHL: shl,
  SHR: shr,
  SAR: sar,
  LCF: lazyCf,
};

/** A snippet generator; `mem` tells whether the snippet accesses memory (and may fault). */
interface Inline {
  readonly mem: boolean;
  readonly gen: (i: Insn) => string;
}

/** The effective address of `i`'s memory operand as an expression (access.ts `ea`). */
function eaExpr(i: Insn): string {
  const t: string[] = [];
  if (i.base !== ZERO_REG) t.push(`r[${i.base}]`);
  if (i.index !== ZERO_REG) t.push(i.scale === 0 ? `r[${i.index}]` : `(r[${i.index}] << ${i.scale})`);
  if (i.disp !== 0 || t.length === 0) t.push(`(${i.disp})`);
  return `(${t.join(' + ')}) & ${i.amask}`;
}

const READ_LIMIT = ['', 'lr1', 'lr2', '', 'lr4'];
const WRITE_LIMIT = ['', 'lw1', 'lw2', '', 'lw4'];
const CROSS = ['', '', ' && (l & 4095) !== 4095', '', ' && (l & 4095) <= 4092'];

/** `dst = rdN(c, seg, ea)` (access.ts rd8/rd16/rd32). */
function read(dst: string, i: Insn, size: 1 | 2 | 4): string {
  const s = i.seg;
  const fast =
    size === 1
      ? 'c.m8[(t & -4096) ^ l]'
      : size === 2
        ? 'c.dv.getUint16((t & -4096) ^ l, true)'
        : 'c.dv.getInt32((t & -4096) ^ l, true)';
  return (
    `o = ${eaExpr(i)}; l = o >>> 0 <= c.${READ_LIMIT[size]}[${s}] ? (c.segBase[${s}] + o) | 0 : SS(c, ${s}, o, ${size}, false); ` +
    `t = c.tlb[l >>> 12]; ${dst} = (t & c.rmask) === 1${CROSS[size]} ? ${fast} : RS(c, l, ${size}, c.cpl === 3);`
  );
}

/** `wrN(c, seg, ea, value)` (access.ts wr8/wr16/wr32). */
function write(value: string, i: Insn, size: 1 | 2 | 4): string {
  const s = i.seg;
  const fast =
    size === 1
      ? 'c.m8[(t & -4096) ^ l] = v'
      : size === 2
        ? 'c.dv.setUint16((t & -4096) ^ l, v, true)'
        : 'c.dv.setInt32((t & -4096) ^ l, v, true)';
  return (
    `o = ${eaExpr(i)}; v = ${value}; l = o >>> 0 <= c.${WRITE_LIMIT[size]}[${s}] ? (c.segBase[${s}] + o) | 0 : SS(c, ${s}, o, ${size}, true); ` +
    `t = c.tlb[l >>> 12]; if ((t & c.wmask) === 1${CROSS[size]}) ${fast}; else WS(c, l, ${size}, v, c.cpl === 3);`
  );
}

/** setAdd / setSub of flags.ts. */
function arith(sub: number): string {
  return `c.lop1 = a; c.lop2 = b; c.lres = x; c.lsub = ${sub}; c.lz = ${ARITH};`;
}

/** setLogic of flags.ts. */
const LOGIC = `c.fl &= ${~(CF | OF | AF)}; c.lres = x; c.lz = ${RESULT_FLAGS};`;

/** setInc / setDec of flags.ts (CF made concrete first, then kept). */
function incDec(sub: number): string {
  return `if ((c.lz & ${CF}) !== 0) c.fl = (c.fl & ${~CF}) | LCF(c); c.lop1 = a; c.lop2 = 1; c.lres = x; c.lsub = ${sub}; c.lz = ${ARITH & ~CF};`;
}

const reg = (gen: (i: Insn) => string): Inline => ({ mem: false, gen });
const mem = (gen: (i: Insn) => string): Inline => ({ mem: true, gen });

/** Binary ALU operation on two registers or a register and an immediate. */
function aluR(op: '+' | '-' | '&' | '^', flags: string, store: boolean, imm: boolean): Inline {
  return reg(
    (i) =>
      `{ const a = r[${i.rm}]; const b = ${imm ? `${i.imm}` : `r[${i.reg}]`}; const x = (a ${op} b) | 0; ` +
      `${store ? `r[${i.rm}] = x; ` : ''}${flags} }`,
  );
}

function shift(fn: string, rm: number, imm: number): string {
  const n = imm & 31;
  return n === 0 ? ';' : `r[${rm}] = ${fn}(c, r[${rm}], ${n}, 32);`;
}

const TABLE = new Map<Handler, Inline>([
  // Moves.
  [data.mov_d_RR, reg((i) => `r[${i.rm}] = r[${i.reg}];`)],
  [data.mov_d_RI, reg((i) => `r[${i.rm}] = ${i.imm};`)],
  [data.lea_d, reg((i) => `r[${i.reg}] = ${eaExpr(i)};`)],
  [data.mov_d_RM, mem((i) => read(`r[${i.reg}]`, i, 4))],
  [data.mov_d_MR, mem((i) => write(`r[${i.reg}]`, i, 4))],
  [data.mov_w_RM, mem((i) => read(`r16[${i.reg}]`, i, 2))],
  [data.mov_w_MR, mem((i) => write(`r16[${i.reg}]`, i, 2))],
  [data.mov_b_RM, mem((i) => read(`r8[${i.reg}]`, i, 1))],
  [data.mov_b_MR, mem((i) => write(`r8[${i.reg}]`, i, 1))],
  [data.movzx_dw_M, mem((i) => read(`r[${i.reg}]`, i, 2))],
  [data.movzx_db_M, mem((i) => read(`r[${i.reg}]`, i, 1))],
  // 32-bit ALU.
  [alu.add_d_RR, aluR('+', arith(0), true, false)],
  [alu.add_d_RI, aluR('+', arith(0), true, true)],
  [alu.sub_d_RR, aluR('-', arith(1), true, false)],
  [alu.sub_d_RI, aluR('-', arith(1), true, true)],
  [alu.cmp_d_RR, aluR('-', arith(1), false, false)],
  [alu.cmp_d_RI, aluR('-', arith(1), false, true)],
  [alu.and_d_RR, aluR('&', LOGIC, true, false)],
  [alu.xor_d_RR, aluR('^', LOGIC, true, false)],
  [alu.test_d_RR, aluR('&', LOGIC, false, false)],
  [
    alu.cmp_d_RM,
    mem((i) => `{ let b = 0; ${read('b', i, 4)} const a = r[${i.reg}]; const x = (a - b) | 0; ${arith(1)} }`),
  ],
  [un.inc_d_R, reg((i) => `{ const a = r[${i.rm}]; const x = (a + 1) | 0; r[${i.rm}] = x; ${incDec(0)} }`)],
  [un.dec_d_R, reg((i) => `{ const a = r[${i.rm}]; const x = (a - 1) | 0; r[${i.rm}] = x; ${incDec(1)} }`)],
  // Shifts by an immediate (the count is a constant; a count of 0 does nothing).
  [sh.shl_d_RI, reg((i) => shift('SHL', i.rm, i.imm))],
  [sh.shr_d_RI, reg((i) => shift('SHR', i.rm, i.imm))],
  [sh.sar_d_RI, reg((i) => shift('SAR', i.rm, i.imm))],
]);

/**
 * The inline form of `i`, or null when its handler must be called. `mem` is true when the
 * snippet accesses memory: it may then fault or reach a device, so EIP must be current.
 */
export function inlineInsn(i: Insn): { readonly code: string; readonly mem: boolean } | null {
  const t = TABLE.get(i.fn);
  if (t === undefined) return null;
  return { code: t.gen(i), mem: t.mem };
}
