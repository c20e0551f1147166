import type { Env } from '../base/env.js';
import { boot, type Genode_system, type Start_options, type Started_component } from '../base/system.js';
import type { Rom_content } from '../core/core.js';
import type { Blocking } from '../kernel/blocking.js';
import type { RunResult } from '../kernel/kernel.js';
import { type Test_kernel_options, testKernel } from './test-kernel.js';

/** Run one component on the test kernel until it exits (tests only). */
export function run_component(
  body: (env: Env, system: Genode_system) => Blocking<void> | void,
  options: {
    ram?: number;
    caps?: number;
    roms?: Record<string, Rom_content>;
    kernel?: Test_kernel_options;
    resource_request?: Start_options['resource_request'];
  } = {},
): { system: Genode_system; c: Started_component; run: RunResult } {
  const system = boot({
    kernel: testKernel(options.kernel),
    ...(options.roms ? { roms: options.roms } : {}),
  });
  const c = system.start({
    name: 'test',
    ram: options.ram ?? 4 << 20,
    caps: options.caps ?? 200,
    ...(options.resource_request ? { resource_request: options.resource_request } : {}),
    component: {
      *construct(env) {
        const r = body(env, system);
        if (r !== undefined) yield* r;
        env.parent().exit(0);
      },
    },
  });
  const run = system.run({ until: () => c.exit_value() !== undefined, maxSteps: 200_000 });
  return { system, c, run };
}
