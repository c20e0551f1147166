/**
 * x86-core vs v86 (interpreter, JIT off) on the guest corpus's benchmark kernels, in one
 * process, interleaved, best of N (spec/x86.md, "Benchmark plan"). For every kernel the two
 * cores must retire the same number of instructions and print the same serial output (the
 * checksum); the script fails otherwise.
 *
 *   npx tsx bench/bench.ts [--runs 3] [--small] [--no-v86] [kernel…]
 *
 * Reports MIPS for both and the ratio, the paging overhead (sieve-paging vs sieve), and the cost
 * of one `out` and one `cpuid` (their kernels' time minus 19 ALU instructions per iteration at
 * the alu kernel's rate).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BareMachine } from '../src/index.js';
import { runOnV86 } from './v86-runner.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const guests = path.resolve(here, '../guests/bench');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const small = args.includes('--small');
const noV86 = args.includes('--no-v86');
const names = args.filter((a, k) => !a.startsWith('--') && args[k - 1] !== '--runs');
const kernels = names.length > 0 ? names : ['alu', 'sieve', 'sieve-paging', 'fib', 'io', 'cpuid'];

interface Run {
  mips: number;
  instructions: number;
  serial: string;
  ms: number;
}

function runOurs(image: Uint8Array): Run {
  const out: number[] = [];
  const m = new BareMachine({ memoryBytes: 32 << 20, onSerial: (b) => out.push(b) });
  m.load(image);
  const t0 = performance.now();
  const r = m.run(Number.POSITIVE_INFINITY);
  const ms = performance.now() - t0;
  if (r.reason !== 'debug-exit') throw new Error(`x86-core stopped with ${r.reason}`);
  return {
    mips: r.instructions / ms / 1000,
    instructions: r.instructions,
    serial: Buffer.from(out).toString('latin1'),
    ms,
  };
}

async function runV86(image: Uint8Array): Promise<Run> {
  const r = await runOnV86({ image, jit: false });
  if (r.reason !== 'debug-exit')
    throw new Error(`v86 stopped with ${r.reason}${r.crash ? `: ${r.crash}` : ''}`);
  return {
    mips: r.mips,
    instructions: r.instructions,
    serial: Buffer.from(r.serial).toString('latin1'),
    ms: r.wallMs,
  };
}

const best = new Map<string, { ours: Run; v86: Run | null }>();
for (const k of kernels) {
  const file = path.join(guests, `${k}${small ? '-small' : ''}.bin`);
  const image = new Uint8Array(fs.readFileSync(file));
  let ours: Run | null = null;
  let v86: Run | null = null;
  for (let r = 0; r < runs; r++) {
    const a = runOurs(image);
    if (ours === null || a.mips > ours.mips) ours = a;
    if (!noV86) {
      const b = await runV86(image);
      if (v86 === null || b.mips > v86.mips) v86 = b;
      if (a.instructions !== b.instructions) {
        throw new Error(`${k}: instruction counts differ: x86-core ${a.instructions}, v86 ${b.instructions}`);
      }
      if (a.serial !== b.serial)
        throw new Error(`${k}: serial output differs:\n${a.serial}\n---\n${b.serial}`);
    }
    process.stderr.write(
      `${k} run ${r + 1}: x86-core ${a.mips.toFixed(1)} MIPS${v86 ? `, v86 ${v86.mips.toFixed(1)}` : ''}\n`,
    );
  }
  best.set(k, { ours: ours!, v86 });
}

const pad = (s: string, n: number): string => s.padEnd(n);
console.log(`\nbest of ${runs}${small ? ' (small kernels)' : ''}, Node ${process.version}`);
console.log(
  `${pad('kernel', 14)}${pad('instructions', 14)}${pad('x86-core MIPS', 15)}${pad('v86 MIPS', 10)}ratio`,
);
for (const [k, r] of best) {
  const ratio = r.v86 ? (r.ours.mips / r.v86.mips).toFixed(2) : '-';
  console.log(
    `${pad(k, 14)}${pad(String(r.ours.instructions), 14)}${pad(r.ours.mips.toFixed(1), 15)}${pad(r.v86 ? r.v86.mips.toFixed(1) : '-', 10)}${ratio}`,
  );
}
const sieve = best.get('sieve');
const paging = best.get('sieve-paging');
if (sieve && paging) {
  const o = (1 - paging.ours.mips / sieve.ours.mips) * 100;
  const v = sieve.v86 && paging.v86 ? (1 - paging.v86.mips / sieve.v86.mips) * 100 : Number.NaN;
  console.log(
    `paging overhead (sieve-paging vs sieve): x86-core ${o.toFixed(1)}%, v86 ${Number.isNaN(v) ? '-' : `${v.toFixed(1)}%`}`,
  );
}
const alu = best.get('alu');
for (const name of ['io', 'cpuid']) {
  const r = best.get(name);
  if (!r || !alu) continue;
  const iters = r.ours.instructions / 20;
  const cost = (run: Run, aluMips: number): number => (run.ms * 1e6) / iters - (19 * 1000) / aluMips;
  const o = cost(r.ours, alu.ours.mips);
  const v = r.v86 && alu.v86 ? cost(r.v86, alu.v86.mips) : Number.NaN;
  // The estimate subtracts 19 instructions at alu's speed; when the loop's own instructions run
  // faster than alu's mix it drops below zero. The whole iteration is a hard upper bound.
  const whole = (run: Run): number => (run.ms * 1e6) / iters;
  const insn = name === 'io' ? '`out`' : '`cpuid`';
  console.log(
    `${insn} cost: x86-core ${o.toFixed(0)} ns (a whole loop iteration with it: ${whole(r.ours).toFixed(0)} ns), v86 ${Number.isNaN(v) ? '-' : `${v.toFixed(0)} ns (iteration ${whole(r.v86!).toFixed(0)} ns)`}`,
  );
}
