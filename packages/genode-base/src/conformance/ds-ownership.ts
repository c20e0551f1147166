import { Pd_connection } from '../base/connections.js';
import type { Env } from '../base/env.js';
import { boot } from '../base/system.js';
import { Ram_quota } from '../core/pd-session-component.js';
import type { Kernel } from '../kernel/kernel.js';
import {
  Checks,
  check_in_order,
  DEFAULT_MAX_STEPS,
  finish,
  lines_of,
  type Scenario,
  type Scenario_result,
} from './kit.js';

/**
 * Genode's `ds_ownership` test (repos/base/src/test/ds_ownership/main.cc): freeing a dataspace
 * from a foreign PD session is ignored; the owner's free refunds its quota. Succeeds on
 * `test succeeded`, fails on `test failed`.
 */
export const ds_ownership: Scenario = {
  name: 'ds_ownership',
  title: 'only the owning PD session can free a dataspace',
  source: 'repos/base/src/test/ds_ownership/main.cc',
  run(kernel: Kernel): Scenario_result {
    const t = new Checks();
    const system = boot({ kernel });
    system.start({
      name: 'test-ds_ownership',
      ram: 10 * 1024 * 1024,
      caps: 100,
      component: {
        construct(env: Env): void {
          env.log('--- dataspace ownership test ---');
          const pd_1 = new Pd_connection(env);
          const pd_2 = new Pd_connection(env);
          env.log('allocate dataspace from one RAM session');
          pd_1.ref_account(env.pd_session_cap());
          env.pd().transfer_quota(pd_1.cap(), Ram_quota(8 * 1024));
          const ds = pd_1.alloc(4);
          env.log('attempt to free dataspace from foreign RAM session');
          pd_2.free(ds);
          env.log('try to attach dataspace to see if it still exists');
          const r = env.rm().attach(ds, {});
          if (r.ok) env.log('attach operation succeeded');
          else env.warning('dataspace unexpectedly vanished');
          env.log('free dataspace from legitimate RAM session');
          const before = pd_1.avail_ram();
          pd_1.free(ds);
          const after = pd_1.avail_ram();
          if (after > before) env.log('test succeeded');
          else env.error('test failed');
        },
      },
    });
    const run = system.run({
      until: () => system.log.some((l) => l.includes('test succeeded') || l.includes('test failed')),
      maxSteps: DEFAULT_MAX_STEPS,
    });
    check_in_order(t, 'log of the ds_ownership run', lines_of(system.log, 'init -> test-ds_ownership'), [
      '--- dataspace ownership test ---',
      'allocate dataspace from one RAM session',
      'attempt to free dataspace from foreign RAM session',
      'try to attach dataspace to see if it still exists',
      'attach operation succeeded',
      'free dataspace from legitimate RAM session',
      'test succeeded',
    ]);
    t.add('no "test failed"', !system.log.some((l) => l.includes('test failed')));
    t.add('no warning', !system.log.some((l) => l.includes('Warning:')));
    return finish('ds_ownership', t, system, run);
  },
};
