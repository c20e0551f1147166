import { boot, type Env, type Genode_system, type RunResult } from '@genode-ts/genode-base';
import {
  type GenodeTraceRecord,
  type NovaGenodeKernel,
  novaKernel,
  type X86VcpuEngine,
  x86VcpuEngine,
} from '@genode-ts/kernel-nova';
import {
  type Exit_dispatcher_options,
  type Guest_image,
  LoaderError,
  Vmm,
  type Vmm_trace,
  VmmError,
} from '@genode-ts/vmm';
import { Demo_tracer } from './demo-tracer.js';
import { type Layout_entry, vmmLayout } from './layout.js';

/** What to boot and how. */
export interface Guest_run_options {
  readonly guest: Guest_image;
  /** Guest RAM in bytes. */
  readonly ram: number;
  readonly colocated: boolean;
  readonly cpus: number;
  /** COM1 input queued before the guest starts. */
  readonly input?: string;
  /** Runaway budget in guest instructions without an exit. */
  readonly budgetInstructions: number;
  /** Keep the seed's chain for this many NPT faults (`--trace npt`). */
  readonly nptChains?: number;
  /** Each kept record of those chains, as it happens. */
  readonly onNptRecord?: (r: GenodeTraceRecord) => void;
  /** VMM-level traces (`--trace exits`, `--trace io`). */
  readonly trace?: Vmm_trace;
  /** Each byte the guest's UARTs transmit, as it comes. */
  readonly onSerial?: (byte: number) => void;
  /** VMM messages. */
  readonly onLog?: (line: string) => void;
  /** Watch the exit handlers' MTD discipline (tests): `true` throws on a violation. */
  readonly strict?: boolean | Exit_dispatcher_options;
  /** The vCPU engine (default: a fresh `x86VcpuEngine()`); benchmarks read its counters during the run. */
  readonly engine?: X86VcpuEngine;
  /** Largest NPT block the VMM delegates, log2 (benchmarks: 12 = page by page). */
  readonly nptBlockLimitLog2?: number;
  /** Called after every slice of virtual time the system ran (the demo flushes output there). */
  readonly onSlice?: () => void;
  /** Performance clock for the wall time (default: none, wall time 0). */
  readonly wallClock?: () => number;
  /** Host input may still come during the run (the VMM waits for it instead of stopping as idle). */
  readonly interactive?: boolean;
  /** Called once the VMM exists (before the guest runs): to queue input or stop it from callbacks. */
  readonly onVmm?: (vmm: Vmm) => void;
}

/** Why a run could not start: the guest image or the configuration. */
export type Guest_run_failure = LoaderError | VmmError;

/** The outcome of a run. */
export interface Guest_run {
  readonly vmm: Vmm | undefined;
  /** Set when the VMM refused to start (bad image, impossible configuration). */
  readonly failure: Guest_run_failure | undefined;
  readonly system: Genode_system;
  readonly kernel: NovaGenodeKernel;
  readonly engine: X86VcpuEngine;
  readonly tracer: Demo_tracer;
  readonly run: RunResult;
  /** Guest instructions retired (all vCPUs). */
  readonly instructions: number;
  /** Virtual time at the end, µs. */
  readonly virtualUs: number;
  /** Wall time of the run (construction and execution), ms. */
  readonly wallMs: number;
  /** The VMM's address space as core holds it. */
  readonly layout: readonly Layout_entry[];
  /** Genode's log (core, init, the VMM's `env.log`). */
  readonly log: readonly string[];
}

const MIB = 1 << 20;
/** Virtual time per run slice: 10 ms. */
export const SLICE_US = 10_000;

/** A booted system whose VM runs slice by slice ({@link startGuest}). */
export interface Guest_session {
  /**
   * Runs one slice of virtual time ({@link SLICE_US}); returns the kernel's reason: `time` while
   * the VM runs, `until` when it stopped (or failed to start), `quiescent` when nothing can run
   * (a vCPU waits for host input).
   */
  step(): RunResult['reason'];
  /** Whether the VM stopped or never started. */
  finished(): boolean;
  /** The VMM, once created. */
  vmm(): Vmm | undefined;
  /** The outcome so far (call once the session is over). */
  result(): Guest_run;
}

