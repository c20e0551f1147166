import { Thread } from '../base/thread.js';
import { component_scenario, type Scenario } from './kit.js';

/**
 * The kernel interface's timed semaphore `down` (`BootedKernel.semDownTimed`), which a VMM's
 * timer thread needs to sleep until the next device deadline yet wake at once when an exit
 * handler reprograms a timer. Semantics of NOVA's `sm_ctrl` down with a timeout
 * (spec/nova.md §3.14): the count is taken if positive; otherwise the thread waits until an `up`
 * (true) or the deadline (false), after which it is no longer a waiter.
 */
export const kernel_timed_down: Scenario = component_scenario({
  name: 'kernel-timed-down',
  title: 'semaphore down with a timeout',
  source: 'spec/nova.md §3.14 (sm_ctrl down, absolute timeout)',
  *body(env, t) {
    const k = env.kernel;
    const sm = k.createSemaphore(0);

    let t0 = k.now();
    t.equal('no up: the timeout ends the wait', yield* k.semDownTimed(sm, 500), false);
    t.add('... after the timeout has passed', k.now() - t0 >= 500, `waited ${k.now() - t0} µs`);

    k.semUp(sm);
    t0 = k.now();
    t.equal('a positive count is taken', yield* k.semDownTimed(sm, 500), true);
    t.add('... without waiting for the timeout', k.now() - t0 < 500, `waited ${k.now() - t0} µs`);

    const upper = new Thread(env, 'upper', 16 * 1024, function* () {
      yield* k.sleep(100);
      k.semUp(sm);
    });
    upper.start();
    t0 = k.now();
    t.equal('an up before the timeout ends the wait', yield* k.semDownTimed(sm, 10_000), true);
    const waited = k.now() - t0;
    t.add(
      '... when the up came, not at the timeout',
      waited >= 100 && waited < 10_000,
      `waited ${waited} µs`,
    );

    t.equal('timed out again', yield* k.semDownTimed(sm, 50), false);
    k.semUp(sm);
    t.equal('the timed-out thread was no waiter: the up was counted', yield* k.semDownTimed(sm, 0), true);
    t.equal('a zero timeout on a zero count is a failed try', yield* k.semDownTimed(sm, 0), false);
  },
});
