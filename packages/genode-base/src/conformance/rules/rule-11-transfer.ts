import { Pd_connection, Rm_connection } from '../../base/connections.js';
import { Cap_quota, Ram_quota } from '../../core/pd-session-component.js';
import { INVALID_CAPABILITY } from '../../kernel/capability.js';
import { component_scenario, type Scenario } from '../kit.js';

/**
 * §6 rule 11: quota moves only along the reference-account edge (either direction), never below
 * the initial donation; `ref_account` is settable once; closing a session returns its quota.
 */
export const rule_11_transfer: Scenario = component_scenario({
  name: 'rule-11-transfer',
  title: 'quota transfer along the reference-account edge',
  source: 'spec/genode.md §6.11, §2.3',
  expected_errors: ['invalid PD session specified as ref account'],
  body(env, t) {
    const me = env.pd();
    const pd_1 = new Pd_connection(env);
    const pd_2 = new Pd_connection(env);

    t.equal(
      'no own account yet: INVALID',
      pd_1.transfer_quota(env.pd_session_cap(), Ram_quota(4096)),
      'INVALID',
    );
    t.equal(
      'ref_account(invalid) is INVALID_SESSION',
      pd_1.ref_account(INVALID_CAPABILITY),
      'INVALID_SESSION',
    );
    t.equal('ref_account(own session) is OK', pd_1.ref_account(pd_1.cap()), 'OK');
    t.equal('... and defines nothing', pd_1.transfer_quota(env.pd_session_cap(), Ram_quota(4096)), 'INVALID');
    t.equal('a target without account is INVALID', me.transfer_quota(pd_1.cap(), Ram_quota(4096)), 'INVALID');
    t.equal('ref_account(env PD)', pd_1.ref_account(env.pd_session_cap()), 'OK');
    t.equal('ref_account(env PD) for pd_2', pd_2.ref_account(env.pd_session_cap()), 'OK');

    const lim_me = me.ram_quota();
    const lim_1 = pd_1.ram_quota();
    t.equal('reference account -> member', me.transfer_quota(pd_1.cap(), Ram_quota(64 * 1024)), 'OK');
    t.equal('the member gained', pd_1.ram_quota() - lim_1, 64 * 1024);
    t.equal('the reference account lost', lim_me - me.ram_quota(), 64 * 1024);
    t.equal('siblings are unrelated', pd_1.transfer_quota(pd_2.cap(), Ram_quota(4096)), 'INVALID');
    t.equal('ref_account is definable once', pd_1.ref_account(pd_2.cap()), 'OK');
    t.equal(
      '... the second call changed nothing',
      pd_1.transfer_quota(pd_2.cap(), Ram_quota(4096)),
      'INVALID',
    );
    t.equal(
      'member -> reference account',
      pd_1.transfer_quota(env.pd_session_cap(), Ram_quota(32 * 1024)),
      'OK',
    );
    t.equal(
      'not below the initial donation',
      pd_1.transfer_quota(env.pd_session_cap(), Ram_quota(36 * 1024)),
      'EXCEEDED',
    );
    t.equal(
      'the rest above the donation',
      pd_1.transfer_quota(env.pd_session_cap(), Ram_quota(32 * 1024)),
      'OK',
    );
    t.equal(
      'at the donation nothing is transferable',
      pd_1.transfer_quota(env.pd_session_cap(), Ram_quota(4096)),
      'EXCEEDED',
    );
    t.equal('back where it started', pd_1.ram_quota(), lim_1);
    t.equal('to self: OK, no-op', pd_1.transfer_quota(pd_1.cap(), Ram_quota(4096)), 'OK');
    t.equal('unchanged', pd_1.ram_quota(), lim_1);

    const before = [me.ram_quota(), pd_1.ram_quota()].join();
    t.equal('more than exists: EXCEEDED', me.transfer_quota(pd_1.cap(), Ram_quota(2 ** 40)), 'EXCEEDED');
    t.equal('accounts unchanged after EXCEEDED', [me.ram_quota(), pd_1.ram_quota()].join(), before);
    t.equal(
      'to an invalid capability: INVALID',
      me.transfer_quota(INVALID_CAPABILITY, Ram_quota(4096)),
      'INVALID',
    );
    const rm = new Rm_connection(env);
    t.equal('to a non-PD session: INVALID', me.transfer_quota(rm.cap(), Ram_quota(4096)), 'INVALID');
    rm.close();

    t.equal('caps along the edge', me.transfer_quota(pd_1.cap(), Cap_quota(5)), 'OK');
    t.equal(
      'caps: not below the donation',
      pd_1.transfer_quota(env.pd_session_cap(), Cap_quota(6)),
      'EXCEEDED',
    );
    t.equal('caps back', pd_1.transfer_quota(env.pd_session_cap(), Cap_quota(5)), 'OK');

    // closing a session returns everything: donation, transfers and leaked dataspaces
    const avail_ram = me.avail_ram();
    const avail_caps = me.avail_caps();
    const pd_3 = new Pd_connection(env);
    pd_3.ref_account(env.pd_session_cap());
    me.transfer_quota(pd_3.cap(), Ram_quota(64 * 1024));
    pd_3.alloc(8192);
    t.add('pd_3 costs its donation and the transfer', me.avail_ram() < avail_ram - 64 * 1024);
    pd_3.close();
    t.equal('closing pd_3 returns all RAM', me.avail_ram(), avail_ram);
    t.equal('closing pd_3 returns all caps', me.avail_caps(), avail_caps);
  },
});
