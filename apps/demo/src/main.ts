import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { formatGenodeTrace } from '@genode-ts/kernel-nova';
import {
  detectGuestFormat,
  type Guest_image,
  LoaderError,
  pcMemoryMap,
  planGuest,
  VmmError,
} from '@genode-ts/vmm';
import {
  DEFAULT_BUDGET_M,
  type DemoOptions,
  LINUX_BUDGET_M,
  LINUX_DEFAULT_CMDLINE,
  parseArgs,
  USAGE,
  UsageError,
} from './args.js';
import { exitStatus, formatReport } from './report.js';
import {
  type Guest_run,
  type Guest_run_options,
  type Guest_session,
  runGuest,
  startGuest,
} from './run-guest.js';

/** The bundled guest (apps/demo/guests/demo.bin) and the RAM it needs. */
export const BUNDLED_GUEST: string = fileURLToPath(new URL('../guests/demo.bin', import.meta.url));
/** Guest RAM for the bundled guest without `--memory` (what it needs). */
export const BUNDLED_GUEST_MIB = 16;
/** Guest RAM for `--guest` without `--memory`. */
export const DEFAULT_MEMORY_MIB = 64;
/** Guest RAM for a bzImage without `--memory` (what spec/linux-boot.md measured with). */
export const LINUX_MEMORY_MIB = 128;
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

/**
 * The host's input for an interactive run (the CLI's stdin): bytes as they come, end of file, and
 * the quit key (Ctrl-A x on a terminal).
 */
export interface Host_input {
  start(handlers: { data: (bytes: Uint8Array) => void; end: () => void; quit: () => void }): void;
  /** Stops reading and restores the terminal. */
  stop(): void;
}

/** A host that serves input while the guest runs ({@link mainInteractive}). */
export interface Interactive_host extends Demo_host {
  readonly input: Host_input;
  /** Waits `ms` of wall time (or until the next turn of the event loop for 0). */
  readonly sleep: (ms: number) => Promise<void>;
}

const NODE_HOST: Demo_host = { readFile: (p) => readFileSync(p), now: () => performance.now() };

/** A prepared run: everything checked, the guest not yet booted. */
interface Prepared {
  readonly options: Guest_run_options;
  readonly finish: (run: Guest_run) => number;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

function prepare(argv: readonly string[], out: Sink, err: Sink, host: Demo_host): number | Prepared {
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
  let initrd: Uint8Array | undefined;
  if (opts.initrd !== undefined) {
    try {
      initrd = host.readFile(opts.initrd);
    } catch (e) {
      const why = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : String(e);
      err(`genode-ts-demo: cannot read ${opts.initrd}: ${why}\n`);
      return 2;
    }
  }
  const linux = detectGuestFormat(image) === 'linux';
  const memoryMiB =
    opts.memoryMiB ??
    (opts.guest === undefined ? BUNDLED_GUEST_MIB : linux ? LINUX_MEMORY_MIB : DEFAULT_MEMORY_MIB);
  const name = opts.guest === undefined ? 'the bundled guest (demo.bin)' : basename(file);
  const cmdline = opts.cmdline ?? (linux ? LINUX_DEFAULT_CMDLINE : undefined);
  const guest: Guest_image = {
    kind: 'auto',
    image,
    ...(cmdline !== undefined ? { cmdline } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
  };
  // A bad image is refused before anything boots (the VMM checks it again when it loads it).
  try {
    planGuest(pcMemoryMap(memoryMiB * MIB), guest);
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
  const options: Guest_run_options = {
    guest,
    ram: memoryMiB * MIB,
    colocated: !opts.separatePd,
    cpus: opts.cpus,
    budgetInstructions: (opts.budgetM ?? (linux ? LINUX_BUDGET_M : DEFAULT_BUDGET_M)) * 1_000_000,
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
  };
  const finish = (run: Guest_run): number => {
    flush();
    return report(run, opts, name, err);
  };
  return { options, finish };
}

function report(run: Guest_run, opts: DemoOptions, name: string, err: Sink): number {
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

/**
 * Entry point of `genode-ts-demo`: boots the guest in the VMM on NOVA on x86-core. Guest serial
 * output goes to `out` byte for byte as it comes; VMM messages, traces and the report to `err`.
 * Returns the exit status (0 clean debug exit, 1 the guest failed, 2 a wrong command line, an
 * unreadable file or an image the loader refuses). Input comes only from `--input`.
 */
export function main(argv: readonly string[], out: Sink, err: Sink, host: Demo_host = NODE_HOST): number {
  const p = prepare(argv, out, err, host);
  if (typeof p === 'number') return p;
  return p.finish(runGuest(p.options));
}

/**
 * {@link main} with host input: the bytes of `host.input` (the CLI's stdin) go to COM1 while the
 * guest runs, and the guest waits for them when it idles. At end of input the VM behaves as
 * without input (an idle guest stops); the quit key stops the VM. Virtual time does not run
 * ahead of wall time (an idle guest does not spin the host), so guest timers keep wall-clock pace.
 */
export async function mainInteractive(
  argv: readonly string[],
  out: Sink,
  err: Sink,
  host: Interactive_host,
): Promise<number> {
  const p = prepare(argv, out, err, host);
  if (typeof p === 'number') return p;
  const queued: Uint8Array[] = [];
  let ended = false;
  let quit = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let session: Guest_session | undefined;
  const deliver = (): void => {
    const vmm = session?.vmm();
    if (vmm === undefined) return;
    for (const b of queued.splice(0)) vmm.input(b);
    if (ended) vmm.closeInput();
    if (quit) vmm.stop({ kind: 'stopped' });
  };
  session = startGuest({
    ...p.options,
    interactive: true,
    onVmm: (vmm) => {
      queueMicrotask(deliver);
      p.options.onVmm?.(vmm);
    },
  });
  host.input.start({
    data: (bytes) => {
      queued.push(bytes);
      deliver();
      poke();
    },
    end: () => {
      ended = true;
      deliver();
      poke();
    },
    quit: () => {
      quit = true;
      deliver();
      poke();
    },
  });
  const t0 = host.now();
  let v0: number | undefined;
  let quietAfterEnd = false;
  try {
    for (;;) {
      const reason = session.step();
      deliver();
      if (session.finished()) break;
      if (reason === 'quiescent') {
        // a vCPU waits for input (or nothing can run): wait for the host; after the end of
        // input the idle vCPU was woken to stop the VM — quiet once more means nothing can run
        if (ended) {
          if (quietAfterEnd) break;
          quietAfterEnd = true;
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
        continue;
      }
      const vmm = session.vmm();
      const virtualMs = vmm === undefined ? 0 : vmm.nowUs() / 1000;
      v0 ??= virtualMs;
      const ahead = virtualMs - v0 - (host.now() - t0);
      await host.sleep(ahead > 1 ? Math.min(ahead, 100) : 0);
    }
  } finally {
    host.input.stop();
  }
  return p.finish(session.result());
}
