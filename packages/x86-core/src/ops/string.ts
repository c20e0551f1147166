/**
 * String instructions MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE. Registers are
 * committed after every iteration, so a fault in the middle leaves the architectural state of
 * the completed iterations with EIP at the instruction (SDM vol. 2, REP).
 *
 * A repeated instruction executes in chunks and re-executes itself after each chunk (so long
 * copies stay interruptible); every execution counts as one instruction. The chunks follow v86's
 * rule, so that retired-instruction counts are comparable (measured and documented in
 * guests/README.md; v86 src/rust/cpu/string.rs): with 32-bit addressing and aligned operands
 * (MOVS: any alignment) a chunk ends where an operand reaches a 4 KiB page boundary; a MOVS whose
 * element straddles a page boundary does one element; overlapping MOVS operands and 16-bit
 * addressing run to completion in one execution (capped at {@link REP_MAX_ONCE} elements).
 */
import { linWrite, probeWrite, rd8, rd16, rd32, wr8, wr16, wr32 } from '../access.js';
import { Flag } from '../constants.js';
import { type Cpu, EV_VMEXIT } from '../cpu.js';
import { setSub } from '../flags.js';
import type { Insn } from '../insn.js';
import { TLB_VALID } from '../tlb.js';
import { checkIo, portIn, portOut } from './io.js';

/** The most elements one execution of a repeated string instruction handles. */
export const REP_MAX_ONCE = 0x100000;

const SRC = 1;
const DST = 2;
const MOVS = 4;

function untilPageEnd(down: boolean, size: number, addr: number): number {
  const off = addr & 0xfff;
  return down ? Math.floor(off / size) + 1 : Math.floor((0x1000 - off) / size);
}

/** Elements this execution of a REP string instruction handles (see the module comment). */
function repChunk(c: Cpu, i: Insn, n: number, size: number, kind: number): number {
  const cap = Math.min(n, REP_MAX_ONCE);
  if (n === 0 || i.amask !== -1) return cap;
  const r = c.r32;
  const src = (kind & SRC) !== 0 ? (c.segBase[i.seg]! + r[ESI]!) | 0 : 0;
  const dst = (kind & DST) !== 0 ? (c.segBase[ES]! + r[EDI]!) | 0 : 0;
  const movs = (kind & MOVS) !== 0;
  if (!movs && ((src | dst) & (size - 1)) !== 0) return cap;
  const down = (c.fl & Flag.DF) !== 0;
  let k = n;
  if ((kind & DST) !== 0) k = Math.min(k, untilPageEnd(down, size, dst));
  if ((kind & SRC) !== 0) k = Math.min(k, untilPageEnd(down, size, src));
  if (movs) {
    const bytes = k * size;
    const s = src >>> 0;
    const d = dst >>> 0;
    if ((s < d && d - s < bytes && !down) || (s > d && s - d < bytes && down)) return cap;
    if ((s & 0xfff) > 0x1000 - size || (d & 0xfff) > 0x1000 - size) return 1;
  }
  return Math.max(k, 1);
}

const ECX = 1;
const ESI = 6;
const EDI = 7;
const ES = 0;
const REP_ANY = 0x4 | 0x8;
const REPNE = 0x8;

function again(c: Cpu, i: Insn): void {
  c.eip = (c.eip - i.len) & (c.cs32 ? -1 : 0xffff);
}

function stepOf(c: Cpu, size: number): number {
  return (c.fl & Flag.DF) !== 0 ? -size : size;
}

/**
 * The first and last offsets of `k` elements of `size` bytes starting at `off` in direction `down`,
 * or -1 when the range wraps (then the element loop handles it).
 */
function rangeLow(off: number, k: number, size: number, down: boolean): number {
  const span = (k - 1) * size;
  const lo = down ? (off >>> 0) - span : off >>> 0;
  return lo < 0 || lo + span + size - 1 > 0xffffffff ? -1 : lo;
}

/**
 * A REP MOVS chunk on plain RAM as one block copy: 32-bit addressing, both ranges inside the
 * segment limits and one page each, fast-path TLB entries (readable source; writable, code-free
 * destination), no overlap. Returns false to let the element loop do it (faults included).
 */
