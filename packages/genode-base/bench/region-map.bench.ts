/**
 * genode-base benchmarks (not tests: nothing here asserts a time).
 *
 *   cd packages/genode-base && npx vitest bench --run --dir bench
 *
 * - attach+detach pairs per second on a region map that holds 10,000 regions (and 1,000 /
 *   100,000 for the scaling), through the RPC path (`Region_map_client`) and core-direct;
 * - page faults resolved per second through a two-level nested managed dataspace, with the
 *   kernel (test backend) delivering each fault to core's pager and installing the mapping;
 * - memory per region (heap growth per attached region, printed once).
 */
import { bench, describe } from 'vitest';
import { Pd_session_client } from '../src/base/pd-session-client.js';
import { Region_map_client } from '../src/base/region-map-client.js';
import { rpc_call } from '../src/base/rpc.js';
import { boot } from '../src/base/system.js';
import type { Rm_create_result } from '../src/core/rm-session-component.js';
import type { Capability } from '../src/kernel/capability.js';
import { testKernel } from '../src/test-kernel/test-kernel.js';

const PAGE = 4096;

function mapWith(regions: number) {
  const system = boot({ kernel: testKernel(), ramBytes: 64 << 20 });
  const core = system.core;
  const ctx = { kernel: system.kernel };
  const pd = new Pd_session_client(ctx, core.create_session('PD', 'bench', { ram: 4 << 20, caps: 1000 }));
  const rmCap = core.create_session('RM', 'bench', { ram: 48 << 20, caps: 20_000 });
  const created = rpc_call<Rm_create_result>(ctx, rmCap, 'create', 2 ** 40);
  if (!created.ok) throw new Error('create failed');
  const rm = new Region_map_client(ctx, created.cap);
  const component = core.region_map_of(created.cap)!;
  const ds = pd.alloc(PAGE);
  // regions every 8 KiB: 10,000 regions and 10,000 one-page holes in between
  for (let i = 0; i < regions; i++) rm.attach(ds, { use_at: true, at: i * 2 * PAGE });
  return { rm, component, ds };
}

const keepAlive: unknown[] = [];

function heapPerRegion(n: number): number {
  const g = (globalThis as { gc?: () => void }).gc;
  const m = mapWith(0);
  keepAlive.push(m);
  g?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) m.rm.attach(m.ds, { use_at: true, at: i * 2 * PAGE });
  g?.();
  const after = process.memoryUsage().heapUsed;
  if (m.component.region_count !== n) throw new Error('regions missing');
  return (after - before) / n;
}

console.log(
  `memory per region (heap growth over 100,000 regions${(globalThis as { gc?: unknown }).gc ? ', after gc' : ', no --expose-gc'}): ${Math.round(heapPerRegion(100_000))} bytes`,
);

for (const n of [1_000, 10_000, 100_000]) {
  describe(`region map with ${n.toLocaleString('en')} regions`, () => {
    const m = mapWith(n);
    bench('attach anywhere + detach (RPC)', () => {
      const r = m.rm.attach(m.ds, {});
      if (r.ok) m.rm.detach(r.range.start);
    });
    bench('attach at + detach by interior address (RPC)', () => {
      m.rm.attach(m.ds, { use_at: true, at: (n >> 1) * 2 * PAGE + PAGE });
      m.rm.detach((n >> 1) * 2 * PAGE + PAGE + 17);
    });
    bench('region lookup (core-direct)', () => {
      m.component.region_at(((n * 7919) % n) * 2 * PAGE + 5);
    });
  });
}

describe('page faults through a two-level nested managed dataspace', () => {
  const PAGES = 256;
  const system = boot({ kernel: testKernel(), ramBytes: 32 << 20 });
  let faults = 0;
  const k = system.kernel;
  const map = k.map.bind(k);
  k.map = (pd, page) => {
    faults++;
    return map(pd, page);
  };
  let round: (() => void) | undefined;
  let done = 0;
  let sub: Region_map_client | undefined;
  let ram: Capability | undefined;
  system.start({
    name: 'bench',
    ram: 8 << 20,
    caps: 500,
    component: {
      *construct(env) {
        const rmc = rpc_call<Rm_create_result>(
          env,
          env.session('RM', '', { ram: 1 << 20, caps: 100 }),
          'create',
          4 << 20,
        );
        const rmc2 = rpc_call<Rm_create_result>(
          env,
          env.session('RM', '', { ram: 1 << 20, caps: 100 }),
          'create',
          2 << 20,
        );
        if (!rmc.ok || !rmc2.ok) throw new Error('create');
        const top = new Region_map_client(env, rmc.cap);
        sub = new Region_map_client(env, rmc2.cap);
        ram = env.ram().alloc(PAGES * PAGE);
        // offsets that allow only 4 KiB flexpages: one fault per page
        sub.attach(ram, { use_at: true, at: 0x1000, writeable: true });
        top.attach(sub.dataspace(), { use_at: true, at: 0x2000, writeable: true });
        const L = env.rm().attach(top.dataspace(), { writeable: true });
        const base = (L.ok ? L.range.start : 0) + 0x2000 + 0x1000;
        for (;;) {
          for (let i = 0; i < PAGES; i++) yield* env.rm().local.read8(base + i * PAGE);
          done++;
          yield* env.kernel.sleep(1);
        }
      },
    },
  });
  round = () => {
    // flush: re-attach the RAM (detach flushes both levels), then let the reader fault every page again
    sub!.detach(0x1000);
    sub!.attach(ram!, { use_at: true, at: 0x1000, writeable: true });
    const target = done + 1;
    system.run({ until: () => done >= target });
  };
  system.run({ until: () => done >= 1 });
  const f0 = faults;
  round();
  console.log(`faults per round of ${PAGES} pages: ${faults - f0} (one 4 KiB mapping each)`);
  bench(`round of ${PAGES} page faults (kernel → core pager → 2 nested maps → map)`, () => round!());
});
