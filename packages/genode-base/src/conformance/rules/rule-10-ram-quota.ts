import { Pd_connection } from '../../base/connections.js';
import { Ram_quota } from '../../core/pd-session-component.js';
import { INVALID_CAPABILITY } from '../../kernel/capability.js';
import { component_scenario, type Scenario } from '../kit.js';

/**
 * §6 rule 10: alloc charges the page-rounded size and one capability and requires 4 KiB of
 * headroom; free refunds size and capability; freeing a foreign or unknown dataspace is a silent
 * no-op; new RAM is zeroed; nothing leaks.
 */
export const rule_10_ram_quota: Scenario = component_scenario({
  name: 'rule-10-ram-quota',
  title: 'RAM accounting: charges, headroom, caps, ownership, zeroing',
  source: 'spec/genode.md §6.10, §3.1',
  *body(env, t) {
    const pd_1 = new Pd_connection(env);
    const pd_2 = new Pd_connection(env);
    pd_1.ref_account(env.pd_session_cap());
    pd_2.ref_account(env.pd_session_cap());
    env.pd().transfer_quota(pd_1.cap(), Ram_quota(256 * 1024));
    const used0 = pd_1.used_ram();
    const caps0 = pd_1.used_caps();

    const ds = pd_1.alloc(5000);
    t.equal('alloc(5000) charges 8 KiB', pd_1.used_ram() - used0, 8192);
    t.equal('and one capability', pd_1.used_caps() - caps0, 1);

    // the 4 KiB headroom is a check, not a charge
    const avail = pd_1.avail_ram();
    const ok = pd_1.try_alloc(avail - 4096);
    t.add('alloc leaving exactly 4 KiB succeeds', ok.ok);
    if (ok.ok) pd_1.free(ok.cap);
    const full = pd_1.try_alloc(avail);
    t.equal('alloc leaving less than 4 KiB: OUT_OF_RAM', full.ok ? 'OK' : full.error, 'OUT_OF_RAM');
    const rounded = pd_1.try_alloc(avail - 4095);
    t.equal('the size is rounded before the headroom check', rounded.ok ? 'OK' : rounded.error, 'OUT_OF_RAM');
    t.equal('failed allocations charge nothing', pd_1.used_ram() - used0, 8192);

    // capabilities
    const caps = pd_1.avail_caps();
    const many = [];
    for (let i = 0; i < caps; i++) many.push(pd_1.alloc(4096));
    const out = pd_1.try_alloc(4096);
    t.equal(
      'one capability per dataspace: OUT_OF_CAPS when none is left',
      out.ok ? 'OK' : out.error,
      'OUT_OF_CAPS',
    );
    for (const c of many) pd_1.free(c);
    t.equal('freeing refunds the capabilities', pd_1.avail_caps(), caps);

    // ownership
    const before = [pd_1.used_ram(), pd_1.used_caps(), pd_2.used_ram(), pd_2.used_caps()].join();
    pd_2.free(ds);
    pd_1.free(INVALID_CAPABILITY);
    pd_1.free(pd_1.cap());
    pd_1.free(pd_1.address_space());
    t.equal(
      'foreign, invalid, own-session and non-RAM frees change nothing',
      [pd_1.used_ram(), pd_1.used_caps(), pd_2.used_ram(), pd_2.used_caps()].join(),
      before,
    );
    t.equal('the dataspace still exists', pd_1.dataspace_size(ds), 8192);
    t.equal('a foreign session reports size 0', pd_2.dataspace_size(ds), 0);

    // zeroing
    const mem = env.rm().local;
    const d1 = env.ram().alloc(8192);
    let r = env.rm().attach(d1, { writeable: true });
    const a1 = r.ok ? r.range.start : 0;
    yield* mem.fill(a1, 8192, 0xa5);
    env.rm().detach(a1);
    env.ram().free(d1);
    const d2 = env.ram().alloc(8192);
    r = env.rm().attach(d2, {});
    const bytes = yield* mem.read(r.ok ? r.range.start : 0, 8192);
    t.add(
      'new RAM is zero-filled',
      bytes.every((b) => b === 0),
    );

    pd_1.free(ds);
    t.equal('no RAM leaks', pd_1.used_ram(), used0);
    t.equal('no capability leaks', pd_1.used_caps(), caps0);
  },
});
