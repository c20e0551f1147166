import { Rm_connection } from '../../base/connections.js';
import { Region_map_client } from '../../base/region-map-client.js';
import type { Capability } from '../../kernel/capability.js';
import { component_scenario, type Scenario } from '../kit.js';
import { Accessor, Fault_recorder, settle, wait_until } from '../probe.js';

/**
 * §6 rule 6: lookups translate by `-base +offset` per level; a window may be smaller than the
 * nested map; the depth limit is 5 (address space plus four nested maps); a map attached into
 * itself is caught at fault time; unmapping propagates to every map that embeds the map.
 */
export const rule_06_nested: Scenario = component_scenario({
  name: 'rule-06-nested',
  title: 'nested maps: translation, windows, depth limit, self-attach, unmap propagation',
  source: 'spec/genode.md §6.6, §3.3, §3.4',
  expected_errors: ['giving up on unexpectedly deep memory-mapping structure', 'READ at address'],
  *body(env, t, system) {
    const rm = new Rm_connection(env);
    const mem = env.rm().local;
    const s = new Region_map_client(env, rm.create(1024 * 1024));
    const L = env.rm().attach(s.dataspace(), { writeable: true });
    const base = L.ok ? L.range.start : 0;
    const rec = new Fault_recorder(env, s, (f) => {
      s.attach(env.ram().alloc(4096), { use_at: true, at: f.addr - (f.addr % 4096) });
    });

    // translation: page k of the dataspace holds k+1 at its first byte
    const ds = env.ram().alloc(16 * 1024);
    const tmp = env.rm().attach(ds, { writeable: true });
    for (let k = 0; k < 4; k++) yield* mem.write8((tmp.ok ? tmp.range.start : 0) + k * 4096, k + 1);
    if (tmp.ok) env.rm().detach(tmp.range.start);
    s.attach(ds, { use_at: true, at: 0x4000, offset: 4096 });
    t.equal('L+0x4000 shows dataspace page 1', yield* mem.read8(base + 0x4000), 2);
    t.equal('L+0x6000 shows dataspace page 3', yield* mem.read8(base + 0x6000), 4);

    // a window smaller than the nested map
    const w = new Region_map_client(env, rm.create(40 * 1024));
    w.attach(env.ram().alloc(40 * 1024), { use_at: true, at: 0, writeable: true });
    s.attach(w.dataspace(), { use_at: true, at: 0x10000, size: 24 * 1024 });
    t.equal('inside the window', yield* mem.read32(base + 0x10000 + 0x5000), 0);
    t.equal('no fault inside the window', rec.faults.length, 0);
    const a = new Accessor(env, 'beyond_window', function* (m) {
      yield* m.read32(base + 0x16000);
    });
    yield* wait_until(env, () => a.done);
    t.equal('beyond the window: NO_REGION in the outer map', rec.faults[0]?.addr, 0x16000);
    t.equal('beyond the window: READ', rec.faults[0]?.type, 'READ');

    // depth: address space + S + M1 + M2 + M3 = 5 levels resolve
    const chain = (depth: number): Capability => {
      const maps = Array.from({ length: depth }, () => new Region_map_client(env, rm.create(16 * 1024)));
      for (let i = 0; i + 1 < maps.length; i++)
        maps[i]!.attach(maps[i + 1]!.dataspace(), { use_at: true, at: 0 });
      maps[maps.length - 1]!.attach(env.ram().alloc(4096), { use_at: true, at: 0 });
      return maps[0]!.dataspace();
    };
    s.attach(chain(3), { use_at: true, at: 0x20000 });
    s.attach(chain(4), { use_at: true, at: 0x30000 });
    const d5 = new Accessor(env, 'depth5', function* (m) {
      yield* m.read32(base + 0x20000);
    });
    yield* wait_until(env, () => d5.done);
    t.add('five levels resolve', d5.done);
    const d6 = new Accessor(env, 'depth6', function* (m) {
      yield* m.read32(base + 0x30000);
    });
    yield* settle(env, 100);
    t.add('six levels: the thread is stopped', !d6.done);
    t.add(
      'six levels: core gives up',
      system.log.includes('Error: giving up on unexpectedly deep memory-mapping structure'),
    );

    // a map attached into itself
    const z = new Region_map_client(env, rm.create(16 * 1024));
    const self = z.attach(z.dataspace(), { use_at: true, at: 0 });
    t.add('attaching a map into itself succeeds', self.ok);
    s.attach(z.dataspace(), { use_at: true, at: 0x38000 });
    const n = system.log.length;
    const zz = new Accessor(env, 'self_attached', function* (m) {
      yield* m.read32(base + 0x38000);
    });
    yield* settle(env, 100);
    t.add('self-attached map: the thread is stopped', !zz.done);
    t.add(
      'self-attached map: caught by the recursion limit',
      system.log.slice(n).includes('Error: giving up on unexpectedly deep memory-mapping structure'),
    );

    // unmap propagation to every embedding map
    const u = new Region_map_client(env, rm.create(16 * 1024));
    const uds = env.ram().alloc(4096);
    u.attach(uds, { use_at: true, at: 0, writeable: true });
    s.attach(u.dataspace(), { use_at: true, at: 0x3c000, writeable: true });
    const L2 = env.rm().attach(u.dataspace(), { writeable: true });
    const second = L2.ok ? L2.range.start : 0;
    yield* mem.write32(base + 0x3c000, 0x1234);
    t.equal('both embeddings show the same memory', yield* mem.read32(second), 0x1234);
    const kpd = env.pd().native_pd()!;
    t.add(
      'both embeddings are mapped',
      !!env.kernel.lookup(kpd, base + 0x3c000) && !!env.kernel.lookup(kpd, second),
    );
    u.detach(0);
    t.add(
      'detach in the inner map flushes the first embedding',
      env.kernel.lookup(kpd, base + 0x3c000) === undefined,
    );
    t.add('and the second one', env.kernel.lookup(kpd, second) === undefined);
  },
});
