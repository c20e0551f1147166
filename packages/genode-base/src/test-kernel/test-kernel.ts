/**
 * A small, deterministic kernel backend for genode-base's own tests: page-granular address
 * spaces, a round-robin scheduler over generator threads, semaphores, signals, direct RPC and
 * scripted fake vCPUs. It implements the kernel interface literally so that the conformance
 * suite can run before (and besides) the NOVA backend. It is test-only (issue #4): the subpath
 * `@genode-ts/genode-base/test-kernel` resolves only under the workspace's private
 * `@genode-ts/source` condition, so this repository's backends can compare themselves with it
 * in one benchmark run, while published consumers cannot import it.
 */
import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
import {
  type BlockedThread,
  type BlockReason,
  type BootedKernel,
  type CoreUpcalls,
  defineKernel,
  type GuestDelegation,
  type Kernel,
  type KernelEntrypoint,
  type KernelPd,
  type KernelSemaphore,
  type KernelSignalSource,
  type KernelThread,
  type KernelVcpu,
  type KernelVm,
  type RpcHandler,
  type RpcRequest,
  type RpcResult,
  type RunOptions,
  type RunResult,
  type SignalDelivery,
  type ThreadOptions,
  type VcpuExitReply,
  type VcpuOptions,
  type VmOptions,
} from '../kernel/kernel.js';
import type { AccessKind, Flexpage, MachineDescription, MapStatus, Translation } from '../kernel/memory.js';
import {
  copyVcpuState,
  createVcpuState,
  MTD,
  NPT_ERROR,
  SVM_IOIO,
  VCPU_EXIT,
  type VcpuState,
} from '../kernel/vcpu-state.js';
import { GUEST_INST_LEN, type Guest_op, type Guest_result, type Guest_script } from './fake-guest.js';

/** Deliberate defects, to show that the conformance suite notices them. */
export type Test_kernel_defect =
  /** `unmap` forgets to remove translations (stale mappings survive detach). */
  | 'unmap-does-not-flush'
  /** `map` installs every flexpage writeable and executable, ignoring the pager's rights. */
  | 'map-ignores-rights'
  /** `wake` is lost: threads blocked on a reflected fault are never resumed. */
  | 'wake-is-lost'
  /** A timed `down` that ran out stays queued on the semaphore and swallows the next `up`. */
  | 'timeout-stays-waiter';

/** Options of {@link testKernel}. */
export interface Test_kernel_options {
  readonly defect?: Test_kernel_defect;
  /** What the guest of every vCPU does (default: halt forever after startup). */
  readonly guest?: Guest_script;
  /** Bytes at the bottom of RAM the kernel keeps for itself (default 1 MiB). */
  readonly reserved?: number;
}

const PAGE = 4096;
const USER_START = 0x1000;
const USER_END = 0x7fff_c000_0000;

interface Page_entry {
  readonly phys: number;
  readonly write: boolean;
  readonly exec: boolean;
}

interface Tk_pd extends KernelPd {
  readonly pages: Map<number, Page_entry>;
  readonly guest: Map<number, Page_entry>;
  destroyed: boolean;
}

type Tk_state = 'created' | 'ready' | 'blocked' | 'done';

interface Tk_thread extends KernelThread {
  readonly pd: Tk_pd;
  readonly body: () => Blocking<void>;
  gen: Blocking<void> | null;
  state: Tk_state;
  blocked_on: BlockReason | null;
  resume: unknown;
  pending_wake: number;
  sleep_until: number;
  /** The semaphore of a timed `down` this thread waits on (it is also among the sleepers). */
  timed_sm: Tk_sm | null;
  killed: boolean;
}

interface Tk_sm extends KernelSemaphore {
  count: number;
  readonly waiters: Tk_thread[];
}

interface Tk_source extends KernelSignalSource {
  readonly pending: Tk_context[];
  waiter: Tk_thread | null;
}

interface Tk_context {
  readonly id: number;
  readonly source: Tk_source;
  readonly imprint: number;
  count: number;
  queued: boolean;
  dead: boolean;
}

