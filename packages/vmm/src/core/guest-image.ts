import { LoaderError } from '../errors.js';
import { isBzImage, planBzImage } from '../loaders/bzimage-loader.js';
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
      /** A Linux bzImage through the 32-bit boot protocol (boot_params, e820, initrd). */
      readonly kind: 'linux';
      readonly image: Uint8Array;
      readonly cmdline?: string;
      readonly initrd?: Uint8Array;
    }
  | {
      /**
       * Linux when the image has a bzImage setup header (0xAA55 at 0x1fe, "HdrS" at 0x202),
       * Multiboot when it has a Multiboot header in its first 8 KiB, else flat. An `initrd` goes to
       * Linux as its initial RAM disk and to a Multiboot kernel as module 0; a flat binary takes
       * neither a command line nor an initrd.
       */
      readonly kind: 'auto';
      readonly image: Uint8Array;
      readonly cmdline?: string;
      readonly initrd?: Uint8Array;
    };

/** A checked load: everything to write, and the boot vCPU's initial state. */
export interface Guest_plan {
  /** `linux bzImage (protocol 2.15)`, `multiboot (ELF)`, `multiboot (a.out kludge)` or `flat binary`. */
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

/** The format `auto` picks for `image`: `linux`, `multiboot`, `elf` (refused) or `flat`. */
export function detectGuestFormat(image: Uint8Array): 'linux' | 'multiboot' | 'elf' | 'flat' {
  if (isBzImage(image)) return 'linux';
  if (hasMultibootMagic(image)) return 'multiboot';
  return isElf(image) ? 'elf' : 'flat';
}

/**
 * Checks a guest image against the memory map and plans its load, writing nothing: a bad image
 * (truncated, wrong magic, overlapping or oversized segments, entry outside RAM) throws
 * {@link LoaderError} before any guest memory exists. `auto` picks Linux for an image with a
 * bzImage setup header, Multiboot when the image carries the Multiboot magic in its first 8 KiB
 * (a broken header is then an error, not a flat binary); an ELF file without a Multiboot header
 * is refused.
 */
export function planGuest(map: readonly MemoryMapEntry[], guest: Guest_image): Guest_plan {
  const kind = guest.kind === 'auto' ? detectGuestFormat(guest.image) : guest.kind;
  if (kind === 'linux') {
    const g = guest as { image: Uint8Array; cmdline?: string; initrd?: Uint8Array };
    const p = planBzImage(map, g.image, {
      ...(g.cmdline !== undefined ? { cmdline: g.cmdline } : {}),
      ...(g.initrd !== undefined ? { initrd: g.initrd } : {}),
    });
    return {
      format: `linux bzImage (boot protocol ${p.header.versionString})`,
      entry: p.entry,
      cpu: p.cpu,
      chunks: p.chunks,
    };
  }
  if (kind === 'elf') {
    throw new LoaderError(
      'NO_HEADER',
      'ELF image without a multiboot header: only Multiboot kernels are booted',
    );
  }
  if (kind === 'multiboot') {
    const cmdline = guest.kind === 'flat' ? undefined : guest.cmdline;
    const modules =
      guest.kind === 'multiboot'
        ? guest.modules
        : guest.kind === 'auto' && guest.initrd !== undefined
          ? [{ data: guest.initrd, string: 'initrd' }]
          : undefined;
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
  if (guest.kind === 'auto' && (guest.initrd !== undefined || guest.cmdline !== undefined)) {
    throw new LoaderError(
      'BAD_OPTION',
      'a flat binary takes no command line and no initrd (only Linux bzImages and Multiboot kernels do)',
    );
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
