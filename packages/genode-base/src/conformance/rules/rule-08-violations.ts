import { Rm_connection, Rom_connection } from '../../base/connections.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { component_scenario, type Scenario } from '../kit.js';
import { Accessor, Fault_recorder, settle } from '../probe.js';

/**
 * §6 rule 8: WRITE faults on a read-only dataspace or region, EXEC faults on a non-executable
 * region (on NOVA only once the page is present: the first fetch of an absent page is a READ
 * fault, resolved silently), reads of a region always allowed.
 */
export const rule_08_violations: Scenario = component_scenario({
  name: 'rule-08-violations',
  title: 'write and exec violations, reads always allowed',
  source: 'spec/genode.md §6.8, §3.4 (fault type on NOVA)',
  roms: { 'rule-08.rom': 'ROM' },
  *body(env, t) {
    const rm = new Rm_connection(env);
    const s = new Region_map_client(env, rm.create(64 * 1024));
    const L = env.rm().attach(s.dataspace(), { writeable: true, executable: true });
    const base = L.ok ? L.range.start : 0;
    const ram = env.ram().alloc(4096);
    const spare = env.ram().alloc(4096);
    // resolve each violation by replacing the region with an unrestricted one, so that the next
    // fault is the head of the queue again
    const rec = new Fault_recorder(env, s, (f) => {
      if (f.type === 'NONE') return;
      const page = f.addr - (f.addr % 4096);
      s.detach(page);
      s.attach(spare, { use_at: true, at: page, writeable: true, executable: true });
    });
    const rom = new Rom_connection(env, 'rule-08.rom');
    s.attach(rom.dataspace(), { use_at: true, at: 0x1000, writeable: true });
    s.attach(ram, { use_at: true, at: 0x2000 });
    s.attach(ram, { use_at: true, at: 0x3000, writeable: true });
    s.attach(ram, { use_at: true, at: 0x4000, writeable: true, executable: true });
    s.attach(ram, { use_at: true, at: 0x5000, writeable: true });

    const reads = new Accessor(env, 'reads', function* (m) {
      yield* m.read8(base + 0x1000);
      yield* m.read8(base + 0x2000);
      yield* m.read8(base + 0x3000);
      yield* m.fetch(base + 0x4000, 1);
    });
    yield* settle(env);
    t.add('reads of read-only and non-executable regions, fetch of an executable one: no fault', reads.done);
    t.equal('no fault so far', rec.faults.length, 0);

    const w1 = new Accessor(env, 'w_rom', function* (m) {
      yield* m.write8(base + 0x1000, 1);
    });
    yield* settle(env);
    t.equal('write to a read-only dataspace: WRITE', rec.faults[0]?.type, 'WRITE');
    t.equal('at its map offset', rec.faults[0]?.addr, 0x1000);
    t.add('the writer resumed once the region was replaced', w1.done);
    const w2 = new Accessor(env, 'w_ro', function* (m) {
      yield* m.write8(base + 0x2000, 1);
    });
    yield* settle(env);
    t.equal('write to a read-only region: WRITE', rec.faults[1]?.type, 'WRITE');
    t.equal('at its map offset', rec.faults[1]?.addr, 0x2000);
    t.add('the writer resumed', w2.done);

    const kpd = env.pd().native_pd()!;
    t.add('precondition: 0x5000 not yet present', env.kernel.lookup(kpd, base + 0x5000) === undefined);
    let present_before_exec = false;
    const x = new Accessor(env, 'x', function* (m) {
      yield* m.fetch(base + 0x5010, 2);
    });
    // observe the page between the silent READ resolution and the reflected EXEC fault
    for (let i = 0; i < 50 && rec.faults.length < 3; i++) {
      const p = env.kernel.lookup(kpd, base + 0x5000);
      if (p !== undefined && !p.rights.exec) present_before_exec = true;
      yield* env.kernel.yieldCpu();
    }
    yield* settle(env);
    t.add(
      'the first fetch of the absent page was resolved as a READ fault (mapped without exec)',
      present_before_exec,
    );
    t.equal('exactly one reflected fault for the fetch', rec.faults.length, 3);
    t.equal('and it is EXEC', rec.faults[2]?.type, 'EXEC');
    t.equal('at the fetched address', rec.faults[2]?.addr, 0x5010);
    t.add('the fetch completes from an executable region', x.done);
  },
});
