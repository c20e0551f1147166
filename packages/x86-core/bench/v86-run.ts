/**
 * Runs one Multiboot guest on v86: its serial output to stdout as it comes, a report (stop
 * reason, exit value, instructions, MIPS) to stderr. The exit status is the guest's debug-exit
 * value, or 1 when it did not write one.
 *
 *   npx tsx bench/v86-run.ts <guest.bin> [--jit] [--memory MiB] [--input TEXT] [--timeout ms]
 */
import { readFileSync } from 'node:fs';
import { runOnV86 } from './v86-runner.js';

const args = process.argv.slice(2);
let file: string | undefined;
let jit = false;
let memoryMiB = 32;
let input: string | undefined;
let timeoutMs = 600_000;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--jit') jit = true;
  else if (a === '--memory') memoryMiB = Number(args[++i]);
  else if (a === '--input') input = args[++i] ?? '';
  else if (a === '--timeout') timeoutMs = Number(args[++i]);
  else if (a !== undefined && !a.startsWith('--') && file === undefined) file = a;
  else {
    process.stderr.write(`usage: v86-run <guest.bin> [--jit] [--memory MiB] [--input TEXT] [--timeout ms]\n`);
    process.exit(2);
  }
}
if (file === undefined) {
  process.stderr.write('usage: v86-run <guest.bin> [--jit] [--memory MiB] [--input TEXT] [--timeout ms]\n');
  process.exit(2);
}
const r = await runOnV86({
  image: new Uint8Array(readFileSync(file)),
  jit,
  memoryBytes: memoryMiB << 20,
  timeoutMs,
  ...(input !== undefined ? { input } : {}),
  onSerial: (b) => process.stdout.write(Uint8Array.of(b)),
});
process.stderr.write(
  `v86 ${jit ? 'JIT' : 'interpreter'}: ${r.reason}${r.exitValue !== null ? ` ${r.exitValue}` : ''}` +
    `${r.crash ? ` (${r.crash})` : ''}, ${r.instructions} instructions${r.instructionsExact ? ' (exact)' : ''},` +
    ` ${r.wallMs.toFixed(1)} ms, ${r.mips.toFixed(1)} MIPS\n`,
);
process.exit(r.reason === 'debug-exit' ? (r.exitValue ?? 1) : 1);
