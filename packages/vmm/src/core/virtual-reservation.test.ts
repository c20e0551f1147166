import { STACK_AREA_BASE } from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { runComponent } from '../scenarios/harness.js';
import { GENODE_VMM_PAGE_SIZE_SLIP, PAGE_SIZE } from '../types.js';
import { Virtual_reservation } from './virtual-reservation.js';

describe('Virtual_reservation (vmm/guest_memory.h)', () => {
  it('reserves [PAGE_SIZE, vm_size) at identity offset, refuses a second one, detaches on destroy', () => {
    const seen: unknown[] = [];
    const { system } = runComponent((env, sys) => {
      const as = sys.core.pd_of(env.pd().native_pd()!.id)!.address_space_rm!;
      const r = new Virtual_reservation(env, 64 << 20);
      expect(r.attached()).toBe(true);
      const region = as.region_at(PAGE_SIZE)!;
      seen.push([region.base, region.size, region.offset, region.dsc?.kind]);
      // guest-physical X = VMM-local X: the managed dataspace is shown from offset X at X
      expect(region.base - region.offset).toBe(0);
      expect(r.range()).toEqual({ start: 0x1000, end: 64 << 20 });
      // nothing is attached into it; an attachment anywhere lands outside [0x1000, vm_size)
      expect([...region.dsc!.sub_rm!.regions()]).toEqual([]);
      const other = env.rm().attach(env.ram().alloc(4096), {});
      seen.push(other.ok && other.range.start >= 64 << 20);
      // a second reservation conflicts: Seoul's message, and it stays detached
      const second = new Virtual_reservation(env, 64 << 20);
      seen.push(second.attached());
      second.destroy();
      r.destroy();
      seen.push(as.region_at(PAGE_SIZE) === undefined);
      r.destroy(); // twice is harmless
    });
    expect(seen).toEqual([[0x1000, (64 << 20) - 0x1000, 0x1000, 'MANAGED'], true, false, true]);
    expect(system.log).toContain(
      '[init -> vmm] Error: region conflict while attaching guest-physical memory',
    );
    expect(system.log.filter((l) => l.includes('region conflict'))).toHaveLength(1);
  });

  it('cannot reach into the stack area: a vm_size beyond it conflicts (colocated guests stay below)', () => {
    let attached: boolean | undefined;
    const { system } = runComponent((env) => {
      const r = new Virtual_reservation(env, STACK_AREA_BASE + 0x1000);
      attached = r.attached();
      r.destroy();
    });
    expect(attached).toBe(false);
    expect(system.log).toContain(
      '[init -> vmm] Error: region conflict while attaching guest-physical memory',
    );
  });

  it('uses the intended page size; Genode’s `PAGE_SIZE_LOG2 << 12` slip is kept as a constant', () => {
    expect(PAGE_SIZE).toBe(4096);
    expect(GENODE_VMM_PAGE_SIZE_SLIP).toBe(12 * 4096);
  });
});
