import { describe, expect, it } from 'vitest';
import { GuestMemoryError } from '../errors.js';
import { pcMemoryMap } from '../memory/pc-memory-map.js';
import { runComponent } from '../scenarios/harness.js';
import { GUEST_WINDOW_SIZE, Guest_memory } from './guest-memory.js';

const MIB = 1 << 20;

describe('Guest_memory', () => {
  it('attaches RAM into a 4 GiB window at guest-physical offsets; the VMM sees X at window + X', () => {
    runComponent(function* (env, sys) {
      const mem = new Guest_memory(env, { ram: 16 * MIB });
      const as = sys.core.pd_of(env.pd().native_pd()!.id)!.address_space_rm!;
      const win = as.region_at(mem.window_base())!;
      expect([win.base, win.size, win.dsc?.kind]).toEqual([mem.window_base(), GUEST_WINDOW_SIZE, 'MANAGED']);
      expect([...win.dsc!.sub_rm!.regions()].map((r) => [r.base, r.size, r.write, r.exec])).toEqual([
        [0, 16 * MIB, true, true],
      ]);
      expect(mem.local(0x123456)).toBe(mem.window_base() + 0x123456);
      yield* mem.write(0x100000, Uint8Array.of(1, 2, 3, 4));
      expect([...(yield* mem.read(0x100000, 4))]).toEqual([1, 2, 3, 4]);
      expect(yield* env.rm().local.read32(mem.local(0x100000))).toBe(0x04030201);
      expect(mem.read_now(0x100000, 4)).toBe(0x04030201);
      expect(mem.write_now(0x100004, 2, 0xbeef)).toBe(true);
      expect(mem.read_now(0x100004, 2)).toBe(0xbeef);
      expect(mem.read_now(0x100ffe, 4)).toBeUndefined(); // straddles a page: the caller splits it
      mem.destroy();
      expect(as.region_at(mem.window_base())).toBeUndefined();
    });
  });

  it('backs RAM except the legacy hole; the memory map is the PC one', () => {
    runComponent((env) => {
      const mem = new Guest_memory(env, { ram: 32 * MIB });
      expect(mem.memory_map()).toEqual(pcMemoryMap(32 * MIB));
      expect(mem.backed_region(0x9000)).toEqual({ gpa: 0, size: 0xa0000, local: mem.window_base() });
      expect(mem.backed_region(0xb8000)).toBeUndefined(); // VGA hole: MMIO
      expect(mem.backed_region(0x2000000)).toBeUndefined(); // beyond RAM: MMIO
      expect(mem.backed_region(0x1ffffff)).toEqual({
        gpa: 0x100000,
        size: 31 * MIB,
        local: mem.window_base() + 0x100000,
      });
      expect(mem.backed_end()).toBe(32 * MIB);
    });
  });

  it('carves firmware tables from the top (OP_ALLOC_FROM_GUEST) and attaches a framebuffer', () => {
    runComponent((env) => {
      const mem = new Guest_memory(env, { ram: 4 * MIB });
      expect(mem.alloc_from_guest(100, 'acpi')).toBe(4 * MIB - 0x1000);
      expect(mem.alloc_from_guest(0x2000)).toBe(4 * MIB - 0x3000);
      expect(mem.alloc_from_guest(3 * MIB)).toBeUndefined(); // would reach below 1 MiB
      expect(mem.memory_map().slice(2)).toEqual([
        { base: 0x100000, length: 3 * MIB - 0x3000, type: 'ram' },
        { base: 4 * MIB - 0x3000, length: 0x2000, type: 'reserved' },
        { base: 4 * MIB - 0x1000, length: 0x1000, type: 'acpi' },
      ]);
      // carved memory stays backed: the guest reaches its tables through NPT faults
      expect(mem.backed_region(4 * MIB - 0x800)?.gpa).toBe(0x100000);
      const fb = mem.attach_region('framebuffer', 0xfd000000, 4 * MIB);
      expect(mem.backed_region(0xfd123000)).toEqual({
        gpa: 0xfd000000,
        size: 4 * MIB,
        local: mem.local(0xfd000000),
      });
      expect(mem.memory_map().at(-1)).toEqual({ base: 0xfd000000, length: 4 * MIB, type: 'reserved' });
      expect(mem.regions().map((r) => r.name)).toEqual(['RAM', fb.name]);
      expect(() => mem.attach_region('overlap', 0xfd200000, 4096)).toThrow(GuestMemoryError);
      expect(() => mem.attach_region('odd', 0x1001, 4096)).toThrow(/page-aligned/);
      expect(mem.regions()).toHaveLength(2);
    });
  });

  it('loads a plan through a temporary view: the window stays untouched until the guest runs', () => {
    runComponent(function* (env, sys) {
      const mem = new Guest_memory(env, { ram: 8 * MIB });
      const as = sys.core.pd_of(env.pd().native_pd()!.id)!.address_space_rm!;
      const before = as.region_count;
      yield* mem.load([
        { address: 0x100000, length: 0x3000, data: Uint8Array.of(0xaa, 0xbb), what: 'kernel' },
        { address: 0x9000, length: 4, data: Uint8Array.of(1, 2, 3, 4), what: 'boot information' },
      ]);
      expect(as.region_count).toBe(before); // the view is gone again
      expect(env.rm().local.lookup(mem.local(0x100000))).toBeUndefined();
      expect([...(yield* mem.read(0x100000, 3))]).toEqual([0xaa, 0xbb, 0]);
      expect([...(yield* mem.read(0x9000, 4))]).toEqual([1, 2, 3, 4]);
      expect(() => mem.load([{ address: 16 * MIB, length: 4, what: 'beyond' }]).next()).toThrow(
        GuestMemoryError,
      );
    });
  });

  it('refuses sizes that are not page multiples', () => {
    runComponent((env) => {
      expect(() => new Guest_memory(env, { ram: 4097 })).toThrow(GuestMemoryError);
      expect(() => new Guest_memory(env, { ram: 0 })).toThrow(GuestMemoryError);
    });
  });
});
