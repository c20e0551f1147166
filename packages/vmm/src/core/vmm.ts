import {
  type Blocking,
  Entrypoint,
  type Env,
  type KernelSemaphore,
  VCPU_EXIT,
  Vcpu,
  type Vcpu_state,
  Vm_connection,
} from '@genode-ts/genode-base';
import type { CpuidConfig, EmulationResult } from '@genode-ts/x86-core';
import type { DeviceRegistry } from '../device-api/device-registry.js';
import { PC_MACHINE_CONFIG, standardDevices } from '../devices/standard-devices.js';
import { Uart16550 } from '../devices/uart-16550.js';
import { VmmError } from '../errors.js';
import type { InitialCpuState } from '../loaders/cpu-state.js';
import { pcMemoryMap } from '../memory/pc-memory-map.js';
import { Motherboard } from '../motherboard.js';
import { type Backed_region, chooseNptBlock, type Npt_block } from '../npt/npt-block.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { PAGE_SIZE } from '../types.js';
import { Cpuid_model } from '../vcpu/cpuid-model.js';
import type { Exit_dispatcher, Exit_dispatcher_options } from '../vcpu/exit-dispatcher.js';
import type { Injection_tracker } from '../vcpu/injection.js';
import { type Vcpu_context, type Vmm_result, type Vmm_services, vmmExitDispatcher } from './exit-handlers.js';
import { exitName } from './exit-names.js';
import { Guest_emulator } from './guest-emulator.js';
import { type Guest_image, type Guest_plan, planGuest } from './guest-image.js';
import { Guest_memory } from './guest-memory.js';
import { Virtual_reservation } from './virtual-reservation.js';
import { Vmm_stats } from './vmm-stats.js';

/**
 * Default runaway budget: 200 ms of virtual time without any exit — 200 M guest instructions at
 * kernel-nova's default rate (1 GHz TSC, one tick per instruction).
 */
export const DEFAULT_RUNAWAY_US = 200_000;
/** Priority of the VMM's timer thread (above the vCPUs' default 64, so device events preempt guest code). */
export const VMM_TIMER_PRIORITY = 96;

/** What a VMM traces besides the kernel (`--trace exits`, `--trace io`). */
export interface Vmm_trace {
  /** One line per exit. */
  readonly exits?: boolean;
  /** One line per port access of an IOIO exit. */
  readonly io?: boolean;
  readonly line: (text: string) => void;
}

/** Options of {@link Vmm.create}. */
export interface Vmm_options {
  /** Bytes of guest RAM (page multiple). */
  readonly ram: number;
  /** The guest image. Checked (and rejected with a `LoaderError`) before anything is allocated. */
  readonly guest: Guest_image;
  /**
   * true (default): the VM shares the VMM's PD (`Vcpu_same_pd`, the seed) — needs a
   * {@link Virtual_reservation}; false: the VM gets a PD of its own (`Vcpu_other_pd`).
   */
  readonly colocated?: boolean;
  /** Number of vCPUs (default 1); vCPU 0 boots, the others wait for INIT/SIPI. */
  readonly cpus?: number;
  /** Device configuration (default `PC_MACHINE_CONFIG`). */
  readonly machine?: string;
  /** Device models to build the machine from (default `standardDevices()`). */
  readonly devices?: DeviceRegistry;
  /** Receives every byte a UART transmits (`device` is its instance name). */
  readonly onSerial?: (byte: number, device: string) => void;
  /** Bytes queued for COM1's receiver before the guest starts. */
  readonly input?: string | Uint8Array;
  /** Virtual µs a vCPU may run without any exit before the VM is stopped as a runaway. */
  readonly runawayUs?: number;
  /**
   * Whether input may still come from the host later (default false): without it, a guest that
   * halts with interrupts enabled and no timer armed is stopped as idle.
   */
  readonly interactive?: boolean;
  /** Watch every handler's register accesses against its MTD (tests; default false). */
  readonly strict?: boolean | Exit_dispatcher_options;
  /**
   * Largest NPT block to delegate, as log2 of its size (default: whatever the kernel delegates).
   * 12 maps page by page — Seoul's path without large blocks, for measuring the per-fault cost.
   */
  readonly nptBlockLimitLog2?: number;
  /** CPUID identity (default x86-core's). */
  readonly cpuid?: Partial<CpuidConfig>;
  /** VMM messages (default `env.log`). */
  readonly log?: (line: string) => void;
  readonly trace?: Vmm_trace;
  /** Label of the VM session. */
  readonly label?: string;
}

