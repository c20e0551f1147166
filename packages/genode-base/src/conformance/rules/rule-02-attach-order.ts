import { Rm_connection } from '../../base/connections.js';
import type { Attach_result } from '../../base/region-map.js';
import { Region_map_client } from '../../base/region-map-client.js';
import { INVALID_CAPABILITY } from '../../kernel/capability.js';
import { component_scenario, type Scenario } from '../kit.js';

function err(r: Attach_result): string {
  return r.ok ? `OK@0x${r.range.start.toString(16)}+0x${r.range.num_bytes.toString(16)}` : r.error;
}

/**
 * §6 rule 2: attach checks in order — bad offset, invalid dataspace, offset ≥ size,
 * offset+size > ds size, placement conflict; size 0 means the rest of the dataspace.
 */
export const rule_02_attach_order: Scenario = component_scenario({
  name: 'rule-02-attach-order',
  title: 'attach validity checks in Genode order',
  source: 'spec/genode.md §6.2, §3.2 steps 1-6',
  body(env, t) {
    const rm = new Rm_connection(env);
    const sub = new Region_map_client(env, rm.create(1024 * 1024));
    const ds = env.ram().alloc(16 * 1024);
    const occupied = sub.attach(ds, { use_at: true, at: 0x10000 });
    t.add('setup: a region at 0x10000', occupied.ok);

    t.equal(
      'bad offset before invalid dataspace',
      err(sub.attach(INVALID_CAPABILITY, { offset: 0x10 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'invalid dataspace before offset >= size',
      err(sub.attach(INVALID_CAPABILITY, { offset: 0x100000 })),
      'INVALID_DATASPACE',
    );
    t.equal(
      'invalid dataspace before placement',
      err(sub.attach(INVALID_CAPABILITY, { use_at: true, at: 0x10000 })),
      'INVALID_DATASPACE',
    );
    t.equal(
      'a capability that is not a dataspace is INVALID_DATASPACE',
      err(sub.attach(rm.cap(), {})),
      'INVALID_DATASPACE',
    );
    t.equal('offset == size', err(sub.attach(ds, { offset: 16 * 1024 })), 'REGION_CONFLICT');
    t.equal('offset > size', err(sub.attach(ds, { offset: 32 * 1024 })), 'REGION_CONFLICT');
    t.equal(
      'offset + size > ds size',
      err(sub.attach(ds, { offset: 8 * 1024, size: 12 * 1024, use_at: true, at: 0x40000 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'size past the dataspace even without offset',
      err(sub.attach(ds, { size: 20 * 1024, use_at: true, at: 0x40000 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'size 0 = rest of the dataspace from the offset',
      err(sub.attach(ds, { offset: 4096, use_at: true, at: 0x40000 })),
      'OK@0x40000+0x3000',
    );
    t.equal(
      'placement conflict is checked last',
      err(sub.attach(ds, { use_at: true, at: 0x12000 })),
      'REGION_CONFLICT',
    );
    t.equal(
      'an oversized window at an occupied address fails for its size, not its place',
      err(sub.attach(ds, { size: 20 * 1024, use_at: true, at: 0x10000 })),
      'REGION_CONFLICT',
    );
    env.ram().free(ds);
    t.equal('a freed dataspace is INVALID_DATASPACE', err(sub.attach(ds, {})), 'INVALID_DATASPACE');
    rm.close();
  },
});
