import { describe, expect, it } from 'vitest';
import type { Capability } from '../kernel/capability.js';
import type { Kernel, KernelPd, PagerReply } from '../kernel/kernel.js';
import { testKernel } from '../test-kernel/test-kernel.js';
import { Rm_connection } from './connections.js';
import { Region_map_client } from './region-map-client.js';
import { boot } from './system.js';

describe('boot and start', () => {
  it('starts a component that logs and exits', () => {
    const system = boot({ kernel: testKernel() });
    const c = system.start({
      name: 'hello',
      ram: 1 << 20,
      caps: 50,
      component: {
        *construct(env) {
          env.log('Hello');
          const ds = env.ram().alloc(4096);
          const r = env.rm().attach(ds, { writeable: true });
          if (!r.ok) throw new Error(r.error);
          yield* env.rm().local.write32(r.range.start, 0x1234);
          const v = yield* env.rm().local.read32(r.range.start);
          env.log('value ', v);
          env.parent().exit(0);
        },
      },
    });
    const res = system.run({ until: () => c.exit_value() !== undefined });
    expect(res.reason).toBe('until');
    expect(system.log).toContain('[init -> hello] Hello');
    expect(system.log).toContain('[init -> hello] value 4660');
    expect(c.exit_value()).toBe(0);
  });
});

describe('kernel hooks a backend may implement', () => {
  it('a started child gets its parent, PD, CPU, LOG and address-space capabilities granted', () => {
    const grants: { pd: string; caps: number[] }[] = [];
    const inner = testKernel();
    const kernel: Kernel = {
      name: 'test (grant spy)',
      boot(machine, core) {
        const k = inner.boot(machine, core);
        return Object.assign(k, {
          grantCapabilities: (pd: KernelPd, caps: readonly Capability[]) =>
            grants.push({ pd: pd.label, caps: caps.map((c) => c.id) }),
        });
      },
    };
    const system = boot({ kernel });
    let sessions: number[] = [];
    const c = system.start({
      name: 'child',
      ram: 1 << 20,
      caps: 50,
      component: {
        construct(env) {
          sessions = [env.pd_session_cap().id, env.cpu_session_cap().id, env.pd().address_space().id];
          env.parent().exit(0);
        },
      },
    });
    system.run({ until: () => c.exit_value() !== undefined });
    expect(grants).toHaveLength(1);
    expect(grants[0]!.pd).toBe('init -> child');
    expect(grants[0]!.caps).toHaveLength(5);
    expect(grants[0]!.caps).toContain(sessions[0]);
    expect(grants[0]!.caps).toContain(sessions[1]);
    expect(grants[0]!.caps).toContain(sessions[2]);
  });

  it('core reports the region maps a fault lookup walked when the kernel asks (and only then)', () => {
    const replies: PagerReply[] = [];
    const inner = testKernel();
    let walk = false;
    const kernel: Kernel = {
      name: 'test (pager spy)',
      boot(machine, core) {
        return inner.boot(machine, {
          ...core,
          pageFault: (f) => {
            const r = core.pageFault(walk ? { ...f, walk: true } : f);
            replies.push(r);
            return r;
          },
        });
      },
    };
    const system = boot({ kernel });
    system.start({
      name: 'walker',
      ram: 2 << 20,
      caps: 100,
      component: {
        *construct(env) {
          const rm = new Rm_connection(env);
          const sub = new Region_map_client(env, rm.create(0x10000));
          sub.attach(env.ram().alloc(0x4000), { use_at: true, at: 0, writeable: true });
          sub.attach(env.ram().alloc(0x4000), { use_at: true, at: 0x8000, writeable: true });
          const r = env.rm().attach(sub.dataspace(), { writeable: true });
          const base = r.ok ? r.range.start : 0;
          yield* env.rm().local.read8(base + 0x100);
          walk = true;
          yield* env.rm().local.read8(base + 0x9000);
          // a hole in the sub map: no handler, the thread stays stopped
          yield* env.rm().local.read8(base + 0x6000);
        },
      },
    });
    system.run({ until: () => replies.length >= 3 });
    // the first fault was not asked for a walk; the next two were (resolved, and a hole)
    const withWalk = replies.filter((r) => r.walk !== undefined);
    expect(replies.length).toBeGreaterThan(withWalk.length);
    expect(withWalk).toHaveLength(2);
    expect(withWalk[0]!.walk!.map((s) => [s.map, s.dataspace ?? 'none'])).toEqual([
      ['init -> walker address space', 'MANAGED'],
      [expect.stringContaining('walker'), 'RAM'],
    ]);
    expect(withWalk[0]!.walk![1]!.addr).toBe(0x9000);
    expect(withWalk[1]!.kind).toBe('block');
    expect(withWalk[1]!.walk!.at(-1)!.region).toBeUndefined();
  });
});