/** Where a vCPU is. */
export type Vcpu_run_state = 'created' | 'running' | 'handler' | 'idle' | 'parked' | 'stopped';

/** One vCPU of a {@link Vmm}: its dispatcher entrypoint, its Genode `Vcpu` and its exit context. */
export class Vmm_vcpu implements Vcpu_context {
  readonly index: number;
  readonly vmm: Vmm;
  readonly injection: Injection_tracker = { window: false };
  readonly msr: { miscEnable: bigint; tscOffset: bigint } = { miscEnable: 1n, tscOffset: 0n };
  readonly runawayUs: number;
  runaway = false;
  parked = false;
  emulationPending = false;
  recallPending = false;
  state: Vcpu_run_state = 'created';
  /** Virtual µs of the last exit (or of the last resume). */
  lastExitUs = 0;
  /** The dispatcher entrypoint (`Vcpu_dispatcher`). */
  readonly ep: Entrypoint;
  /** Genode's vCPU. */
  readonly vcpu: Vcpu;
  /** Wakes the vCPU from an idle HLT (host input, stop). */
  readonly wake: KernelSemaphore;
  #current: Vcpu | null = null;

  constructor(vmm: Vmm, index: number, dispatcher: Exit_dispatcher<Vcpu_context>) {
    this.vmm = vmm;
    this.index = index;
    this.runawayUs = vmm.runawayUs;
    const env = vmm.env;
    this.wake = env.kernel.createSemaphore(0);
    this.ep = new Entrypoint(env, 16 * 1024, `vcpu${index} dispatcher`);
    const self = this;
    this.vcpu = new Vcpu(
      vmm.vm,
      function* (vcpu: Vcpu) {
        let state: Vcpu_state | undefined;
        vcpu.with_state((s) => {
          state = s;
          return true;
        });
        self.#current = vcpu;
        const resume = yield* self.#exit(dispatcher, state!);
        self.#current = null;
        vcpu.with_state(() => resume);
      },
      { ep: this.ep, exit_mtd: (r) => dispatcher.mtd(r), start: false },
    );
  }

  *#exit(dispatcher: Exit_dispatcher<Vcpu_context>, state: Vcpu_state): Blocking<boolean> {
    const vmm = this.vmm;
    const reason = state.exit_reason;
    this.state = 'handler';
    vmm.stats.exit(this.index, reason);
    if (reason === VCPU_EXIT.RECALL) this.recallPending = false;
    else this.runaway = false;
    vmm.traceExit(this.index, reason);
    const resume = yield* dispatcher.dispatch(this, state);
    this.lastExitUs = vmm.nowUs();
    this.state = resume ? 'running' : this.parked ? 'parked' : 'stopped';
    if (resume) vmm.vcpuResumed();
    return resume;
  }

  /** Adds a G delegation of `block` to the reply of the exit being handled. */
  delegate(block: Npt_block): void {
    this.#current!.delegate({ local: block.local, guest_phys: block.gpa, log2: block.log2 });
  }

  /** Start the vCPU (its first exit is STARTUP). */
  start(): void {
    this.state = 'running';
    this.lastExitUs = this.vmm.nowUs();
    this.vcpu.run();
  }
}

