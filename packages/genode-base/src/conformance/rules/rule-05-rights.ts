import { Rm_connection, Rom_connection } from '../../base/connections.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { component_scenario, type Scenario } from '../kit.js';
import { Accessor, Fault_recorder, settle, wait_until } from '../probe.js';

/**
 * §6 rule 5: `{}` (2024+) is read-only non-executable, the 2017–2024 `attach_at` is writeable;
 * region write = requested ∧ ¬sealed; effective write = every enclosing region's write ∧ the leaf
 * dataspace's writeable; exec likewise.
 */
export const rule_05_rights: Scenario = component_scenario({
  name: 'rule-05-rights',
  title: 'attachment rights: defaults per era, sealing, nesting, ROM',
  source: 'spec/genode.md §6.5, §2.5, §2.6, §3.1 seal_ram, §3.4',
  roms: { 'rule-05.rom': 'read-only module' },
  *body(env, t) {
    const rm = new Rm_connection(env);
    const s = new Region_map_client(env, rm.create(1024 * 1024));
    const L = env.rm().attach(s.dataspace(), { writeable: true, executable: true });
    const base = L.ok ? L.range.start : 0;
    const ds = env.ram().alloc(4096);
    const rw = env.ram().alloc(4096);
    // the handler fixes a WRITE fault by replacing the read-only region with a writeable one
    const rec = new Fault_recorder(env, s, (f) => {
      if (f.type === 'WRITE') {
        const page = f.addr - (f.addr % 4096);
        s.detach(page);
        s.attach(rw, { use_at: true, at: page, writeable: true });
      }
    });

    s.attach(ds, { use_at: true, at: 0 }); // {} = read-only
    const a = new Accessor(env, 'ro_default', function* (mem) {
      yield* mem.read32(base);
      yield* mem.write32(base, 1);
    });
    yield* wait_until(env, () => a.done);
    t.equal('{} attach: one fault', rec.faults.length, 1);
    t.equal('{} attach: a read succeeds, the write is a WRITE fault', rec.faults[0]?.type, 'WRITE');
    t.equal('{} attach: fault at map offset 0', rec.faults[0]?.addr, 0);
    t.add('the faulter resumed after the handler attached writeable memory', a.done);

    s.attach_at(ds, 0x1000);
    const b = new Accessor(env, 'attach_at', function* (mem) {
      yield* mem.write32(base + 0x1000, 2);
    });
    yield* wait_until(env, () => b.done);
    t.add('2017-2024 attach_at is writeable: no fault', b.done && rec.faults.length === 1);

    const sealed = env.ram().alloc(4096);
    s.attach(sealed, { use_at: true, at: 0x2000, writeable: true });
    env.pd().seal_ram(sealed);
    s.attach(sealed, { use_at: true, at: 0x3000, writeable: true });
    const c = new Accessor(env, 'sealed', function* (mem) {
      yield* mem.write32(base + 0x2000, 3);
      yield* mem.write32(base + 0x3000, 4);
    });
    yield* wait_until(env, () => c.done);
    t.equal('sealing leaves earlier attachments writeable, later ones fault', rec.faults.length, 2);
    t.equal('write to the sealed attachment is a WRITE fault at 0x3000', rec.faults[1]?.addr, 0x3000);

    const rom = new Rom_connection(env, 'rule-05.rom');
    s.attach(rom.dataspace(), { use_at: true, at: 0x4000, writeable: true });
    const d = new Accessor(env, 'rom', function* (mem) {
      const text = yield* mem.read_cstring(base + 0x4000, 64);
      t.equal('ROM content is readable through a writeable region', text, 'read-only module');
      yield* mem.write8(base + 0x4000, 0x41);
    });
    yield* wait_until(env, () => d.done);
    t.equal('ROM attached writeable: the write still faults', rec.faults[2]?.type, 'WRITE');

    // nesting: a read-only region of S2 in S makes S2's writeable RAM read-only
    const s2 = new Region_map_client(env, rm.create(16 * 1024));
    const inner = env.ram().alloc(4096);
    s2.attach(inner, { use_at: true, at: 0, writeable: true });
    s.attach(s2.dataspace(), { use_at: true, at: 0x8000 });
    const rec2 = new Fault_recorder(env, s2, undefined, 'fault_handler_2');
    const e = new Accessor(env, 'nested', function* (mem) {
      const v = yield* mem.read32(base + 0x8000);
      t.equal('nested: read through a read-only region (fresh RAM is zero)', v, 0);
      yield* mem.write32(base + 0x8000, 5);
    });
    yield* settle(env, 200);
    t.equal('nested: the write faults in the inner map', rec2.faults[0]?.type, 'WRITE');
    t.equal('nested: in the inner map at offset 0', rec2.faults[0]?.addr, 0);
    t.add(
      'nested: the writer stays blocked (attaching in the inner map cannot lift the outer restriction)',
      !e.done,
    );

    // exec needs every level executable
    const code = env.ram().alloc(4096);
    t.add(
      'setup: exec region',
      s.attach(code, { use_at: true, at: 0xc000, executable: true, writeable: true }).ok,
    );
    t.add('setup: non-exec region', s.attach(code, { use_at: true, at: 0xd000, writeable: true }).ok);
    const s3 = new Region_map_client(env, rm.create(16 * 1024));
    s3.attach(code, { use_at: true, at: 0, executable: true });
    const L3 = env.rm().attach(s3.dataspace(), {});
    const rec3 = new Fault_recorder(env, s3, undefined, 'fault_handler_3');
    const n_before = rec.faults.length;
    const f = new Accessor(env, 'exec_ok', function* (mem) {
      yield* mem.fetch(base + 0xc000, 3);
    });
    yield* wait_until(env, () => f.done);
    t.add(
      'fetch from an executable region in an executable map: no fault',
      f.done && rec.faults.length === n_before,
    );
    const g = new Accessor(env, 'exec_region', function* (mem) {
      yield* mem.fetch(base + 0xd000, 3);
    });
    yield* settle(env, 200);
    t.equal('fetch from a non-executable region: EXEC fault', rec.faults[n_before]?.type, 'EXEC');
    t.add('the fetching thread stays blocked', !g.done);
    const h = new Accessor(env, 'exec_outer', function* (mem) {
      yield* mem.fetch((L3.ok ? L3.range.start : 0) + 0, 3);
    });
    yield* settle(env, 200);
    t.equal(
      'executable inner region in a map attached non-executable ({}): EXEC fault',
      rec3.faults[0]?.type,
      'EXEC',
    );
    t.add('that thread stays blocked too', !h.done);
  },
});
