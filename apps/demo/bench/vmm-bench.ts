/**
 * The VMM's benchmarks (issue #6 "Performance"): run from apps/demo with
 *
 *   npm run bench                 (= node --conditions=@genode-ts/source --import tsx bench/vmm-bench.ts)
 *   npm run bench -- --runs 5 --only boot,mips,npt,rss
 *
 * - boot: the demo's boot-to-shutdown wall time (the whole `genode-ts-demo` run without the
 *   process start: Genode system, core, the VMM component, guest memory, the guest to its exit).
 * - mips: the bundled guest's compute loop (20 M instructions between two serial lines) in the
 *   VMM on NOVA, against x86-core's BareMachine running the same binary without virtualization;
 *   runs interleaved, best of N.
 * - npt: NPT faults resolved per second — the touch guest writes one dword per 4 KiB page of
 *   128 MiB of RAM with the VMM limited to 4 KiB blocks (one NPT exit, one G delegation per
 *   page); and the same with the largest blocks (how few faults Seoul's block choice leaves).
 * - rss: peak RSS of a process booting the touch guest with 128 MiB (it touches every page) and
 *   of one with 2 MiB (the runtime's baseline), each in a child process; and of the bundled demo
 *   guest (it touches a few MiB) with 1,920 MiB of guest RAM: RAM nobody touches costs nothing.
 * - exits: the whole exit path per I/O exit — io-echo (packages/vmm/guests) polls the UART's
 *   LSR, one `in` per three instructions, 484,306 exits: vCPU exit, UTCB, portal call to the
 *   VMM's handler, Vcpu_state, the exit dispatcher, the device bus, and back.
 *
 * Wall-clock figures on a shared machine are noisy: best of N, and user CPU time next to them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { x86VcpuEngine } from '@genode-ts/kernel-nova';
import { BareMachine } from '@genode-ts/x86-core';
import { runGuest } from '../src/run-guest.js';

const here = dirname(fileURLToPath(import.meta.url));
const DEMO = readFileSync(join(here, '..', 'guests', 'demo.bin'));
const TOUCH = readFileSync(join(here, 'guests', 'touch.bin'));
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(arg('--runs') ?? 3) || 3;
const only = (arg('--only') ?? 'boot,mips,npt,rss,exits').split(',');

const LOOP_START = 'compute loop: 20 M instructions\n';
const LOOP_END = 'compute result ';

function cpuMs(): number {
  const u = process.cpuUsage();
  return u.user / 1000;
}

/** Watches serial output for the compute loop's two lines; returns the markers' samples. */
function markers(sample: () => number) {
  let text = '';
  const at: { instructions: number; t: number; cpu: number }[] = [];
  return {
    at,
    onSerial(b: number): void {
      text += String.fromCharCode(b);
      if ((at.length === 0 && text.endsWith(LOOP_START)) || (at.length === 1 && text.endsWith(LOOP_END))) {
        const u = process.cpuUsage();
        at.push({ instructions: sample(), t: performance.now(), cpu: (u.user + u.system) / 1000 });
      }
    },
  };
}

interface Loop {
  /** MIPS by wall time and by CPU time (user + system) of this process. */
  readonly mips: number;
  readonly cpuMips: number;
  readonly instructions: number;
  readonly ms: number;
}

function loop(at: readonly { instructions: number; t: number; cpu: number }[]): Loop {
  const [a, b] = at;
  if (a === undefined || b === undefined) throw new Error('compute-loop markers not seen');
  const instructions = b.instructions - a.instructions;
  const ms = b.t - a.t;
  return { mips: instructions / ms / 1000, cpuMips: instructions / (b.cpu - a.cpu) / 1000, instructions, ms };
}

function vmmLoop(): Loop {
  const engine = x86VcpuEngine();
  // during an I/O exit the vCPU's run has ended: its instruction count is exact
  const m = markers(() => engine.vcpus[0]!.stats.instructions);
  runGuest({
    guest: { kind: 'auto', image: DEMO },
    ram: 16 << 20,
    colocated: true,
    cpus: 1,
    budgetInstructions: 200_000_000,
    engine,
    onSerial: (b) => m.onSerial(b),
  });
  return loop(m.at);
}

function bareLoop(): Loop {
  let machine: BareMachine | undefined;
  const m = markers(() => machine!.cpu.exactRetired);
  machine = new BareMachine({ memoryBytes: 16 << 20, onSerial: (b) => m.onSerial(b) });
  machine.load(new Uint8Array(DEMO));
  machine.run(1e9);
  return loop(m.at);
}

function fmt(n: number, d = 1): string {
  return n.toFixed(d);
}

if (args[0] === '--rss-child') {
  // Peak RSS sampled at every slice of virtual time and at the end (getrusage's maxrss would
  // start at the parent's high-water mark: Linux keeps it across fork and exec).
  const mib = Number(args[1]);
  const image = args[2] === 'demo' ? DEMO : TOUCH;
  let peak = process.memoryUsage().rss;
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const run = runGuest({
    guest: { kind: 'auto', image },
    ram: mib * 2 ** 20,
    colocated: true,
    cpus: 1,
    budgetInstructions: 200_000_000,
    onSlice: sample,
    onSerial: sample,
  });
  sample();
  const r = run.vmm?.result();
  process.stdout.write(`${JSON.stringify({ mib, maxRssKiB: Math.round(peak / 1024), result: r?.kind })}\n`);
  process.exit(0);
}