/**
 * A virtual machine monitor on genode-base's VM session API — Seoul's structure with the seed's
 * memory path: the guest's RAM lives in RAM dataspaces ({@link Guest_memory}); a colocated VM
 * (the default) shares the VMM's protection domain behind a {@link Virtual_reservation}; every
 * vCPU has a dispatcher entrypoint with one handler per exit reason; NPT faults are resolved by
 * touching the VMM's backing page and delegating the largest co-aligned block with G; I/O and
 * MMIO reach the device models on the {@link Motherboard}; the device clock follows the kernel's
 * virtual time; interrupts from the PIC are injected through the vCPU's injection state.
 *
 * Kernel-agnostic: it runs on whatever kernel backend the application booted.
 *
 * @example
 * ```ts
 * system.start({ name: 'vmm', ram: 64 << 20, caps: 1000, component: { *construct(env) {
 *   vmm = yield* Vmm.create(env, { ram: 16 << 20, guest: { kind: 'auto', image }, onSerial: (b) => out(b) });
 * } } });
 * system.run({ until: () => vmm?.result() !== undefined });
 * ```
 */
export class Vmm implements Vmm_services {
  readonly env: Env;
  readonly options: Vmm_options;
  readonly plan: Guest_plan;
  readonly reservation: Virtual_reservation | undefined;
  readonly memory: Guest_memory;
  readonly vm: Vm_connection;
  readonly clock: VirtualClock;
  readonly board: Motherboard;
  readonly stats: Vmm_stats = new Vmm_stats();
  readonly cpuid: Cpuid_model;
  readonly emulator: Guest_emulator;
  readonly vcpus: Vmm_vcpu[] = [];
  readonly runawayUs: number;
  /** Whether the A20 gate is open (a closed gate is reported, not modelled). */
  a20 = true;
  /** Bytes the guest sent to UARTs. */
  serialBytes = 0;
  #result: Vmm_result | undefined;
  readonly #timerWake: KernelSemaphore;
  /** The timer thread waits on `#timerWake` (timed or not). */
  #timerWaiting = false;
  /**
   * The device deadline (ns) the waiting timer thread will handle when it wakes by itself, or its
   * wake-up time if that is earlier (Infinity: it waits without a timeout).
   */
  #timerPlanNs = Number.POSITIVE_INFINITY;
  readonly #log: (line: string) => void;
  #a20Warned = false;
  #interactive: boolean;

  private constructor(env: Env, options: Vmm_options, plan: Guest_plan) {
    this.env = env;
    this.options = options;
    this.plan = plan;
    this.runawayUs = options.runawayUs ?? DEFAULT_RUNAWAY_US;
    this.#log = options.log ?? ((l) => env.log(l));
    this.#interactive = options.interactive === true;
    this.cpuid = new Cpuid_model(options.cpuid);
    const colocated = options.colocated ?? true;
    // The seed: a colocated VM's guest-physical slots [PAGE_SIZE, vm_size) of the VMM's PD are
    // reserved before anything else of the VMM lands there.
    if (colocated) {
      const reservation = new Virtual_reservation(env, Math.ceil(options.ram / PAGE_SIZE) * PAGE_SIZE);
      if (!reservation.attached()) {
        reservation.destroy();
        throw new VmmError(
          'RESERVATION_CONFLICT',
          `cannot reserve guest-physical [0x${PAGE_SIZE.toString(16)}, 0x${options.ram.toString(16)}) in the VMM's address space (colocated mode)`,
        );
      }
      this.reservation = reservation;
    } else {
      this.reservation = undefined;
    }
    this.memory = new Guest_memory(env, { ram: options.ram });
    this.vm = new Vm_connection(env, { label: options.label ?? 'vm', colocated });
    this.clock = new VirtualClock(0);
    this.board = new Motherboard({ clock: this.clock });
    this.board.host.handle((m) => {
      switch (m.op) {
        case 'serial-output':
          this.serialBytes++;
          options.onSerial?.(m.byte, m.device);
          return true;
        case 'stop':
          this.stop({ kind: 'debug-exit', value: m.value });
          return true;
        case 'reset':
          this.stop({ kind: 'reset', reason: m.reason });
          return true;
        case 'a20':
          this.a20 = m.enabled;
          if (!m.enabled && !this.#a20Warned) {
            this.#a20Warned = true;
            this.log(
              'the guest closed the A20 gate: not modelled under nested paging (addresses are not wrapped)',
            );
          }
          return true;
        case 'memory-size':
          m.reply = this.memory.ram_size;
          return true;
      }
      return false;
    });
    (options.devices ?? standardDevices()).build(this.board, options.machine ?? PC_MACHINE_CONFIG);
    this.emulator = new Guest_emulator(
      {
        memory: this.memory,
        board: this.board,
        stats: this.stats,
        touch: (gpa, write) => this.#touch(gpa, write),
      },
      options.cpuid,
    );
    this.#timerWake = env.kernel.createSemaphore(0);
  }

