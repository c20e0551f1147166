import { readSlow } from './access.js';
import type { Cpu } from './cpu.js';
import { FAULT } from './fault.js';

/** One disassembled instruction. */
export interface Disassembly {
  /** Assembly text (the formatter's syntax). */
  readonly text: string;
  /** Instruction length in bytes (0 when the bytes do not decode). */
  readonly length: number;
}

/**
 * Turns instruction bytes into text, for traces and debuggers. The core has no disassembler of
 * its own; {@link createIcedDisassembler} adapts iced-x86 (an optional peer dependency), and any
 * other implementation can be plugged in.
 */
export interface Disassembler {
  /** Disassembles the instruction at the start of `bytes`; `ip` is its EIP (for branch targets). */
  disassemble(bytes: Uint8Array, bitness: 16 | 32, ip: number): Disassembly;
}

/**
 * Loads iced-x86 (optional peer dependency) and returns a NASM-syntax disassembler. Rejects with
 * the import error when iced-x86 is not installed.
 */
export async function createIcedDisassembler(): Promise<Disassembler> {
  const name = 'iced-x86';
  // biome-ignore lint/suspicious/noExplicitAny: iced-x86 is an optional wasm-bindgen module
  const mod: any = await import(/* @vite-ignore */ name);
  const iced = mod.default ?? mod;
  const instr = new iced.Instruction();
  const formatter = new iced.Formatter(iced.FormatterSyntax.Nasm);
  return {
    disassemble(bytes: Uint8Array, bitness: 16 | 32, ip: number): Disassembly {
      const d = new iced.Decoder(bitness, bytes, iced.DecoderOptions.None);
      d.ip = BigInt(ip >>> 0);
      d.decodeOut(instr);
      d.free();
      if (instr.isInvalid) return { text: '(bad)', length: 0 };
      return { text: formatter.format(instr), length: instr.length };
    },
  };
}

/** Reads up to `n` code bytes at a linear address without faulting (stops at the first fault). */
export function peekCode(c: Cpu, lin: number, n: number): Uint8Array {
  const out: number[] = [];
  const saved = [c.excVector, c.excCode, c.excAddr];
  try {
    for (let k = 0; k < n; k++) out.push(readSlow(c, (lin + k) | 0, 1, false));
  } catch (e) {
    if (e !== FAULT) throw e;
    [c.excVector, c.excCode, c.excAddr] = saved as [number, number, number];
  }
  return Uint8Array.from(out);
}

/**
 * Installs an instruction tracer that prints `CS:EIP  bytes  text` for every executed
 * instruction to `sink` (slow: every instruction is decoded twice). Returns a function that
 * removes it.
 */
export function traceInstructions(c: Cpu, dis: Disassembler, sink: (line: string) => void): () => void {
  c.tracer = (cpu, lin) => {
    const bytes = peekCode(cpu, lin, 15);
    const d = dis.disassemble(bytes, cpu.cs32 ? 32 : 16, cpu.eip);
    const hex = Array.from(bytes.subarray(0, Math.max(d.length, 1)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    const cs = cpu.segSel[1]!.toString(16).padStart(4, '0');
    const eip = (cpu.eip >>> 0).toString(16).padStart(8, '0');
    sink(`${cs}:${eip}  ${hex.padEnd(20)} ${d.text}`);
  };
  return () => {
    c.tracer = null;
  };
}
