import { describe, expect, it } from 'vitest';
import type { Blocking } from '../kernel/blocking.js';
import type { CoreUpcalls, KernelThread, PageFault, ThreadOutcome } from '../kernel/kernel.js';
import { testKernel } from './test-kernel.js';

function bootBare() {
  const faults: PageFault[] = [];
  const exits: [string, ThreadOutcome['kind']][] = [];
  const log: string[] = [];
  let reply: (f: PageFault) => ReturnType<CoreUpcalls['pageFault']> = () => ({ kind: 'block' });
  const k = testKernel().boot(
    { ramBytes: 4 << 20, cpus: 1 },
    {
      pageFault: (f) => {
        faults.push(f);
        return reply(f);
      },
      threadExited: (t: KernelThread, o) => exits.push([t.name, o.kind]),
      log: (l) => log.push(l),
    },
  );
  return { k, faults, exits, log, setReply: (fn: typeof reply) => (reply = fn) };
}

describe('test kernel: scheduling', () => {
  it('round-robins generator threads deterministically at their yields', () => {
    const { k } = bootBare();
    const pd = k.createPd('p');
    const trace: string[] = [];
    for (const name of ['a', 'b']) {
      const t = k.createThread(pd, {
        name,
        *body() {
          for (let i = 0; i < 3; i++) {
            trace.push(`${name}${i}`);
            yield* k.yieldCpu();
          }
        },
      });
      k.startThread(t);
    }
    const r = k.run();
    expect(trace).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    expect(r.reason).toBe('quiescent');
    expect(r.blocked).toEqual([]);
  });

  it('semaphores wake FIFO; run() reports blocked threads and stops on steps, time and until', () => {
    const { k, exits } = bootBare();
    const pd = k.createPd('p');
    const sm = k.createSemaphore(0);
    const order: string[] = [];
    for (const name of ['w1', 'w2']) {
      k.startThread(
        k.createThread(pd, {
          name,
          *body() {
            yield* k.semDown(sm);
            order.push(name);
          },
        }),
      );
    }
    let r = k.run();
    expect(r.reason).toBe('quiescent');
    expect(r.blocked.map((b) => [b.thread.name, b.on])).toEqual([
      ['w1', 'semaphore'],
      ['w2', 'semaphore'],
    ]);
    k.semUp(sm);
    k.semUp(sm);
    k.run();
    expect(order).toEqual(['w1', 'w2']);
    expect(exits).toEqual([
      ['w1', 'returned'],
      ['w2', 'returned'],
    ]);
    k.startThread(
      k.createThread(pd, {
        name: 'spinner',
        *body() {
          for (;;) yield* k.spin(10);
        },
      }),
    );
    expect(k.run({ maxSteps: 5 }).reason).toBe('steps');
    r = k.run({ maxTime: 1000 });
    expect(r.reason).toBe('time');
    expect(r.now).toBe(1000);
    let flag = false;
    k.startThread(
      k.createThread(pd, {
        name: 'sleeper',
        *body() {
          yield* k.sleep(5000);
          flag = true;
        },
      }),
    );
    r = k.run({ until: () => flag });
    expect(r.reason).toBe('until');
    expect(k.now()).toBeGreaterThanOrEqual(6000);
  });

  it('skips idle time to the next deadline', () => {
    const { k } = bootBare();
    const pd = k.createPd('p');
    let woke = -1;
    k.startThread(
      k.createThread(pd, {
        name: 's',
        *body() {
          yield* k.sleep(1_000_000);
          woke = k.now();
        },
      }),
    );
    const r = k.run();
    expect(woke).toBe(1_000_000);
    expect(r.steps).toBe(2);
  });

  it('a throwing body ends the thread with an error outcome; kill ends it for good', () => {
    const { k, exits } = bootBare();
    const pd = k.createPd('p');
    k.startThread(
      k.createThread(pd, {
        name: 'thrower',
        *body(): Blocking<void> {
          yield* k.yieldCpu();
          throw new Error('boom');
        },
      }),
    );
    const victim = k.createThread(pd, {
      name: 'victim',
      *body() {
        for (;;) yield* k.yieldCpu();
      },
    });
    k.startThread(victim);
    k.run({ maxSteps: 4 });
    k.killThread(victim);
    expect(k.run().reason).toBe('quiescent');
    expect(exits).toEqual([
      ['thrower', 'error'],
      ['victim', 'killed'],
    ]);
  });
});

