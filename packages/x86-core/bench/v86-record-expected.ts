/**
 * Records the expected results of the guest corpora from the references — v86 (this package's
 * devDependency), QEMU and Bochs — into `<corpus>/expected/<name>.json`, one file per guest.
 *
 *   npx tsx bench/v86-record-expected.ts [--corpus DIR]... [--only NAME]... [--no-jit-check]
 *                                        [--no-bochs]
 *
 * Default corpora: packages/x86-core/guests, packages/vmm/guests, apps/demo/guests (each with a
 * guests.json manifest). Needs qemu-system-i386, bochs (+ bochsbios, vgabios) and nasm (for the
 * Bochs boot sector); recorded with QEMU 7.2.22, Bochs 2.7, v86 0.5.462, NASM 2.16.01.
 *
 * Deciding the expected output: the system guests check themselves, and a line
 * "FAIL <name> = <got> want <want>" is a reference deviating from what the guest expects (the
 * behaviour the Intel SDM documents, cited in each source). A reference's corrected output is its
 * output with every such line turned into "PASS <name> = <want>", the summary into
 * "PASS all N checks" and the exit value 1 into 0. The corrected outputs of all references that
 * ran must be the same — that is the expected output — unless the manifest names the reference
 * to follow (`resolve`) and says why (`notes`). A reference "agreed" when its raw output and exit
 * equal the expected ones; its deviations are recorded either way.
 *
 * v86's exact instruction count (interpreter; the JIT must give the same) is recorded as the
 * reference count for guests without timer input when v86 agreed; `references.v86.instructions`
 * holds v86's count even when it ran a different path.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bochsVersion,
  qemuArgs,
  qemuVersion,
  type ReferenceExit,
  type ReferenceRun,
  runBochs,
  runQemu,
} from './v86-references.js';
import { runOnV86, type V86RunResult } from './v86-runner.js';

/** One guest of a guests.json manifest. */
export interface GuestManifestEntry {
  readonly name: string;
  readonly source: string;
  readonly binary: string;
  readonly defines: readonly string[];
  /** bench, bench-small, system, vmm, demo. */
  readonly kind: string;
  /** Guest RAM in MiB (default 32). */
  readonly memoryMiB?: number;
  /** Serial input, available before the guest starts. */
  readonly input?: string;
  /** How the guest ends: `debug-exit` (default), `triple-fault`, `runaway`. */
  readonly ends?: 'debug-exit' | 'triple-fault' | 'runaway';
  /** The instruction count depends on timers (PIT, wall clock): not recorded. */
  readonly timing?: boolean;
  /** Wall-clock limit per reference run in ms (default 120 s; runaway guests: 3 s). */
  readonly timeoutMs?: number;
  /** Skip Bochs (too slow for the bench sizes, or the guest needs serial input). */
  readonly bochs?: boolean;
  /** The reference whose corrected output is the expected one when they differ. */
  readonly resolve?: 'qemu' | 'v86' | 'bochs';
  /** Explanations copied into the expected file (deviations of a reference, decisions). */
  readonly notes?: readonly string[];
}

type RefName = 'qemu' | 'v86' | 'bochs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');

const FAIL_LINE = /^FAIL (.*) = ([0-9A-F]{8}) want ([0-9A-F]{8})$/;
const SUMMARY_FAIL = /^FAIL (\d+) of (\d+) checks$/;