interface Tk_vm extends KernelVm {
  readonly pd: Tk_pd;
  readonly vmm: Tk_pd;
  destroyed: boolean;
}

interface Tk_vcpu extends KernelVcpu {
  readonly vm: Tk_vm;
  readonly options: VcpuOptions;
  readonly state: VcpuState;
  readonly thread: Tk_thread;
  started: boolean;
  paused: boolean;
  recall: boolean;
  update: { state: VcpuState; mtd: number } | null;
  destroyed: boolean;
}

type Request =
  | { readonly kind: 'yield' }
  | { readonly kind: 'spin'; readonly us: number }
  | { readonly kind: 'sleep'; readonly us: number }
  | { readonly kind: 'down'; readonly sm: Tk_sm; readonly us?: number }
  | { readonly kind: 'signal'; readonly source: Tk_source }
  | {
      readonly kind: 'fault';
      readonly pd: Tk_pd;
      readonly addr: number;
      readonly access: AccessKind;
      readonly ip: number;
    }
  | { readonly kind: 'vcpu-wait'; readonly vcpu: Tk_vcpu };

const REQUEST = Symbol('test-kernel request');

function* request<T>(r: Request): Blocking<T> {
  return (yield { [REQUEST]: r }) as T;
}

/**
 * The test kernel's factory.
 *
 * @example
 * ```ts
 * const system = boot({ kernel: testKernel(), ramBytes: 64 << 20 });
 * ```
 */
export function testKernel(options: Test_kernel_options = {}): Kernel {
  return defineKernel({
    name: options.defect === undefined ? 'test' : `test (broken: ${options.defect})`,
    boot: (machine: MachineDescription, core: CoreUpcalls): BootedKernel =>
      new Test_kernel(machine, core, options),
  });
}

class Test_kernel implements BootedKernel {
  readonly name: string;
  readonly memory: BootedKernel['memory'];
  readonly cpus: number;
  readonly userRange: { readonly start: number; readonly end: number } = { start: USER_START, end: USER_END };
  readonly maxMapLog2 = 43;
  readonly #core: CoreUpcalls;
  readonly #options: Test_kernel_options;
  readonly #ramBytes: number;
  #nextId = 1;
  #now = 0;
  readonly #ready: Tk_thread[] = [];
  readonly #threads = new Set<Tk_thread>();
  readonly #sleepers = new Set<Tk_thread>();
  #current: Tk_thread | null = null;
  readonly #rpc = new Map<number, { ep: KernelEntrypoint; handler: RpcHandler }>();
  readonly #contexts = new Map<number, Tk_context>();
  readonly #vcpus = new Set<Tk_vcpu>();

