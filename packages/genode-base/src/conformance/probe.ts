import { Entrypoint } from '../base/entrypoint.js';
import type { Env } from '../base/env.js';
import type { Local_memory } from '../base/local-memory.js';
import type { Fault, Region_map } from '../base/region-map.js';
import { Signal_handler } from '../base/signal.js';
import { Thread } from '../base/thread.js';
import type { Blocking } from '../kernel/blocking.js';

/**
 * A fault handler on its own entrypoint that records every `fault()` it sees (the pattern of
 * rm_nested's `Local_fault_handler`), optionally resolving faults.
 */
export class Fault_recorder {
  readonly faults: Fault[] = [];
  signals = 0;
  readonly handler: Signal_handler;

  constructor(
    env: Env,
    rm: Region_map,
    on_fault?: (f: Fault) => Blocking<void> | void,
    name = 'fault_handler',
  ) {
    const ep = new Entrypoint(env, 16 * 1024, name);
    const recorder = this;
    this.handler = new Signal_handler(ep, function* (this: void) {
      recorder.signals++;
      const f = rm.fault();
      recorder.faults.push(f);
      if (on_fault !== undefined) {
        const r = on_fault(f);
        if (r !== undefined) yield* r;
      }
    });
    rm.fault_handler(this.handler.cap());
  }
}

/** A helper thread performing memory accesses; `done` tells whether it finished. */
export class Accessor {
  done = false;
  readonly thread: Thread;

  constructor(env: Env, name: string, body: (mem: Local_memory) => Blocking<void>) {
    const self = this;
    this.thread = new Thread(env, name, 16 * 1024, function* () {
      yield* body(env.rm().local);
      self.done = true;
    });
    this.thread.start();
  }
}

/** Yield until `cond` holds (at most `max` times); returns whether it holds. */
export function* wait_until(env: Env, cond: () => boolean, max = 1000): Blocking<boolean> {
  for (let i = 0; i < max && !cond(); i++) yield* env.kernel.yieldCpu();
  return cond();
}

/** Let other threads run for a while. */
export function* settle(env: Env, n = 50): Blocking<void> {
  for (let i = 0; i < n; i++) yield* env.kernel.yieldCpu();
}
