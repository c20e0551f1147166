import { Attached_dataspace } from '../base/attached-dataspace.js';
import { Rm_connection } from '../base/connections.js';
import type { Env } from '../base/env.js';
import { Region_map_client } from '../base/region-map-client.js';
import { boot } from '../base/system.js';
import { Region_map_component } from '../core/region-map-component.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Capability } from '../kernel/capability.js';
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

const PATTERN_1 = 'Pattern to verify dataspace content';
const PATTERN_2 = 'A second pattern to verify dataspace content';
const SUB_RM_SIZE = 1024 * 1024;
const DS_SIZE = 4 * 4096;
/** run/sub_rm.run's `local_attach_addr` (non-Linux config: attach_twice_forbidden=no, support_attach_sub_any=yes). */
const LOCAL_ATTACH_ADDR = 0x7000_0000;

class Test_failed extends Error {}

function fail(env: Env, message: string): never {
  env.error('FAIL: ', message);
  throw new Test_failed(message);
}

function* fill_ds_with_test_pattern(
  env: Env,
  pattern: string,
  ds: Capability,
  offset: number,
): Blocking<void> {
  env.log('fill dataspace with information');
  const a = new Attached_dataspace(env.rm(), ds);
  yield* env.rm().local.write_cstring(a.local_addr() + offset, pattern);
  a.destroy();
}

function* validate_pattern_at(env: Env, pattern: string, addr: number): Blocking<void> {
  const s = yield* env.rm().local.read_cstring(addr, 256);
  if (s !== pattern) fail(env, 'test pattern not found');
}

/**
 * Genode's `sub_rm` test (repos/base/src/test/sub_rm/main.cc, 2024 API, non-Linux config):
 * populating a sub region map before and after attaching it, boundary and conflict detection,
 * offsets and windows. Succeeds on `--- end of sub-rm test ---`; a failed check logs
 * `Error: FAIL: <msg>`. The Linux-only `/proc/pid/maps` checks of the 2017 run script are done
 * on core's region map and the kernel's translations instead.
 */
