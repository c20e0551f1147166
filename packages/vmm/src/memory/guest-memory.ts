import { GuestMemoryError } from '../errors.js';

/**
 * Kinds of memory-map entries (the E820 / Multiboot `type` values: RAM 1, reserved 2, ACPI
 * reclaimable 3, ACPI NVS 4, unusable 5).
 */
export type MemoryType = 'ram' | 'reserved' | 'acpi' | 'nvs' | 'unusable';

/** One range of the guest-physical memory map. */
export interface MemoryMapEntry {
  readonly base: number;
  readonly length: number;
  readonly type: MemoryType;
}

/**
 * Guest-physical memory as loaders need it — what the VMM core must provide (its `Guest_memory`
 * over the RAM dataspaces, or {@link ArrayGuestMemory}). Only `ram` entries of {@link map} may be
 * written; a loader checks every byte it will write against the map before writing anything.
 */
export interface GuestMemory {
  /** The machine's memory map: sorted by base, non-overlapping (see {@link checkMemoryMap}). */
  readonly map: readonly MemoryMapEntry[];
  /** Copies `data` to guest-physical `address`; the whole range lies in RAM. */
  write(address: number, data: Uint8Array): void;
  /** Copies `length` bytes from guest-physical `address` (a range in RAM). */
  read(address: number, length: number): Uint8Array;
}

/** Throws {@link GuestMemoryError} `BAD_MAP` unless entries are sorted, non-empty integers and disjoint. */
export function checkMemoryMap(map: readonly MemoryMapEntry[]): void {
  let end = 0;
  map.forEach((e, i) => {
    if (!Number.isSafeInteger(e.base) || !Number.isSafeInteger(e.length) || e.base < 0 || e.length <= 0) {
      throw new GuestMemoryError(
        'BAD_MAP',
        `memory map entry ${i} (base ${String(e.base)}, length ${String(e.length)}) is not a non-empty range`,
      );
    }
    if (e.base < end) {
      throw new GuestMemoryError(
        'BAD_MAP',
        `memory map entry ${i} at 0x${e.base.toString(16)} overlaps or precedes the entry before it (ends at 0x${end.toString(16)})`,
      );
    }
    end = e.base + e.length;
  });
}

/** The RAM entries of `map`. */
export function ramRegions(map: readonly MemoryMapEntry[]): MemoryMapEntry[] {
  return map.filter((e) => e.type === 'ram');
}

/**
 * Whether every byte of `[address, address + length)` (length ≥ 1) is RAM: inside one RAM entry
 * or a run of adjacent RAM entries of the sorted `map`.
 */
export function isInRam(map: readonly MemoryMapEntry[], address: number, length: number): boolean {
  if (!(length >= 1) || !(address >= 0) || !Number.isFinite(address + length)) return false;
  const end = address + length;
  let cursor = address;
  for (const e of map) {
    if (e.type !== 'ram' || e.base + e.length <= cursor) continue;
    if (e.base > cursor) return false;
    cursor = e.base + e.length;
    if (cursor >= end) return true;
  }
  return false;
}