/**
 * Boots a Genode system on `novaKernel({ vcpuEngine: x86VcpuEngine() })` with one component, the
 * VMM, and returns a session that runs it slice by slice (for a host loop that also serves input).
 */
export function startGuest(o: Guest_run_options): Guest_session {
  const engine = o.engine ?? x86VcpuEngine();
  const tracer = new Demo_tracer(o.nptChains ?? 0, o.onNptRecord);
  let kernel: NovaGenodeKernel | undefined;
  // The machine: guest RAM, the VMM's own needs, core, and a kernel pool sized for the page
  // tables and UTCBs of this scenario.
  const kernelMemory = 16 * MIB;
  const ramBytes = o.ram + 48 * MIB + kernelMemory;
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const system = boot({
    kernel: novaKernel({ vcpuEngine: engine, trace: tracer, kernelMemory, onBoot: (k) => (kernel = k) }),
    ramBytes,
  });
  let vmm: Vmm | undefined;
  let failure: Guest_run_failure | undefined;
  let vmmEnv: Env | undefined;
  system.start({
    name: 'vmm',
    ram: o.ram + 24 * MIB,
    caps: 4000,
    component: {
      *construct(env) {
        vmmEnv = env;
        try {
          vmm = yield* Vmm.create(env, {
            ram: o.ram,
            guest: o.guest,
            colocated: o.colocated,
            cpus: o.cpus,
            // 1 GHz virtual TSC: ticks per instruction / 1000 = µs per instruction
            runawayUs: Math.max(1, Math.ceil((o.budgetInstructions * engine.ticksPerInstruction) / 1000)),
            ...(o.input !== undefined ? { input: o.input } : {}),
            ...(o.interactive === true ? { interactive: true } : {}),
            ...(o.nptBlockLimitLog2 !== undefined ? { nptBlockLimitLog2: o.nptBlockLimitLog2 } : {}),
            ...(o.onSerial !== undefined ? { onSerial: o.onSerial } : {}),
            ...(o.onLog !== undefined ? { log: o.onLog } : {}),
            ...(o.trace !== undefined ? { trace: o.trace } : {}),
            ...(o.strict !== undefined && o.strict !== false
              ? { strict: o.strict === true ? true : { ...o.strict, strict: true } }
              : {}),
          });
        } catch (e) {
          if (e instanceof LoaderError || e instanceof VmmError) failure = e;
          else throw e;
        }
        if (vmm !== undefined) o.onVmm?.(vmm);
      },
    },
  });
  const until = () => failure !== undefined || vmm?.result() !== undefined;
  let run: RunResult | undefined;
  return {
    step() {
      run = system.run({ until, maxTime: system.kernel.now() + SLICE_US });
      o.onSlice?.();
      return run.reason;
    },
    finished: until,
    vmm: () => vmm,
    result() {
      const wallMs = wall() - t0;
      const instructions = engine.vcpus.reduce((n, v) => n + v.stats.instructions, 0);
      const pdId = vmmEnv?.pd().native_pd()?.id;
      const layout = pdId === undefined ? [] : vmmLayout(system, pdId, vmm);
      return {
        vmm,
        failure,
        system,
        kernel: kernel!,
        engine,
        tracer,
        run: run ?? system.run({ until, maxTime: system.kernel.now() }),
        instructions,
        virtualUs: system.kernel.now(),
        wallMs,
        layout,
        log: system.log,
      };
    },
  };
}

/**
 * Boots a Genode system on `novaKernel({ vcpuEngine: x86VcpuEngine() })` with one component, the
 * VMM, and runs it until the VM stops (or nothing can run any more).
 */
export function runGuest(o: Guest_run_options): Guest_run {
  const session = startGuest(o);
  // Run in slices of virtual time, so that the host sees output as it comes.
  while (session.step() === 'time') {}
  return session.result();
}
