import { Attached_ram_dataspace } from '../base/attached-dataspace.js';
import type { Env } from '../base/env.js';
import { Hex, Ptr } from '../base/output.js';
import { boot } from '../base/system.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Kernel } from '../kernel/kernel.js';
import { Checks, finish, type Scenario, type Scenario_result } from './kit.js';

/** `X`: hexadecimal without prefix, padded to the width of the type (a byte: 2 digits). */
function X(v: number): { toString(): string } {
  return Hex(v, { prefix: false, pad: 2 });
}

/**
 * Genode's `rm_stress` test (repos/base/src/test/rm_stress/main.cc): two colored pages attached,
 * read and detached 10,000 rounds each. A reused virtual address must show the new page (detach
 * flushes) and metadata must not leak. Succeeds on exit 0; a wrong byte logs
 * `Error: value @ <p>  <c> != <color> in round <r>` and exits -1.
 */
export function rm_stress_scenario(rounds = 10_000): Scenario {
  return {
    name: rounds === 10_000 ? 'rm_stress' : `rm_stress (${rounds} rounds)`,
    title: `${rounds} rounds of attach, read, detach of two pages`,
    source: 'repos/base/src/test/rm_stress/main.cc',
    long: rounds >= 10_000,
    run(kernel: Kernel): Scenario_result {
      const t = new Checks();
      const system = boot({ kernel });
      let md_before = -1;
      let md_after = -2;
      let used_before = -1;
      let used_after = -2;
      const c = system.start({
        name: 'test-rm_stress',
        ram: 10 * 1024 * 1024,
        caps: 100,
        component: {
          *construct(env: Env): Blocking<void> {
            env.log('--- region-map attachment stress test ---');
            const mem = env.rm().local;
            const page: { ds: Attached_ram_dataspace; color: number }[] = [];
            for (const color of [0xaa, 0x55]) {
              const ds = new Attached_ram_dataspace(env.ram(), env.rm(), 0x1000);
              yield* mem.fill(ds.local_addr(), ds.size(), color);
              env.log(
                'new page @ ',
                Ptr(ds.local_addr()),
                ' with color ',
                X(yield* mem.read8(ds.local_addr())),
              );
              page.push({ ds, color });
            }
            const pd = system.core.pd_of(env.pd().native_pd()!.id)!;
            md_before = pd.address_space_rm!.metadata_objects;
            used_before = env.pd().used_ram();
            for (let r = 0; r < rounds; ++r) {
              for (const p of page) {
                const res = env.rm().attach(p.ds.cap(), {
                  size: p.ds.size(),
                  offset: 0,
                  executable: false,
                  writeable: true,
                });
                const v = res.ok ? res.range.start : 0;
                const value = yield* mem.read8(v);
                if (p.color !== value) {
                  env.error('value @ ', Ptr(v), '  ', X(value), ' != ', X(p.color), ' in round ', r);
                  env.parent().exit(-1);
                  return;
                }
                env.rm().detach(v);
              }
            }
            md_after = pd.address_space_rm!.metadata_objects;
            used_after = env.pd().used_ram();
            env.parent().exit(0);
          },
        },
      });
      const run = system.run({ until: () => c.exit_value() !== undefined, maxSteps: 4 * rounds + 100_000 });
      t.equal('exit value', c.exit_value(), 0);
      t.add(
        'pages logged with their colors',
        system.log.some((l) => /new page @ 0x[0-9a-f]+ with color aa$/.test(l)) &&
          system.log.some((l) => /new page @ 0x[0-9a-f]+ with color 55$/.test(l)),
      );
      t.equal('region metadata does not leak', md_after, md_before);
      t.equal('RAM usage does not leak', used_after, used_before);
      const errors = system.log.filter((l) => l.includes('Error'));
      t.add('no Error line', errors.length === 0, errors[0]);
      return finish(this.name, t, system, run);
    },
  };
}

/** The full rm_stress (10,000 rounds). */
export const rm_stress: Scenario = rm_stress_scenario(10_000);
