/**
 * Records the expected results of the guest corpora from two references, QEMU (TCG) and v86,
 * into `guests/expected/<name>.json` (one file per guest).
 *
 *   npx tsx bench/v86-record-expected.ts [--corpus DIR]... [--only NAME]... [--no-jit-check]
 *
 * Default corpora: packages/x86-core/guests, packages/vmm/guests, apps/demo/guests (each with a
 * guests.json manifest). Needs `qemu-system-i386` (Debian qemu-system-x86; recorded with 7.2.22).
 *
 * The system guests check themselves: a line "FAIL <name> = <got> want <want>" is a reference
 * deviating from what the guest expects (the Intel SDM's behaviour, see each source). The
 * expected serial output is what a processor with no deviation prints: every FAIL line turned
 * into "PASS <name> = <want>", the summary into "PASS all N checks", the exit value 0. The
 * references' corrected outputs must agree (else the guest needs a decision, and the script stops
 * with a diff); each reference's raw deviations are recorded, and the manifest's `notes` explain
 * them. A reference whose raw output equals the expected one "agreed".
 *
 * v86's exact instruction count (interpreter; with the JIT it must be the same) is recorded for
 * guests whose count is deterministic (no timer input), and marked as the reference count only
 * when v86 printed the expected output (otherwise it ran a different path).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOnV86 } from './v86-runner.ts';

/** One guest of a guests.json manifest. */
export interface GuestManifestEntry {
  readonly name: string;
  readonly source: string;
  readonly binary: string;
  readonly defines: readonly string[];
  readonly kind: string;
  /** Guest RAM in MiB (default 32). */
  readonly memoryMiB?: number;
  /** Serial input, sent before the guest starts. */
  readonly input?: string;
  /** How the guest ends: `debug-exit` (default), `triple-fault`, `runaway`. */
  readonly ends?: 'debug-exit' | 'triple-fault' | 'runaway';
  /** Its instruction count depends on timers (PIT, wall clock): not recorded. */
  readonly timing?: boolean;
  /** Wall-clock limit per reference run in ms (default 120 s; runaway guests: 3 s). */
  readonly timeoutMs?: number;
  /** Explanations copied into the expected file (deviations of a reference, decisions). */
  readonly notes?: readonly string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const QEMU = process.env.QEMU ?? 'qemu-system-i386';

interface QemuResult {
  serial: string;
  status: number | null;
  signal: string | null;
  timedOut: boolean;
}

function runQemu(binary: string, g: GuestManifestEntry): Promise<QemuResult> {
  const timeoutMs = g.timeoutMs ?? (g.ends === 'runaway' ? 3000 : 120_000);
  const args = [
    '-accel',
    'tcg',
    '-m',
    String(g.memoryMiB ?? 32),
    '-no-reboot',
    '-kernel',
    binary,
    '-serial',
    'stdio',
    '-display',
    'none',
    '-monitor',
    'none',
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ];
  return new Promise((res, rej) => {
    const p = spawn(QEMU, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', rej);
    p.on('close', (status, signal) => {
      clearTimeout(t);
      res({ serial: Buffer.concat(chunks).toString('latin1'), status, signal, timedOut });
    });
    if (g.input !== undefined) p.stdin.write(Buffer.from(g.input, 'latin1'));
    // Keep stdin open: QEMU's stdio backend reads it as the serial line.
  });
}

type Exit = { kind: 'debug-exit'; value: number } | { kind: 'triple-fault' } | { kind: 'runaway' };

function qemuExit(r: QemuResult): Exit {
  if (r.timedOut) return { kind: 'runaway' };
  // isa-debug-exit: status = value << 1 | 1; -no-reboot turns a triple fault (reset) into status 0.
  if (r.status !== null && (r.status & 1) === 1) return { kind: 'debug-exit', value: r.status >> 1 };
  return { kind: 'triple-fault' };
}

const FAIL_LINE = /^FAIL (.*) = ([0-9A-F]{8}) want ([0-9A-F]{8})$/;
const SUMMARY_FAIL = /^FAIL (\d+) of (\d+) checks$/;

/** The output of a processor without the deviations the guest detected. */
function correct(serial: string): { serial: string; deviations: string[] } {
  const deviations: string[] = [];
  const lines = serial.split('\n').map((line) => {
    const f = FAIL_LINE.exec(line);
    if (f) {
      deviations.push(`${f[1]}: got ${f[2]}, want ${f[3]}`);
      return `PASS ${f[1]} = ${f[3]}`;
    }
    const s = SUMMARY_FAIL.exec(line);
    if (s) return `PASS all ${s[2]} checks`;
    return line;
  });
  return { serial: lines.join('\n'), deviations };
}

function sameExit(a: Exit, b: Exit): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: ${JSON.stringify(la[i])} vs ${JSON.stringify(lb[i])}`;
  }
  return 'identical';
}

function qemuVersion(): Promise<string> {
  return new Promise((res) => {
    const p = spawn(QEMU, ['--version']);
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    p.on('close', () => res(/version (\S+)/.exec(out)?.[1] ?? 'unknown'));
    p.on('error', () => res('unavailable'));
  });
}

function v86Version(): string {
  const pkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('v86/package.json'), 'utf8'));
  return pkg.version as string;
}

async function recordGuest(corpus: string, g: GuestManifestEntry, jitCheck: boolean, versions: any) {
  const binary = join(corpus, g.binary);
  const image = readFileSync(binary);
  const ends = g.ends ?? 'debug-exit';
  const memoryMiB = g.memoryMiB ?? 32;
  const timeoutMs = g.timeoutMs ?? (ends === 'runaway' ? 3000 : 120_000);

  const q = await runQemu(binary, g);
  const qExit = qemuExit(q);
  const v = await runOnV86({
    image,
    memoryBytes: memoryMiB << 20,
    ...(g.input !== undefined ? { input: g.input } : {}),
    timeoutMs,
  });
  const vSerial = Buffer.from(v.serial).toString('latin1');
  let vExit: Exit;
  if (v.reason === 'debug-exit') vExit = { kind: 'debug-exit', value: v.exitValue ?? -1 };
  else if (v.reason === 'timeout' || v.reason === 'budget') vExit = { kind: 'runaway' };
  else vExit = { kind: 'triple-fault' };

  const qc = correct(q.serial);
  const vc = correct(vSerial);
  const fixExit = (e: Exit, deviations: string[]): Exit =>
    e.kind === 'debug-exit' && deviations.length > 0 && e.value === 1 ? { kind: 'debug-exit', value: 0 } : e;
  const qFixedExit = fixExit(qExit, qc.deviations);
  const vFixedExit = fixExit(vExit, vc.deviations);

  if (qc.serial !== vc.serial || !sameExit(qFixedExit, vFixedExit)) {
    throw new Error(
      `${g.name}: the references disagree beyond the guest's own checks\n` +
        `  serial: ${firstDifference(qc.serial, vc.serial)}\n` +
        `  exit: qemu ${JSON.stringify(qFixedExit)} v86 ${JSON.stringify(vFixedExit)}`,
    );
  }
  const expectedSerial = qc.serial;
  const expectedExit = qFixedExit;
  if (expectedExit.kind !== ends) {
    throw new Error(`${g.name}: ended with ${JSON.stringify(expectedExit)}, the manifest says ${ends}`);
  }

  const v86Agrees = vSerial === expectedSerial && sameExit(vExit, expectedExit);
  const qemuAgrees = q.serial === expectedSerial && sameExit(qExit, expectedExit);
  let instructions: number | null = null;
  let jitInstructions: number | null = null;
  if (!g.timing && v.instructionsExact) {
    instructions = v.instructions;
    if (jitCheck) {
      const j = await runOnV86({
        image,
        memoryBytes: memoryMiB << 20,
        jit: true,
        ...(g.input !== undefined ? { input: g.input } : {}),
        timeoutMs,
      });
      jitInstructions = j.instructionsExact ? j.instructions : null;
      if (Buffer.from(j.serial).toString('latin1') !== vSerial) {
        throw new Error(`${g.name}: v86 with JIT printed something else than without`);
      }
    }
  }

  const expected = {
    name: g.name,
    source: g.source,
    defines: g.defines,
    binary: g.binary,
    sha256: createHash('sha256').update(image).digest('hex'),
    memoryMiB,
    input: g.input ?? null,
    serial: expectedSerial,
    exit: expectedExit,
    instructions: v86Agrees ? instructions : null,
    references: {
      qemu: {
        version: versions.qemu,
        command: `qemu-system-i386 -accel tcg -m ${memoryMiB} -no-reboot -kernel ${g.binary} -serial stdio -display none -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04`,
        agrees: qemuAgrees,
        exit: qExit,
        deviations: qc.deviations,
      },
      v86: {
        version: versions.v86,
        agrees: v86Agrees,
        exit: vExit,
        deviations: vc.deviations,
        instructions,
        instructionsJit: jitInstructions,
      },
    },
    agreed: [...(qemuAgrees ? ['qemu'] : []), ...(v86Agrees ? ['v86'] : [])],
    notes: g.notes ?? [],
  };
  const out = join(corpus, 'expected', `${g.name.replace(/\//g, '--')}.json`);
  writeFileSync(out, `${JSON.stringify(expected, null, 2)}\n`);
  return expected;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const corpora: string[] = [];
  const only: string[] = [];
  let jitCheck = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--corpus') corpora.push(resolve(args[++i] ?? '.'));
    else if (a === '--only') only.push(args[++i] ?? '');
    else if (a === '--no-jit-check') jitCheck = false;
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
  const versions = { qemu: await qemuVersion(), v86: v86Version() };
  let failed = 0;
  for (const corpus of corpora) {
    const manifest = JSON.parse(readFileSync(join(corpus, 'guests.json'), 'utf8')) as {
      guests: GuestManifestEntry[];
    };
    for (const g of manifest.guests) {
      if (only.length > 0 && !only.includes(g.name)) continue;
      try {
        const e = await recordGuest(corpus, g, jitCheck, versions);
        const r = e.references;
        process.stdout.write(
          `${g.name.padEnd(28)} exit ${JSON.stringify(e.exit).padEnd(34)} agreed [${e.agreed.join(',')}]` +
            ` qemu-dev ${r.qemu.deviations.length} v86-dev ${r.v86.deviations.length}` +
            ` instr ${e.instructions ?? '-'}${r.v86.instructionsJit !== null && r.v86.instructionsJit !== r.v86.instructions ? ` (JIT ${r.v86.instructionsJit}!)` : ''}\n`,
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
