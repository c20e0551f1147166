#!/usr/bin/env node
/**
 * x86-core-run <guest> [--mem MiB] [--max N] [--input TEXT] [--flat ADDR] [--trace N]
 *
 * Boots a Multiboot (a.out kludge or ELF) or flat binary on the bare processor: COM1 (0x3f8) goes
 * to stdout, a write to port 0xf4 ends the run with that value as exit status. Instructions
 * retired and MIPS go to stderr.
 */
import fs from 'node:fs';
import { BareMachine, createIcedDisassembler, traceInstructions, X86Error } from '@genode-ts/x86-core';

function usage(msg?: string): number {
  if (msg !== undefined) process.stderr.write(`x86-core-run: ${msg}\n`);
  process.stderr.write(
    'usage: x86-core-run <guest> [--mem MiB] [--max N] [--input TEXT] [--flat ADDR] [--trace N]\n',
  );
  return 2;
}

async function main(argv: string[]): Promise<number> {
  let guest: string | undefined;
  let mem = 32;
  let max = Number.POSITIVE_INFINITY;
  let input = '';
  let flat = 0x7c00;
  let trace = 0;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const next = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--mem') mem = Number(next());
      else if (a === '--max') max = Number(next());
      else if (a === '--input') input = next();
      else if (a === '--flat') flat = Number(next());
      else if (a === '--trace') trace = Number(next());
      else if (a.startsWith('-')) return usage(`unknown option ${a}`);
      else guest = a;
    } catch (e) {
      return usage((e as Error).message);
    }
  }
  if (guest === undefined) return usage();
  if (!(mem >= 1 && mem <= 2047 && Number.isInteger(mem))) return usage('--mem must be 1..2047 MiB');
  if (!(max > 0)) return usage('--max must be positive');
  let image: Uint8Array;
  try {
    image = fs.readFileSync(guest);
  } catch (e) {
    return usage(`cannot read ${guest}: ${(e as Error).message}`);
  }
  const out: number[] = [];
  const flush = (): void => {
    if (out.length > 0) {
      process.stdout.write(Buffer.from(out));
      out.length = 0;
    }
  };
  const m = new BareMachine({
    memoryBytes: mem << 20,
    onSerial: (b) => {
      out.push(b);
      if (b === 10 || out.length > 4096) flush();
    },
  });
  try {
    m.load(image, flat);
  } catch (e) {
    if (e instanceof X86Error) return usage(e.message);
    throw e;
  }
  if (input.length > 0) m.uart.input(Buffer.from(input));
  if (trace > 0) {
    // The first N instructions, disassembled by iced-x86 (an optional peer dependency).
    let left = trace;
    try {
      const dis = await createIcedDisassembler();
      const stop = traceInstructions(m.cpu, dis, (line) => {
        const r = m.cpu.r32;
        process.stderr.write(
          `${line.padEnd(60)} eax=${(r[0]! >>> 0).toString(16)} ecx=${(r[1]! >>> 0).toString(16)} esp=${(r[4]! >>> 0).toString(16)}\n`,
        );
        if (--left === 0) stop();
      });
    } catch (e) {
      return usage(`--trace needs iced-x86: ${(e as Error).message}`);
    }
  }
  const t0 = process.hrtime.bigint();
  const r = m.run(max);
  const ns = Number(process.hrtime.bigint() - t0);
  flush();
  const mips = r.instructions / (ns / 1000);
  process.stderr.write(
    `x86-core-run: ${r.reason}${r.exitValue !== null ? ` ${r.exitValue}` : ''}, ${r.instructions} instructions retired, ${(ns / 1e9).toFixed(3)} s, ${mips.toFixed(1)} MIPS\n`,
  );
  if (r.reason === 'debug-exit') return r.exitValue ?? 0;
  return r.reason === 'halted' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`x86-core-run: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
