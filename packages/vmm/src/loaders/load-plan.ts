import { LoaderError } from '../errors.js';
import { type GuestMemory, isInRam, type MemoryMapEntry } from '../memory/guest-memory.js';
import { hex } from './image-bytes.js';

/**
 * One piece a loader will write: `length` bytes at guest-physical `address`, copied from `data`
 * (which may be shorter: the rest is zero-filled, like an ELF segment's BSS) or all zeros.
 */
export interface LoadChunk {
  readonly address: number;
  readonly length: number;
  readonly data?: Uint8Array;
  /** What it is, for error messages ("ELF segment 1", "module 0", "boot information"). */
  readonly what: string;
}

/** The highest guest-physical address a 32-bit loader may write (exclusive). */
export const ADDRESS_SPACE_4G = 0x100000000;

/**
 * Checks a plan before anything is written: every chunk inside the 32-bit address space and in
 * RAM, no two chunks overlapping. Throws {@link LoaderError} (`NUMERIC_OVERFLOW`, `OUTSIDE_RAM`,
 * `OVERLAP`) naming the chunks.
 */
export function checkPlan(map: readonly MemoryMapEntry[], chunks: readonly LoadChunk[]): void {
  for (const c of chunks) {
    if (
      !Number.isSafeInteger(c.address) ||
      !Number.isSafeInteger(c.length) ||
      c.address < 0 ||
      c.length < 0
    ) {
      throw new LoaderError(
        'NUMERIC_OVERFLOW',
        `${c.what}: address ${String(c.address)} / length ${String(c.length)} is not a valid range`,
      );
    }
    if (c.address + c.length > ADDRESS_SPACE_4G) {
      throw new LoaderError(
        'NUMERIC_OVERFLOW',
        `${c.what}: ${hex(c.address)} + ${hex(c.length)} leaves the 32-bit physical address space`,
      );
    }
    if (c.length > 0 && !isInRam(map, c.address, c.length)) {
      throw new LoaderError(
        'OUTSIDE_RAM',
        `${c.what} (${hex(c.address)}-${hex(c.address + c.length - 1)}) is not inside guest RAM`,
      );
    }
  }
  const sorted = chunks.filter((c) => c.length > 0).sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.address < a.address + a.length) {
      throw new LoaderError(
        'OVERLAP',
        `${b.what} (${hex(b.address)}-${hex(b.address + b.length - 1)}) overlaps ${a.what} (${hex(a.address)}-${hex(a.address + a.length - 1)})`,
      );
    }
  }
}

const ZERO = new Uint8Array(0x10000);

/** Writes a checked plan: data bytes, then zeros for the rest of each chunk. */
export function applyPlan(mem: GuestMemory, chunks: readonly LoadChunk[]): void {
  for (const c of chunks) {
    const n = Math.min(c.data?.length ?? 0, c.length);
    if (n > 0) mem.write(c.address, c.data!.subarray(0, n));
    for (let at = n; at < c.length; at += ZERO.length) {
      mem.write(c.address + at, ZERO.subarray(0, Math.min(ZERO.length, c.length - at)));
    }
  }
}
