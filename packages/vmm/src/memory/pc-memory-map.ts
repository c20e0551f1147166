import type { MemoryMapEntry } from './guest-memory.js';

/** Start of the legacy hole: VGA memory, option ROMs and the BIOS (0xa0000–0xfffff). */
export const PC_LOW_HOLE_START = 0xa0000;
/** End of the legacy hole: extended memory starts at 1 MiB. */
export const PC_HIGH_MEMORY_START = 0x100000;

/**
 * The memory map of a PC without firmware tables: RAM below 640 KiB, the reserved legacy hole
 * 0xa0000–0xfffff, RAM from 1 MiB up to `ramSize` (the hole is not backed, as on QEMU's `pc`
 * machine below 1 MiB).
 *
 * @example
 * ```ts
 * pcMemoryMap(128 << 20);
 * // [{ base: 0, length: 0xa0000, type: 'ram' }, { base: 0xa0000, length: 0x60000, type: 'reserved' },
 * //  { base: 0x100000, length: 127 << 20, type: 'ram' }]
 * ```
 */
export function pcMemoryMap(ramSize: number): MemoryMapEntry[] {
  const map: MemoryMapEntry[] = [];
  const low = Math.min(ramSize, PC_LOW_HOLE_START);
  if (low > 0) map.push({ base: 0, length: low, type: 'ram' });
  map.push({ base: PC_LOW_HOLE_START, length: PC_HIGH_MEMORY_START - PC_LOW_HOLE_START, type: 'reserved' });
  if (ramSize > PC_HIGH_MEMORY_START) {
    map.push({ base: PC_HIGH_MEMORY_START, length: ramSize - PC_HIGH_MEMORY_START, type: 'ram' });
  }
  return map;
}
