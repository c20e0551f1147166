import { BusError } from '../errors.js';

/** A bus access width in bytes. Port I/O and MMIO accesses of the x86 guest are 1, 2 or 4 bytes. */
export type AccessSize = 1 | 2 | 4;

/**
 * Which access widths are allowed, after QEMU's `MemoryRegionOps.valid` / `.impl` pair.
 *
 * Use it twice per region: `valid` says what the guest may do (anything else reads all-ones and
 * is dropped on write, like a bus error that the CPU does not see), `impl` says what the device
 * model handles (the bus splits wider accesses and widens narrower ones, see {@link planAccess}).
 */
export interface AccessSizes {
  /** Smallest width in bytes. */
  readonly min: AccessSize;
  /** Largest width in bytes. */
  readonly max: AccessSize;
  /**
   * `valid` only: whether the guest may access at an address that is not a multiple of the
   * access width (default `true`: an x86 CPU splits such an access into aligned bus cycles).
   */
  readonly unaligned?: boolean;
}

/** Guest accesses of every width at every alignment: the default `valid` of both buses. */
export const ANY_ACCESS: AccessSizes = Object.freeze({ min: 1, max: 4, unaligned: true });

/** A byte-wide device (ISA registers): the default `impl` of the port I/O bus. */
export const BYTE_ACCESS: AccessSizes = Object.freeze({ min: 1, max: 1 });

/**
 * One device access the bus performs for a guest access: `size` bytes at region offset `offset`,
 * of which the bytes selected by `mask` (0xff per guest byte, little-endian lanes) belong to the
 * guest access. `shift` is the bit position of the piece's first guest byte in the guest value
 * (negative when the piece starts before the guest access because it was widened).
 */
export interface AccessPiece {
  readonly offset: number;
  readonly size: AccessSize;
  readonly mask: number;
  readonly shift: number;
}

function isAccessSize(n: number): n is AccessSize {
  return n === 1 || n === 2 || n === 4;
}

/** Throws {@link BusError} `BAD_ACCESS_SIZES` unless `s` is a consistent declaration. */
export function checkAccessSizes(s: AccessSizes, what: string): void {
  if (!isAccessSize(s.min) || !isAccessSize(s.max) || s.min > s.max) {
    throw new BusError(
      'BAD_ACCESS_SIZES',
      `${what}: access sizes must be 1, 2 or 4 with min <= max (got min ${String(s.min)}, max ${String(s.max)})`,
    );
  }
}

/** Whether a guest access of `size` bytes at region offset `offset` is allowed by `valid`. */
export function isValidAccess(valid: AccessSizes, offset: number, size: number): boolean {
  if (size < valid.min || size > valid.max) return false;
  return valid.unaligned !== false || offset % size === 0;
}

/** All-ones for `size` bytes (what an unclaimed or invalid read returns). */
export function allOnes(size: number): number {
  return size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1;
}

/**
 * Splits one guest access (`size` bytes at region offset `offset`) into device accesses that
 * respect `impl`: every piece is naturally aligned and `impl.min`..`impl.max` wide. Pieces are as
 * wide as possible; a part narrower than `impl.min` is widened to the enclosing aligned
 * `impl.min` chunk, and its `mask` says which bytes the guest really addressed (so a write can be
 * merged and a read extracted). The pieces cover each guest byte exactly once, in address order.
 *
 * Use it when an access does not already fit (`impl.min <= size <= impl.max`, aligned); the
 * fast path in the buses skips it.
 */
export function planAccess(impl: AccessSizes, offset: number, size: number): AccessPiece[] {
  const pieces: AccessPiece[] = [];
  const end = offset + size;
  let p = offset;
  while (p < end) {
    let w: number = impl.max;
    while (w > 1 && (p % w !== 0 || p + w > end)) w >>= 1;
    if (w >= impl.min) {
      pieces.push({ offset: p, size: w as AccessSize, mask: allOnes(w), shift: (p - offset) * 8 });
      p += w;
      continue;
    }
    const chunk = p - (p % impl.min);
    const stop = Math.min(end, chunk + impl.min);
    let mask = 0;
    for (let b = p; b < stop; b++) mask |= 0xff << ((b - chunk) * 8);
    pieces.push({ offset: chunk, size: impl.min, mask: mask >>> 0, shift: (chunk - offset) * 8 });
    p = stop;
  }
  return pieces;
}
