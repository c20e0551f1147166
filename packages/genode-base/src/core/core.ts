import type { Fault_type } from '../base/region-map.js';
import { GenodeError } from '../errors.js';
import type { Capability } from '../kernel/capability.js';
import type {
  BootedKernel,
  CoreUpcalls,
  Kernel,
  KernelPd,
  KernelThread,
  PageFault,
  PagerReply,
  RegionMapWalkStep,
  ThreadOutcome,
} from '../kernel/kernel.js';
import type { MachineDescription } from '../kernel/memory.js';
import { alignUp } from '../page.js';
import { DATASPACE_OPS, Dataspace_component } from './dataspace-component.js';
import { Pd_session_component } from './pd-session-component.js';
import { Phys_allocator } from './phys-allocator.js';
import { Region_map_component } from './region-map-component.js';
import { Rm_faulter } from './rm-faulter.js';
import { Rm_session_component } from './rm-session-component.js';
import { Rpc_entrypoint } from './rpc-entrypoint.js';
import type { Session_quota } from './session-quota.js';
import {
  Cpu_session_component,
  Log_session_component,
  type Rom_module,
  Rom_session_component,
} from './simple-sessions.js';
import { Vm_session_component } from './vm-session-component.js';

/** The services core provides. */
export type Service_name = 'PD' | 'RM' | 'CPU' | 'LOG' | 'ROM' | 'VM';

/** Content of a boot module: bytes, text, or a binary standing for a JavaScript component. */
export type Rom_content = Uint8Array | string | { readonly component: unknown; readonly bytes?: Uint8Array };

/** Options of {@link Core}. */
export interface Core_options {
  readonly kernel: Kernel;
  readonly machine: MachineDescription;
  readonly roms?: Readonly<Record<string, Rom_content>>;
  /** Capabilities core hands out in total (default 65536). */
  readonly caps?: number;
}

/** Session arguments beyond the label and quota. */
export interface Session_args {
  /** VM sessions: the client's PD (the VMM) and whether the VM shares it. */
  readonly vmm_pd?: Capability;
  readonly colocated?: boolean;
}

type Core_session =
  | Pd_session_component
  | Rm_session_component
  | Cpu_session_component
  | Log_session_component
  | Rom_session_component
  | Vm_session_component;

/** A thread core stopped for good (unresolvable fault without handler). */
export interface Stopped_thread {
  readonly thread: KernelThread;
  readonly reason: string;
}

/** ELF header stand-in for binaries given as components (`\x7fELF`, 64-bit, little-endian). */
const ELF_STUB = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]);

const MAX_ADDR = 2 ** 53 - 1;

/** UTF-8 bytes of a string (no TextEncoder in a platform-neutral library). */
function utf8(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return new Uint8Array(out);
}

/**
 * Genode's core, generic part: boots the kernel, owns physical memory and the root account,
 * serves the PD, RM, CPU, LOG, ROM and VM services on its entrypoint, and is the pager of every
 * thread (spec/genode.md §3).
 */
export class Core {
  readonly kernel: BootedKernel;
  readonly ep: Rpc_entrypoint;
  readonly phys: Phys_allocator;
  /** Core's own PD (the kernel's root PD on NOVA); init's entrypoint lives there too. */
  readonly kernel_pd: KernelPd;
  /** Core's own account: the root of the account tree. */
  readonly core_pd: Pd_session_component;
  /** Every line of the system log (core's messages and every LOG session's). */
  readonly log_lines: string[] = [];
  /** Threads stopped by unresolvable faults. */
  readonly stopped: Stopped_thread[] = [];
  readonly #listeners = new Set<(line: string) => void>();
  readonly #pds = new Map<number, Pd_session_component>();
  readonly #sessions = new Map<number, Core_session>();
  readonly #faulters = new Map<number, Rm_faulter>();
  readonly #roms = new Map<string, Rom_module>();
  readonly #exitListeners = new Set<(thread: KernelThread, outcome: ThreadOutcome) => void>();

