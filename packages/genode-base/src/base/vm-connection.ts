import { VM_SESSION_QUOTA } from '../core/session-quota.js';
import type { Vm_attach_attr, Vm_attach_result } from '../core/vm-session-component.js';
import { GenodeError } from '../errors.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import type {
  GuestDelegation,
  KernelVcpu,
  KernelVm,
  VcpuExit,
  VcpuExitReply,
  VcpuOptions,
} from '../kernel/kernel.js';
import { createVcpuState, MTD, type VcpuState } from '../kernel/vcpu-state.js';
import { invoke, type Maybe_blocking } from './blocking-util.js';
import type { Entrypoint } from './entrypoint.js';
import type { Env } from './env.js';
import { rpc_call } from './rpc.js';
import { Vcpu_state } from './vcpu-state.js';

/**
 * `Genode::Vm_connection` (modern VM session): a virtual machine with a guest-physical address
 * space and vCPUs. Guest memory is attached eagerly from dataspaces (`attach`), or — in the
 * colocated mode of the 2013–2020 `Vcpu_same_pd` — the guest space is the VMM's own PD and is
 * populated by delegations from the VMM's address space in exit replies ({@link Vcpu.delegate}).
 */
export class Vm_connection {
  readonly env: Env;
  readonly #cap: Capability;
  readonly #vm: KernelVm;

