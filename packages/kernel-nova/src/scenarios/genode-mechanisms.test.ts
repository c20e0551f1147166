/**
 * The genode-base backend really uses NOVA's mechanisms (spec/nova.md §8, spec/genode.md §3.6):
 * page faults are event 0x0e through a portal whose PID is the pager object, answered by a
 * delegation from the kernel space; detach revokes; RPC is a portal call with capabilities as
 * typed items, and a PD without a selector cannot call; threads are global ECs with SCs;
 * semaphores and signals are (signal) SMs; sleep is an SM down with an absolute timeout.
 */
import {
  boot,
  type Capability,
  Entrypoint,
  type Env,
  type Genode_system,
  GenodeError,
  rpc_call,
  Signal_handler,
  type Started_component,
  Thread,
} from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { Event, ObjType, PtPerm } from '../constants.js';
import type { Ec } from '../ec.js';
import type { NovaGenodeKernel, NovaGenodePd, NovaGenodeThread } from '../genode/nova-backend.js';
import { novaKernel } from '../genode/nova-kernel.js';
import { Hypercall } from '../hypercall.js';
import { checkInvariants } from '../invariants.js';
import type { Pt } from '../pt.js';
import type { Sc } from '../sc.js';
import type { Sm } from '../sm.js';
import { Status } from '../status.js';
import { TraceLog } from '../trace.js';

function system(o: { kernelTrace?: TraceLog } = {}): { system: Genode_system; k: NovaGenodeKernel } {
  let k: NovaGenodeKernel | undefined;
  const s = boot({
    kernel: novaKernel({ ...(o.kernelTrace ? { kernelTrace: o.kernelTrace } : {}), onBoot: (b) => (k = b) }),
    ramBytes: 64 << 20,
  });
  return { system: s, k: k! };
}

function start(
  s: Genode_system,
  name: string,
  construct: (env: Env) => Generator<unknown, void, unknown> | void,
) {
  return s.start({ name, ram: 4 << 20, caps: 200, component: { construct } });
}

function pdOf(c: Started_component): NovaGenodePd {
  return c.env().pd().native_pd() as NovaGenodePd;
}

describe('genode-base on NOVA: memory', () => {
  it('a page fault is event 0x0e to a portal whose PID is the pager object, answered by an H delegation', () => {
    const kernelTrace = new TraceLog();
    const { system: s, k } = system({ kernelTrace });
    let addr = 0;
    let faulter: NovaGenodeThread | undefined;
    let value = -1;
    let done = false;
    const c = start(s, 'faulter', function* (env) {
      const ds = env.ram().alloc(4096);
      const r = env.rm().attach(ds, { writeable: true });
      addr = r.ok ? r.range.start : 0;
      faulter = env.kernel.currentThread() as NovaGenodeThread;
      yield* env.rm().local.write32(addr, 0xc0ffee);
      value = yield* env.rm().local.read32(addr);
      done = true;
    });
    s.run({ until: () => done, maxSteps: 100_000 });
    expect(value).toBe(0xc0ffee);
    const t = faulter!;
    const ec = t.ec!;
    const pd = pdOf(c);
    // the thread's exception window in its PD: evt + 0x0e is core's portal for it
    const node = k.nova.objCap(pd.nova, ec.evt + Event.PF)!;
    expect(node.obj?.type).toBe(ObjType.PT);
    const pt = node.obj as Pt;
    expect(pt.pid).toBe(t.pager!.id);
    expect(pt.ec.label).toBe('core:pager0');
    expect(pt.ec.pd).toBe(k.nova.root);
    // pt_ctrl was revoked: the client cannot change the PID (spec/nova.md S8)
    expect(node.perms & PtPerm.CTRL).toBe(0);
    expect(k.nova.hypercallNow(ec, (ec.evt + Event.PF) * 256 + Hypercall.PT_CTRL, 0xbadbad).status).toBe(
      Status.BAD_CAP,
    );
    expect(pt.pid).toBe(t.pager!.id);
    // the write faulted (0x0e) into core's pager, which delegated the frame from the kernel space
    expect(kernelTrace.lines().some((l) => l.includes(`${ec.label} event 0xe -> core:pager0`))).toBe(true);
    const m = pd.nova.mem.find(addr / 4096)!;
    expect(m.parent?.pd).toBe(k.nova.kern);
    expect(m.perms & 0x3).toBe(0x3);
    expect(k.lookup(pd, addr)?.rights.write).toBe(true);
    expect(checkInvariants(k.nova)).toEqual([]);
  });

  it('detach revokes the mapping from the PD: memory space, page table, MDB', () => {
    const { system: s, k } = system();
    let addr = 0;
    let mapped = false;
    const c = start(s, 'detacher', function* (env) {
      const ds = env.ram().alloc(4096);
      const r = env.rm().attach(ds, { writeable: true });
      addr = r.ok ? r.range.start : 0;
      yield* env.rm().local.write8(addr, 1);
      mapped = env.kernel.lookup(env.pd().native_pd()!, addr) !== undefined;
      env.rm().detach(addr);
      env.parent().exit(0);
    });
    s.run({ until: () => c.exit_value() !== undefined, maxSteps: 100_000 });
    const pd = pdOf(c);
    expect(mapped).toBe(true);
    expect(pd.nova.mem.find(addr / 4096)).toBeUndefined();
    expect(pd.nova.host.translate(addr / 4096)).toBeUndefined();
    expect(k.lookup(pd, addr)).toBeUndefined();
    expect(checkInvariants(k.nova)).toEqual([]);
  });
});