  /**
   * Builds and starts a VM: checks and plans the guest image (a bad image throws `LoaderError`
   * before anything is allocated), reserves the guest-physical slots (colocated), allocates guest
   * memory, loads the guest, builds the machine, starts the VMM's timer thread and the vCPUs.
   * Runs in the VMM component's `construct` (loading may fault: it blocks).
   */
  static *create(env: Env, options: Vmm_options): Blocking<Vmm> {
    const cpus = options.cpus ?? 1;
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) {
      throw new VmmError('BAD_CONFIG', `${String(cpus)} vCPUs: 1 to 64 are possible`);
    }
    const ram = options.ram;
    if (!Number.isSafeInteger(ram) || ram < 2 * 1024 * 1024 || ram % PAGE_SIZE !== 0) {
      throw new VmmError('BAD_CONFIG', `guest RAM of ${String(ram)} bytes: at least 2 MiB in whole pages`);
    }
    const plan = planGuest(pcMemoryMap(ram), options.guest);
    const vmm = new Vmm(env, options, plan);
    yield* vmm.memory.load(plan.chunks);
    if (options.input !== undefined) vmm.input(options.input);
    const strict = options.strict;
    const dispatcher = vmmExitDispatcher(
      strict === true ? { strict: true } : strict === false || strict === undefined ? {} : strict,
    );
    for (let i = 0; i < cpus; i++) vmm.vcpus.push(new Vmm_vcpu(vmm, i, dispatcher));
    vmm.#startTimer();
    for (const v of vmm.vcpus) v.start();
    return vmm;
  }

  /** How the VM ended, once it has. */
  result(): Vmm_result | undefined {
    return this.#result;
  }

  /** Whether the VM has stopped. */
  stopped(): boolean {
    return this.#result !== undefined;
  }

  /** Stops the VM with `result` (the first result wins): running vCPUs are recalled and stay paused. */
  stop(result: Vmm_result): void {
    if (this.#result !== undefined) return;
    this.#result = result;
    for (const v of this.vcpus) {
      if (v.state === 'running') this.#recall(v);
      if (v.state === 'idle') this.env.kernel.semUp(v.wake);
    }
    this.#wakeTimer();
  }

  /** Queues `bytes` for COM1's receiver (they arrive at the programmed line rate). */
  input(bytes: string | Uint8Array): void {
    const uart = this.#uart();
    if (uart === undefined) throw new VmmError('BAD_CONFIG', 'the machine has no UART to receive input');
    uart.input(bytes);
    for (const v of this.vcpus) if (v.state === 'idle') this.env.kernel.semUp(v.wake);
    this.#wakeTimer();
  }

  /**
   * The host's input has ended (an `interactive` VM's stdin reached end of file): from now on a
   * vCPU that halts with nothing armed stops the VM as `idle`, as without `interactive`; a vCPU
   * already waiting for input is woken to see it.
   */
  closeInput(): void {
    if (!this.#interactive) return;
    this.#interactive = false;
    for (const v of this.vcpus) if (v.state === 'idle') this.env.kernel.semUp(v.wake);
    this.#wakeTimer();
  }

  #uart(): Uart16550 | undefined {
    for (const d of this.board.devices) if (d.model instanceof Uart16550) return d.model;
    return undefined;
  }

  /** The port-access trace (`trace.io`), or `undefined` when it is off. */
  get traceIo(): ((line: string) => void) | undefined {
    const t = this.options.trace;
    if (t?.io !== true) return undefined;
    return (l) => t.line(`[${this.nowUs()} us] ${l}`);
  }

  /** A VMM message. */
  log(line: string): void {
    this.#log(line);
  }

  /** The kernel's virtual time in µs. */
  nowUs(): number {
    return this.env.kernel.now();
  }

  /** Brings the device clock up to the kernel's virtual time (due device timers fire). */
  syncClock(): void {
    const ns = this.nowUs() * 1000;
    if (ns > this.clock.now()) this.clock.advanceTo(ns);
  }

  /** The backed region of guest-physical `gpa` ({@link Guest_memory.backed_region}); `undefined` = MMIO. */
  backedRegion(gpa: number): Backed_region | undefined {
    return this.memory.backed_region(gpa);
  }

  /** A VMM page fault on the page of guest-physical `gpa` in the window, resolved by core. */
  *#touch(gpa: number, write: boolean): Blocking<void> {
    const local = Math.floor(this.memory.local(gpa) / PAGE_SIZE) * PAGE_SIZE;
    const lm = this.env.rm().local;
    if (lm.probe(local, write ? 'write' : 'read') !== undefined) return;
    this.stats.vmmFaults++;
    if (write) yield* lm.write8(local, yield* lm.read8(local));
    else yield* lm.read8(local);
  }

  /**
   * Seoul's `max_map_crd`: makes the VMM's page of `gpa` present (a touch — a VMM page fault core
   * resolves — when `Nova::lookup` finds nothing), measures the VMM's own mapping around it, and
   * returns the largest co-aligned block inside the region and that mapping ({@link chooseNptBlock}).
   */
  *mapBlock(gpa: number, region: Backed_region): Blocking<Npt_block> {
    const lm = this.env.rm().local;
    const local = region.local + (gpa - region.gpa);
    const page = Math.floor(local / PAGE_SIZE) * PAGE_SIZE;
    // Seoul: look up the VMM's own mapping; if absent, touch it (core maps it) and look again
    if (lm.lookup(page) === undefined) {
      this.stats.vmmFaults++;
      yield* lm.read8(page);
    }
    const maxLog2 = Math.min(this.env.kernel.maxMapLog2, this.options.nptBlockLimitLog2 ?? 64);
    const bound = chooseNptBlock({ gpa, region, maxLog2 });
    // the VMM's mapping around the page, up to the bound: grow while every page is present
    let lo = page;
    let hi = page + PAGE_SIZE;
    for (let log2 = 13; log2 <= bound.log2; log2++) {
      const size = 2 ** log2;
      const base = Math.floor(page / size) * size;
      let complete = true;
      for (let p = base; p < base + size && complete; p += PAGE_SIZE) {
        if (p >= lo && p < hi) {
          p = hi - PAGE_SIZE;
          continue;
        }
        if (lm.lookup(p) === undefined) complete = false;
      }
      if (!complete) break;
      lo = base;
      hi = base + size;
    }
    return chooseNptBlock({ gpa, region, maxLog2, mapping: { virt: lo, size: hi - lo } });
  }

  /** Emulates the instruction at the state's CS:EIP ({@link Guest_emulator.step}). */
  emulate(state: Vcpu_state): Blocking<EmulationResult> {
    return this.emulator.step(state);
  }

  /** The boot vCPU's initial state. */
  get initialState(): InitialCpuState {
    return this.plan.cpu;
  }

  /**
   * A vCPU waits in HLT: sleeps (virtual time) until the next device deadline, or less when host
   * input or a stop comes first; without a deadline it blocks until host input or a stop
   * (`interactive`), or returns false (nothing can wake it).
   */
  *idle(ctx: Vcpu_context): Blocking<boolean> {
    const v = ctx as Vmm_vcpu;
    const deadline = this.clock.nextDeadline();
    if (deadline === undefined) {
      if (!this.#interactive) return false;
      this.#wakeTimer(); // it need not watch this vCPU any more: let it re-plan
    }
    const from = this.nowUs();
    const us =
      deadline === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(1, Math.ceil((deadline - from * 1000) / 1000));
    v.state = 'idle';
    yield* this.env.kernel.semDownTimed(v.wake, us);
    this.stats.haltedUs += this.nowUs() - from;
    v.state = 'handler';
    return !this.stopped();
  }

  /**
   * Called when a vCPU goes back to guest code. The timer thread must re-plan when it sleeps
   * without a timeout (it must now watch this vCPU), when the exit handler programmed a device
   * timer earlier than its wake-up, or when INTR is up (the boot vCPU may need a recall).
   */
  vcpuResumed(): void {
    if (!this.#timerWaiting) return;
    const d = this.clock.nextDeadline();
    if (
      this.#timerPlanNs === Number.POSITIVE_INFINITY ||
      (d !== undefined && d < this.#timerPlanNs) ||
      this.board.pins.intr
    ) {
      this.#wakeTimer();
    }
  }

  /** One line per exit when `trace.exits` is on. */
  traceExit(vcpu: number, reason: number): void {
    const t = this.options.trace;
    if (t?.exits === true) t.line(`[${this.nowUs()} us] vcpu${vcpu} exit ${exitName(reason)}`);
  }

  #recall(v: Vmm_vcpu): void {
    if (v.recallPending) return;
    v.recallPending = true;
    this.stats.recalls++;
    v.vcpu.recall();
  }

  #wakeTimer(): void {
    if (!this.#timerWaiting) return;
    this.#timerWaiting = false;
    this.env.kernel.semUp(this.#timerWake);
  }

  /**
   * The VMM's timer thread (Seoul's timer signal handler): at each device deadline it advances
   * the device clock, recalls the boot vCPU when the PIC raised INTR while the guest runs, and
   * watches the runaway budget of every running vCPU. It waits on a semaphore with a timeout at
   * the next of these events (without a timeout when nothing is armed and no vCPU runs); an exit
   * handler that programs an earlier device timer, host input, a resumed vCPU or a stop wakes it
   * early, so a device deadline is met to the microsecond of virtual time and the timer thread
   * never polls.
   */
  #startTimer(): void {
    const env = this.env;
    const self = this;
    const stack = env.alloc_stack('vmm timer', 16 * 1024);
    const t = env.cpu().create_thread(env.pd_session_cap(), {
      name: 'vmm timer',
      priority: VMM_TIMER_PRIORITY,
      body: function* () {
        try {
          yield* self.#timerLoop();
        } finally {
          env.free_stack(stack);
        }
      },
    });
    if (t === undefined) throw new VmmError('BAD_CONFIG', 'cannot create the VMM timer thread');
    env.cpu().start(t);
  }

  *#timerLoop(): Blocking<void> {
    const kernel = this.env.kernel;
    for (;;) {
      if (this.stopped()) return;
      this.syncClock();
      const now = this.nowUs();
      let wait = Number.POSITIVE_INFINITY;
      for (const v of this.vcpus) {
        if (v.state !== 'running') continue;
        if (v.index === 0 && this.board.pins.intr && !v.injection.window) this.#recall(v);
        const left = v.lastExitUs + this.runawayUs - now;
        if (left <= 0) {
          if (!v.runaway) {
            v.runaway = true;
            this.#recall(v);
          }
        } else {
          wait = Math.min(wait, left);
        }
      }
      const d = this.clock.nextDeadline();
      if (d !== undefined) wait = Math.min(wait, Math.ceil((d - now * 1000) / 1000));
      if (this.stopped()) return;
      this.#timerWaiting = true;
      if (wait === Number.POSITIVE_INFINITY) {
        this.#timerPlanNs = Number.POSITIVE_INFINITY;
        yield* kernel.semDown(this.#timerWake);
      } else {
        wait = Math.max(1, wait);
        this.#timerPlanNs = Math.min(d ?? Number.POSITIVE_INFINITY, (now + wait) * 1000);
        if (!(yield* kernel.semDownTimed(this.#timerWake, wait))) this.#timerWaiting = false;
      }
    }
  }
}
