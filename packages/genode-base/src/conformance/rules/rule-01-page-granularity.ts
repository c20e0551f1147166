import { Rm_connection } from '../../base/connections.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { GenodeError } from '../../errors.js';
import { component_scenario, type Scenario } from '../kit.js';

/**
 * §6 rule 1: dataspace sizes and attach sizes round up to 4 KiB; offsets must be page-aligned
 * (else REGION_CONFLICT); allocating 0 bytes is DENIED.
 */
export const rule_01_page_granularity: Scenario = component_scenario({
  name: 'rule-01-page-granularity',
  title: 'page granularity of sizes and offsets; RAM alloc of 0 is DENIED',
  source: 'spec/genode.md §6.1, §3.1 steps 1-2, §3.2 steps 1 and 4',
  body(env, t) {
    const pd = env.pd();
    const used = pd.used_ram();
    const ds1 = env.ram().alloc(1);
    t.equal('alloc(1) yields a 4 KiB dataspace', pd.dataspace_size(ds1), 4096);
    t.equal('alloc(1) charges 4 KiB', pd.used_ram() - used, 4096);
    const ds2 = env.ram().alloc(4097);
    t.equal('alloc(4097) yields 8 KiB', pd.dataspace_size(ds2), 8192);
    const zero = pd.try_alloc(0);
    t.equal('try_alloc(0) is DENIED', zero.ok ? 'OK' : zero.error, 'DENIED');
    let denied = '';
    try {
      env.ram().alloc(0);
    } catch (e) {
      denied = e instanceof GenodeError ? e.code : String(e);
    }
    t.equal('alloc(0) throws Denied', denied, 'Denied');

    const rm = new Rm_connection(env);
    const sub = new Region_map_client(env, rm.create(1024 * 1024));
    const r1 = sub.attach(ds2, { size: 1, use_at: true, at: 0 });
    t.equal('attach size 1 covers one page', r1.ok ? r1.range.num_bytes : -1, 4096);
    const r2 = sub.attach(ds2, { size: 4097, use_at: true, at: 0x10000 });
    t.equal('attach size 4097 of an 8 KiB dataspace covers two pages', r2.ok ? r2.range.num_bytes : -1, 8192);
    const r3 = sub.attach(ds2, { offset: 0x800, use_at: true, at: 0x20000 });
    t.equal('offset 0x800 is a REGION_CONFLICT', r3.ok ? 'OK' : r3.error, 'REGION_CONFLICT');
    const r4 = sub.attach(ds2, { offset: 1 });
    t.equal('offset 1 is a REGION_CONFLICT', r4.ok ? 'OK' : r4.error, 'REGION_CONFLICT');
    let thrown = '';
    try {
      sub.attach_at(ds2, 0x30000, 0, 0x800);
    } catch (e) {
      thrown = e instanceof GenodeError ? e.code : String(e);
    }
    t.equal('2017-2024 attach_at with an unaligned offset throws Region_conflict', thrown, 'Region_conflict');
    const r5 = sub.attach(ds2, { offset: 4096, use_at: true, at: 0x40000 });
    t.equal('aligned offset, size 0: the rest of the dataspace', r5.ok ? r5.range.num_bytes : -1, 4096);
    rm.close();
    env.ram().free(ds1);
    env.ram().free(ds2);
    t.equal('freeing returns the page-rounded sizes', pd.used_ram(), used);
  },
});