  constructor(options: Core_options) {
    const upcalls: CoreUpcalls = {
      pageFault: (f) => this.#page_fault(f),
      threadExited: (t, o) => this.#thread_exited(t, o),
      log: (line) => this.log(line),
    };
    this.kernel = options.kernel.boot(options.machine, upcalls);
    const k = this.kernel;
    this.phys = new Phys_allocator();
    for (const r of k.memory.available) this.phys.add_range(r.base, r.size);
    const corePd = k.createPd('core');
    this.kernel_pd = corePd;
    let epSource: ReturnType<BootedKernel['createSignalSource']> | undefined;
    const kep = k.createEntrypoint(corePd, {
      name: 'entrypoint',
      body: function* () {
        // core's entrypoint only serves RPC; it never handles signals
        for (;;) yield* k.waitSignal(epSource!);
      },
    });
    epSource = k.createSignalSource(kep);
    k.startThread(kep.thread);
    this.ep = new Rpc_entrypoint(k, kep);
    // core's account: all allocatable RAM, the platform's capabilities
    this.core_pd = new Pd_session_component(this.#pd_env(), {
      label: 'core',
      quota: { ram: this.phys.avail, caps: options.caps ?? 65536 },
      root: true,
    });
    for (const [name, content] of Object.entries(options.roms ?? {})) this.add_rom(name, content);
  }

  /** Register a boot module (before or after boot). */
  add_rom(name: string, content: Rom_content): void {
    let bytes: Uint8Array;
    let component: unknown;
    if (typeof content === 'string') bytes = utf8(content);
    else if (content instanceof Uint8Array) bytes = content;
    else {
      bytes = content.bytes ?? ELF_STUB;
      component = content.component;
    }
    const size = alignUp(Math.max(bytes.length, 1));
    const phys = this.phys.alloc(size);
    if (phys === undefined)
      throw new GenodeError('Out_of_ram', `no physical memory for ROM module '${name}'`);
    const mem = new Uint8Array(this.kernel.memory.buffer, phys, size);
    for (const r of this.phys.take_dirty(phys, size)) mem.fill(0, r.base - phys, r.base - phys + r.size);
    mem.set(bytes);
    this.kernel.ramWritten?.(phys, size);
    const ds = new Dataspace_component({ kind: 'ROM', size, phys, writeable: false });
    ds.cap = this.ep.manage(ds, DATASPACE_OPS);
    this.#roms.set(name, { name, ds, component });
  }

  /** Append a line to the system log. */
  log(line: string): void {
    this.log_lines.push(line);
    for (const fn of this.#listeners) fn(line);
  }

  /** Observe the system log; returns an unsubscribe function. */
  on_log(fn: (line: string) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Observe thread ends; returns an unsubscribe function. */
  on_thread_exit(fn: (thread: KernelThread, outcome: ThreadOutcome) => void): () => void {
    this.#exitListeners.add(fn);
    return () => this.#exitListeners.delete(fn);
  }

  /**
   * Create a session of `service`. The donated `quota` has arrived in core's account (the parent
   * chain transferred it there); it moves into the session. Throws `Service_denied` for unknown
   * ROM modules and invalid VM arguments, `Out_of_caps` if the donation cannot pay the session
   * capability.
   */
  create_session(
    service: Service_name,
    label: string,
    quota: Session_quota,
    args: Session_args = {},
  ): Capability {
    if (quota.caps < 1) throw new GenodeError('Out_of_caps', `${service} session needs a capability`);
    const env = this.#pd_env();
    let session: Core_session;
    switch (service) {
      case 'PD':
        session = this.#take(quota, () => new Pd_session_component(env, { label, quota }));
        if (session.kernel_pd !== null) this.#pds.set(session.kernel_pd.id, session);
        break;
      case 'RM':
        session = this.#take(quota, () => new Rm_session_component(env, label, quota));
        break;
      case 'CPU':
        session = this.#take(quota, () => new Cpu_session_component(this.kernel, this.ep, label, quota));
        break;
      case 'LOG':
        session = this.#take(
          quota,
          () => new Log_session_component(this.ep, label, quota, (l) => this.log(l)),
        );
        break;
      case 'ROM': {
        const name = label.split(' -> ').pop() ?? '';
        const module = this.#roms.get(name);
        if (module === undefined) throw new GenodeError('Service_denied', `ROM module '${name}' not found`);
        session = this.#take(quota, () => new Rom_session_component(this.ep, label, quota, module));
        break;
      }
      case 'VM': {
        const vmm = this.ep.apply(args.vmm_pd, Pd_session_component);
        if (vmm === undefined || vmm.kernel_pd === null)
          throw new GenodeError('Service_denied', 'VM session needs a PD');
        session = this.#take(
          quota,
          () =>
            new Vm_session_component(this.kernel, this.ep, label, quota, {
              vmm,
              colocated: args.colocated ?? false,
            }),
        );
        break;
      }
      default:
        throw new GenodeError('Service_denied', `core has no service '${String(service)}'`);
    }
    this.#sessions.set(session.cap.id, session);
    return session.cap;
  }

  /** Raise a session's quota by `quota` (taken from core's account). */
  upgrade_session(cap: Capability, quota: Session_quota): boolean {
    const s = this.#sessions.get(cap.id);
    if (s === undefined || s.closed) return false;
    if (!this.core_pd.ram_guard.try_downgrade(quota.ram)) return false;
    if (!this.core_pd.cap_guard.try_downgrade(quota.caps)) {
      this.core_pd.ram_guard.upgrade(quota.ram);
      return false;
    }
    s.upgrade(quota);
    return true;
  }

  /** Close a session; its remaining quota returns to core's account and is reported. */
  close_session(cap: Capability): Session_quota {
    const s = this.#sessions.get(cap.id);
    if (s === undefined) return { ram: 0, caps: 0 };
    this.#sessions.delete(cap.id);
    const back = s.close();
    if (s instanceof Pd_session_component && s.kernel_pd !== null) this.#pds.delete(s.kernel_pd.id);
    this.core_pd.ram_guard.upgrade(back.ram);
    this.core_pd.cap_guard.upgrade(back.caps);
    return back;
  }

  /** The PD session of a kernel PD. */
  pd_of(kernelPdId: number): Pd_session_component | undefined {
    return this.#pds.get(kernelPdId);
  }

  /** The core object behind a session capability (tests and diagnostics). */
  session_of(cap: Capability): Core_session | undefined {
    return this.#sessions.get(cap.id);
  }

  /** The region map behind a capability (tests and diagnostics). */
  region_map_of(cap: Capability): Region_map_component | undefined {
    return this.ep.apply(cap, Region_map_component);
  }

  /** The dataspace behind a capability (tests and diagnostics). */
  dataspace_of(cap: Capability): Dataspace_component | undefined {
    return this.ep.apply(cap, Dataspace_component);
  }

  #take<T extends { cap: Capability }>(quota: Session_quota, make: () => T): T {
    if (!this.core_pd.ram_guard.try_downgrade(quota.ram)) {
      throw new GenodeError('Out_of_ram', 'core account cannot cover the session donation');
    }
    if (!this.core_pd.cap_guard.try_downgrade(quota.caps)) {
      this.core_pd.ram_guard.upgrade(quota.ram);
      throw new GenodeError('Out_of_caps', 'core account cannot cover the session donation');
    }
    return make();
  }

  #pd_env(): {
    kernel: BootedKernel;
    ep: Rpc_entrypoint;
    phys: Phys_allocator;
    log: (l: string) => void;
  } {
    return { kernel: this.kernel, ep: this.ep, phys: this.phys, log: (l) => this.log(l) };
  }

  #faulter(thread: KernelThread): Rm_faulter {
    let f = this.#faulters.get(thread.id);
    if (f === undefined) {
      f = new Rm_faulter(thread, () => this.kernel.wake(thread));
      this.#faulters.set(thread.id, f);
    }
    return f;
  }

  /** Core's pager (`Rm_client::pager`, §3.4). */
  #page_fault(f: PageFault): PagerReply {
    const type: Exclude<Fault_type, 'NONE'> =
      f.type === 'write' ? 'WRITE' : f.type === 'exec' ? 'EXEC' : 'READ';
    const pd = this.#pds.get(f.pd.id);
    if (pd === undefined || pd.address_space_rm === null) {
      this.log(`Error: page fault in unknown PD '${f.pd.label}' at address 0x${f.addr.toString(16)}`);
      return { kind: 'block' };
    }
    const faulter = this.#faulter(f.thread);
    const walk: RegionMapWalkStep[] | undefined = f.walk === true ? [] : undefined;
    const { result, mapping } = pd.address_space_rm.with_mapping_for_fault(
      { hotspot: f.addr, access: type, w: true, x: true, lo: 0, hi: MAX_ADDR },
      faulter,
      this.kernel.maxMapLog2,
      walk,
    );
    if (result === 'RESOLVED' && mapping !== undefined) {
      return walk === undefined ? { kind: 'map', mapping } : { kind: 'map', mapping, walk };
    }
    if (result === 'REFLECTED') return walk === undefined ? { kind: 'block' } : { kind: 'block', walk };
    const origin = `by pager_object: pd='${pd.label}' thread='${f.thread.name}' ip=0x${f.ip.toString(16)}`;
    const addr = `0x${f.addr.toString(16)}`;
    let reason: string;
    if (result === 'RECURSION_LIMIT') {
      this.log('Error: giving up on unexpectedly deep memory-mapping structure');
      reason = `${type} at address ${addr} ${origin}`;
    } else if (result === 'NO_REGION') {
      reason = `illegal ${type} at address ${addr} ${origin}`;
    } else {
      reason = `${type} violation at address ${addr} ${origin}`;
    }
    this.log(`Error: ${reason}`);
    faulter.stopped = true;
    this.stopped.push({ thread: f.thread, reason });
    return walk === undefined ? { kind: 'block' } : { kind: 'block', walk };
  }

  #thread_exited(thread: KernelThread, outcome: ThreadOutcome): void {
    const f = this.#faulters.get(thread.id);
    if (f !== undefined) {
      f.dissolve_from_faulting_region_map();
      this.#faulters.delete(thread.id);
    }
    if (outcome.kind === 'error') {
      const e = outcome.error;
      const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.log(`Error: thread '${thread.name}' of '${thread.pd.label}' died: ${what}`);
    }
    for (const fn of this.#exitListeners) fn(thread, outcome);
  }
}
