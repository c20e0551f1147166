import { LoaderError } from '../errors.js';
import { hex, ImageBytes } from './image-bytes.js';

// Multiboot Specification 0.6.96, §3.1 "OS image format".
/** Magic of the Multiboot header in the OS image. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** Magic the boot loader leaves in EAX (§3.2 "Machine state"). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** The header must lie, 32-bit aligned, in the first 8192 bytes of the image (§3.1.1). */
export const MULTIBOOT_SEARCH = 8192;
/** Header flag bit 0: align boot modules on 4 KiB pages. */
export const MB_FLAG_PAGE_ALIGN: number = 1 << 0;
/** Header flag bit 1: mem_* and the memory map must be provided. */
export const MB_FLAG_MEMORY_INFO: number = 1 << 1;
/** Header flag bit 2: video mode information must be provided (not supported: no video). */
export const MB_FLAG_VIDEO_MODE: number = 1 << 2;
/** Header flag bit 16: the address fields at offsets 12–28 are valid (the "a.out kludge"). */
export const MB_FLAG_AOUT_KLUDGE: number = 1 << 16;
/** Flags bits 0–15 are requirements: a loader must refuse an image with one it cannot meet. */
export const MB_REQUIRED_FLAGS_MASK = 0xffff;

/** A Multiboot header found in an image. */
export interface MultibootHeader {
  /** File offset of the magic. */
  readonly offset: number;
  readonly flags: number;
  readonly checksum: number;
  /** Present with flag bit 16: where the magic is to be loaded (physical). */
  readonly headerAddr?: number;
  /** Physical address of the start of the text segment (file offset `offset - (headerAddr - loadAddr)`). */
  readonly loadAddr?: number;
  /** End of the data segment (0: load to the end of the file). */
  readonly loadEndAddr?: number;
  /** End of the BSS (0: none). */
  readonly bssEndAddr?: number;
  /** Physical entry point. */
  readonly entryAddr?: number;
}

/**
 * Finds and checks the Multiboot header: the first 32-bit aligned position in the first 8192
 * bytes with the magic and a checksum that makes magic + flags + checksum ≡ 0 (mod 2³²).
 * Throws {@link LoaderError}: `NO_HEADER` (the message says when a header lies beyond 8 KiB),
 * `BAD_CHECKSUM` (a magic whose checksum is wrong and no valid header), `TRUNCATED` (the header's
 * fields run past the end), `UNSUPPORTED_FLAGS` (video mode, or an unknown required bit 3–15).
 */
export function findMultibootHeader(image: Uint8Array): MultibootHeader {
  const b = new ImageBytes(image, 'multiboot image');
  // The header must lie completely within the first 8192 bytes (§3.1.1): magic, flags and
  // checksum need 12 bytes.
  const limit = Math.min(image.length, MULTIBOOT_SEARCH) - 12;
  let badChecksumAt = -1;
  for (let off = 0; off <= limit; off += 4) {
    if (b.u32(off, 'magic') !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = b.u32(off + 4, 'flags');
    const checksum = b.u32(off + 8, 'checksum');
    if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 !== 0) {
      if (badChecksumAt < 0) badChecksumAt = off;
      continue;
    }
    return parseHeader(b, off, flags, checksum);
  }
  if (badChecksumAt >= 0) {
    throw new LoaderError(
      'BAD_CHECKSUM',
      `multiboot header at offset ${hex(badChecksumAt)} has a bad checksum (magic + flags + checksum must be 0 mod 2^32)`,
    );
  }
  for (let off = Math.max(0, limit + 4); off + 4 <= Math.min(image.length, 0x100000); off += 4) {
    if (b.u32(off, 'magic') === MULTIBOOT_HEADER_MAGIC) {
      throw new LoaderError(
        'NO_HEADER',
        off + 12 > image.length
          ? `multiboot header magic at offset ${hex(off)} is cut off by the end of the image`
          : `multiboot header magic found at offset ${hex(off)}, not completely within the first 8192 bytes where the specification requires it`,
      );
    }
  }
  throw new LoaderError('NO_HEADER', 'no multiboot header (magic 0x1badb002) in the first 8192 bytes');
}

function parseHeader(b: ImageBytes, off: number, flags: number, checksum: number): MultibootHeader {
  if (flags & MB_FLAG_VIDEO_MODE) {
    throw new LoaderError(
      'UNSUPPORTED_FLAGS',
      'multiboot header flag bit 2 asks for video mode information, which this loader cannot provide (no video)',
    );
  }
  const unknown =
    flags & MB_REQUIRED_FLAGS_MASK & ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE);
  if (unknown !== 0) {
    throw new LoaderError(
      'UNSUPPORTED_FLAGS',
      `multiboot header requires unknown features (flags bits ${hex(unknown)} in 3-15)`,
    );
  }
  if (!(flags & MB_FLAG_AOUT_KLUDGE)) return { offset: off, flags, checksum };
  b.need(off, 32, 'the multiboot header address fields (flag bit 16)');
  if (off + 32 > MULTIBOOT_SEARCH) {
    throw new LoaderError(
      'NO_HEADER',
      `multiboot header at offset ${hex(off)} with address fields is not completely within the first 8192 bytes`,
    );
  }
  return {
    offset: off,
    flags,
    checksum,
    headerAddr: b.u32(off + 12, 'header_addr'),
    loadAddr: b.u32(off + 16, 'load_addr'),
    loadEndAddr: b.u32(off + 20, 'load_end_addr'),
    bssEndAddr: b.u32(off + 24, 'bss_end_addr'),
    entryAddr: b.u32(off + 28, 'entry_addr'),
  };
}
