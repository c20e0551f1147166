/**
 * Guest-mode costs (spec/x86.md, benchmark plan step 4): the benchmark kernels run inside an
 * SvmVcpu with nested paging (every guest page mapped 1:1 through a host NPT) against the bare
 * processor, and the exit round trip of an intercepted OUT (port 0x80) and CPUID, handled by a
 * trivial "VMM" loop that skips the instruction and resumes.
 *
 *   npx tsx bench/svm-bench.ts [--runs 3]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BareMachine, type NestedPageTable, NptRights, SvmExit, SvmVcpu } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const guests = path.resolve(here, '../guests/bench');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;

/** An NPT mapping guest page g to host page g (all of RAM), as a flat table. */
class IdentityNpt implements NestedPageTable {
  private readonly table: Int32Array;
  constructor(bytes: number) {
    this.table = new Int32Array(bytes >>> 12);
    for (let p = 0; p < this.table.length; p++)
      this.table[p] = (p << 12) | NptRights.READ | NptRights.WRITE | NptRights.EXEC;
  }
  lookup(gpaPage: number): number {
    const e = this.table[gpaPage >>> 12];
    return e === undefined || e === 0 ? -1 : e;
  }
}

interface Result {
  ms: number;
  instructions: number;
  exits: number;
  serial: string;
}

function runGuest(kernel: string, mode: 'bare' | 'npt' | 'exit-io' | 'exit-cpuid'): Result {
  const out: number[] = [];
  const m = new BareMachine({ memoryBytes: 32 << 20, onSerial: (b) => out.push(b) });
  m.load(new Uint8Array(fs.readFileSync(path.join(guests, `${kernel}.bin`))));
  const t0 = performance.now();
  if (mode === 'bare') {
    const r = m.run(Number.POSITIVE_INFINITY);
    return {
      ms: performance.now() - t0,
      instructions: r.instructions,
      exits: 0,
      serial: Buffer.from(out).toString(),
    };
  }
  const iopm = new Uint8Array(0x2000);
  if (mode === 'exit-io') iopm[0x80 >> 3] = 1;
  const vcpu = new SvmVcpu(m.cpu, {
    npt: new IdentityNpt(32 << 20),
    intercepts: { io: iopm, hlt: true, cpuid: mode === 'exit-cpuid', msr: false },
  });
  let exits = 0;
  let instructions = 0;
  for (;;) {
    const x = vcpu.run(10_000_000);
    instructions += x.instructions;
    if (m.exitValue !== null) break;
    if (x.code === SvmExit.IOIO || x.code === SvmExit.CPUID) {
      exits++;
      if (x.code === SvmExit.CPUID) {
        const r = m.cpu.r32;
        r[0] = 1;
        r[1] = 0;
        r[2] = 0;
        r[3] = 0;
      }
      // The intercepted instruction counted as started; skipping it completes it.
      m.cpu.eip = (m.cpu.eip + x.instLen) | 0;
      continue;
    }
    if (x.code === SvmExit.RECALL) continue;
    throw new Error(`unexpected exit ${x.code.toString(16)}`);
  }
  return { ms: performance.now() - t0, instructions, exits, serial: Buffer.from(out).toString() };
}

/** Best of `runs` for each mode, the modes interleaved (so JIT state favours none of them). */
function bestOf(kernel: string, modes: Parameters<typeof runGuest>[1][]): Result[] {
  const bests: (Result | null)[] = modes.map(() => null);
  for (let k = 0; k < runs; k++) {
    modes.forEach((mode, j) => {
      const r = runGuest(kernel, mode);
      const b = bests[j];
      if (b === null || b === undefined || r.ms < b.ms) bests[j] = r;
    });
  }
  return bests as Result[];
}

const mips = (r: Result): string => (r.instructions / r.ms / 1000).toFixed(1);
console.log(`guest mode, best of ${runs}, Node ${process.version}`);
for (const k of ['sieve-paging', 'sieve', 'alu']) {
  const [bare, npt] = bestOf(k, ['bare', 'npt']) as [Result, Result];
  if (bare.serial !== npt.serial || bare.instructions !== npt.instructions)
    throw new Error(`${k}: NPT run differs`);
  console.log(
    `${k.padEnd(13)} bare ${mips(bare)} MIPS, under NPT ${mips(npt)} MIPS (overhead ${((1 - bare.ms / npt.ms) * 100).toFixed(1)}%)`,
  );
}
for (const [k, mode] of [
  ['io', 'exit-io'],
  ['cpuid', 'exit-cpuid'],
] as const) {
  const [plain, exiting] = bestOf(k, ['npt', mode]) as [Result, Result];
  const per = (exiting.ms * 1e6) / exiting.exits;
  const base = (plain.ms * 1e6) / exiting.exits;
  console.log(
    `${k.padEnd(13)} ${exiting.exits} exits: ${per.toFixed(0)} ns per loop iteration (20 instructions and the exit), ` +
      `${base.toFixed(0)} ns without the intercept → exit round trip ≈ ${(per - base).toFixed(0)} ns`,
  );
}
