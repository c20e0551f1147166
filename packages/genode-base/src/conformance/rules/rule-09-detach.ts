import { Rm_connection } from '../../base/connections.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { component_scenario, type Scenario } from '../kit.js';
import { Accessor, Fault_recorder, settle } from '../probe.js';

/**
 * §6 rule 9: detach by any interior address removes the whole region; unknown addresses are a
 * no-op; detach flushes mappings; dataspace destruction flushes but keeps the range reserved
 * until detached; detaching never wakes a faulter.
 */
export const rule_09_detach: Scenario = component_scenario({
  name: 'rule-09-detach',
  title: 'detach, flush, reserved ranges after dataspace destruction',
  source: 'spec/genode.md §6.9, §3.3',
  *body(env, t, system) {
    const rm = new Rm_connection(env);
    const mem = env.rm().local;
    const s = new Region_map_client(env, rm.create(64 * 1024));
    const L = env.rm().attach(s.dataspace(), { writeable: true });
    const base = L.ok ? L.range.start : 0;
    const rec = new Fault_recorder(env, s);
    const kpd = env.pd().native_pd()!;
    const core_rm = system.core.region_map_of(s.rpc_cap())!;

    const ds = env.ram().alloc(16 * 1024);
    s.attach(ds, { use_at: true, at: 0x4000, writeable: true });
    yield* mem.write32(base + 0x4000, 1);
    yield* mem.write32(base + 0x7000, 2);
    t.add('precondition: mapped', env.kernel.lookup(kpd, base + 0x4000) !== undefined);
    s.detach(0x6000);
    t.equal('detach by an interior address removes the region', core_rm.region_count, 0);
    t.add('detach flushed the first page', env.kernel.lookup(kpd, base + 0x4000) === undefined);
    t.add('and the last one', env.kernel.lookup(kpd, base + 0x7000) === undefined);
    const again = s.attach(ds, { use_at: true, at: 0x4000 });
    t.add('the range is free again', again.ok);

    s.detach(0x20000);
    env.rm().detach(0x3000_0000);
    t.equal('unknown detach addresses change nothing', core_rm.region_count, 1);

    const a = new Accessor(env, 'after_detach', function* (m) {
      yield* m.read32(base + 0x9000);
    });
    yield* settle(env);
    t.equal('access to a detached range faults (NO_REGION)', rec.faults[0]?.addr, 0x9000);

    // dataspace destruction keeps the range reserved
    const ds2 = env.ram().alloc(4096);
    s.attach(ds2, { use_at: true, at: 0xc000, writeable: true });
    yield* mem.write32(base + 0xc000, 3);
    env.ram().free(ds2);
    t.add('freeing the dataspace flushed its mapping', env.kernel.lookup(kpd, base + 0xc000) === undefined);
    const other = env.ram().alloc(4096);
    const r = s.attach(other, { use_at: true, at: 0xc000 });
    t.equal('the range stays reserved', r.ok ? 'OK' : r.error, 'REGION_CONFLICT');
    const b = new Accessor(env, 'reserved', function* (m) {
      yield* m.read32(base + 0xc000);
    });
    yield* settle(env);
    t.equal('access to the reserved range faults: a second faulter is queued', core_rm.faulter_count, 2);
    t.equal('the head is still the first faulter', s.fault().addr, 0x9000);
    s.detach(0x9000);
    s.detach(0x4000);
    yield* settle(env);
    t.add('detaching never wakes a faulter', !a.done && !b.done);
    s.detach(0xc000);
    t.add('detaching the reserved region frees the range', s.attach(other, { use_at: true, at: 0xc000 }).ok);
    yield* settle(env);
    t.add('that attach resumes the faulter', b.done);
    t.add('... and only that one', !a.done && core_rm.faulter_count === 1);
  },
});
