import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rm_connection } from '../base/connections.js';
import { Pd_session_client } from '../base/pd-session-client.js';
import { Region_map_client } from '../base/region-map-client.js';
import { rpc_call } from '../base/rpc.js';
import { boot } from '../base/system.js';
import { Thread } from '../base/thread.js';
import { GenodeError } from '../errors.js';
import { INVALID_CAPABILITY } from '../kernel/capability.js';
import { run_component } from '../test-kernel/harness.js';
import { testKernel } from '../test-kernel/test-kernel.js';
import { Cap_quota, Ram_quota } from './pd-session-component.js';
import type { Rm_create_result } from './rm-session-component.js';

const junk = fc.oneof(
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(-4096),
  fc.constant(0.5),
  fc.constant(2 ** 60),
  fc.integer({ min: -10, max: 1 << 22 }),
);

describe('bad input leaves every account and map consistent', () => {
  it('random junk attaches, detaches, allocations, frees and transfers', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              k: fc.constant('attach' as const),
              offset: junk,
              size: junk,
              at: junk,
              use_at: fc.boolean(),
            }),
            fc.record({ k: fc.constant('detach' as const), at: junk }),
            fc.record({ k: fc.constant('alloc' as const), size: junk }),
            fc.record({ k: fc.constant('free' as const), which: fc.integer({ min: 0, max: 4 }) }),
            fc.record({ k: fc.constant('transfer' as const), amount: junk, caps: fc.boolean() }),
          ),
          { maxLength: 40 },
        ),
        (ops) => {
          const system = boot({ kernel: testKernel(), ramBytes: 8 << 20 });
          const core = system.core;
          const ctx = { kernel: system.kernel };
          const pdCap = core.create_session('PD', 'junk', { ram: 1 << 20, caps: 100 });
          const pd = new Pd_session_client(ctx, pdCap);
          pd.ref_account(core.core_pd.cap);
          const rmCap = core.create_session('RM', 'junk', { ram: 64 * 1024, caps: 4 });
          const created = rpc_call<Rm_create_result>(ctx, rmCap, 'create', 1 << 20);
          if (!created.ok) throw new Error('create');
          const rm = new Region_map_client(ctx, created.cap);
          const comp = core.region_map_of(created.cap)!;
          const pdc = core.session_of(pdCap)!;
          const dss = [pd.alloc(4096), pd.alloc(16384)];
          for (const o of ops) {
            if (o.k === 'attach') {
              const r = rm.attach(dss[1]!, { offset: o.offset, size: o.size, at: o.at, use_at: o.use_at });
              if (r.ok) {
                expect(r.range.start % 4096).toBe(0);
                expect(r.range.num_bytes % 4096).toBe(0);
              }
            } else if (o.k === 'detach') rm.detach(o.at);
            else if (o.k === 'alloc') {
              const r = pd.try_alloc(o.size);
              if (r.ok) dss.push(r.cap);
              else expect(['DENIED', 'OUT_OF_RAM', 'OUT_OF_CAPS']).toContain(r.error);
            } else if (o.k === 'free') {
              const victim = [INVALID_CAPABILITY, pdCap, created.cap, rmCap, dss[dss.length - 1]!][o.which]!;
              pd.free(victim);
            } else {
              const amount = o.caps ? Cap_quota(o.amount) : Ram_quota(o.amount);
              expect(['OK', 'EXCEEDED', 'INVALID']).toContain(pd.transfer_quota(core.core_pd.cap, amount));
            }
            // invariants: metadata = regions; RAM used = live dataspaces; limits never below use
            expect(comp.metadata_objects).toBe(comp.region_count);
            let live = 0;
            for (const d of dss) live += pd.dataspace_size(d);
            expect(pdc.ram_guard.used).toBe(live);
            expect(pdc.ram_guard.limit).toBeGreaterThanOrEqual(pdc.ram_guard.used);
            expect(pdc.ram_guard.limit).toBeGreaterThanOrEqual(1 << 20);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('invalid capabilities give Genode results, RPC on them an Ipc_error', () => {
    const { c } = run_component((env) => {
      const rm = new Rm_connection(env);
      const sub = new Region_map_client(env, rm.create(1 << 20));
      expect(sub.attach(INVALID_CAPABILITY, {})).toEqual({ ok: false, error: 'INVALID_DATASPACE' });
      expect(env.pd().ref_account(INVALID_CAPABILITY)).toBe('OK'); // already defined: no-op
      expect(env.pd().transfer_quota(INVALID_CAPABILITY, Ram_quota(1))).toBe('INVALID');
      expect(env.pd().dataspace_size(INVALID_CAPABILITY)).toBe(0);
      expect(() => new Region_map_client(env, INVALID_CAPABILITY).attach(INVALID_CAPABILITY, {})).toThrow(
        expect.objectContaining({ code: 'Ipc_error' }),
      );
      expect(() => rpc_call(env, sub.rpc_cap(), 'destroy')).toThrow(GenodeError);
      rm.destroy(INVALID_CAPABILITY);
      rm.destroy(sub.rpc_cap());
      rm.destroy(sub.rpc_cap());
      expect(() => sub.attach(INVALID_CAPABILITY, {})).toThrow(
        expect.objectContaining({ code: 'Ipc_error' }),
      );
      env.rm().detach(0xdead_0000);
      const denied = rm.create(0);
      expect(denied.id).toBe(-1);
      rm.close();
    });
    expect(c.exit_value()).toBe(0);
  });

  it('a region map attached into itself is caught at fault time, not at attach time', () => {
    let done = false;
    const { system, c } = run_component(function* (env) {
      const rm = new Rm_connection(env);
      const m = new Region_map_client(env, rm.create(8192));
      expect(m.attach(m.dataspace(), { use_at: true, at: 0 }).ok).toBe(true);
      const L = env.rm().attach(m.dataspace(), {});
      expect(L.ok).toBe(true);
      const t = new Thread(env, 'looper', 16 * 1024, function* () {
        yield* env.rm().local.read8(L.ok ? L.range.start : 0);
        done = true;
      });
      t.start();
      for (let i = 0; i < 20; i++) yield* env.kernel.yieldCpu();
    });
    expect(c.exit_value()).toBe(0);
    expect(done).toBe(false);
    expect(system.log).toContain('Error: giving up on unexpectedly deep memory-mapping structure');
    expect(system.core.stopped.map((s) => s.thread.name)).toEqual(['looper']);
  });
});
