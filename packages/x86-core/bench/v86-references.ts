/**
 * The other references next to v86 (v86-runner.ts) for recording the guests' expected results:
 * QEMU (TCG) and Bochs, each run as a child process on a Multiboot a.out-kludge guest.
 *
 * - QEMU 7.2: `qemu-system-i386 -accel tcg -m <MiB> -no-reboot -kernel <guest> -serial stdio
 *   -display none -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04`; the exit status
 *   is value << 1 | 1 after a write to port 0xf4, 0 after a triple fault (-no-reboot).
 * - Bochs 2.7 (Debian): it has no -kernel, so `guests/tools/bochs-boot.asm` (assembled here with
 *   nasm) is put in front of the guest on a 1.44 MB floppy; COM1 goes to a file; the debug-exit
 *   value is read from Bochs's log line for the unmapped port 0xf4, a halt with IF = 0 and the
 *   "3rd exception with no resolution" panic (reset_on_triple_fault=0) end the run. Bochs cannot
 *   feed serial input, so guests that need input are not run on it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How a reference run ended. */
export type ReferenceExit =
  | { readonly kind: 'debug-exit'; readonly value: number }
  | { readonly kind: 'triple-fault' }
  | { readonly kind: 'runaway' }
  | { readonly kind: 'halted' }
  | { readonly kind: 'crash'; readonly message: string };

/** One reference run. */
export interface ReferenceRun {
  readonly serial: string;
  readonly exit: ReferenceExit;
}

/** What a reference needs to know about a guest. */
export interface ReferenceGuest {
  readonly binary: string;
  readonly memoryMiB: number;
  readonly input?: string;
  readonly timeoutMs: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** `qemu-system-i386 --version`'s version, or `unavailable`. */
export function qemuVersion(): string {
  const r = spawnSync(process.env.QEMU ?? 'qemu-system-i386', ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unavailable';
}

/** `bochs --help`'s version line, or `unavailable`. */
export function bochsVersion(): string {
  const r = spawnSync('bochs', ['--help'], { encoding: 'utf8' });
  return /Bochs x86 Emulator (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unavailable';
}

/** The QEMU command line for a guest (also recorded in the expected files). */
export function qemuArgs(binary: string, memoryMiB: number): string[] {
  return [
    '-accel',
    'tcg',
    '-m',
    String(memoryMiB),
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
}

/** Runs a guest on QEMU. */
export function runQemu(g: ReferenceGuest): Promise<ReferenceRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.env.QEMU ?? 'qemu-system-i386', qemuArgs(g.binary, g.memoryMiB), {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, g.timeoutMs);
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', reject);
    p.on('close', (status) => {
      clearTimeout(t);
      const serial = Buffer.concat(chunks).toString('latin1');
      let exit: ReferenceExit;
      if (timedOut) exit = { kind: 'runaway' };
      else if (status !== null && (status & 1) === 1) exit = { kind: 'debug-exit', value: status >> 1 };
      else exit = { kind: 'triple-fault' };
      resolve({ serial, exit });
    });
    // stdin stays open: QEMU's stdio backend is the serial line's input.
    if (g.input !== undefined) p.stdin.write(Buffer.from(g.input, 'latin1'));
  });
}

let bootSector: Buffer | undefined;

function bochsBootSector(): Buffer {
  if (bootSector) return bootSector;
  const dir = mkdtempSync(join(tmpdir(), 'bochs-boot-'));
  const out = join(dir, 'boot.bin');
  const r = spawnSync('nasm', ['-f', 'bin', '-o', out, join(here, '../guests/tools/bochs-boot.asm')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`nasm failed on bochs-boot.asm: ${r.stderr}`);
  bootSector = readFileSync(out);
  rmSync(dir, { recursive: true, force: true });
  return bootSector;
}

const FLOPPY = 1474560;

/**
 * Runs a guest on Bochs (see the module comment). A run that stalls (seen now and then: Bochs stops
 * making progress early, before or right after the first serial line) is retried up to `retries`
 * times when the guest is not expected to run away.
 */
export async function runBochs(g: ReferenceGuest, expectRunaway = false, retries = 2): Promise<ReferenceRun> {
  for (let attempt = 0; ; attempt++) {
    const r = await runBochsOnce(g);
    if (r.exit.kind !== 'runaway' || expectRunaway || attempt >= retries) return r;
    process.stderr.write(`bochs: ${g.binary} stalled, retrying\n`);
  }
}

function runBochsOnce(g: ReferenceGuest): Promise<ReferenceRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bochs-run-'));
  const kernel = readFileSync(g.binary);
  const sectors = Math.ceil(kernel.length / 512);
  if (1 + sectors > 2880) throw new Error(`${g.binary}: too big for the Bochs floppy`);
  const image = Buffer.alloc(FLOPPY);
  bochsBootSector().copy(image, 0);
  image.writeUInt16LE(sectors, 0x1fc);
  kernel.copy(image, 512);
  writeFileSync(join(dir, 'floppy.img'), image);
  const com1 = join(dir, 'com1.txt');
  const log = join(dir, 'bochs.log');
  writeFileSync(
    join(dir, 'bochsrc'),
    [
      `megs: ${g.memoryMiB}`,
      'romimage: file=/usr/share/bochs/BIOS-bochs-latest',
      'vgaromimage: file=/usr/share/vgabios/vgabios.bin',
      `floppya: 1_44=${join(dir, 'floppy.img')}, status=inserted`,
      'boot: floppy',
      `com1: enabled=1, mode=file, dev=${com1}`,
      'display_library: rfb, options="timeout=0"',
      'speaker: enabled=0',
      'sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy',
      `log: ${log}`,
      'panic: action=fatal',
      'error: action=report',
      'info: action=report',
      'debug: action=ignore, unmapped=report',
      'clock: sync=none, time0=1',
      'cpu: reset_on_triple_fault=0',
      '',
    ].join('\n'),
  );
  // Debian's Bochs starts in its debugger: "c" continues.
  writeFileSync(join(dir, 'debugger.rc'), 'c\n');
  return new Promise((resolve, reject) => {
    const p = spawn('bochs', ['-q', '-f', join(dir, 'bochsrc'), '-rc', join(dir, 'debugger.rc')], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    let exit: ReferenceExit | undefined;
    const started = Date.now();
    const outcome = (): ReferenceExit | undefined => {
      const text = existsSync(log) ? readFileSync(log, 'latin1') : '';
      const f4 = /unmapped: 8-bit write to 00f4 = ([0-9a-f]{2})/.exec(text);
      if (f4?.[1]) return { kind: 'debug-exit', value: Number.parseInt(f4[1], 16) };
      if (/3rd \(\d+\) exception with no resolution/.test(text)) return { kind: 'triple-fault' };
      if (/HLT instruction with IF=0/.test(text)) return { kind: 'halted' };
      return undefined;
    };
    const poll = setInterval(() => {
      exit = outcome();
      if (!exit && Date.now() - started > g.timeoutMs) exit = { kind: 'runaway' };
      if (exit) {
        clearInterval(poll);
        // Let a last UART byte reach the file.
        setTimeout(() => p.kill('SIGKILL'), 200);
      }
    }, 100);
    p.on('error', (e) => {
      clearInterval(poll);
      reject(e);
    });
    p.on('close', (code) => {
      clearInterval(poll);
      exit ??= outcome() ?? { kind: 'crash', message: `bochs exited with ${code}` };
      const serial = existsSync(com1) ? readFileSync(com1, 'latin1') : '';
      rmSync(dir, { recursive: true, force: true });
      resolve({ serial, exit });
    });
  });
}