class Echo {
  calls = 0;
  ping(x: number): string {
    this.calls++;
    return `pong ${x}`;
  }
}

class Mailbox {
  cap: Capability | null = null;
  put(cap: Capability): void {
    this.cap = cap;
  }
}

describe('genode-base on NOVA: RPC and capabilities', () => {
  it('a PD can only call capabilities it holds; passing one as an argument delegates it', () => {
    const kernelTrace = new TraceLog();
    const { system: s, k } = system({ kernelTrace });
    let echoCap: Capability | undefined;
    let boxCap: Capability | undefined;
    const box = new Mailbox();
    const seen: string[] = [];
    let bEnv: Env | undefined;
    // A serves Echo; B serves a mailbox, first tries A's object without holding it
    const a = start(s, 'a', function* (env) {
      echoCap = env.ep().manage(new Echo(), ['ping']);
      while (boxCap === undefined || k.selectorOf(env.pd().native_pd()!, boxCap) === undefined)
        yield* env.kernel.yieldCpu();
      // the echo capability travels to B as a typed item (translate-else-delegate)
      rpc_call(env, boxCap, 'put', echoCap);
      env.parent().exit(0);
    });
    const b = start(s, 'b', function* (env) {
      bEnv = env;
      boxCap = env.ep().manage(box, ['put']);
      while (echoCap === undefined) yield* env.kernel.yieldCpu();
      try {
        rpc_call(env, { id: echoCap.id }, 'ping', 1);
        seen.push('called without the capability');
      } catch (e) {
        seen.push(e instanceof GenodeError ? e.code : String(e));
      }
      while (box.cap === null) yield* env.kernel.yieldCpu();
      seen.push(rpc_call<string>(env, box.cap, 'ping', 2));
      env.parent().exit(0);
    });
    s.run({
      until: () => boxCap !== undefined && echoCap !== undefined && seen.length > 0,
      maxSteps: 100_000,
    });
    expect(seen).toEqual(['Ipc_error']);
    // B holds no selector for A's object; A holds none for B's mailbox
    expect(k.selectorOf(pdOf(b), echoCap!)).toBeUndefined();
    expect(k.selectorOf(pdOf(a), boxCap!)).toBeUndefined();
    // the host (init, in core's PD) hands A the mailbox, as a parent would
    k.grantCapabilities(pdOf(a), [boxCap!]);
    s.run({ until: () => a.exit_value() !== undefined && b.exit_value() !== undefined, maxSteps: 100_000 });
    expect(seen).toEqual(['Ipc_error', 'pong 2']);
    const sel = k.selectorOf(pdOf(b), echoCap!)!;
    expect(sel).toBeDefined();
    // B's selector names A's portal: bound to A's entrypoint's local EC, PID = the badge (id)
    const pt = k.nova.objCap(pdOf(b).nova, sel)!.obj as Pt;
    expect(pt).toBe(k.objectOf(echoCap!));
    expect(pt.pid).toBe(echoCap!.id);
    expect(pt.ec.kind).toBe('local');
    expect(pt.ec.pd).toBe(pdOf(a).nova);
    // the call was a NOVA call hypercall from B's entrypoint thread, answered with SUCCESS
    const bEp = bEnv!.ep().kernel_ep.thread as NovaGenodeThread;
    expect(
      kernelTrace
        .lines()
        .some((l) => l.includes(`${bEp.ec!.label} call(0x${sel.toString(16)},`) && l.endsWith('SUCCESS')),
    ).toBe(true);
    expect(checkInvariants(k.nova)).toEqual([]);
  });

  it('a dissolved object is gone for every holder; handler exceptions reach the caller', () => {
    const { system: s, k } = system();
    const results: string[] = [];
    const c = start(s, 'dissolve', function* (env) {
      const cap = env.ep().manage(
        {
          ok: () => 'fine',
          bad: () => {
            throw new GenodeError('Invalid_argument', 'no');
          },
        },
        ['ok', 'bad'],
      );
      results.push(rpc_call<string>(env, cap, 'ok'));
      try {
        rpc_call(env, cap, 'bad');
      } catch (e) {
        results.push(`threw ${(e as GenodeError).code}`);
      }
      const pt = k.objectOf(cap) as Pt;
      env.ep().dissolve(cap);
      results.push(`portal destroyed: ${pt.destroyed}`);
      try {
        rpc_call(env, cap, 'ok');
      } catch (e) {
        results.push((e as GenodeError).code);
      }
      yield* env.kernel.yieldCpu();
      env.parent().exit(0);
    });
    s.run({ until: () => c.exit_value() !== undefined, maxSteps: 100_000 });
    expect(results).toEqual(['fine', 'threw Invalid_argument', 'portal destroyed: true', 'Ipc_error']);
    expect(checkInvariants(k.nova)).toEqual([]);
  });
});

