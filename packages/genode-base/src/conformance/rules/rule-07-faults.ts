import { Rm_connection } from '../../base/connections.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { Signal_transmitter } from '../../base/signal.js';
import { component_scenario, type Scenario } from '../kit.js';
import { Accessor, Fault_recorder, settle } from '../probe.js';

/**
 * §6 rule 7: faults are reflected only to the map where the lookup failed, in its coordinates,
 * only if it has a handler; FIFO of faulters; `fault()` reports the head; spurious signals see
 * NONE; only an attach covering the address in that same map resumes a faulter; without a
 * handler the thread stops with an `illegal READ|WRITE|EXEC at address` log.
 */
export const rule_07_faults: Scenario = component_scenario({
  name: 'rule-07-faults',
  title: 'fault reflection, FIFO, wake-up rules, unhandled faults',
  source: 'spec/genode.md §6.7, §3.4',
  expected_errors: ['illegal READ at address'],
  *body(env, t, system) {
    const rm = new Rm_connection(env);
    const s = new Region_map_client(env, rm.create(64 * 1024));
    const L = env.rm().attach(s.dataspace(), { writeable: true });
    const base = L.ok ? L.range.start : 0;
    const rec = new Fault_recorder(env, s);
    const page = env.ram().alloc(4096);

    t.equal('fault() with no faulter is NONE', s.fault().type, 'NONE');
    const a1 = new Accessor(env, 'first', function* (m) {
      yield* m.read32(base + 0x3000);
    });
    yield* settle(env);
    const a2 = new Accessor(env, 'second', function* (m) {
      yield* m.write32(base + 0x5000, 7);
    });
    yield* settle(env);
    t.equal('the handler saw the first fault in map coordinates', rec.faults[0]?.addr, 0x3000);
    t.equal('fault() reports the head of the FIFO', s.fault().addr, 0x3000);
    t.equal('head type', s.fault().type, 'READ');

    // nothing but a covering attach in the same map wakes a faulter
    const elsewhere = env.rm().attach(page, {});
    s.attach(page, { use_at: true, at: 0x8000 });
    s.detach(0x8000);
    if (elsewhere.ok) env.rm().detach(elsewhere.range.start);
    yield* settle(env);
    t.add('attach elsewhere, non-covering attach and detach wake nobody', !a1.done && !a2.done);

    s.attach(page, { use_at: true, at: 0x5000, writeable: true });
    yield* settle(env);
    t.add('a covering attach wakes the second faulter only', a2.done && !a1.done);
    t.equal('the first faulter is still the head', s.fault().addr, 0x3000);
    s.attach(page, { use_at: true, at: 0x3000 });
    yield* settle(env);
    t.add('the first faulter resumes after its attach', a1.done);
    t.equal('queue empty: NONE', s.fault().type, 'NONE');

    // spurious signal
    const n = rec.faults.length;
    new Signal_transmitter(env, rec.handler.cap()).submit();
    yield* settle(env);
    t.equal('a spurious signal sees NONE', rec.faults[n]?.type, 'NONE');

    // two faulters on one page resume with one attach; a re-fault re-enqueues
    const b1 = new Accessor(env, 'b1', function* (m) {
      yield* m.read32(base + 0x9000);
    });
    const b2 = new Accessor(env, 'b2', function* (m) {
      yield* m.read32(base + 0x9ff0);
    });
    yield* settle(env);
    s.attach(page, { use_at: true, at: 0x9000 });
    yield* settle(env);
    t.add('one covering attach wakes both faulters', b1.done && b2.done);
    s.detach(0x9000);
    const before = rec.faults.length;
    const b3 = new Accessor(env, 'b3', function* (m) {
      yield* m.read32(base + 0x9000);
    });
    yield* settle(env);
    t.add('after detach the next access faults again', !b3.done && rec.faults.length === before + 1);

    // no handler: the thread stops and core logs it
    const u = new Region_map_client(env, rm.create(16 * 1024));
    const LU = env.rm().attach(u.dataspace(), {});
    const ubase = LU.ok ? LU.range.start : 0;
    const c = new Accessor(env, 'faulter', function* (m) {
      yield* m.read32(ubase + 0x1000);
    });
    yield* settle(env);
    const expected = `Error: illegal READ at address 0x${(ubase + 0x1000).toString(16)} by pager_object: pd='init -> rule-07-faults' thread='faulter' ip=0x0`;
    t.add('unhandled fault is logged', system.log.includes(expected), expected);
    t.add('the thread stays stopped', !c.done);
    t.add(
      'core records the stopped thread',
      system.core.stopped.some((x) => x.thread.name === 'faulter'),
    );
    // attaching later does not resume a stopped thread (it was never queued)
    u.attach(page, { use_at: true, at: 0x1000 });
    yield* settle(env);
    t.add('a stopped thread is not resumed by a later attach', !c.done);
  },
});
