import { Dataspace_client, Rm_connection } from '../base/connections.js';
import { Entrypoint } from '../base/entrypoint.js';
import type { Env } from '../base/env.js';
import { Hex, Hex_range, Ptr } from '../base/output.js';
import type { Attach_result, Region_map } from '../base/region-map.js';
import { Region_map_client } from '../base/region-map-client.js';
import { Signal_handler } from '../base/signal.js';
import { boot } from '../base/system.js';
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

const MANAGED_SIZE = 0x10000;
const PAGE_SIZE = 4096;

/** `Local_fault_handler`: an entrypoint that resolves faults of a region map by attaching RAM. */
class Local_fault_handler {
  readonly #env: Env;
  readonly #rm: Region_map;
  readonly #handler: Signal_handler;
  fault_cnt = 0;

  constructor(env: Env, rm: Region_map) {
    this.#env = env;
    this.#rm = rm;
    const ep = new Entrypoint(env, 8 * 2048, 'local_fault_handler');
    this.#handler = new Signal_handler(ep, () => this.#handle_fault());
    rm.fault_handler(this.#handler.cap());
    env.log('fault handler: waiting for fault signal');
  }

  #handle_fault(): void {
    const fault = this.#rm.fault();
    this.fault_cnt++;
    const type =
      fault.type === 'READ'
        ? 'READ_FAULT'
        : fault.type === 'WRITE'
          ? 'WRITE_FAULT'
          : fault.type === 'EXEC'
            ? 'EXEC_FAULT'
            : 'READY';
    this.#env.log('region-map fault is ', type, ', pf_addr=', Hex(fault.addr));
    this.#env.log('allocate dataspace and attach it to sub region map');
    const ds = this.#env.ram().alloc(PAGE_SIZE);
    this.#rm.attach(ds, { use_at: true, at: fault.addr - (fault.addr % PAGE_SIZE), writeable: true });
    this.#env.log('returning from handle_fault');
  }
}

function ptr_from_attach_result(env: Env, r: Attach_result): number {
  if (r.ok) return r.range.start;
  env.error('read-only attach unexpectedly failed');
  return 0;
}

function attach_rw(env: Env, rm: Region_map, ds: Capability): number {
  return ptr_from_attach_result(env, rm.attach(ds, { writeable: true }));
}

/** Addresses the stacked part of the test computed (checked after the run). */
interface Stacked {
  shim1: number;
  shim2: number;
  bottom_value: number;
}

function* nested_regions(env: Env, out: Stacked): Blocking<void> {
  const TOP = 40 * 1024;
  const SHIM1 = 24 * 1024;
  const SHIM2 = 16 * 1024;
  const BOTTOM = 40 * 1024;
  const mem = env.rm().local;
  const rm = new Rm_connection(env);

  const rm_top = new Region_map_client(env, rm.create(TOP));
  const top_client = new Dataspace_client(env, rm_top.dataspace());
  const addr_top = attach_rw(env, env.rm(), rm_top.dataspace());
  env.log(' region top        ', Hex_range(addr_top, top_client.size()));

  const rm_shim1 = new Region_map_client(env, rm.create(SHIM1));
  const shim1_client = new Dataspace_client(env, rm_shim1.dataspace());
  const addr_shim1 = attach_rw(env, rm_top, rm_shim1.dataspace());
  const rm_shim2 = new Region_map_client(env, rm.create(SHIM2));
  const shim2_client = new Dataspace_client(env, rm_shim2.dataspace());
  const addr_shim2 = attach_rw(env, rm_top, rm_shim2.dataspace());
  out.shim1 = addr_shim1;
  out.shim2 = addr_shim2;
  env.log(
    ' region shim       ',
    Hex_range(addr_top + addr_shim1, shim1_client.size()),
    ' ',
    Hex_range(addr_top + addr_shim2, shim2_client.size()),
  );

  // attach some memory to region 2 as read-only and touch/map it
  const shim2_ram_size = PAGE_SIZE * 2;
  const shim2_ram_ds = env.ram().alloc(shim2_ram_size);
  const addr_shim2_ram = ptr_from_attach_result(
    env,
    rm_shim2.attach(shim2_ram_ds, { use_at: true, at: 0x1000 }),
  );
  const read_shim2 = addr_top + addr_shim2 + addr_shim2_ram;
  env.log('  attached mem                                         ', Hex_range(read_shim2, shim2_ram_size));
  env.log(
    '  read     mem                                         ',
    Hex_range(read_shim2, shim2_ram_size),
    ' value=',
    Hex(yield* mem.read32(read_shim2)),
  );

  // bottom region, attached with a window smaller than the map
  const rm_bottom = new Region_map_client(env, rm.create(BOTTOM));
  const bottom_client = new Dataspace_client(env, rm_bottom.dataspace());
  const size_bottom = BOTTOM - SHIM2;
  const addr_bottom = ptr_from_attach_result(
    env,
    rm_shim1.attach(rm_bottom.dataspace(), { size: size_bottom }),
  );
  env.log('   bottom shim (r) ', Hex_range(addr_top + addr_shim1 + addr_bottom, bottom_client.size()));
  env.log('   bottom shim (s) ', Hex_range(addr_top + addr_shim1 + addr_bottom, size_bottom));

  // attach some memory to bottom as writeable
  const bottom_ram_ds = env.ram().alloc(BOTTOM);
  {
    const base_rw = attach_rw(env, env.rm(), bottom_ram_ds);
    yield* mem.fill(base_rw, BOTTOM, 0xff);
    env.rm().detach(base_rw);
  }
  const addr_bottom_ram = ptr_from_attach_result(
    env,
    rm_bottom.attach(bottom_ram_ds, { use_at: true, at: 0, writeable: true }),
  );
  const write_bottom = addr_top + addr_shim1 + addr_bottom + addr_bottom_ram;
  env.log('    attached mem   ', Hex_range(write_bottom, size_bottom));
  out.bottom_value = yield* mem.read32(write_bottom);
  env.log('    wrote    mem   ', Hex_range(write_bottom, size_bottom), ' with value=', Hex(out.bottom_value));

  env.log(' try reading mem  ', Hex(read_shim2), ' - should succeed');
  let value = yield* mem.read32(read_shim2);
  if (value !== 0) env.error(' wrong content read - expected 0, got ', Hex(value));
  env.log(' try reading mem  ', Hex(read_shim2 + PAGE_SIZE), ' - should succeed');
  value = yield* mem.read32(read_shim2 + PAGE_SIZE);
  if (value !== 0) env.error(' wrong content read - expected 0, got ', Hex(value));

  const fault_handler = new Local_fault_handler(env, rm_shim2);
  env.log(' try reading mem  ', Hex(read_shim2 - PAGE_SIZE), ' - should fail');
  value = yield* mem.read32(read_shim2 - PAGE_SIZE);
  if (fault_handler.fault_cnt !== 1)
    env.error(' could read memory without region attached, value=', Hex(value));
  rm.close();
}

