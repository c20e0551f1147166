// Test helper: one component on genode-base's test kernel (tests only; not part of the library).
import { boot, type Env, type Genode_system, type RunResult } from '@genode-ts/genode-base';
import { testKernel } from '@genode-ts/genode-base/test-kernel';

/** Runs `body` as the construct of a component named `vmm` until it returns (or the system is quiet). */
export function runComponent(
  body: (env: Env, system: Genode_system) => Generator<unknown, void, unknown> | void,
  options: { ram?: number; ramBytes?: number } = {},
): { system: Genode_system; run: RunResult; error: unknown } {
  const system = boot({ kernel: testKernel(), ramBytes: options.ramBytes ?? 128 << 20 });
  let done = false;
  let error: unknown;
  system.start({
    name: 'vmm',
    ram: options.ram ?? 64 << 20,
    caps: 2000,
    component: {
      *construct(env) {
        try {
          const r = body(env, system);
          if (r !== undefined) yield* r;
        } catch (e) {
          error = e;
        }
        done = true;
      },
    },
  });
  const run = system.run({ until: () => done, maxSteps: 1_000_000 });
  if (error !== undefined) throw error;
  return { system, run, error };
}