describe('genode-base on NOVA: threads, semaphores, signals, time', () => {
  it('threads are global ECs with SCs (Genode QPD); entrypoints serve portals with a local EC', () => {
    const { system: s, k } = system();
    let thread: NovaGenodeThread | undefined;
    let epThread: NovaGenodeThread | undefined;
    let epRpc: NovaGenodeThread | undefined;
    let done = false;
    start(s, 'threads', function* (env) {
      const t = new Thread(env, 'worker', 16 * 1024, () => {
        thread = env.kernel.currentThread() as NovaGenodeThread;
      });
      t.start();
      yield* t.join();
      const ep = new Entrypoint(env, 16 * 1024, 'server');
      epThread = ep.kernel_ep.thread as NovaGenodeThread;
      epRpc = (ep.kernel_ep as unknown as { rpc: NovaGenodeThread }).rpc;
      done = true;
    });
    s.run({ until: () => done, maxSteps: 100_000 });
    const ec = thread!.ec!;
    expect(ec.kind).toBe('global');
    const sc = k.nova.objCap(k.nova.root, thread!.scSel)!.obj as Sc;
    expect([sc.prio, sc.quantumUs, sc.ec]).toEqual([64, 10_000, ec]);
    expect(epThread!.ec!.kind).toBe('global');
    expect(epRpc!.ec!.kind).toBe('local');
    expect(epRpc!.ec!.scs.size).toBe(0);
    expect(epRpc!.ec!.pd).toBe(epThread!.ec!.pd);
  });

  it('semaphores are NOVA SMs; signals are signal SMs chained to the entrypoint SM', () => {
    const { system: s, k } = system();
    const got: string[] = [];
    let chain: Sm | null = null;
    let sourceSm: Sm | undefined;
    const c = start(s, 'signals', function* (env) {
      const sem = env.kernel.createSemaphore(0);
      got.push(`sem is SM: ${(sem as unknown as { sm: Sm }).sm.type === ObjType.SM}`);
      const waiter = new Thread(env, 'waiter', 16 * 1024, function* () {
        yield* env.kernel.semDown(sem);
        got.push('released');
      });
      waiter.start();
      yield* env.kernel.yieldCpu();
      got.push('up');
      env.kernel.semUp(sem);
      yield* waiter.join();
      let signals = 0;
      const sigEp = new Entrypoint(env, 16 * 1024, 'signals');
      const h = new Signal_handler(sigEp, (n: number) => {
        signals += n;
      });
      const ctx = k.objectOf(h.cap()) as Sm;
      chain = ctx.chain;
      sourceSm = (sigEp.signal_source as unknown as { sem: { sm: Sm } }).sem.sm;
      // three submits before the entrypoint waits again: one delivery with count 3
      env.pd().submit(h.cap(), 1);
      env.pd().submit(h.cap(), 2);
      while (signals === 0) yield* env.kernel.yieldCpu();
      got.push(`signals ${signals}`);
      env.parent().exit(0);
    });
    s.run({ until: () => c.exit_value() !== undefined, maxSteps: 100_000 });
    expect(got).toEqual(['sem is SM: true', 'up', 'released', 'signals 3']);
    expect(chain).toBe(sourceSm);
    expect(checkInvariants(k.nova)).toEqual([]);
  });

  it('sleep is an SM down with an absolute timeout on the virtual clock', () => {
    const { system: s } = system();
    const times: number[] = [];
    const c = start(s, 'sleeper', function* (env) {
      times.push(env.kernel.now());
      yield* env.kernel.sleep(250);
      times.push(env.kernel.now());
      yield* env.kernel.sleep(1000);
      times.push(env.kernel.now());
      env.parent().exit(0);
    });
    const r = s.run({ until: () => c.exit_value() !== undefined, maxSteps: 100_000 });
    expect(r.reason).toBe('until');
    expect([times[1]! - times[0]!, times[2]! - times[1]!]).toEqual([250, 1000]);
  });

  it('a thread blocked on an unresolvable fault is reported blocked on its pause semaphore', () => {
    const { system: s, k } = system();
    let ec: Ec | undefined;
    start(s, 'stuck', (env) => {
      const t = new Thread(env, 'faulter', 16 * 1024, function* () {
        ec = (env.kernel.currentThread() as NovaGenodeThread).ec!;
        yield* env.rm().local.read8(0x4000_0000);
      });
      t.start();
    });
    const r = s.run({ maxSteps: 100_000 });
    expect(r.reason).toBe('quiescent');
    expect(s.log).toContain(
      "Error: illegal READ at address 0x40000000 by pager_object: pd='init -> stuck' thread='faulter' ip=0x0",
    );
    expect(r.blocked.map((b) => [b.thread.name, b.on])).toContainEqual(['faulter', 'page-fault']);
    const t = k.threadOf(ec!)!;
    expect(ec!.waitingOn).toBe(t.pager!.pause.sm);
  });

  it('two CPUs: a thread on CPU 1 calls core on CPU 0 (cross-CPU call) and faults to core’s pager of CPU 1', () => {
    const kernelTrace = new TraceLog();
    let k: NovaGenodeKernel | undefined;
    const s = boot({
      kernel: novaKernel({ kernelTrace, onBoot: (b) => (k = b) }),
      ramBytes: 64 << 20,
      cpus: 2,
    });
    let value = -1;
    let ec: Ec | undefined;
    start(s, 'smp', (env) => {
      const t = env.cpu().create_thread(env.pd_session_cap(), {
        name: 'cpu1',
        cpu: 1,
        *body() {
          ec = (env.kernel.currentThread() as NovaGenodeThread).ec!;
          const ds = env.ram().alloc(4096);
          const r = env.rm().attach(ds, { writeable: true });
          const a = r.ok ? r.range.start : 0;
          yield* env.rm().local.write32(a, 0x1234);
          value = yield* env.rm().local.read32(a);
        },
      });
      env.cpu().start(t!);
    });
    s.run({ until: () => value >= 0, maxSteps: 100_000 });
    expect(value).toBe(0x1234);
    expect(ec!.cpu).toBe(1);
    expect(kernelTrace.lines().some((l) => l.includes(`${ec!.label} event 0xe -> core:pager1`))).toBe(true);
    expect(checkInvariants(k!.nova)).toEqual([]);
  });
});
