import { LoaderError } from '../errors.js';
import type { InitialCpuState } from '../loaders/cpu-state.js';
import { isElf } from '../loaders/elf32.js';
import { loadFlatBinary } from '../loaders/flat-loader.js';
import type { LoadChunk } from '../loaders/load-plan.js';
import { MULTIBOOT_HEADER_MAGIC } from '../loaders/multiboot-header.js';
import { type MultibootModule, planMultiboot } from '../loaders/multiboot-loader.js';
import type { GuestMemory, MemoryMapEntry } from '../memory/guest-memory.js';

/** Where a flat binary goes by default: a boot sector's address, entered in real mode. */
export const FLAT_DEFAULT_ADDRESS = 0x7c00;

/** A guest image and how to load it. */
export type Guest_image =
  | {
      /** Multiboot v1 (ELF, or a.out kludge with header flag 16). */
      readonly kind: 'multiboot';
      readonly image: Uint8Array;
      readonly cmdline?: string;
      readonly modules?: readonly MultibootModule[];
    }
  | {
      /** A raw binary at `address` (default 0x7c00), entered at `entry` in `mode` (default real). */
      readonly kind: 'flat';
      readonly image: Uint8Array;
      readonly address?: number;
      readonly entry?: number;
      readonly mode?: 'protected' | 'real';
    }
  | {
      /** Multiboot when the image has a Multiboot header in its first 8 KiB, else flat. */
      readonly kind: 'auto';
      readonly image: Uint8Array;
      readonly cmdline?: string;
    };

/** A checked load: everything to write, and the boot vCPU's initial state. */
export interface Guest_plan {
  /** `multiboot (ELF)`, `multiboot (a.out kludge)` or `flat binary`. */
  readonly format: string;
  readonly entry: number;
  readonly cpu: InitialCpuState;
  readonly chunks: readonly LoadChunk[];
}

/** Records the writes of a loader instead of performing them (loaders only write). */
class Recorder implements GuestMemory {
  readonly map: readonly MemoryMapEntry[];
  readonly chunks: LoadChunk[] = [];

  constructor(map: readonly MemoryMapEntry[]) {
    this.map = map;
  }

  write(address: number, data: Uint8Array): void {
    this.chunks.push({ address, length: data.length, data: data.slice(), what: 'flat binary' });
  }

  read(): Uint8Array {
    throw new LoaderError('BAD_OPTION', 'a loader read guest memory while planning');
  }
}

function hasMultibootMagic(image: Uint8Array): boolean {
  const n = Math.min(image.length, 8192) - 4;
  for (let off = 0; off <= n; off += 4) {
    const v =
      (image[off]! | (image[off + 1]! << 8) | (image[off + 2]! << 16) | (image[off + 3]! << 24)) >>> 0;
    if (v === MULTIBOOT_HEADER_MAGIC) return true;
  }
  return false;
}

/**
 * Checks a guest image against the memory map and plans its load, writing nothing: a bad image
 * (truncated, wrong magic, overlapping or oversized segments, entry outside RAM) throws
 * {@link LoaderError} before any guest memory exists. `auto` picks Multiboot when the image
 * carries the Multiboot magic in its first 8 KiB (a broken header is then an error, not a flat
 * binary); an ELF file without a Multiboot header is refused.
 */
export function planGuest(map: readonly MemoryMapEntry[], guest: Guest_image): Guest_plan {
  const kind =
    guest.kind === 'auto'
      ? hasMultibootMagic(guest.image)
        ? 'multiboot'
        : isElf(guest.image)
          ? 'elf'
          : 'flat'
      : guest.kind;
  if (kind === 'elf') {
    throw new LoaderError(
      'NO_HEADER',
      'ELF image without a multiboot header: only Multiboot kernels are booted',
    );
  }
  if (kind === 'multiboot') {
    const cmdline = guest.kind === 'flat' ? undefined : guest.cmdline;
    const modules = guest.kind === 'multiboot' ? guest.modules : undefined;
    const p = planMultiboot(map, guest.image, {
      ...(cmdline !== undefined ? { cmdline } : {}),
      ...(modules !== undefined ? { modules } : {}),
    });
    return {
      format: p.format === 'elf' ? 'multiboot (ELF)' : 'multiboot (a.out kludge)',
      entry: p.entry,
      cpu: p.cpu,
      chunks: p.chunks,
    };
  }
  const flat = guest.kind === 'flat' ? guest : { image: guest.image };
  const rec = new Recorder(map);
  const address = 'address' in flat && flat.address !== undefined ? flat.address : FLAT_DEFAULT_ADDRESS;
  const r = loadFlatBinary(rec, flat.image, {
    address,
    ...('entry' in flat && flat.entry !== undefined ? { entry: flat.entry } : {}),
    mode: 'mode' in flat && flat.mode !== undefined ? flat.mode : 'real',
  });
  return { format: 'flat binary', entry: r.entry, cpu: r.cpu, chunks: rec.chunks };
}