/**
 * Genode's `rm_nested` test (repos/base/src/test/rm_nested/main.cc, 2024 API): a sub region map
 * populated on demand by a fault handler on its own entrypoint (16 WRITE faults in sub-map
 * coordinates), then stacked managed dataspaces with a window smaller than the map. Succeeds on
 * `--- finished nested region map test ---` without any `Error:` line.
 */
export const rm_nested: Scenario = {
  name: 'rm_nested',
  title: 'nested region maps: faults in sub-map coordinates, stacked maps, windows',
  source: 'repos/base/src/test/rm_nested/main.cc, run/rm_nested.run',
  run(kernel: Kernel): Scenario_result {
    const t = new Checks();
    const system = boot({ kernel });
    const stacked: Stacked = { shim1: -1, shim2: -1, bottom_value: -1 };
    let sub_addr = 0;
    system.start({
      name: 'test-rm_nested',
      ram: 10 * 1024 * 1024,
      caps: 100,
      component: {
        *construct(env: Env): Blocking<void> {
          env.log('--- nested region map test ---');
          {
            const rm = new Rm_connection(env);
            const region_map = new Region_map_client(env, rm.create(MANAGED_SIZE));
            new Local_fault_handler(env, region_map);
            const addr = attach_rw(env, env.rm(), region_map.dataspace());
            sub_addr = addr;
            env.log('attached sub dataspace at local address ', Ptr(addr));
            const client = new Dataspace_client(env, region_map.dataspace());
            env.log('sub dataspace size is ', client.size(), ' should be ', MANAGED_SIZE);
            for (let i = 0; i < MANAGED_SIZE; i += PAGE_SIZE / 16) {
              env.log('write to ', Ptr(addr + i));
              yield* env.rm().local.write8(addr + i, 13);
            }
            env.log('test destruction of region_map');
            const rcap = rm.create(4096);
            rm.destroy(rcap);
            env.log('test multiple nested regions stacked');
            yield* nested_regions(env, stacked);
          }
          env.log('--- finished nested region map test ---');
        },
      },
    });
    const run = system.run({
      until: () => system.log.some((l) => l.includes('--- finished nested region map test ---')),
      maxSteps: DEFAULT_MAX_STEPS,
    });
    const lines = lines_of(system.log, 'init -> test-rm_nested');
    const faults: string[] = [];
    for (let p = 0; p < 16; p++) {
      faults.push(`region-map fault is WRITE_FAULT, pf_addr=0x${(p * PAGE_SIZE).toString(16)}`);
      faults.push('allocate dataspace and attach it to sub region map', 'returning from handle_fault');
    }
    check_in_order(t, 'sixteen WRITE faults in sub-map coordinates, in order', lines, [
      '--- nested region map test ---',
      'fault handler: waiting for fault signal',
      `attached sub dataspace at local address 0x${sub_addr.toString(16)}`,
      'sub dataspace size is 65536 should be 65536',
      ...faults,
      'test destruction of region_map',
      'test multiple nested regions stacked',
    ]);
    t.equal('write lines', lines.filter((l) => l.startsWith('write to ')).length, 256);
    t.equal('fault lines', lines.filter((l) => l.startsWith('region-map fault is')).length, 17);
    check_in_order(t, 'stacked part: exactly one READ fault at shim2 offset 0', lines, [
      'fault handler: waiting for fault signal',
      'region-map fault is READ_FAULT, pf_addr=0x0',
      '--- finished nested region map test ---',
    ]);
    t.equal('shim1 placed at 0 (natural alignment)', stacked.shim1, 0);
    t.equal('shim2 placed at 0x6000 (16K alignment impossible, 8K fits)', stacked.shim2, 0x6000);
    t.equal('bottom RAM (0xff) visible through top+shim1+bottom', stacked.bottom_value, 0xffffffff);
    const errors = system.log.filter((l) => l.includes('Error'));
    t.add('no Error line', errors.length === 0, errors[0]);
    return finish('rm_nested', t, system, run);
  },
};