function bulkMovs(c: Cpu, i: Insn, k: number, size: number): boolean {
  if (k < 2 || i.amask !== -1) return false;
  const r = c.r32;
  const down = (c.fl & Flag.DF) !== 0;
  const bytes = k * size;
  const slo = rangeLow(r[ESI]!, k, size, down);
  const dlo = rangeLow(r[EDI]!, k, size, down);
  if (slo < 0 || dlo < 0) return false;
  const lr = size === 1 ? c.lr1 : size === 2 ? c.lr2 : c.lr4;
  const lw = size === 1 ? c.lw1 : size === 2 ? c.lw2 : c.lw4;
  if (slo + bytes - size > lr[i.seg]! || dlo + bytes - size > lw[ES]!) return false;
  const sl = (c.segBase[i.seg]! + slo) | 0;
  const dl = (c.segBase[ES]! + dlo) | 0;
  if (((sl ^ (sl + bytes - 1)) & ~0xfff) !== 0 || ((dl ^ (dl + bytes - 1)) & ~0xfff) !== 0) return false;
  const es = c.tlb[sl >>> 12]!;
  const ed = c.tlb[dl >>> 12]!;
  if ((es & c.rmask) !== TLB_VALID || (ed & c.wmask) !== TLB_VALID) return false;
  const sp = (es & ~0xfff) ^ sl;
  const dp = (ed & ~0xfff) ^ dl;
  if (sp < dp + bytes && dp < sp + bytes) return false;
  c.m8.copyWithin(dp, sp, sp + bytes);
  const d = down ? -bytes : bytes;
  r[ESI] = (r[ESI]! + d) | 0;
  r[EDI] = (r[EDI]! + d) | 0;
  r[1] = (r[1]! - k) | 0;
  return true;
}

/** A REP STOS chunk on plain RAM as one fill (conditions as {@link bulkMovs}; aligned). */
function bulkStos(c: Cpu, i: Insn, k: number, size: number, v: number): boolean {
  if (k < 2 || i.amask !== -1) return false;
  const r = c.r32;
  const down = (c.fl & Flag.DF) !== 0;
  const bytes = k * size;
  const dlo = rangeLow(r[EDI]!, k, size, down);
  if (dlo < 0) return false;
  const lw = size === 1 ? c.lw1 : size === 2 ? c.lw2 : c.lw4;
  if (dlo + bytes - size > lw[ES]!) return false;
  const dl = (c.segBase[ES]! + dlo) | 0;
  if (((dl ^ (dl + bytes - 1)) & ~0xfff) !== 0 || (dl & (size - 1)) !== 0) return false;
  const ed = c.tlb[dl >>> 12]!;
  if ((ed & c.wmask) !== TLB_VALID) return false;
  const dp = (ed & ~0xfff) ^ dl;
  if (size === 1) c.m8.fill(v, dp, dp + bytes);
  else if (size === 2) c.m16.fill(v, dp >>> 1, (dp + bytes) >>> 1);
  else c.m32.fill(v, dp >>> 2, (dp + bytes) >>> 2);
  r[EDI] = (r[EDI]! + (down ? -bytes : bytes)) | 0;
  r[1] = (r[1]! - k) | 0;
  return true;
}

// Each family is written once per size with the size-specific accessors inline.

