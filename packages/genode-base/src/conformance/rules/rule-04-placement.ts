import { Rm_connection } from '../../base/connections.js';
import type { Attach_result } from '../../base/region-map.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { component_scenario, type Scenario } from '../kit.js';

function at(r: Attach_result): number {
  return r.ok ? r.range.start : -1;
}

/**
 * §6 rule 4: anywhere placement tries natural alignment first (floor log2 size, capped by the
 * alignment of the backing store), then weaker; the smallest fitting free block wins, at its
 * lowest suitably aligned address. rm_nested's shim placement is the fully determined case.
 */
export const rule_04_placement: Scenario = component_scenario({
  name: 'rule-04-placement',
  title: 'anywhere placement: natural alignment, backing-store cap, best fit',
  source: 'spec/genode.md §6.4, §3.2 step 6, §5.3',
  body(env, t) {
    const rm = new Rm_connection(env);
    // rm_nested: top 40K, shim1 24K at 0, shim2 16K at 0x6000
    const top = new Region_map_client(env, rm.create(40 * 1024));
    const shim1 = new Region_map_client(env, rm.create(24 * 1024));
    const shim2 = new Region_map_client(env, rm.create(16 * 1024));
    t.equal('shim1 (24K) at 0', at(top.attach(shim1.dataspace(), { writeable: true })), 0);
    t.equal('shim2 (16K) at 0x6000', at(top.attach(shim2.dataspace(), { writeable: true })), 0x6000);

    // natural alignment
    const a = new Region_map_client(env, rm.create(1024 * 1024));
    const page = env.ram().alloc(4096);
    a.attach(page, { use_at: true, at: 0 });
    const m64 = new Region_map_client(env, rm.create(64 * 1024));
    t.equal('a 64K managed dataspace goes 64K-aligned', at(a.attach(m64.dataspace(), {})), 0x10000);
    const ds12 = env.ram().alloc(12 * 1024);
    t.add('precondition: 12K RAM is 8K-aligned physically', env.pd().dma_addr(ds12) % 8192 === 0);
    t.equal('12K goes 8K-aligned (floor log2) into the smaller hole', at(a.attach(ds12, {})), 0x2000);

    // the backing store caps the alignment: phys+offset is only 4K-aligned
    const b = new Region_map_client(env, rm.create(1024 * 1024));
    b.attach(page, { use_at: true, at: 0 });
    const ds16 = env.ram().alloc(16 * 1024);
    t.add('precondition: 16K RAM is 16K-aligned physically', env.pd().dma_addr(ds16) % 16384 === 0);
    t.equal(
      '8K window at offset 4K is only 4K-aligned',
      at(b.attach(ds16, { offset: 4096, size: 8192 })),
      0x1000,
    );
    t.equal('8K window at offset 0 is 8K-aligned', at(b.attach(ds16, { size: 8192 })), 0x4000);
    const m32 = new Region_map_client(env, rm.create(32 * 1024));
    t.equal(
      'managed dataspace: the offset alone caps the alignment (the 4K hole is too small)',
      at(b.attach(m32.dataspace(), { offset: 4096, size: 16 * 1024 })),
      0x6000,
    );
    t.equal(
      'managed dataspace at offset 0: 16K-aligned',
      at(b.attach(m32.dataspace(), { size: 16 * 1024 })),
      0xc000,
    );

    // best fit: the smaller of two holes wins although the larger one is lower
    const c = new Region_map_client(env, rm.create(0x52000));
    const ds64 = env.ram().alloc(64 * 1024);
    for (const base of [0x0, 0x20000, 0x30000, 0x42000]) c.attach(ds64, { use_at: true, at: base });
    const ds8 = env.ram().alloc(8 * 1024);
    t.add('precondition: 8K RAM is 8K-aligned physically', env.pd().dma_addr(ds8) % 8192 === 0);
    t.equal('8K goes into the 8K hole at 0x40000', at(c.attach(ds8, {})), 0x40000);
    t.equal('the next 8K goes into the 64K hole at 0x10000', at(c.attach(ds8, {})), 0x10000);
    const none = c.attach(ds64, {});
    t.equal('nothing fits: REGION_CONFLICT', none.ok ? 'OK' : none.error, 'REGION_CONFLICT');
    rm.close();
  },
});
