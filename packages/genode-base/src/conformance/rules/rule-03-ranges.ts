import { Rm_connection } from '../../base/connections.js';
import type { Attach_result } from '../../base/region-map.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { component_scenario, type Scenario } from '../kit.js';

function err(r: Attach_result): string {
  return r.ok ? `OK@0x${r.range.start.toString(16)}` : r.error;
}

/**
 * §6 rule 3: the PD address space starts at 0x1000 (the zero page is unattachable), RM-session
 * maps cover [0, size); `use_at` must fit wholly into free space inside the range.
 */
export const rule_03_ranges: Scenario = component_scenario({
  name: 'rule-03-ranges',
  title: 'region-map ranges, zero page, use_at placement',
  source: 'spec/genode.md §6.3, §3.2 step 6, §5.6',
  body(env, t) {
    const ds = env.ram().alloc(8192);
    t.equal(
      'attach at 0 in the PD address space',
      err(env.rm().attach(ds, { use_at: true, at: 0 })),
      'REGION_CONFLICT',
    );
    const low = env.rm().attach(ds, { use_at: true, at: 0x1000 });
    t.equal('attach at 0x1000 in the PD address space', err(low), 'OK@0x1000');
    if (low.ok) env.rm().detach(0x1000);

    const rm = new Rm_connection(env);
    const sub = new Region_map_client(env, rm.create(1024 * 1024));
    t.equal('attach at 0 in an RM-session map', err(sub.attach(ds, { use_at: true, at: 0 })), 'OK@0x0');
    t.equal(
      'range crossing the end of the map',
      err(sub.attach(ds, { use_at: true, at: 1024 * 1024 - 4096 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'range starting at the end',
      err(sub.attach(ds, { use_at: true, at: 1024 * 1024 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'range overlapping an existing region',
      err(sub.attach(ds, { use_at: true, at: 0x1000 })),
      'REGION_CONFLICT',
    );
    t.equal('adjacent range', err(sub.attach(ds, { use_at: true, at: 0x2000 })), 'OK@0x2000');
    t.equal(
      'range near 2^53 (overflow)',
      err(sub.attach(ds, { use_at: true, at: 2 ** 53 - 4096 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'unaligned at (rejected by this model, spec §3.2 permits it)',
      err(sub.attach(ds, { use_at: true, at: 0x80010 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'the last page of the map',
      err(sub.attach(ds, { size: 4096, use_at: true, at: 1024 * 1024 - 4096 })),
      'OK@0xff000',
    );
    rm.close();
  },
});
