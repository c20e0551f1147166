/**
 * The big differential decoder fuzz run (the suite runs a fixed-seed subset):
 *
 *   npx tsx test/fuzz-decoder.ts [count per mode = 1000000] [seed = 1]
 *
 * Prints the number of agreements and the distinct disagreements (by iced mnemonic).
 */
import { DecoderDiff, Rng, randomInstruction } from './decoder-diff.js';

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 1);
let failures = 0;
for (const bitness of [16, 32] as const) {
  const diff = new DecoderDiff(bitness);
  const rng = new Rng(seed + bitness);
  const kinds = new Map<string, { n: number; example: string }>();
  let agree = 0;
  const t0 = performance.now();
  for (let k = 0; k < count; k++) {
    const bytes = randomInstruction(rng);
    const d = diff.compare(bytes);
    if (d === null) {
      agree++;
      continue;
    }
    const key = d.replace(/[0-9a-f]{2,}/g, '#').slice(0, 60);
    const e = kinds.get(key);
    if (e) e.n++;
    else kinds.set(key, { n: 1, example: `${Buffer.from(bytes).toString('hex')}: ${d}` });
  }
  const ms = performance.now() - t0;
  failures += count - agree;
  console.log(`${bitness}-bit: ${agree} of ${count} agree (${((count / ms) * 1000).toFixed(0)} per second)`);
  for (const [, v] of [...kinds].sort((a, b) => b[1].n - a[1].n).slice(0, 40))
    console.log(`  ${v.n}× ${v.example}`);
}
process.exitCode = failures > 0 ? 1 : 0;