/** MOVSB. */
export function movs_b(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 1);
  if ((i.flags & REP_ANY) === 0) {
    wr8(c, ES, r[EDI]! & m, rd8(c, i.seg, r[ESI]! & m));
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 1, SRC | DST | MOVS);
  if (bulkMovs(c, i, k, 1)) {
    n -= k;
    k = 0;
  }
  while (k-- > 0) {
    wr8(c, ES, r[EDI]! & m, rd8(c, i.seg, r[ESI]! & m));
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** MOVSW. */
export function movs_w(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 2);
  if ((i.flags & REP_ANY) === 0) {
    wr16(c, ES, r[EDI]! & m, rd16(c, i.seg, r[ESI]! & m));
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 2, SRC | DST | MOVS);
  if (bulkMovs(c, i, k, 2)) {
    n -= k;
    k = 0;
  }
  while (k-- > 0) {
    wr16(c, ES, r[EDI]! & m, rd16(c, i.seg, r[ESI]! & m));
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** MOVSD. */
export function movs_d(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 4);
  if ((i.flags & REP_ANY) === 0) {
    wr32(c, ES, r[EDI]! & m, rd32(c, i.seg, r[ESI]! & m));
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 4, SRC | DST | MOVS);
  if (bulkMovs(c, i, k, 4)) {
    n -= k;
    k = 0;
  }
  while (k-- > 0) {
    wr32(c, ES, r[EDI]! & m, rd32(c, i.seg, r[ESI]! & m));
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}

/** STOSB. */
export function stos_b(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 1);
  const v = c.r8[0]!;
  if ((i.flags & REP_ANY) === 0) {
    wr8(c, ES, r[EDI]! & m, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 1, DST);
  if (bulkStos(c, i, k, 1, v)) {
    n -= k;
    k = 0;
  }
  while (k-- > 0) {
    wr8(c, ES, r[EDI]! & m, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** STOSW. */
export function stos_w(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 2);
  const v = c.r16[0]!;
  if ((i.flags & REP_ANY) === 0) {
    wr16(c, ES, r[EDI]! & m, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 2, DST);
  if (bulkStos(c, i, k, 2, v)) {
    n -= k;
    k = 0;
  }
  while (k-- > 0) {
    wr16(c, ES, r[EDI]! & m, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** STOSD. */
export function stos_d(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 4);
  const v = r[0]!;
  if ((i.flags & REP_ANY) === 0) {
    wr32(c, ES, r[EDI]! & m, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 4, DST);
  if (bulkStos(c, i, k, 4, v)) {
    n -= k;
    k = 0;
  }
  while (k-- > 0) {
    wr32(c, ES, r[EDI]! & m, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}

/** LODSB. */
export function lods_b(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 1);
  if ((i.flags & REP_ANY) === 0) {
    c.r8[0] = rd8(c, i.seg, r[ESI]! & m);
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 1, SRC);
  while (k-- > 0) {
    c.r8[0] = rd8(c, i.seg, r[ESI]! & m);
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** LODSW. */
export function lods_w(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 2);
  if ((i.flags & REP_ANY) === 0) {
    c.r16[0] = rd16(c, i.seg, r[ESI]! & m);
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 2, SRC);
  while (k-- > 0) {
    c.r16[0] = rd16(c, i.seg, r[ESI]! & m);
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** LODSD. */
export function lods_d(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 4);
  if ((i.flags & REP_ANY) === 0) {
    r[0] = rd32(c, i.seg, r[ESI]! & m);
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    return;
  }
  let n = (r[ECX]! & m) >>> 0;
  let k = repChunk(c, i, n, 4, SRC);
  while (k-- > 0) {
    r[0] = rd32(c, i.seg, r[ESI]! & m);
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}

/** CMPSB (REPE/REPNE stop on the ZF condition). */
export function cmps_b(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 1);
  const rep = i.flags & REP_ANY;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  let k = rep !== 0 ? repChunk(c, i, n, 1, SRC | DST) : 1;
  while (k-- > 0) {
    const a = (rd8(c, i.seg, r[ESI]! & m) << 24) >> 24;
    const b = (rd8(c, ES, r[EDI]! & m) << 24) >> 24;
    const res = ((a - b) << 24) >> 24;
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    setSub(c, a, b, res);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
    if ((res === 0) === (rep === REPNE)) return;
  }
  if (rep !== 0 && n !== 0) again(c, i);
}
/** CMPSW. */
export function cmps_w(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 2);
  const rep = i.flags & REP_ANY;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  let k = rep !== 0 ? repChunk(c, i, n, 2, SRC | DST) : 1;
  while (k-- > 0) {
    const a = (rd16(c, i.seg, r[ESI]! & m) << 16) >> 16;
    const b = (rd16(c, ES, r[EDI]! & m) << 16) >> 16;
    const res = ((a - b) << 16) >> 16;
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    setSub(c, a, b, res);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
    if ((res === 0) === (rep === REPNE)) return;
  }
  if (rep !== 0 && n !== 0) again(c, i);
}
/** CMPSD. */
export function cmps_d(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 4);
  const rep = i.flags & REP_ANY;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  let k = rep !== 0 ? repChunk(c, i, n, 4, SRC | DST) : 1;
  while (k-- > 0) {
    const a = rd32(c, i.seg, r[ESI]! & m);
    const b = rd32(c, ES, r[EDI]! & m);
    const res = (a - b) | 0;
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    setSub(c, a, b, res);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
    if ((res === 0) === (rep === REPNE)) return;
  }
  if (rep !== 0 && n !== 0) again(c, i);
}

/** SCASB. */
export function scas_b(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 1);
  const rep = i.flags & REP_ANY;
  const a = (c.r8[0]! << 24) >> 24;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  let k = rep !== 0 ? repChunk(c, i, n, 1, DST) : 1;
  while (k-- > 0) {
    const b = (rd8(c, ES, r[EDI]! & m) << 24) >> 24;
    const res = ((a - b) << 24) >> 24;
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    setSub(c, a, b, res);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
    if ((res === 0) === (rep === REPNE)) return;
  }
  if (rep !== 0 && n !== 0) again(c, i);
}
/** SCASW. */
export function scas_w(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 2);
  const rep = i.flags & REP_ANY;
  const a = (c.r16[0]! << 16) >> 16;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  let k = rep !== 0 ? repChunk(c, i, n, 2, DST) : 1;
  while (k-- > 0) {
    const b = (rd16(c, ES, r[EDI]! & m) << 16) >> 16;
    const res = ((a - b) << 16) >> 16;
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    setSub(c, a, b, res);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
    if ((res === 0) === (rep === REPNE)) return;
  }
  if (rep !== 0 && n !== 0) again(c, i);
}
/** SCASD. */
export function scas_d(c: Cpu, i: Insn): void {
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, 4);
  const rep = i.flags & REP_ANY;
  const a = r[0]!;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  let k = rep !== 0 ? repChunk(c, i, n, 4, DST) : 1;
  while (k-- > 0) {
    const b = rd32(c, ES, r[EDI]! & m);
    const res = (a - b) | 0;
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    setSub(c, a, b, res);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
    if ((res === 0) === (rep === REPNE)) return;
  }
  if (rep !== 0 && n !== 0) again(c, i);
}

/** INS (byte/word/dword by `imm2` = size). */
export function ins(c: Cpu, i: Insn): void {
  const size = i.imm2 as 1 | 2 | 4;
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, size);
  const port = c.r16[4]!;
  const rep = i.flags & REP_ANY;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  if (n === 0) return;
  checkIo(c, port, size);
  c.exactRetired = c.retired + i.pos;
  let k = rep !== 0 ? repChunk(c, i, n, size, DST) : 1;
  while (k-- > 0) {
    const off = r[EDI]! & m;
    // Check the destination before the port read (a read may have side effects).
    probeWrite(c, linWrite(c, ES, off, size), size);
    const v = portIn(c, port, size, i);
    if (Number.isNaN(v)) return;
    if (size === 1) wr8(c, ES, off, v);
    else if (size === 2) wr16(c, ES, off, v);
    else wr32(c, ES, off, v);
    r[EDI] = (r[EDI]! & ~m) | ((r[EDI]! + d) & m);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
/** OUTS (size in `imm2`). */
export function outs(c: Cpu, i: Insn): void {
  const size = i.imm2 as 1 | 2 | 4;
  const r = c.r32;
  const m = i.amask;
  const d = stepOf(c, size);
  const port = c.r16[4]!;
  const rep = i.flags & REP_ANY;
  let n = rep !== 0 ? (r[ECX]! & m) >>> 0 : 1;
  if (n === 0) return;
  checkIo(c, port, size);
  c.exactRetired = c.retired + i.pos;
  let k = rep !== 0 ? repChunk(c, i, n, size, SRC) : 1;
  while (k-- > 0) {
    const off = r[ESI]! & m;
    const v = size === 1 ? rd8(c, i.seg, off) : size === 2 ? rd16(c, i.seg, off) : rd32(c, i.seg, off);
    portOut(c, port, size, v, i);
    if ((c.events & EV_VMEXIT) !== 0) return;
    r[ESI] = (r[ESI]! & ~m) | ((r[ESI]! + d) & m);
    if (rep === 0) return;
    n = (n - 1) & m;
    r[ECX] = (r[ECX]! & ~m) | n;
  }
  if (n !== 0) again(c, i);
}
