import { LoaderError } from '../errors.js';
import { type GuestMemory, isInRam } from '../memory/guest-memory.js';
import { flatProtectedModeState, type InitialCpuState, realModeState } from './cpu-state.js';
import { hex } from './image-bytes.js';
import { applyPlan, checkPlan, type LoadChunk } from './load-plan.js';

/** Options of {@link loadFlatBinary}. */
export interface FlatBinaryOptions {
  /** Guest-physical load address. */
  readonly address: number;
  /** Guest-physical entry point (default: `address`). */
  readonly entry?: number;
  /**
   * CPU mode at entry: `protected` — flat 32-bit segments, paging off (as Multiboot);
   * `real` — real mode with CS:IP addressing `entry` (which must be below 1 MiB). Default `protected`.
   */
  readonly mode?: 'protected' | 'real';
  /** Initial ESP (default 0: the guest sets up its own stack). */
  readonly stack?: number;
}

/** What {@link loadFlatBinary} did. */
export interface FlatBinaryResult {
  readonly entry: number;
  readonly cpu: InitialCpuState;
  /** The loaded range `[start, end)`. */
  readonly start: number;
  readonly end: number;
}

/**
 * Loads a raw binary at a fixed guest-physical address and returns the initial CPU state that
 * enters it. The image and the entry point must lie in RAM (the entry inside the image); nothing
 * is written if a check fails ({@link LoaderError} `EMPTY_IMAGE`, `OUTSIDE_RAM`,
 * `NUMERIC_OVERFLOW`, `ENTRY_OUTSIDE_IMAGE`, `BAD_OPTION`).
 *
 * @example
 * ```ts
 * const { cpu } = loadFlatBinary(mem, guestBin, { address: 0x100000 });
 * ```
 */
export function loadFlatBinary(
  mem: GuestMemory,
  image: Uint8Array,
  options: FlatBinaryOptions,
): FlatBinaryResult {
  const { address } = options;
  const entry = options.entry ?? address;
  const mode = options.mode ?? 'protected';
  if (image.length === 0) throw new LoaderError('EMPTY_IMAGE', 'flat binary is empty');
  if (!Number.isSafeInteger(entry) || entry < address || entry >= address + image.length) {
    throw new LoaderError(
      'ENTRY_OUTSIDE_IMAGE',
      `entry point ${hex(entry)} is outside the loaded image ${hex(address)}-${hex(address + image.length - 1)}`,
    );
  }
  if (mode === 'real' && entry >= 0x100000) {
    throw new LoaderError('BAD_OPTION', `real-mode entry ${hex(entry)} is not below 1 MiB`);
  }
  const stack = options.stack ?? 0;
  if (!Number.isInteger(stack) || stack < 0 || stack > 0xffffffff) {
    throw new LoaderError('BAD_OPTION', `stack pointer ${String(stack)} is not a 32-bit value`);
  }
  const chunks: LoadChunk[] = [{ address, length: image.length, data: image, what: 'flat binary' }];
  checkPlan(mem.map, chunks);
  if (!isInRam(mem.map, entry, 1)) {
    throw new LoaderError('ENTRY_OUTSIDE_IMAGE', `entry point ${hex(entry)} is not in RAM`);
  }
  applyPlan(mem, chunks);
  const cpu = mode === 'real' ? realModeState(entry, stack) : flatProtectedModeState(entry, { esp: stack });
  return { entry, cpu, start: address, end: address + image.length };
}