  constructor(env: Env, options: { label?: string; colocated?: boolean } = {}) {
    this.env = env;
    this.#cap = env.session('VM', options.label ?? '', VM_SESSION_QUOTA, {
      vmm_pd: env.pd_session_cap(),
      colocated: options.colocated ?? false,
    });
    this.#vm = rpc_call<KernelVm>(env, this.#cap, 'kernel_vm');
  }

  /** The session capability. */
  cap(): Capability {
    return this.#cap;
  }

  /** Whether the guest space is the VMM's own PD. */
  colocated(): boolean {
    return this.#vm.colocated;
  }

  /** The kernel VM (for kernel-level inspection). */
  kernel_vm(): KernelVm {
    return this.#vm;
  }

  /**
   * Map `ds` at guest-physical `guest_phys` (`Vm_session::attach`): throws `Region_conflict`
   * (unaligned, overlapping, past the dataspace) or `Invalid_dataspace`.
   */
  attach(ds: Capability, guest_phys: number, attr: Vm_attach_attr = {}): void {
    const r = rpc_call<Vm_attach_result>(this.env, this.#cap, 'attach', ds, guest_phys, attr);
    if (r === 'REGION_CONFLICT')
      throw new GenodeError('Region_conflict', `guest attach at 0x${guest_phys.toString(16)}`);
    if (r === 'INVALID_DATASPACE') throw new GenodeError('Invalid_dataspace', 'guest attach');
  }

  /** Remove guest attachments overlapping `[guest_phys, guest_phys+size)`. */
  detach(guest_phys: number, size: number): void {
    rpc_call(this.env, this.#cap, 'detach', guest_phys, size);
  }

  /** Used by {@link Vcpu}. */
  create_vcpu(options: VcpuOptions): KernelVcpu {
    return rpc_call(this.env, this.#cap, 'create_vcpu', options);
  }

  /** Close the session: vCPUs and the VM are destroyed. */
  close(): void {
    this.env.close(this.#cap);
  }
}

/** Options of {@link Vcpu}. */
export interface Vcpu_options {
  /** Entrypoint whose context handles exits (default `env.ep()`). */
  readonly ep?: Entrypoint;
  /** MTD of the exit portal per reason (default `Mtd::ALL` for every exit). */
  readonly exit_mtd?: (reason: number) => number;
  /** Start the vCPU at once (default true): the first exit is STARTUP (0xfe). */
  readonly start?: boolean;
}

/** A delegation request from the VMM's address space into the guest (colocated mode). */
export interface Vcpu_delegation {
  /** VMM-local address (aligned to `2^log2`). */
  readonly local: number;
  /** Guest-physical address (aligned to `2^log2`). */
  readonly guest_phys: number;
  readonly log2: number;
  readonly writeable?: boolean;
  readonly executable?: boolean;
}

/**
 * `Genode::Vm_connection::Vcpu`: a virtual CPU whose exits invoke `handler`. Inside the handler
 * the VMM calls {@link Vcpu.with_state}: the function sees a {@link Vcpu_state}, charges what it
 * changes, and returns whether the vCPU shall resume. A handler may block (it is a generator);
 * the vCPU stays stopped until it returns.
 */
export class Vcpu {
  readonly vm: Vm_connection;
  readonly #kvcpu: KernelVcpu;
  readonly #handler: Maybe_blocking<[Vcpu]>;
  #exit: VcpuExit | null = null;
  #state: Vcpu_state | null = null;
  /** The exit handler's state object, created at the first exit and reused. */
  #exitState: Vcpu_state | null = null;
  #last: VcpuState | null = null;
  #resume = false;
  #paused = true;
  #delegations: GuestDelegation[] = [];
  /** Number of exits handled so far. */
  exits = 0;

  constructor(vm: Vm_connection, handler: Maybe_blocking<[Vcpu]>, options: Vcpu_options = {}) {
    this.vm = vm;
    this.#handler = handler;
    const ep = options.ep ?? vm.env.ep();
    this.#kvcpu = vm.create_vcpu({
      handler: ep.kernel_ep,
      exitMtd: options.exit_mtd ?? (() => MTD.ALL),
      onExit: (exit) => this.#on_exit(exit),
    });
    if (options.start !== false) this.run();
  }

  /** The kernel vCPU. */
  kernel_vcpu(): KernelVcpu {
    return this.#kvcpu;
  }

  /** The exit reason being handled, or undefined outside the handler. */
  exit_reason(): number | undefined {
    return this.#exit?.reason;
  }

  *#on_exit(exit: VcpuExit): Blocking<VcpuExitReply> {
    this.exits++;
    this.#exit = exit;
    this.#paused = false;
    // One Vcpu_state per vCPU, reloaded at each exit (as Genode's lives in its Vcpu).
    if (this.#exitState === null) this.#exitState = new Vcpu_state(exit.state);
    else this.#exitState.load(exit.state);
    this.#state = this.#exitState;
    this.#resume = false;
    this.#delegations = [];
    try {
      yield* invoke(this.#handler, this);
    } finally {
      this.#exit = null;
    }
    const state = this.#state;
    const mtd = state.charged_mtd();
    state.write_to(exit.state);
    this.#last = exit.state;
    this.#state = null;
    this.#paused = !this.#resume;
    return { mtd, resume: this.#resume, delegations: this.#delegations };
  }

  /**
   * Access the vCPU state. In the exit handler: the state of the exit; `fn` returns whether
   * to resume. Outside (the vCPU paused itself by not resuming): the state of the last exit;
   * returning true resumes with the charged registers. Throws if the vCPU is running.
   */
  with_state(fn: (state: Vcpu_state) => boolean): void {
    if (this.#state !== null) {
      this.#resume = fn(this.#state);
      return;
    }
    if (!this.#paused || this.#last === null) {
      throw new GenodeError(
        'Invalid_argument',
        'with_state outside the handler needs a paused vCPU (recall it first)',
      );
    }
    const state = new Vcpu_state(this.#last);
    if (!fn(state)) return;
    const k = createVcpuState();
    state.write_to(k);
    this.#paused = false;
    this.vm.env.kernel.runVcpu(this.#kvcpu, { state: k, mtd: state.charged_mtd() });
  }

  /**
   * Add a delegation from the VMM's address space into the guest to the reply of the exit being
   * handled (NOVA: a memory item with the G flag; `Vcpu_same_pd`'s way to provide guest RAM).
   */
  delegate(d: Vcpu_delegation): void {
    if (this.#exit === null) throw new GenodeError('Invalid_argument', 'delegate() outside the exit handler');
    this.#delegations.push({
      virt: d.local,
      gpa: d.guest_phys,
      log2: d.log2,
      rights: { write: d.writeable ?? true, exec: d.executable ?? true },
    });
  }

  /** Start the vCPU (first exit: STARTUP). */
  run(): void {
    this.vm.env.kernel.runVcpu(this.#kvcpu);
  }

  /** Request a RECALL exit (0xff) at the next opportunity. */
  recall(): void {
    this.vm.env.kernel.recallVcpu(this.#kvcpu);
  }
}
