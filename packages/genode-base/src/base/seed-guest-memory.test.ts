import { describe, expect, it } from 'vitest';
import { GenodeError } from '../errors.js';
import { run_component } from '../test-kernel/harness.js';
import { Rm_connection } from './connections.js';
import type { Env } from './env.js';
import { Region_map_client } from './region-map-client.js';
import { Thread } from './thread.js';

/** `Vmm::PAGE_SIZE = PAGE_SIZE_LOG2 << 12` — the never-fixed slip of vmm/types.h (0xC000). */
const VMM_PAGE_SIZE = 12 << 12;

/**
 * The seed, `Vmm::Virtual_reservation(env, vm_size)` of guest_memory.h, written against this
 * package's API exactly as the C++ is written against Genode's 2017–2024 API.
 */
class Virtual_reservation {
  readonly #env: Env;
  readonly rm: Rm_connection;
  readonly map: Region_map_client;

  constructor(env: Env, vm_size: number) {
    this.#env = env;
    this.rm = new Rm_connection(env);
    this.map = new Region_map_client(env, this.rm.create(vm_size));
    try {
      // leave out the very first page: core denies attaching anything at the zero page
      env.rm().attach_at(this.map.dataspace(), VMM_PAGE_SIZE, 0, VMM_PAGE_SIZE);
    } catch (e) {
      if (!(e instanceof GenodeError && e.code === 'Region_conflict')) throw e;
      env.error('region conflict while attaching guest-physical memory');
    }
  }

  destroy(): void {
    this.#env.rm().detach(VMM_PAGE_SIZE);
  }
}

describe('the seed: Vmm::Virtual_reservation', () => {
  it('reserves [0xC000, vm_size) at identity offset; [0x1000, 0xC000) stays free (the PAGE_SIZE slip)', () => {
    const VM_SIZE = 64 << 20;
    let small = -1;
    let big = -1;
    let second = false;
    const { system, c } = run_component(
      function* (env, sys) {
        const res = new Virtual_reservation(env, VM_SIZE);
        const pd = sys.core.pd_of(env.pd().native_pd()!.id)!;
        const region = pd.address_space_rm!.region_at(0xc000)!;
        expect([region.base, region.size, region.offset]).toEqual([0xc000, VM_SIZE - 0xc000, 0xc000]);
        // best fit puts small VMM attachments into the unreserved low range
        const r = env.rm().attach(env.ram().alloc(4096), {});
        small = r.ok ? r.range.start : -1;
        const r2 = env.rm().attach(env.ram().alloc(64 * 1024), {});
        big = r2.ok ? r2.range.start : -1;
        // a second reservation conflicts and logs Seoul's error
        new Virtual_reservation(env, VM_SIZE);
        second = true;
        // the VMM touching its own reservation: an RM fault nobody handles
        const t = new Thread(env, 'toucher', 16 * 1024, function* () {
          yield* env.rm().local.read8(0x10_0000);
        });
        t.start();
        for (let i = 0; i < 10; i++) yield* env.kernel.yieldCpu();
        res.destroy();
        expect(pd.address_space_rm!.region_at(0xc000)).toBeUndefined();
        const zero = env.rm().attach(env.ram().alloc(4096), { use_at: true, at: 0 });
        expect(zero.ok ? 'OK' : zero.error).toBe('REGION_CONFLICT');
      },
      { ram: 8 << 20 },
    );
    expect(c.exit_value()).toBe(0);
    expect(small).toBe(0x1000);
    expect(big).toBeGreaterThanOrEqual(VM_SIZE);
    expect(second).toBe(true);
    expect(system.log).toContain(
      '[init -> test] Error: region conflict while attaching guest-physical memory',
    );
    expect(system.log).toContain(
      "Error: illegal READ at address 0x100000 by pager_object: pd='init -> test' thread='toucher' ip=0x0",
    );
  });
});
