import { Pd_connection, Rm_connection } from '../../base/connections.js';
import { Cap_quota, Ram_quota } from '../../core/pd-session-component.js';
import type { Rm_session_component } from '../../core/rm-session-component.js';
import { isValidCapability } from '../../kernel/capability.js';
import { alignUp } from '../../page.js';
import { component_scenario, type Scenario } from '../kit.js';

const requests: string[] = [];
let grant = true;

/**
 * §6 rule 12: client wrappers upgrade on demand — `env.rm()` attach by 8 KiB / 2 caps,
 * `Rm_connection::create` by 8 KiB / 2 caps, `env.ram()` alloc by a parent resource request
 * `ram_quota=<size+4096>` / `cap_quota=4`.
 */
export const rule_12_auto_upgrade: Scenario = component_scenario({
  name: 'rule-12-auto-upgrade',
  title: 'client-side auto-upgrade of env.rm(), Rm_connection and env.ram()',
  source: 'spec/genode.md §6.12, §2.1, §2.7',
  resource_request: (args) => {
    requests.push(args);
    if (!grant) return undefined;
    const m = /^ram_quota=(\d+)$/.exec(args);
    if (m !== null) return { ram: Number(m[1]), caps: 0 };
    const c = /^cap_quota=(\d+)$/.exec(args);
    return c === null ? undefined : { ram: 0, caps: Number(c[1]) };
  },
  body(env, t, system) {
    requests.length = 0;
    grant = true;
    const me = env.pd();
    const sink = new Pd_connection(env);
    sink.ref_account(env.pd_session_cap());
    const page = env.ram().alloc(4096);
    const DONATION = 192 * 1024;

    // env.rm(): metadata runs out of RAM -> +8 KiB
    t.equal(
      'move all transferable RAM away',
      me.transfer_quota(sink.cap(), Ram_quota(me.ram_quota() - DONATION)),
      'OK',
    );
    const filler = me.try_alloc(me.avail_ram() - 4096);
    t.equal('precondition: one page left (the allocation headroom)', me.avail_ram(), 4096);
    const limit = me.ram_quota();
    let all = true;
    const at: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = env.rm().attach(page, {});
      all &&= r.ok;
      if (r.ok) at.push(r.range.start);
    }
    t.add('every attach succeeded', all);
    t.add('the PD session was upgraded', me.ram_quota() > limit);
    t.equal('in steps of 8 KiB', (me.ram_quota() - limit) % 8192, 0);
    for (const a of at) env.rm().detach(a);
    if (filler.ok) me.free(filler.cap);
    sink.transfer_quota(env.pd_session_cap(), Ram_quota(sink.ram_quota() - DONATION));

    // env.rm(): metadata runs out of capabilities -> +2 caps
    me.transfer_quota(sink.cap(), Cap_quota(me.cap_quota() - 13));
    const fillers = [];
    for (;;) {
      const r = me.try_alloc(4096);
      if (!r.ok) break;
      fillers.push(r.cap);
    }
    t.equal('precondition: no capability left', me.avail_caps(), 0);
    const caps = me.cap_quota();
    all = true;
    at.length = 0;
    for (let i = 0; i < 40; i++) {
      const r = env.rm().attach(page, {});
      all &&= r.ok;
      if (r.ok) at.push(r.range.start);
    }
    t.add('every attach succeeded without capabilities at hand', all);
    t.add('the PD session was upgraded', me.cap_quota() > caps);
    t.equal('in steps of 2 caps', (me.cap_quota() - caps) % 2, 0);
    for (const a of at) env.rm().detach(a);

    // env.ram(): out of capabilities -> resource request `cap_quota=4`
    for (;;) {
      const r = me.try_alloc(4096);
      if (!r.ok) break;
      fillers.push(r.cap);
    }
    t.equal('precondition: no capability left again', me.avail_caps(), 0);
    const c = env.ram().try_alloc(4096);
    t.add('an allocation without capabilities succeeds after the request', c.ok);
    t.equal('the request asks for 4 caps', requests[0], 'cap_quota=4');
    for (const f of fillers) me.free(f);
    sink.transfer_quota(env.pd_session_cap(), Cap_quota(sink.cap_quota() - 13));

    // env.ram(): out of RAM -> resource request `ram_quota=<size+4096>`
    const want = me.avail_ram() + 64 * 1024;
    const big = env.ram().try_alloc(want);
    t.add('a too-large allocation succeeds after the resource request', big.ok);
    t.equal('the request asks for the size plus 4 KiB', requests[1], `ram_quota=${alignUp(want) + 4096}`);
    grant = false;
    const denied = env.ram().try_alloc(64 * 1024 * 1024);
    t.equal('an unanswered request returns OUT_OF_RAM', denied.ok ? 'OK' : denied.error, 'OUT_OF_RAM');
    t.equal('after exactly one more request', requests.length, 3);
    const zero = env.ram().try_alloc(0);
    t.equal('DENIED is returned without a request', zero.ok ? 'OK' : zero.error, 'DENIED');
    t.equal('no request for DENIED', requests.length, 3);

    // Rm_connection::create
    const rm = new Rm_connection(env);
    const session = system.core.session_of(rm.cap()) as Rm_session_component;
    const q0 = [session.ram_guard.limit, session.cap_guard.limit];
    let valid = true;
    for (let i = 0; i < 24; i++) valid &&= isValidCapability(rm.create(4096));
    t.add('24 region maps created', valid);
    t.equal('session started with 64 KiB and 2 caps', q0.join(), `${64 * 1024},2`);
    t.add('RAM upgraded', session.ram_guard.limit > q0[0]!);
    t.equal('in 8 KiB steps', (session.ram_guard.limit - q0[0]!) % 8192, 0);
    t.add('caps upgraded', session.cap_guard.limit > q0[1]!);
    t.equal('in steps of 2', (session.cap_guard.limit - q0[1]!) % 2, 0);
    rm.close();
  },
});