export const sub_rm: Scenario = {
  name: 'sub_rm',
  title: 'sub region map populated before and after attaching it',
  source: 'repos/base/src/test/sub_rm/main.cc, run/sub_rm.run',
  run(kernel: Kernel): Scenario_result {
    const t = new Checks();
    const system = boot({ kernel });
    let sub_cap: Capability | undefined;
    let base = 0;
    const c = system.start({
      name: 'test-sub_rm',
      ram: 10 * 1024 * 1024,
      caps: 100,
      component: {
        *construct(env: Env): Blocking<void> {
          env.log('--- sub-rm test ---');
          env.log('create RM connection');
          const rm = new Rm_connection(env);
          {
            env.log('create and destroy region map');
            const rm_cap = rm.create(SUB_RM_SIZE);
            rm.destroy(rm_cap);
          }
          env.log('create managed dataspace');
          const sub = new Region_map_client(env, rm.create(SUB_RM_SIZE));
          sub_cap = sub.rpc_cap();
          const ds = env.ram().alloc(DS_SIZE);
          yield* fill_ds_with_test_pattern(env, PATTERN_1, ds, 0);
          yield* fill_ds_with_test_pattern(env, PATTERN_2, ds, 4096);

          env.log('attach RAM ds to a fixed position at sub rm');
          const DS_SUB_OFFSET = 4096;
          let r = sub.attach(ds, { use_at: true, at: DS_SUB_OFFSET });
          if (r.ok && r.range.start !== DS_SUB_OFFSET) fail(env, 'attach-at return-value mismatch');

          env.log('attach sub rm at local address space');
          r = env.rm().attach(sub.dataspace(), { use_at: true, at: LOCAL_ATTACH_ADDR, writeable: true });
          base = r.ok ? r.range.start : 0;

          env.log('validate pattern in sub rm');
          yield* validate_pattern_at(env, PATTERN_1, base + DS_SUB_OFFSET);

          env.log('attach RAM ds at another fixed position at sub rm');
          const DS_SUB_OFFSET_2 = 0x40000;
          r = sub.attach(ds, { use_at: true, at: DS_SUB_OFFSET_2 });
          if (r.ok && r.range.start !== DS_SUB_OFFSET_2) fail(env, 'attach-at return-value mismatch');

          env.log('validate pattern in second mapping in sub rm');
          yield* validate_pattern_at(env, PATTERN_1, base + DS_SUB_OFFSET_2);

          r = sub.attach(ds, { use_at: true, at: SUB_RM_SIZE - 4096, writeable: true });
          if (r.ok) fail(env, 'undetected boundary conflict\n');
          if (r.error === 'REGION_CONFLICT') env.log('attaching beyond sub RM boundary failed as expected');

          env.log('attaching RAM ds to a conflicting region');
          r = sub.attach(ds, { use_at: true, at: DS_SUB_OFFSET + 4096, writeable: true });
          if (r.ok) fail(env, 'region conflict went undetected');
          if (r.error === 'REGION_CONFLICT') env.log('attaching conflicting region failed as expected');

          env.log('attach RAM ds with offset');
          const DS_SUB_OFFSET_3 = 0x80000;
          sub.attach(ds, { offset: 4096, use_at: true, at: DS_SUB_OFFSET_3, writeable: true });
          yield* validate_pattern_at(env, PATTERN_2, base + DS_SUB_OFFSET_3);

          env.log('attach RAM ds with offset and size');
          const DS_SUB_OFFSET_4 = 0xc0000;
          sub.attach(ds, {
            size: 2 * 4096,
            offset: 4096,
            use_at: true,
            at: DS_SUB_OFFSET_4,
            writeable: true,
          });
          yield* validate_pattern_at(env, PATTERN_2, base + DS_SUB_OFFSET_4);

          sub.detach(DS_SUB_OFFSET);
          env.log('--- end of sub-rm test ---');
          // sleep_forever(): the entrypoint now waits for signals that never come
        },
      },
    });
    const label = 'init -> test-sub_rm';
    const run = system.run({
      until: () => system.log.some((l) => l.includes('--- end of sub-rm test ---') || l.includes('Error:')),
      maxSteps: DEFAULT_MAX_STEPS,
    });
    void c;
    const lines = lines_of(system.log, label);
    check_in_order(t, 'log lines of the sub_rm run', lines, [
      '--- sub-rm test ---',
      'create RM connection',
      'create and destroy region map',
      'create managed dataspace',
      'fill dataspace with information',
      'fill dataspace with information',
      'attach RAM ds to a fixed position at sub rm',
      'attach sub rm at local address space',
      'validate pattern in sub rm',
      'attach RAM ds at another fixed position at sub rm',
      'validate pattern in second mapping in sub rm',
      'attaching beyond sub RM boundary failed as expected',
      'attaching RAM ds to a conflicting region',
      'attaching conflicting region failed as expected',
      'attach RAM ds with offset',
      'attach RAM ds with offset and size',
      '--- end of sub-rm test ---',
    ]);
    const errors = system.log.filter((l) => l.includes('Error:'));
    t.add('no Error line', errors.length === 0, errors[0]);
    t.equal('sub rm attached at local_attach_addr', base, LOCAL_ATTACH_ADDR);
    // the /proc/pid/maps checks of the 2017 run script, on core's map and the kernel's view
    const rm = sub_cap === undefined ? undefined : system.core.ep.apply(sub_cap, Region_map_component);
    if (rm === undefined) t.add('sub region map exists', false);
    else {
      const regions = [...rm.regions()].map(
        (r) => `${r.base.toString(16)}+${r.size.toString(16)}@${r.offset.toString(16)}`,
      );
      t.equal(
        'regions of the sub rm after the detach',
        regions.join(' '),
        '40000+4000@0 80000+3000@1000 c0000+2000@1000',
      );
      const pd = c.env().pd().native_pd()!;
      t.add(
        'detached range is unmapped (---p)',
        system.kernel.lookup(pd, LOCAL_ATTACH_ADDR + 0x1000) === undefined,
      );
      t.add(
        'mapping with offset shows the second page',
        system.kernel.lookup(pd, LOCAL_ATTACH_ADDR + 0x80000)?.phys ===
          (system.kernel.lookup(pd, LOCAL_ATTACH_ADDR + 0xc0000)?.phys ?? -1),
      );
    }
    return finish('sub_rm', t, system, run);
  },
};
