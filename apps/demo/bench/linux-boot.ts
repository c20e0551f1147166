/**
 * The north star as a benchmark (not part of the test suite: it needs the kernel and initramfs
 * that `node scripts/fetch-linux.mjs` puts into .cache/linux/): Debian 12's i386 kernel boots
 * with a busybox initramfs in the VMM (novaKernel + x86VcpuEngine, 128 MiB guest, the PC machine)
 * to `SHELL-READY`, then to the prompt `LBSH# `; the bench types `echo ECHO-$((6*7))`, waits for
 * `ECHO-42` and exits 0. Compare with spec/linux-boot.md §4 (v86 interpreter, fast command line:
 * 105–138 s, 2.64 G instructions to the marker).
 *
 *   cd apps/demo && node --conditions=@genode-ts/source --import tsx bench/linux-boot.ts \
 *     [--cmdline fast|base|'<text>'] [--kernel <bzImage>] [--initrd <file>] [--memory <MiB>]
 *     [--max-seconds <s>] [--log] [--progress]
 *
 * Prints (stderr) guest instructions and wall seconds at the marker, the prompt and the echo,
 * MIPS, exits by reason, NPT faults; `--log` echoes the serial output as it comes (stdout).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { x86VcpuEngine } from '@genode-ts/kernel-nova';
import { exitName, type Vmm } from '@genode-ts/vmm';
import { describeResult } from '../src/report.js';
import { runGuest } from '../src/run-guest.js';

const here = dirname(fileURLToPath(import.meta.url));
const cache = join(here, '..', '..', '..', '.cache', 'linux');
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const BASE = 'console=ttyS0 earlyprintk=serial,ttyS0 noapic nolapic acpi=off pci=off tsc=reliable';
const FAST = `${BASE} quiet cryptomgr.notests noisapnp`;
const which = arg('--cmdline') ?? 'fast';
const cmdline = which === 'fast' ? FAST : which === 'base' ? BASE : which;
const kernelFile = arg('--kernel') ?? join(cache, 'vmlinuz');
const initrdFile = arg('--initrd') ?? join(cache, 'initrd.gz');
const memoryMiB = Number(arg('--memory') ?? 128);
const maxSeconds = Number(arg('--max-seconds') ?? 900);
const echoLog = args.includes('--log');
const progress = args.includes('--progress');

let kernel: Uint8Array;
let initrd: Uint8Array;
try {
  kernel = readFileSync(kernelFile);
  initrd = readFileSync(initrdFile);
} catch (e) {
  process.stderr.write(
    `linux-boot: ${String(e)}\nfetch the kernel and initramfs first: node scripts/fetch-linux.mjs\n`,
  );
  process.exit(2);
}

const engine = x86VcpuEngine();
const instructions = (): number => engine.vcpus.reduce((n, v) => n + v.stats.instructions, 0);
const t0 = performance.now();
interface Mark {
  readonly what: string;
  readonly instructions: number;
  readonly seconds: number;
  readonly virtualMs: number;
}
const marks: Mark[] = [];
let vmm: Vmm | undefined;
let text = '';
let line = '';
type Stage = 'marker' | 'prompt' | 'echo' | 'done';
let stage = 'marker' as Stage;
const mark = (what: string): void => {
  marks.push({
    what,
    instructions: instructions(),
    seconds: (performance.now() - t0) / 1000,
    virtualMs: (vmm?.nowUs() ?? 0) / 1000,
  });
  process.stderr.write(
    `[${what}] ${(instructions() / 1e9).toFixed(3)} G instructions, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
};
let lastProgress = t0;
let lastInstr = 0;

const run = runGuest({
  guest: { kind: 'linux', image: kernel, initrd, cmdline },
  ram: memoryMiB << 20,
  colocated: true,
  cpus: 1,
  // the XZ decompressor runs 2.3 G instructions without an exit
  budgetInstructions: 60_000_000_000,
  engine,
  interactive: true,
  onVmm: (v) => {
    vmm = v;
  },
  onLog: (l) => process.stderr.write(`vmm: ${l}\n`),
  onSerial: (b) => {
    const c = String.fromCharCode(b);
    if (echoLog) process.stdout.write(c);
    text += c;
    line = b === 0x0a ? '' : line + c;
    if (stage === 'marker' && text.includes('SHELL-READY')) {
      mark('SHELL-READY');
      stage = 'prompt';
    }
    // ash follows the prompt with ESC [ 6 n (a cursor-position query it does not wait for)
    if (stage === 'prompt' && (text.endsWith('LBSH# ') || text.endsWith('LBSH# \u001b[6n'))) {
      mark('prompt');
      stage = 'echo';
      vmm?.input('echo ECHO-$((6*7))\n');
    }
    if (stage === 'echo' && /\nECHO-42\r?\n/.test(text)) {
      mark('ECHO-42');
      stage = 'done';
      vmm?.stop({ kind: 'stopped' });
    }
  },
  onSlice: () => {
    const now = performance.now();
    if (progress && now - lastProgress > 10_000) {
      const n = instructions();
      process.stderr.write(
        `[progress] ${((now - t0) / 1000).toFixed(0)} s: ${(n / 1e9).toFixed(3)} G instructions (${((n - lastInstr) / (now - lastProgress) / 1000).toFixed(1)} MIPS), virtual ${((vmm?.nowUs() ?? 0) / 1e6).toFixed(2)} s, last line ${JSON.stringify(line.slice(-100))}\n`,
      );
      lastProgress = now;
      lastInstr = n;
    }
    if (now - t0 > maxSeconds * 1000) vmm?.stop({ kind: 'stopped' });
  },
  wallClock: () => performance.now(),
});

const seconds = run.wallMs / 1000;
const total = run.instructions;
const out: string[] = [];
out.push(`linux-boot: ${kernelFile} + ${initrdFile}, ${memoryMiB} MiB, cmdline ${JSON.stringify(cmdline)}`);
if (run.failure !== undefined) out.push(`failed to start: ${run.failure.code}: ${run.failure.message}`);
out.push(`VM stopped: ${describeResult(run.vmm?.result())}${stage === 'done' ? ' (after ECHO-42)' : ''}`);
for (const m of marks) {
  out.push(
    `  ${m.what.padEnd(12)} ${(m.instructions / 1e9).toFixed(3)} G instructions, ${m.seconds.toFixed(1)} s wall, ${(m.instructions / m.seconds / 1e6).toFixed(1)} MIPS, guest time ${(m.virtualMs / 1000).toFixed(2)} s`,
  );
}
out.push(
  `total: ${(total / 1e9).toFixed(3)} G instructions in ${seconds.toFixed(1)} s (${(total / seconds / 1e6).toFixed(1)} MIPS)`,
);
const runs = engine.vcpus.reduce((n, v) => n + v.stats.runs, 0);
out.push(
  `guest-mode entries (VMRUN): ${runs} (${(total / Math.max(1, runs) / 1000).toFixed(1)} k instructions each)`,
);
const s = run.vmm?.stats;
if (s !== undefined) {
  out.push(`exits by reason (${s.totalExits()} in all):`);
  for (const [reason, n] of [...s.exits.entries()].sort((a, b) => a[0] - b[0])) {
    out.push(`  ${exitName(reason).padEnd(32)} ${String(n).padStart(10)}`);
  }
  out.push(
    `NPT faults: ${s.nptRam} from RAM (${[...s.blocks.entries()].map(([l, n]) => `2^${l} x${n}`).join(', ')}), ${s.nptMmio} MMIO; interrupts injected ${s.injected}, window requests ${s.windows}, recalls ${s.recalls}, halted ${(s.haltedUs / 1e6).toFixed(2)} s`,
  );
}
if (stage !== 'done') out.push(`stopped before the end; last serial line: ${JSON.stringify(line)}`);
if (!echoLog && stage !== 'done') out.push(`serial log (last 3000 bytes):\n${text.slice(-3000)}`);
process.stderr.write(`${out.join('\n')}\n`);
process.exitCode = stage === 'done' ? 0 : 1;