if (only.includes('boot')) {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    const r = runGuest({
      guest: { kind: 'auto', image: DEMO },
      ram: 16 << 20,
      colocated: true,
      cpus: 1,
      budgetInstructions: 200_000_000,
    });
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
    if (r.vmm?.result()?.kind !== 'debug-exit') throw new Error('demo did not shut down');
  }
  console.log(
    `boot: demo boot-to-shutdown ${fmt(Math.min(...wall), 0)} ms wall (best of ${runs}; all: ${wall.map((w) => fmt(w, 0)).join(', ')}), ${fmt(Math.min(...cpu), 0)} ms user CPU`,
  );
}

if (only.includes('mips')) {
  const vmm: Loop[] = [];
  const bare: Loop[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(bareLoop());
    vmm.push(vmmLoop());
  }
  const best = (xs: Loop[], k: 'mips' | 'cpuMips'): number => Math.max(...xs.map((x) => x[k]));
  for (const k of ['mips', 'cpuMips'] as const) {
    const bv = best(vmm, k);
    const bb = best(bare, k);
    console.log(
      `mips (${k === 'mips' ? 'wall' : 'CPU time'}): compute loop in the VMM ${fmt(bv)} MIPS, bare x86-core ${fmt(bb)} MIPS: ${fmt((bv / bb) * 100)} % (best of ${runs}, ${vmm[0]!.instructions} vs ${bare[0]!.instructions} instructions; VMM ${vmm.map((x) => fmt(x[k])).join(', ')}; bare ${bare.map((x) => fmt(x[k])).join(', ')})`,
    );
  }
}

if (only.includes('npt')) {
  for (const limit of [12, undefined]) {
    const best: { perSec: number; faults: number; ms: number }[] = [];
    for (let i = 0; i < runs; i++) {
      let t0 = 0;
      let t1 = 0;
      let text = '';
      const run = runGuest({
        guest: { kind: 'auto', image: TOUCH },
        ram: 128 << 20,
        colocated: true,
        cpus: 1,
        budgetInstructions: 200_000_000,
        ...(limit !== undefined ? { nptBlockLimitLog2: limit } : {}),
        onSerial: (b) => {
          text += String.fromCharCode(b);
          if (t0 === 0 && text.endsWith('START\n')) t0 = performance.now();
          if (t1 === 0 && text.endsWith('touched')) t1 = performance.now();
        },
      });
      const faults = run.vmm!.stats.nptRam;
      best.push({ perSec: faults / ((t1 - t0) / 1000), faults, ms: t1 - t0 });
    }
    const b = best.reduce((x, y) => (y.perSec > x.perSec ? y : x));
    console.log(
      limit === 12
        ? `npt: 4 KiB blocks: ${b.faults} NPT faults in ${fmt(b.ms, 0)} ms of touching 128 MiB: ${fmt(b.perSec, 0)} faults/s (best of ${runs})`
        : `npt: largest blocks: ${b.faults} NPT faults; touching 128 MiB takes ${fmt(b.ms, 0)} ms (best of ${runs})`,
    );
  }
}

if (only.includes('rss')) {
  const child = (mib: number, guest = 'touch'): { maxRssKiB: number; result: string } => {
    const p = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--rss-child', String(mib), guest],
      { encoding: 'utf8' },
    );
    if (p.status !== 0) throw new Error(p.stderr);
    return JSON.parse(p.stdout.trim().split('\n').at(-1)!) as { maxRssKiB: number; result: string };
  };
  const base = child(2);
  const big = child(128);
  const grow = (big.maxRssKiB - base.maxRssKiB) / 1024;
  console.log(
    `rss: peak RSS ${fmt(big.maxRssKiB / 1024)} MiB with 128 MiB of guest RAM touched (${big.result}), ${fmt(base.maxRssKiB / 1024)} MiB with 2 MiB (baseline): +${fmt(grow)} MiB = ${fmt(grow / 128, 2)} x 128 MiB (target <= 1.1)`,
  );
  const demoBig = child(1920, 'demo');
  const demoSmall = child(16, 'demo');
  console.log(
    `rss: the demo guest with 1,920 MiB of guest RAM: peak RSS ${fmt(demoBig.maxRssKiB / 1024)} MiB (${demoBig.result}); with 16 MiB: ${fmt(demoSmall.maxRssKiB / 1024)} MiB`,
  );
}

if (only.includes('exits')) {
  const root = join(here, '..', '..', '..');
  const image = readFileSync(join(root, 'packages', 'vmm', 'guests', 'io-echo.bin'));
  const expected = JSON.parse(
    readFileSync(join(root, 'packages', 'vmm', 'guests', 'expected', 'io-echo.json'), 'utf8'),
  ) as { memoryMiB: number; input: string };
  const per: number[] = [];
  let exits = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const run = runGuest({
      guest: { kind: 'auto', image },
      ram: expected.memoryMiB << 20,
      colocated: true,
      cpus: 1,
      budgetInstructions: 200_000_000,
      input: expected.input,
      onSerial: () => {},
    });
    const ms = performance.now() - t0;
    exits = Object.values(run.vmm!.stats.exitCounts() as Record<string, number>).reduce((a, b) => a + b, 0);
    per.push((ms * 1000) / exits);
  }
  console.log(
    `exits: io-echo, ${exits} exits: ${fmt(Math.min(...per), 2)} µs per exit round trip through the VMM (best of ${runs}; all: ${per.map((x) => fmt(x, 2)).join(', ')})`,
  );
}