/** The output of a processor without the deviations the guest detected. */
function correct(run: ReferenceRun): { serial: string; exit: ReferenceExit; deviations: string[] } {
  const deviations: string[] = [];
  const serial = run.serial
    .split('\n')
    .map((line) => {
      const f = FAIL_LINE.exec(line);
      if (f) {
        deviations.push(`${f[1]}: got ${f[2]}, want ${f[3]}`);
        return `PASS ${f[1]} = ${f[3]}`;
      }
      const s = SUMMARY_FAIL.exec(line);
      if (s) return `PASS all ${s[2]} checks`;
      return line;
    })
    .join('\n');
  const exit: ReferenceExit =
    run.exit.kind === 'debug-exit' && run.exit.value === 1 && deviations.length > 0
      ? { kind: 'debug-exit', value: 0 }
      : run.exit;
  return { serial, exit, deviations };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ${JSON.stringify(la[i])} vs ${JSON.stringify(lb[i])}`;
  }
  return 'same serial output';
}

function v86Exit(r: V86RunResult): ReferenceExit {
  switch (r.reason) {
    case 'debug-exit':
      return { kind: 'debug-exit', value: r.exitValue ?? -1 };
    case 'halted':
      return { kind: 'halted' };
    case 'crash':
      return { kind: 'crash', message: r.crash ?? 'unknown' };
    default:
      return { kind: 'runaway' };
  }
}

function v86Version(): string {
  const pkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('v86/package.json'), 'utf8'));
  return pkg.version as string;
}

interface Options {
  jitCheck: boolean;
  bochs: boolean;
  versions: Record<RefName, string>;
}

async function recordGuest(corpus: string, g: GuestManifestEntry, o: Options) {
  const binary = join(corpus, g.binary);
  const image = readFileSync(binary);
  const ends = g.ends ?? 'debug-exit';
  const memoryMiB = g.memoryMiB ?? 32;
  const timeoutMs = g.timeoutMs ?? (ends === 'runaway' ? 3000 : 120_000);
  const guest = { binary, memoryMiB, timeoutMs, ...(g.input !== undefined ? { input: g.input } : {}) };
  const v86Options = {
    image,
    memoryBytes: memoryMiB << 20,
    timeoutMs,
    ...(g.input !== undefined ? { input: g.input } : {}),
  };

  const runs: Partial<Record<RefName, ReferenceRun>> = {};
  runs.qemu = await runQemu(guest);
  const v = await runOnV86(v86Options);
  runs.v86 = { serial: Buffer.from(v.serial).toString('latin1'), exit: v86Exit(v) };
  const useBochs = o.bochs && g.bochs !== false && g.input === undefined && g.kind !== 'bench';
  if (useBochs)
    runs.bochs = await runBochs({ ...guest, timeoutMs: Math.min(timeoutMs, 30_000) }, ends === 'runaway');

  const names = Object.keys(runs) as RefName[];
  const corrected = Object.fromEntries(names.map((n) => [n, correct(runs[n]!)])) as Record<
    RefName,
    ReturnType<typeof correct>
  >;
  let decided: RefName;
  if (g.resolve) {
    if (!runs[g.resolve]) throw new Error(`${g.name}: resolve names ${g.resolve}, which did not run`);
    decided = g.resolve;
  } else {
    decided = names[0]!;
    for (const n of names) {
      const a = corrected[decided];
      const b = corrected[n];
      if (a.serial !== b.serial || !same(a.exit, b.exit)) {
        throw new Error(
          `${g.name}: ${decided} and ${n} disagree beyond the guest's own checks\n` +
            `  serial: ${firstDifference(a.serial, b.serial)}\n` +
            `  exit: ${decided} ${JSON.stringify(a.exit)}, ${n} ${JSON.stringify(b.exit)}`,
        );
      }
    }
  }
  const expectedSerial = corrected[decided].serial;
  const expectedExit = corrected[decided].exit;
  if (expectedExit.kind !== ends) {
    throw new Error(`${g.name}: ended with ${JSON.stringify(expectedExit)}, the manifest says ${ends}`);
  }
  const agrees = (n: RefName): boolean =>
    runs[n]!.serial === expectedSerial && same(runs[n]!.exit, expectedExit);

  let instructions: number | null = null;
  let jitInstructions: number | null = null;
  if (!g.timing && v.instructionsExact) {
    instructions = v.instructions;
    if (o.jitCheck) {
      const j = await runOnV86({ ...v86Options, jit: true });
      jitInstructions = j.instructionsExact ? j.instructions : null;
      if (Buffer.from(j.serial).toString('latin1') !== runs.v86.serial) {
        throw new Error(`${g.name}: v86 with the JIT printed something else than without`);
      }
    }
  }

  const reference = (n: RefName) => ({
    version: o.versions[n],
    agrees: agrees(n),
    exit: runs[n]!.exit,
    deviations: corrected[n].deviations,
    ...(agrees(n) || runs[n]!.serial === expectedSerial ? {} : { serial: runs[n]!.serial }),
  });
  const expected = {
    name: g.name,
    kind: g.kind,
    source: g.source,
    defines: g.defines,
    binary: g.binary,
    sha256: createHash('sha256').update(image).digest('hex'),
    memoryMiB,
    input: g.input ?? null,
    serial: expectedSerial,
    exit: expectedExit,
    instructions: agrees('v86') ? instructions : null,
    agreed: names.filter(agrees),
    decidedBy: g.resolve ? `manifest: ${g.resolve}` : 'all references (corrected by the guest self-checks)',
    notes: g.notes ?? [],
    references: {
      qemu: {
        ...reference('qemu'),
        command: `qemu-system-i386 ${qemuArgs(g.binary, memoryMiB).join(' ')}`,
      },
      v86: {
        ...reference('v86'),
        options: { memory_size: memoryMiB << 20, disable_jit: true },
        instructions,
        instructionsJit: jitInstructions,
      },
      ...(runs.bochs ? { bochs: reference('bochs') } : {}),
    },
  };
  const out = join(corpus, 'expected', `${g.name.replace(/\//g, '--')}.json`);
  writeFileSync(out, `${JSON.stringify(expected, null, 2)}\n`);
  // In the repository's format, so that re-recording shows only real changes.
  spawnSync(join(repo, 'node_modules', '.bin', 'biome'), ['format', '--write', out], { stdio: 'ignore' });
  return expected;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const corpora: string[] = [];
  const only: string[] = [];
  let jitCheck = true;
  let bochs = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--corpus') corpora.push(resolve(args[++i] ?? '.'));
    else if (a === '--only') only.push(args[++i] ?? '');
    else if (a === '--no-jit-check') jitCheck = false;
    else if (a === '--no-bochs') bochs = false;
    else {
      process.stderr.write(`unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (corpora.length === 0) {
    for (const c of ['packages/x86-core/guests', 'packages/vmm/guests', 'apps/demo/guests']) {
      if (existsSync(join(repo, c, 'guests.json'))) corpora.push(join(repo, c));
    }
  }
  const versions = { qemu: qemuVersion(), v86: v86Version(), bochs: bochs ? bochsVersion() : 'not run' };
  let failed = 0;
  for (const corpus of corpora) {
    const manifest = JSON.parse(readFileSync(join(corpus, 'guests.json'), 'utf8')) as {
      guests: GuestManifestEntry[];
    };
    for (const g of manifest.guests) {
      if (only.length > 0 && !only.includes(g.name)) continue;
      try {
        const e = await recordGuest(corpus, g, { jitCheck, bochs, versions });
        const r = e.references as Record<string, { deviations: string[] }>;
        const dev = Object.entries(r)
          .map(([n, x]) => `${n} ${x.deviations.length}`)
          .join(', ');
        const v = e.references.v86;
        const jitNote =
          v.instructionsJit !== null && v.instructionsJit !== v.instructions
            ? ` (JIT ${v.instructionsJit}!)`
            : '';
        process.stdout.write(
          `${g.name.padEnd(28)} ${JSON.stringify(e.exit).padEnd(34)} agreed [${e.agreed.join(',')}]` +
            ` deviations: ${dev}; instructions ${e.instructions ?? '-'}${jitNote}\n`,
        );
      } catch (error) {
        failed++;
        process.stdout.write(`${g.name}: ${(error as Error).message}\n`);
      }
    }
  }
  process.exit(failed === 0 ? 0 : 1);
}

await main();