  constructor(machine: MachineDescription, core: CoreUpcalls, options: Test_kernel_options) {
    this.#core = core;
    this.#options = options;
    this.name = options.defect === undefined ? 'test' : `test (broken: ${options.defect})`;
    this.cpus = Math.max(1, Math.floor(machine.cpus));
    this.#ramBytes = Math.floor(machine.ramBytes / PAGE) * PAGE;
    const reserved = Math.min(options.reserved ?? 0x10_0000, this.#ramBytes);
    this.memory = {
      buffer: new ArrayBuffer(this.#ramBytes),
      available: this.#ramBytes > reserved ? [{ base: reserved, size: this.#ramBytes - reserved }] : [],
    };
  }

  // ---- time and scheduling ------------------------------------------------------------------

  now(): number {
    return this.#now;
  }

  spin(us: number): Blocking<void> {
    return request({ kind: 'spin', us: Math.max(0, us) });
  }

  sleep(us: number): Blocking<void> {
    return request({ kind: 'sleep', us: Math.max(0, us) });
  }

  yieldCpu(): Blocking<void> {
    return request({ kind: 'yield' });
  }

  run(options: RunOptions = {}): RunResult {
    if (this.#current !== null) throw new Error('run() called from inside a thread');
    let steps = 0;
    for (;;) {
      if (options.until?.()) return this.#result('until', steps);
      if (options.maxSteps !== undefined && steps >= options.maxSteps) return this.#result('steps', steps);
      this.#wake_sleepers();
      let t = this.#ready.shift();
      while (t !== undefined && t.state !== 'ready') t = this.#ready.shift();
      if (t === undefined) {
        if (this.#sleepers.size === 0) return this.#result('quiescent', steps);
        let next = Number.POSITIVE_INFINITY;
        for (const s of this.#sleepers) next = Math.min(next, s.sleep_until);
        if (options.maxTime !== undefined && next > options.maxTime) {
          this.#now = Math.max(this.#now, options.maxTime);
          return this.#result('time', steps);
        }
        this.#now = Math.max(this.#now, next);
        this.#wake_sleepers();
        continue;
      }
      if (options.maxTime !== undefined && this.#now >= options.maxTime) {
        this.#ready.unshift(t);
        return this.#result('time', steps);
      }
      this.#step(t);
      steps++;
    }
  }

  #wake_sleepers(): void {
    if (this.#sleepers.size === 0) return;
    for (const s of [...this.#sleepers]) {
      if (s.sleep_until <= this.#now) {
        this.#sleepers.delete(s);
        const sm = s.timed_sm;
        if (sm !== null) {
          // a timed `down` ran out: no longer a waiter
          s.timed_sm = null;
          const i = sm.waiters.indexOf(s);
          if (i >= 0 && this.#options.defect !== 'timeout-stays-waiter') sm.waiters.splice(i, 1);
          this.#make_ready(s, false);
        } else {
          this.#make_ready(s, undefined);
        }
      }
    }
  }

  #result(reason: RunResult['reason'], steps: number): RunResult {
    const blocked: BlockedThread[] = [];
    for (const t of this.#threads) {
      if (t.state === 'blocked' && t.blocked_on !== null) blocked.push({ thread: t, on: t.blocked_on });
    }
    return { reason, steps, now: this.#now, blocked };
  }

  #step(t: Tk_thread): void {
    this.#current = t;
    let r: IteratorResult<unknown, void>;
    try {
      if (t.gen === null) t.gen = t.body();
      const v = t.resume;
      t.resume = undefined;
      r = t.gen.next(v);
    } catch (error) {
      this.#current = null;
      this.#finish(t, { kind: 'error', error });
      return;
    }
    this.#current = null;
    if (t.killed) return;
    if (r.done) {
      this.#finish(t, { kind: 'returned' });
      return;
    }
    const req = (r.value as { [REQUEST]?: Request } | undefined)?.[REQUEST];
    if (req === undefined) {
      this.#finish(t, {
        kind: 'error',
        error: new Error('thread yielded a value that is not a kernel request'),
      });
      return;
    }
    this.#handle(t, req);
  }

  #finish(t: Tk_thread, outcome: Parameters<CoreUpcalls['threadExited']>[1]): void {
    t.state = 'done';
    t.blocked_on = null;
    t.gen = null;
    this.#threads.delete(t);
    this.#sleepers.delete(t);
    this.#core.threadExited(t, outcome);
  }

  #make_ready(t: Tk_thread, value: unknown): void {
    if (t.state === 'done') return;
    t.state = 'ready';
    t.blocked_on = null;
    t.resume = value;
    this.#ready.push(t);
  }

  #block(t: Tk_thread, on: BlockReason): void {
    t.state = 'blocked';
    t.blocked_on = on;
  }

  #handle(t: Tk_thread, req: Request): void {
    switch (req.kind) {
      case 'yield':
        this.#make_ready(t, undefined);
        return;
      case 'spin':
        this.#now += req.us;
        this.#make_ready(t, undefined);
        return;
      case 'sleep':
        t.sleep_until = this.#now + req.us;
        this.#block(t, 'sleep');
        this.#sleepers.add(t);
        return;
      case 'down':
        if (req.sm.count > 0) {
          req.sm.count--;
          this.#make_ready(t, true);
        } else {
          req.sm.waiters.push(t);
          this.#block(t, 'semaphore');
          if (req.us !== undefined) {
            t.timed_sm = req.sm;
            t.sleep_until = this.#now + req.us;
            this.#sleepers.add(t);
          }
        }
        return;
      case 'signal': {
        const ctx = this.#pop_pending(req.source);
        if (ctx !== undefined) this.#make_ready(t, ctx);
        else {
          req.source.waiter = t;
          this.#block(t, 'signal');
        }
        return;
      }
      case 'fault':
        this.#fault(t, req.pd, req.addr, req.access, req.ip);
        return;
      case 'vcpu-wait':
        if (req.vcpu.paused) this.#block(t, 'vcpu');
        else this.#make_ready(t, undefined);
        return;
    }
  }

