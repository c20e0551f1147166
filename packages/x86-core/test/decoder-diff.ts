/**
 * Differential decoding against iced-x86 (a independent, well-tested x86 decoder): for a byte
 * string decoded at offset 0 in 16- or 32-bit mode, our decoder and iced must agree on validity
 * (for a P6 without MMX/SSE: iced's valid instructions whose CPUID features a P6 has), on the
 * instruction length, on the memory operand (base, index, scale, displacement, segment) and on
 * immediates.
 */
import { createRequire } from 'node:module';
import { decodeAt } from '../src/decoder.js';
import { FAULT } from '../src/fault.js';
import { Cpu, PhysicalMemory } from '../src/index.js';
import { Insn, InsnFlag } from '../src/insn.js';
import { ud } from '../src/ops/system.js';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: iced-x86 is a wasm-bindgen module
const iced: any = require('iced-x86');
const { Decoder, DecoderOptions, Instruction, OpKind, Register, CpuidFeature, Formatter, FormatterSyntax } =
  iced;

/** CPUID features of iced's classification that an i686 without MMX/SSE (this core) has. */
const P6_FEATURES = new Set<number>(
  [
    'INTEL8086',
    'INTEL186',
    'INTEL286',
    'INTEL386',
    'INTEL486',
    'FPU',
    'FPU287',
    'FPU387',
    'CMOV',
    'CPUID',
    'CX8',
    'MSR',
    'TSC',
    'RDPMC',
    'MULTIBYTENOP',
    'PAUSE',
  ].map((n) => CpuidFeature[n] as number),
);

const R32 = ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI'];
const R16 = ['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'];
const SEGS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];
const IMM_KINDS = new Map<number, number>([
  [OpKind.Immediate8, 0xff],
  [OpKind.Immediate16, 0xffff],
  [OpKind.Immediate32, -1],
  [OpKind.Immediate8to16, 0xffff],
  [OpKind.Immediate8to32, -1],
]);

const BASE = 0x1000;

/** A reusable differential decoder for one bitness. */
export class DecoderDiff {
  private readonly mem = new PhysicalMemory({ size: 1 << 20 });
  private readonly cpu = new Cpu({ memory: this.mem });
  private readonly ins = new Instruction();
  private readonly fmt = new Formatter(FormatterSyntax.Nasm);
  readonly bitness: 16 | 32;

  constructor(bitness: 16 | 32) {
    this.bitness = bitness;
    this.cpu.loadSegmentCache(1, 0, 0, 0xffff, bitness === 32 ? 0x49b : 0x9b);
  }

  /** Disassembly by iced (for reports). */
  format(bytes: Uint8Array): string {
    const d = new Decoder(this.bitness, bytes, DecoderOptions.None);
    d.decodeOut(this.ins);
    const s = this.fmt.format(this.ins);
    d.free();
    return s;
  }

