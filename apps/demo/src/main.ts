import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { formatGenodeTrace } from '@genode-ts/kernel-nova';
import { LoaderError, pcMemoryMap, planGuest, VmmError } from '@genode-ts/vmm';
import { type DemoOptions, parseArgs, USAGE, UsageError } from './args.js';
import { exitStatus, formatReport } from './report.js';
import { runGuest } from './run-guest.js';

/** The bundled guest (apps/demo/guests/demo.bin) and the RAM it needs. */
export const BUNDLED_GUEST: string = fileURLToPath(new URL('../guests/demo.bin', import.meta.url));
/** Guest RAM for the bundled guest without `--memory` (what it needs). */
export const BUNDLED_GUEST_MIB = 16;
/** Guest RAM for `--guest` without `--memory`. */
export const DEFAULT_MEMORY_MIB = 64;
const MIB = 1024 * 1024;
/** How many NPT faults `--trace npt` follows step by step. */
export const TRACED_NPT_FAULTS = 4;

/** Where the demo writes: guest serial bytes to `out` (stdout), everything else to `err`. */
export type Sink = (s: string | Uint8Array) => void;

/** What the demo needs from the host (replaceable in tests). */
export interface Demo_host {
  readonly readFile: (path: string) => Uint8Array;
  readonly now: () => number;
}

const NODE_HOST: Demo_host = { readFile: (p) => readFileSync(p), now: () => performance.now() };

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/**
 * Entry point of `genode-ts-demo`: boots the guest in the VMM on NOVA on x86-core. Guest serial
 * output goes to `out` byte for byte as it comes; VMM messages, traces and the report to `err`.
 * Returns the exit status (0 clean debug exit, 1 the guest failed, 2 a wrong command line, an
 * unreadable file or an image the loader refuses).
 */
export function main(argv: readonly string[], out: Sink, err: Sink, host: Demo_host = NODE_HOST): number {
  let opts: DemoOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`genode-ts-demo: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  const file = opts.guest ?? BUNDLED_GUEST;
  let image: Uint8Array;
  try {
    image = host.readFile(file);
  } catch (e) {
    const why = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : String(e);
    err(`genode-ts-demo: cannot read ${file}: ${why}\n`);
    return 2;
  }
  const memoryMiB = opts.memoryMiB ?? (opts.guest === undefined ? BUNDLED_GUEST_MIB : DEFAULT_MEMORY_MIB);
  const name = opts.guest === undefined ? 'the bundled guest (demo.bin)' : basename(file);
  // A bad image is refused before anything boots (the VMM checks it again when it loads it).
  try {
    planGuest(pcMemoryMap(memoryMiB * MIB), { kind: 'auto', image });
  } catch (e) {
    if (!(e instanceof LoaderError)) throw e;
    err(`genode-ts-demo: cannot load ${file}: ${e.code}: ${oneLine(e.message)}\n`);
    return 2;
  }
  const mode = opts.separatePd
    ? 'in a PD of its own (Vcpu_other_pd)'
    : 'colocated with the VMM (Vcpu_same_pd)';
  err(
    `genode-ts-demo: booting ${name} with ${memoryMiB} MiB of RAM and ${opts.cpus} vCPU${opts.cpus === 1 ? '' : 's'}, ${mode}, on NOVA on x86-core\n`,
  );
  // Guest output: byte for byte, flushed at every newline and at the end of every slice of
  // virtual time (10 ms), so a line appears when the guest finishes it.
  let pending: number[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    out(Uint8Array.from(pending));
    pending = [];
  };
  const run = runGuest({
    guest: { kind: 'auto', image },
    ram: memoryMiB * MIB,
    colocated: !opts.separatePd,
    cpus: opts.cpus,
    budgetInstructions: opts.budgetM * 1_000_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    nptChains: opts.trace.includes('npt') ? TRACED_NPT_FAULTS : 0,
    onNptRecord: (r) => err(`npt: ${formatGenodeTrace(r).split('\n').join('\nnpt: ')}\n`),
    onSerial: (b) => {
      pending.push(b);
      if (b === 0x0a || pending.length >= 4096) flush();
    },
    onSlice: flush,
    onLog: (l) => {
      flush();
      err(`vmm: ${l}\n`);
    },
    ...(opts.trace.includes('exits') || opts.trace.includes('io')
      ? {
          trace: {
            exits: opts.trace.includes('exits'),
            io: opts.trace.includes('io'),
            line: (l: string) => err(`trace: ${l}\n`),
          },
        }
      : {}),
    wallClock: host.now,
  });
  if (run.failure !== undefined) {
    const f = run.failure;
    const what =
      f instanceof LoaderError ? 'cannot load' : f instanceof VmmError ? 'cannot run' : 'cannot start';
    for (const l of run.log) if (l.includes('Error')) err(`${l}\n`);
    err(`genode-ts-demo: ${what} ${name}: ${f.code}: ${oneLine(f.message)}\n`);
    return 2;
  }
  const vmm = run.vmm;
  // A VM that never stopped: Genode's log says why (a failed component, a failed exit handler)
  if (vmm?.result() === undefined) for (const l of run.log) if (l.includes('Error')) err(`${l}\n`);
  if (vmm !== undefined && opts.trace.includes('npt')) {
    const more = run.tracer.nptExits - Math.min(run.tracer.nptExits, TRACED_NPT_FAULTS);
    err(
      `npt: (the first ${Math.min(run.tracer.nptExits, TRACED_NPT_FAULTS)} NPT faults; ${more} more not traced)\n`,
    );
  }
  err(`\n${formatReport(run).join('\n')}\n`);
  return exitStatus(vmm?.result());
}