describe('test kernel: memory', () => {
  it('installs flexpages, refuses misaligned ones, flushes ranges', () => {
    const { k } = bootBare();
    const pd = k.createPd('p');
    expect(
      k.map(pd, { phys: 0x10_0000, virt: 0x40_0000, log2: 13, rights: { write: true, exec: false } }),
    ).toBe('OK');
    expect(k.lookup(pd, 0x40_1fff)).toEqual({
      virt: 0x40_1000,
      phys: 0x10_1000,
      rights: { write: true, exec: false },
    });
    expect(k.map(pd, { phys: 0x1000, virt: 0x40_0000, log2: 13, rights: { write: true, exec: false } })).toBe(
      'INVALID',
    );
    expect(k.map(pd, { phys: 0, virt: 0x800, log2: 12, rights: { write: true, exec: false } })).toBe(
      'INVALID',
    );
    expect(k.map(pd, { phys: 4 << 20, virt: 0, log2: 12, rights: { write: true, exec: false } })).toBe(
      'INVALID',
    );
    k.unmap(pd, 0x40_1000, 0x1000);
    expect(k.lookup(pd, 0x40_0000)).toBeDefined();
    expect(k.lookup(pd, 0x40_1000)).toBeUndefined();
  });

  it('reports the NOVA fault type: a fetch from an absent page is READ, from a present one EXEC', () => {
    const { k, faults, setReply } = bootBare();
    const pd = k.createPd('p');
    setReply((f) =>
      f.type === 'read'
        ? {
            kind: 'map',
            mapping: {
              phys: 0x20_0000,
              virt: f.addr - (f.addr % 4096),
              log2: 12,
              rights: { write: false, exec: false },
            },
          }
        : { kind: 'block' },
    );
    const t = k.createThread(pd, {
      name: 'fetcher',
      *body() {
        yield* k.pageFault(pd, 0x5000, 'exec', 0x5000);
        yield* k.pageFault(pd, 0x5000, 'exec', 0x5000);
      },
    });
    k.startThread(t);
    const r = k.run();
    expect(faults.map((f) => f.type)).toEqual(['read', 'exec']);
    expect(r.blocked.map((b) => b.on)).toEqual(['page-fault']);
    k.wake(t);
    expect(k.run().blocked).toEqual([]);
  });

  it('a wake before the block is not lost (pause semaphore)', () => {
    const { k } = bootBare();
    const pd = k.createPd('p');
    let done = false;
    const t = k.createThread(pd, {
      name: 'x',
      *body() {
        yield* k.yieldCpu();
        yield* k.pageFault(pd, 0x9000, 'read');
        done = true;
      },
    });
    k.startThread(t);
    k.wake(t);
    k.run();
    expect(done).toBe(true);
  });
});

describe('test kernel: RPC and signals', () => {
  it('calls handlers synchronously and reports invalid capabilities', () => {
    const { k } = bootBare();
    const pd = k.createPd('srv');
    const ep = k.createEntrypoint(pd, {
      name: 'ep',
      *body() {
        /* serves RPC only */
      },
    });
    const cap = k.manage(ep, (req) => `${req.op}:${req.args.join(',')}`);
    expect(k.call(cap, { op: 'echo', args: [1, 2] })).toEqual({ ok: true, value: 'echo:1,2' });
    k.dissolve(cap);
    expect(k.call(cap, { op: 'echo', args: [] })).toEqual({ ok: false, error: 'INVALID_CAPABILITY' });
    expect(k.call({ id: -1 }, { op: 'echo', args: [] })).toEqual({ ok: false, error: 'INVALID_CAPABILITY' });
  });

  it('accumulates signal counts per context and delivers contexts FIFO', () => {
    const { k } = bootBare();
    const pd = k.createPd('p');
    const got: [number, number][] = [];
    let src: ReturnType<typeof k.createSignalSource> | undefined;
    const ep = k.createEntrypoint(pd, {
      name: 'ep',
      *body() {
        for (;;) {
          const d = yield* k.waitSignal(src!);
          got.push([d.imprint, d.count]);
        }
      },
    });
    src = k.createSignalSource(ep);
    const a = k.createSignalContext(src, 1);
    const b = k.createSignalContext(src, 2);
    k.submitSignal(a);
    k.submitSignal(b, 2);
    k.submitSignal(a, 3);
    k.submitSignal({ id: 9999 });
    k.startThread(ep.thread);
    k.run();
    expect(got).toEqual([
      [1, 4],
      [2, 2],
    ]);
    k.destroySignalContext(a);
    k.submitSignal(a);
    k.submitSignal(b);
    k.run();
    expect(got).toEqual([
      [1, 4],
      [2, 2],
      [2, 1],
    ]);
  });
});