  /** Compares one byte string; returns null when both decoders agree, else the difference. */
  compare(bytes: Uint8Array): string | null {
    const d = new Decoder(this.bitness, bytes, DecoderOptions.None);
    const ii = this.ins;
    d.decodeOut(ii);
    d.free();
    const feats: Int32Array = ii.cpuidFeatures();
    let icedValid = !ii.isInvalid;
    let p6 = icedValid && Array.from(feats).every((f) => P6_FEATURES.has(f));
    const op0 = bytes[firstOpcodeIndex(bytes)] ?? 0;
    const op1 = bytes[firstOpcodeIndex(bytes) + 1] ?? 0;
    // Hint NOPs 0F 18–1F: reserved NOPs on every P6 (iced files 0F 18 /0–3 under SSE prefetches).
    if (icedValid && op0 === 0x0f && op1 >= 0x18 && op1 <= 0x1f) p6 = true;
    const icedLen = ii.length;
    // Ours.
    this.mem.write(BASE, bytes);
    const mine = new Insn(ud);
    let oursValid: boolean;
    try {
      decodeAt(this.cpu, BASE, this.bitness === 32 ? 1 : 0, mine);
      oursValid = (mine.flags & InsnFlag.INVALID) === 0;
    } catch (e) {
      if (e !== FAULT) throw e;
      oursValid = false;
    }
    // UD0/UD1/UD2 and RSM are valid encodings that raise #UD here: compare lengths only.
    const udLike =
      icedValid &&
      (ii.mnemonic === iced.Mnemonic.Ud0 ||
        ii.mnemonic === iced.Mnemonic.Ud1 ||
        ii.mnemonic === iced.Mnemonic.Ud2 ||
        ii.mnemonic === iced.Mnemonic.Rsm);
    if (udLike) {
      if (oursValid) return `valid here, but iced says ${this.format(bytes)} (#UD)`;
      return mine.len === icedLen ? null : `length ${mine.len}, iced ${icedLen} (${this.format(bytes)})`;
    }
    // With F3, 0F BC/BD are TZCNT/LZCNT on later processors; a P6 ignores the prefix (BSF/BSR).
    // Likewise F3 0F 09 is WBNOINVD on later processors, WBINVD on a P6.
    if (
      icedValid &&
      (ii.mnemonic === iced.Mnemonic.Lzcnt ||
        ii.mnemonic === iced.Mnemonic.Tzcnt ||
        ii.mnemonic === iced.Mnemonic.Wbnoinvd)
    ) {
      return oursValid && mine.len === icedLen
        ? null
        : `ours ${oursValid ? mine.len : 'invalid'} for ${this.format(bytes)} (BSF/BSR on a P6)`;
    }
    icedValid = icedValid && p6;
    if (icedValid !== oursValid) {
      return `validity: ours ${oursValid ? 'valid' : 'invalid'}, iced ${ii.isInvalid ? 'invalid' : p6 ? 'valid' : `not P6 (${this.format(bytes)})`}${!ii.isInvalid ? ` — ${this.format(bytes)}` : ''}`;
    }
    if (!icedValid) return null;
    if (mine.len !== icedLen) return `length ${mine.len}, iced ${icedLen} (${this.format(bytes)})`;
    for (let k = 0; k < ii.opCount; k++) {
      const kind = ii.opKind(k);
      if (kind === OpKind.Memory && ii.mnemonic !== iced.Mnemonic.Xlatb) {
        const diff = this.compareMemory(mine, ii);
        if (diff !== null) return `${diff} (${this.format(bytes)})`;
      }
      const mask = IMM_KINDS.get(kind);
      if (mask !== undefined) {
        const want = Number(BigInt.asUintN(32, ii.immediate(k))) & mask;
        const got = (k === 1 && op0 === 0xc8 ? mine.imm2 : mine.imm) & mask;
        if (want >>> 0 !== got >>> 0)
          return `immediate ${got.toString(16)}, iced ${want.toString(16)} (${this.format(bytes)})`;
      }
    }
    return null;
  }

  // biome-ignore lint/suspicious/noExplicitAny: iced Instruction
  private compareMemory(mine: Insn, ii: any): string | null {
    const a32 = mine.amask === -1;
    const names = a32 ? R32 : R16;
    const reg = (r: number): number => (r === 8 ? Register.None : Register[names[r]!]);
    if (reg(mine.base) !== ii.memoryBase) return `base ${mine.base}, iced ${Register[ii.memoryBase]}`;
    if (reg(mine.index) !== ii.memoryIndex) return `index ${mine.index}, iced ${Register[ii.memoryIndex]}`;
    if (mine.index !== 8 && 1 << mine.scale !== ii.memoryIndexScale)
      return `scale ${1 << mine.scale}, iced ${ii.memoryIndexScale}`;
    const dmask = a32 ? 0xffffffff : 0xffff;
    const want = Number(BigInt.asUintN(32, ii.memoryDisplacement)) & dmask;
    if ((mine.disp & dmask) >>> 0 !== want >>> 0)
      return `displacement ${mine.disp.toString(16)}, iced ${want.toString(16)}`;
    if (Register[SEGS[mine.seg]!] !== ii.memorySegment)
      return `segment ${SEGS[mine.seg]}, iced ${Register[ii.memorySegment]}`;
    return null;
  }
}

const PREFIX = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

function firstOpcodeIndex(bytes: Uint8Array): number {
  let k = 0;
  while (k < bytes.length && PREFIX.has(bytes[k]!)) k++;
  return k;
}

/** A small deterministic PRNG (xorshift32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  byte(): number {
    return this.next() & 0xff;
  }
}

/**
 * A random instruction-like byte string: random prefixes now and then, a 0F escape a quarter of
 * the time, then random bytes (ModRM, SIB, displacement, immediates).
 */
export function randomInstruction(rng: Rng): Uint8Array {
  const out = new Uint8Array(16);
  let k = 0;
  const prefixes = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];
  while (k < 4 && (rng.next() & 7) === 0) out[k++] = prefixes[rng.next() % prefixes.length]!;
  if ((rng.next() & 3) === 0) out[k++] = 0x0f;
  while (k < 16) out[k++] = rng.byte();
  return out;
}
