/**
 * v86's half of the x86-core benchmark: runs the benchmark corpus (guests/bench) on v86 with the
 * JIT off and on, best of N runs, checks every run against guests/expected (serial output, exit
 * value, exact instruction count), and prints MIPS per kernel.
 *
 *   npx tsx bench/v86-corpus.ts [--small] [--runs N] [--only NAME]... [--no-jit | --jit-only] [--json]
 *
 * For io and cpuid the table also estimates the cost of one OUT / CPUID: the run's time minus its
 * other instructions at the alu kernel's speed in the same mode, divided by the 10 M operations.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnV86, type V86RunResult } from './v86-runner.js';

const guests = join(dirname(fileURLToPath(import.meta.url)), '..', 'guests');
const KERNELS = ['alu', 'sieve', 'sieve-paging', 'fib', 'io', 'cpuid'] as const;
/** Operations per run of the kernels that measure one instruction (bench size / small size). */
const OPS: Record<string, number> = { io: 10_000_000, cpuid: 10_000_000 };
const OPS_SMALL: Record<string, number> = { io: 100_000, cpuid: 100_000 };

interface Expected {
  serial: string;
  exit: { kind: string; value?: number };
  instructions: number | null;
  memoryMiB: number;
}

interface Row {
  kernel: string;
  instructions: number;
  checksum: string;
  ok: boolean;
  problems: string[];
  mipsInterp: number | null;
  mipsJit: number | null;
  wallInterpMs: number | null;
  wallJitMs: number | null;
  nsPerOpInterp: number | null;
  nsPerOpJit: number | null;
}

function check(r: V86RunResult, e: Expected, mode: string): string[] {
  const p: string[] = [];
  const serial = Buffer.from(r.serial).toString('latin1');
  if (serial !== e.serial) p.push(`${mode}: serial output differs`);
  if (r.reason !== 'debug-exit' || r.exitValue !== e.exit.value)
    p.push(`${mode}: exit ${r.reason} ${r.exitValue}`);
  if (e.instructions !== null && (!r.instructionsExact || r.instructions !== e.instructions)) {
    p.push(`${mode}: ${r.instructions} instructions, expected ${e.instructions}`);
  }
  return p;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let small = false;
  let runs = 3;
  let interp = true;
  let jit = true;
  let json = false;
  const only: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--small') small = true;
    else if (a === '--runs') runs = Number(args[++i] ?? '3');
    else if (a === '--only') only.push(args[++i] ?? '');
    else if (a === '--no-jit') jit = false;
    else if (a === '--jit-only') interp = false;
    else if (a === '--json') json = true;
    else {
      process.stderr.write(`unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  const kernels = KERNELS.filter((k) => only.length === 0 || only.includes(k));
  const rows: Row[] = [];
  for (const k of kernels) {
    const name = small ? `${k}-small` : k;
    const image = new Uint8Array(readFileSync(join(guests, 'bench', `${name}.bin`)));
    const e = JSON.parse(readFileSync(join(guests, 'expected', `bench--${name}.json`), 'utf8')) as Expected;
    const row: Row = {
      kernel: name,
      instructions: e.instructions ?? 0,
      checksum: e.serial.split('\n')[1] ?? '',
      ok: true,
      problems: [],
      mipsInterp: null,
      mipsJit: null,
      wallInterpMs: null,
      wallJitMs: null,
      nsPerOpInterp: null,
      nsPerOpJit: null,
    };
    // Interleaved: interpreter, JIT, interpreter, JIT, ...; best of `runs` each.
    for (let i = 0; i < runs; i++) {
      for (const useJit of [false, true]) {
        if ((useJit && !jit) || (!useJit && !interp)) continue;
        const r = await runOnV86({ image, jit: useJit, memoryBytes: e.memoryMiB << 20 });
        const mode = useJit ? 'JIT' : 'interpreter';
        row.problems.push(...check(r, e, mode));
        if (useJit) {
          if (row.wallJitMs === null || r.wallMs < row.wallJitMs) row.wallJitMs = r.wallMs;
        } else if (row.wallInterpMs === null || r.wallMs < row.wallInterpMs) row.wallInterpMs = r.wallMs;
        process.stderr.write(`${name} ${mode} run ${i + 1}: ${r.mips.toFixed(1)} MIPS\n`);
      }
    }
    row.ok = row.problems.length === 0;
    if (row.wallInterpMs !== null) row.mipsInterp = row.instructions / row.wallInterpMs / 1000;
    if (row.wallJitMs !== null) row.mipsJit = row.instructions / row.wallJitMs / 1000;
    rows.push(row);
  }
  const alu = rows.find((r) => r.kernel.startsWith('alu'));
  for (const r of rows) {
    const base = r.kernel.replace(/-small$/, '');
    const ops = (small ? OPS_SMALL : OPS)[base];
    if (!ops || !alu) continue;
    const est = (wall: number | null, mips: number | null): number | null =>
      wall === null || mips === null ? null : (wall * 1e6 - ((r.instructions - ops) * 1000) / mips) / ops;
    r.nsPerOpInterp = est(r.wallInterpMs, alu.mipsInterp);
    r.nsPerOpJit = est(r.wallJitMs, alu.mipsJit);
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const f = (x: number | null, d = 1): string => (x === null ? '-' : x.toFixed(d));
    process.stdout.write(
      `v86 ${runs > 1 ? `best of ${runs}` : '1 run'}, Node ${process.version}\n` +
        `${'kernel'.padEnd(20)} ${'instructions'.padStart(12)}  ${'MIPS interp'.padStart(11)}  ${'MIPS JIT'.padStart(9)}  ${'ns/op interp'.padStart(12)}  ${'ns/op JIT'.padStart(9)}  check\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.kernel.padEnd(20)} ${String(r.instructions).padStart(12)}  ${f(r.mipsInterp).padStart(11)}  ${f(r.mipsJit).padStart(9)}  ${f(r.nsPerOpInterp, 0).padStart(12)}  ${f(r.nsPerOpJit, 0).padStart(9)}  ${r.ok ? 'ok' : r.problems.join('; ')}\n`,
      );
    }
  }
  process.exit(rows.every((r) => r.ok) ? 0 : 1);
}

await main();