  currentThread(): KernelThread | undefined {
    return this.#current ?? undefined;
  }

  // ---- protection domains and memory ----------------------------------------------------------

  createPd(label: string): KernelPd {
    const pd: Tk_pd = { id: this.#nextId++, label, pages: new Map(), guest: new Map(), destroyed: false };
    return pd;
  }

  destroyPd(pd: KernelPd): void {
    const p = pd as Tk_pd;
    p.destroyed = true;
    for (const t of [...this.#threads]) if (t.pd === p) this.killThread(t);
    p.pages.clear();
    p.guest.clear();
  }

  map(pd: KernelPd, page: Flexpage): MapStatus {
    return this.#install((pd as Tk_pd).pages, page, pd as Tk_pd);
  }

  #install(table: Map<number, Page_entry>, page: Flexpage, pd: Tk_pd): MapStatus {
    if (pd.destroyed) return 'INVALID';
    const size = 2 ** page.log2;
    if (
      !Number.isInteger(page.log2) ||
      page.log2 < 12 ||
      page.log2 > this.maxMapLog2 ||
      page.phys % size !== 0 ||
      page.virt % size !== 0 ||
      page.phys + size > this.#ramBytes
    ) {
      return 'INVALID';
    }
    const ignore = this.#options.defect === 'map-ignores-rights';
    const write = ignore || page.rights.write;
    const exec = ignore || page.rights.exec;
    const vpn = page.virt / PAGE;
    for (let i = 0; i < size / PAGE; i++) table.set(vpn + i, { phys: page.phys + i * PAGE, write, exec });
    return 'OK';
  }

  unmap(pd: KernelPd, virt: number, size: number): void {
    if (this.#options.defect === 'unmap-does-not-flush') return;
    this.#flush((pd as Tk_pd).pages, virt, size);
  }

  #flush(table: Map<number, Page_entry>, virt: number, size: number): void {
    const first = Math.floor(virt / PAGE);
    const last = Math.ceil((virt + size) / PAGE);
    if (last - first <= table.size) {
      for (let p = first; p < last; p++) table.delete(p);
    } else {
      for (const p of [...table.keys()]) if (p >= first && p < last) table.delete(p);
    }
  }

  lookup(pd: KernelPd, virt: number): Translation | undefined {
    const vpn = Math.floor(virt / PAGE);
    const e = (pd as Tk_pd).pages.get(vpn);
    return e === undefined
      ? undefined
      : { virt: vpn * PAGE, phys: e.phys, rights: { write: e.write, exec: e.exec } };
  }

  pageFault(pd: KernelPd, addr: number, access: AccessKind, ip?: number): Blocking<void> {
    return request({ kind: 'fault', pd: pd as Tk_pd, addr, access, ip: ip ?? 0 });
  }

  #fault(t: Tk_thread, pd: Tk_pd, addr: number, access: AccessKind, ip: number): void {
    const e = pd.pages.get(Math.floor(addr / PAGE));
    const permitted = e !== undefined && (access === 'read' || (access === 'write' ? e.write : e.exec));
    if (permitted) {
      this.#make_ready(t, undefined);
      return;
    }
    // NOVA/x86: WRITE iff a write; EXEC iff a fetch hit a present page; otherwise READ
    const type: AccessKind =
      access === 'write' ? 'write' : access === 'exec' && e !== undefined ? 'exec' : 'read';
    const reply = this.#core.pageFault({ pd, thread: t, addr, type, ip });
    if (t.killed || t.state === 'done') return;
    if (reply.kind === 'map') {
      const st = this.map(pd, reply.mapping);
      if (st !== 'OK') {
        this.#core.log(`Error: test kernel: invalid mapping from pager (${st})`);
        this.#block(t, 'page-fault');
        return;
      }
      this.#make_ready(t, undefined);
      return;
    }
    if (t.pending_wake > 0) {
      t.pending_wake--;
      this.#make_ready(t, undefined);
      return;
    }
    this.#block(t, 'page-fault');
  }

  // ---- threads ---------------------------------------------------------------------------------

  createThread(pd: KernelPd, options: ThreadOptions): KernelThread {
    const t: Tk_thread = {
      id: this.#nextId++,
      name: options.name,
      pd: pd as Tk_pd,
      body: options.body,
      gen: null,
      state: 'created',
      blocked_on: null,
      resume: undefined,
      pending_wake: 0,
      sleep_until: 0,
      timed_sm: null,
      killed: false,
    };
    return t;
  }

  startThread(thread: KernelThread): void {
    const t = thread as Tk_thread;
    if (t.state !== 'created' || t.pd.destroyed) return;
    this.#threads.add(t);
    this.#make_ready(t, undefined);
  }

  killThread(thread: KernelThread): void {
    const t = thread as Tk_thread;
    if (t.state === 'done' || t.killed) return;
    t.killed = true;
    const wasStarted = t.state !== 'created';
    for (const v of this.#vcpus) if (v.thread === t) v.destroyed = true;
    if (wasStarted) this.#finish(t, { kind: 'killed' });
    else t.state = 'done';
  }

  wake(thread: KernelThread): void {
    if (this.#options.defect === 'wake-is-lost') return;
    const t = thread as Tk_thread;
    if (t.state === 'blocked' && t.blocked_on === 'page-fault') this.#make_ready(t, undefined);
    else if (t.state !== 'done') t.pending_wake++;
  }

  // ---- semaphores ------------------------------------------------------------------------------

  createSemaphore(initial: number): KernelSemaphore {
    const sm: Tk_sm = { id: this.#nextId++, count: Math.max(0, Math.floor(initial)), waiters: [] };
    return sm;
  }

  semUp(sm: KernelSemaphore): void {
    const s = sm as Tk_sm;
    let w = s.waiters.shift();
    if (this.#options.defect === 'timeout-stays-waiter' && w !== undefined && w.blocked_on !== 'semaphore') {
      return; // the defect: the up goes to a thread that no longer waits
    }
    while (w !== undefined && w.state !== 'blocked') w = s.waiters.shift();
    if (w !== undefined) {
      if (w.timed_sm !== null) {
        w.timed_sm = null;
        this.#sleepers.delete(w);
      }
      this.#make_ready(w, true);
    } else s.count++;
  }

  *semDown(sm: KernelSemaphore): Blocking<void> {
    yield* request<boolean>({ kind: 'down', sm: sm as Tk_sm });
  }

  semDownTimed(sm: KernelSemaphore, us: number): Blocking<boolean> {
    // NaN and negative timeouts are 0 (a try); an infinite one is a plain `down`.
    const t = Number.isNaN(us) ? 0 : Math.max(0, us);
    return request<boolean>(
      t === Number.POSITIVE_INFINITY
        ? { kind: 'down', sm: sm as Tk_sm }
        : { kind: 'down', sm: sm as Tk_sm, us: t },
    );
  }

  // ---- RPC -------------------------------------------------------------------------------------

  createEntrypoint(pd: KernelPd, options: ThreadOptions): KernelEntrypoint {
    const thread = this.createThread(pd, options);
    return { id: this.#nextId++, thread };
  }

  manage(ep: KernelEntrypoint, handler: RpcHandler): Capability {
    const id = this.#nextId++;
    this.#rpc.set(id, { ep, handler });
    return Object.freeze({ id });
  }

  dissolve(cap: Capability): void {
    this.#rpc.delete(cap.id);
  }

  call(cap: Capability, req: RpcRequest): RpcResult {
    const obj = cap == null ? undefined : this.#rpc.get(cap.id);
    if (obj === undefined) return { ok: false, error: 'INVALID_CAPABILITY' };
    return { ok: true, value: obj.handler(req) };
  }

  // ---- signals ---------------------------------------------------------------------------------

  createSignalSource(ep: KernelEntrypoint): KernelSignalSource {
    const src: Tk_source = { id: this.#nextId++, ep, pending: [], waiter: null };
    return src;
  }

  createSignalContext(source: KernelSignalSource, imprint: number): Capability {
    const id = this.#nextId++;
    this.#contexts.set(id, {
      id,
      source: source as Tk_source,
      imprint,
      count: 0,
      queued: false,
      dead: false,
    });
    return Object.freeze({ id });
  }

  destroySignalContext(cap: Capability): void {
    const ctx = this.#contexts.get(cap.id);
    if (ctx === undefined) return;
    ctx.dead = true;
    this.#contexts.delete(cap.id);
  }

  submitSignal(cap: Capability, count = 1): void {
    const ctx = cap == null ? undefined : this.#contexts.get(cap.id);
    if (ctx === undefined || ctx.dead) return;
    ctx.count += Math.max(1, Math.floor(count));
    if (!ctx.queued) {
      ctx.queued = true;
      ctx.source.pending.push(ctx);
    }
    const w = ctx.source.waiter;
    if (w !== null && w.state === 'blocked' && w.blocked_on === 'signal') {
      const d = this.#pop_pending(ctx.source);
      ctx.source.waiter = null;
      this.#make_ready(w, d);
    }
  }

  #pop_pending(src: Tk_source): SignalDelivery | undefined {
    let ctx = src.pending.shift();
    while (ctx?.dead) ctx = src.pending.shift();
    if (ctx === undefined) return undefined;
    const d: SignalDelivery = { imprint: ctx.imprint, count: ctx.count };
    ctx.count = 0;
    ctx.queued = false;
    return d;
  }

  waitSignal(source: KernelSignalSource): Blocking<SignalDelivery> {
    return request({ kind: 'signal', source: source as Tk_source });
  }

  // ---- virtual machines ------------------------------------------------------------------------

  createVm(vmm: KernelPd, options: VmOptions): KernelVm {
    const v = vmm as Tk_pd;
    const pd = options.colocated ? v : (this.createPd(`${options.label} (VM)`) as Tk_pd);
    const vm: Tk_vm = { id: this.#nextId++, pd, vmm: v, colocated: options.colocated, destroyed: false };
    return vm;
  }

  destroyVm(vm: KernelVm): void {
    const v = vm as Tk_vm;
    v.destroyed = true;
    for (const c of this.#vcpus) if (c.vm === v) this.destroyVcpu(c);
    v.pd.guest.clear();
    if (!v.colocated) this.destroyPd(v.pd);
  }

  mapGuest(vm: KernelVm, page: Flexpage): MapStatus {
    const v = vm as Tk_vm;
    if (v.destroyed) return 'INVALID';
    return this.#install(v.pd.guest, page, v.pd);
  }

  mapGuestFromLocal(vm: KernelVm, d: GuestDelegation): MapStatus {
    const v = vm as Tk_vm;
    if (v.destroyed) return 'INVALID';
    const size = 2 ** d.log2;
    if (d.log2 < 12 || d.virt % size !== 0 || d.gpa % size !== 0) return 'INVALID';
    for (let off = 0; off < size; off += PAGE) {
      const src = v.vmm.pages.get((d.virt + off) / PAGE);
      if (src === undefined) return 'NOT_MAPPED';
    }
    for (let off = 0; off < size; off += PAGE) {
      const src = v.vmm.pages.get((d.virt + off) / PAGE)!;
      // a delegation never grants more than the source mapping has
      v.pd.guest.set((d.gpa + off) / PAGE, {
        phys: src.phys,
        write: d.rights.write && src.write,
        exec: d.rights.exec && src.exec,
      });
    }
    return 'OK';
  }

  unmapGuest(vm: KernelVm, gpa: number, size: number): void {
    if (this.#options.defect === 'unmap-does-not-flush') return;
    this.#flush((vm as Tk_vm).pd.guest, gpa, size);
  }

  lookupGuest(vm: KernelVm, gpa: number): Translation | undefined {
    const gpn = Math.floor(gpa / PAGE);
    const e = (vm as Tk_vm).pd.guest.get(gpn);
    return e === undefined
      ? undefined
      : { virt: gpn * PAGE, phys: e.phys, rights: { write: e.write, exec: e.exec } };
  }

  createVcpu(vm: KernelVm, options: VcpuOptions): KernelVcpu {
    const v = vm as Tk_vm;
    const id = this.#nextId++;
    const state = createVcpuState();
    const vcpu: Tk_vcpu = {
      id,
      vm: v,
      options,
      state,
      started: false,
      paused: true,
      recall: false,
      update: null,
      destroyed: false,
      // the vCPU runs as a kernel thread; its exit handler runs on behalf of the handler's PD
      thread: this.createThread(options.handler.thread.pd, {
        name: `vcpu ${id}`,
        body: () => this.#vcpu_body(vcpu),
      }) as Tk_thread,
    };
    this.#vcpus.add(vcpu);
    return vcpu;
  }

  runVcpu(vcpu: KernelVcpu, update?: { readonly state: VcpuState; readonly mtd: number }): void {
    const v = vcpu as Tk_vcpu;
    if (v.destroyed || !v.paused) return;
    if (update !== undefined) v.update = { state: update.state, mtd: update.mtd };
    v.paused = false;
    if (!v.started) {
      v.started = true;
      this.startThread(v.thread);
    } else if (v.thread.state === 'blocked' && v.thread.blocked_on === 'vcpu') {
      this.#make_ready(v.thread, undefined);
    }
  }

  recallVcpu(vcpu: KernelVcpu): void {
    const v = vcpu as Tk_vcpu;
    if (!v.destroyed) v.recall = true;
  }

  destroyVcpu(vcpu: KernelVcpu): void {
    const v = vcpu as Tk_vcpu;
    v.destroyed = true;
    this.#vcpus.delete(v);
    this.killThread(v.thread);
  }

  *#vcpu_body(v: Tk_vcpu): Blocking<void> {
    const s = v.state;
    yield* this.#vcpu_exit(v, VCPU_EXIT.STARTUP, 0, 0);
    const script = this.#options.guest;
    if (script === undefined) {
      for (;;) {
        yield* this.spin(1);
        yield* this.#vcpu_exit(v, VCPU_EXIT.HLT, 0, 0);
      }
    }
    const gen = script({ vcpu: v.id, state: s });
    let result: Guest_result;
    for (;;) {
      const step = gen.next(result);
      if (step.done) return;
      result = yield* this.#vcpu_op(v, step.value);
    }
  }

  *#vcpu_op(v: Tk_vcpu, op: Guest_op): Blocking<Guest_result> {
    const s = v.state;
    for (;;) {
      // a recall is taken before the next instruction
      if (v.recall) {
        v.recall = false;
        yield* this.#vcpu_exit(v, VCPU_EXIT.RECALL, 0, 0);
        continue;
      }
      yield* this.spin(1);
      const ip = s.ip;
      const len = GUEST_INST_LEN[op.op];
      switch (op.op) {
        case 'spin':
          yield* this.spin(op.us);
          return undefined;
        case 'read':
        case 'write':
        case 'fetch': {
          const access: AccessKind = op.op === 'read' ? 'read' : op.op === 'write' ? 'write' : 'exec';
          const size = op.op === 'fetch' ? 1 : op.size;
          const e = v.vm.pd.guest.get(Math.floor(op.gpa / PAGE));
          const ok = e !== undefined && (access === 'read' || (access === 'write' ? e.write : e.exec));
          if (!ok) {
            const err =
              (e !== undefined ? NPT_ERROR.PRESENT : 0) |
              (access === 'write' ? NPT_ERROR.WRITE : 0) |
              (access === 'exec' ? NPT_ERROR.FETCH : 0) |
              NPT_ERROR.USER;
            s.instLen = len;
            yield* this.#vcpu_exit(v, VCPU_EXIT.NPT, err, op.gpa);
            continue;
          }
          const view = new DataView(this.memory.buffer);
          const pa = e.phys + (op.gpa % PAGE);
          s.ip = ip + len;
          if (op.op === 'write') {
            if (size === 1) view.setUint8(pa, op.value);
            else if (size === 2) view.setUint16(pa, op.value, true);
            else view.setUint32(pa, op.value, true);
            return undefined;
          }
          return size === 1
            ? view.getUint8(pa)
            : size === 2
              ? view.getUint16(pa, true)
              : view.getUint32(pa, true);
        }
        case 'hlt':
          s.instLen = len;
          yield* this.#vcpu_exit(v, VCPU_EXIT.HLT, 0, 0);
          if (s.ip === ip) continue;
          return undefined;
        case 'cpuid':
          s.instLen = len;
          s.ax = op.leaf;
          s.cx = 0;
          yield* this.#vcpu_exit(v, VCPU_EXIT.CPUID, 0, 0);
          if (s.ip === ip) continue;
          return { eax: s.ax, ebx: s.bx, ecx: s.cx, edx: s.dx };
        case 'in':
        case 'out': {
          s.instLen = len;
          const sz = op.size === 1 ? SVM_IOIO.SZ8 : op.size === 2 ? SVM_IOIO.SZ16 : SVM_IOIO.SZ32;
          const info = op.port * 2 ** SVM_IOIO.PORT_SHIFT + sz + (op.op === 'in' ? SVM_IOIO.TYPE_IN : 0);
          if (op.op === 'out') s.ax = op.value;
          yield* this.#vcpu_exit(v, VCPU_EXIT.IOIO, info, ip + len);
          if (s.ip === ip) continue;
          if (op.op === 'in') return s.ax % 2 ** (8 * op.size);
          return undefined;
        }
      }
    }
  }

  *#vcpu_exit(v: Tk_vcpu, reason: number, qual0: number, qual1: number): Blocking<void> {
    const s = v.state;
    s.qual0 = qual0;
    s.qual1 = qual1;
    s.tsc = BigInt(this.#now) + s.tscOffset;
    s.exitReason = reason;
    const mtd = v.options.exitMtd(reason);
    const view = createVcpuState();
    copyVcpuState(view, s, mtd);
    view.exitReason = reason;
    const reply: VcpuExitReply = yield* v.options.onExit({ reason, state: view, mtd });
    if (v.destroyed) return;
    this.#apply(v, view, reply.mtd);
    for (const d of reply.delegations ?? []) {
      if (this.mapGuestFromLocal(v.vm, d) !== 'OK') this.#core.log('Error: Could not map everything');
    }
    if (!reply.resume) {
      v.paused = true;
      yield* request({ kind: 'vcpu-wait', vcpu: v });
      if (v.update !== null) {
        this.#apply(v, v.update.state, v.update.mtd);
        v.update = null;
      }
    }
  }

  #apply(v: Tk_vcpu, from: VcpuState, mtd: number): void {
    const s = v.state;
    const offset = s.tscOffset;
    copyVcpuState(s, from, mtd & ~(MTD.QUAL | MTD.TSC));
    // NOVA: a written TSC offset is added to the current one
    if ((mtd & MTD.TSC) !== 0) s.tscOffset = offset + from.tscOffset;
  }
}
