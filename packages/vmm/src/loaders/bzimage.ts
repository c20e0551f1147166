import { LoaderError } from '../errors.js';
import { hex, ImageBytes } from './image-bytes.js';

// The real-mode kernel header (Linux Documentation/arch/x86/boot.rst, "The Real-Mode Kernel
// Header"); offsets are from the start of the image.
/** setup_sects: 512-byte setup sectors after the boot sector (0 means 4). */
export const SETUP_SECTS = 0x1f1;
/** root_flags: mount the root read-only if set. */
export const ROOT_FLAGS = 0x1f2;
/** syssize: protected-mode code size in 16-byte paragraphs (32 bits since 2.04). */
export const SYSSIZE = 0x1f4;
/** vid_mode: video mode control. */
export const VID_MODE = 0x1fa;
/** root_dev: default root device number. */
export const ROOT_DEV = 0x1fc;
/** 0xAA55 at 0x1fe. */
export const BOOT_FLAG = 0x1fe;
/** The boot_flag value: 0xAA55. */
export const BOOT_FLAG_MAGIC = 0xaa55;
/** Two-byte jump over the header at 0x200; its target bounds the header. */
export const JUMP = 0x200;
/** "HdrS" at 0x202 (protocol 2.00+). */
export const HEADER = 0x202;
/** "HdrS" read as a little-endian 32-bit word. */
export const HEADER_MAGIC = 0x53726448;
/** version: boot protocol, major in the high byte. */
export const VERSION = 0x206;
/** kernel_version: pointer (minus 0x200) to the version string. */
export const KERNEL_VERSION = 0x20e;
/** type_of_loader: written by the boot loader. */
export const TYPE_OF_LOADER = 0x210;
/** loadflags: LOADED_HIGH, QUIET_FLAG, KEEP_SEGMENTS, CAN_USE_HEAP. */
export const LOADFLAGS = 0x211;
/** setup_move_size: bytes to move with the setup code (protocol 2.00–2.01). */
export const SETUP_MOVE_SIZE = 0x212;
/** code32_start: the 32-bit entry of the protected-mode kernel. */
export const CODE32_START = 0x214;
/** ramdisk_image: physical address of the initrd (written by the loader). */
export const RAMDISK_IMAGE = 0x218;
/** ramdisk_size: size of the initrd (written by the loader). */
export const RAMDISK_SIZE = 0x21c;
/** heap_end_ptr: end of the setup stack/heap minus 0x200. */
export const HEAP_END_PTR = 0x224;
/** cmd_line_ptr: physical address of the command line (written by the loader). */
export const CMD_LINE_PTR = 0x228;
/** 2.03+. */
export const INITRD_ADDR_MAX = 0x22c;
/** 2.05+. */
export const KERNEL_ALIGNMENT = 0x230;
/** relocatable_kernel (2.05+): non-zero if the kernel may be loaded elsewhere. */
export const RELOCATABLE_KERNEL = 0x234;
/** 2.10+. */
export const MIN_ALIGNMENT = 0x235;
/** 2.12+. */
export const XLOADFLAGS = 0x236;
/** 2.06+. */
export const CMDLINE_SIZE = 0x238;
/** 2.07+. */
export const HARDWARE_SUBARCH = 0x23c;
/** 2.08+. */
export const PAYLOAD_OFFSET = 0x248;
/** payload_length (2.08+). */
export const PAYLOAD_LENGTH = 0x24c;
/** 2.10+. */
export const PREF_ADDRESS = 0x258;
/** init_size (2.10+): linear memory the kernel needs before it relocates. */
export const INIT_SIZE = 0x260;
/** 2.11+. */
export const HANDOVER_OFFSET = 0x264;
/** 2.15+. */
export const KERNEL_INFO_OFFSET = 0x268;

/** loadflags bit 0: the protected-mode code is loaded at 0x100000 (a bzImage). */
export const LOADED_HIGH = 0x01;
/** loadflags bit 5: suppress early messages. */
export const QUIET_FLAG = 0x20;
/** loadflags bit 6: do not reload segment registers in the 32-bit entry. */
export const KEEP_SEGMENTS = 0x40;
/** loadflags bit 7: heap_end_ptr is valid. */
export const CAN_USE_HEAP = 0x80;
/** The oldest protocol this parser accepts (initrd_addr_max appeared in 2.03). */
export const MIN_BOOT_PROTOCOL = 0x0203;

/** The setup header of a Linux kernel image, with the fields its protocol version defines. */
export interface LinuxSetupHeader {
  /** Boot protocol version, e.g. 0x020f. */
  readonly version: number;
  /** "2.15" style. */
  readonly versionString: string;
  /** Setup sectors (0 in the image means 4). */
  readonly setupSects: number;
  /** Bytes of the real-mode part: boot sector + setup sectors = (setup_sects + 1) × 512. */
  readonly setupSize: number;
  /** Bytes of the protected-mode part that follows (the rest of the file). */
  readonly kernelSize: number;
  readonly rootFlags: number;
  /** Protected-mode code size in 16-byte paragraphs. */
  readonly syssize: number;
  readonly vidMode: number;
  readonly rootDev: number;
  readonly typeOfLoader: number;
  readonly loadFlags: number;
  /** LOADED_HIGH: a bzImage (protected-mode code at 0x100000) rather than a zImage. */
  readonly loadedHigh: boolean;
  readonly canUseHeap: boolean;
  readonly setupMoveSize: number;
  readonly code32Start: number;
  readonly ramdiskImage: number;
  readonly ramdiskSize: number;
  readonly heapEndPtr: number;
  readonly cmdLinePtr: number;
  /** Highest address the initrd may occupy (2.03+). */
  readonly initrdAddrMax: number;
  /** 2.05+: alignment the kernel needs when relocated (undefined before). */
  readonly kernelAlignment: number | undefined;
  /** 2.05+: whether the kernel may be loaded at any kernel_alignment-aligned address. */
  readonly relocatable: boolean;
  /** 2.10+: log2 of the minimum alignment. */
  readonly minAlignment: number | undefined;
  /** 2.12+. */
  readonly xloadflags: number | undefined;
  /** Maximum command-line length without the NUL (255 before 2.06). */
  readonly cmdlineSize: number;
  /** 2.07+. */
  readonly hardwareSubarch: number | undefined;
  /** 2.08+: offset of the compressed payload from the start of the protected-mode code. */
  readonly payloadOffset: number | undefined;
  readonly payloadLength: number | undefined;
  /** 2.10+: preferred load address (the address for a non-relocatable kernel). */
  readonly prefAddress: number | undefined;
  /** 2.10+: bytes of linear memory the kernel needs before it can relocate or decompress. */
  readonly initSize: number | undefined;
  /** 2.11+. */
  readonly handoverOffset: number | undefined;
  /** 2.15+. */
  readonly kernelInfoOffset: number | undefined;
  /** The kernel version string the header points to, if it lies in the setup area. */
  readonly kernelVersion: string | undefined;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * Parses and validates the setup header of a Linux bzImage (boot protocol 2.03 or later).
 * Throws {@link LoaderError}: `TRUNCATED` (the image ends inside the header or the setup area, or
 * has no protected-mode part), `BAD_MAGIC` (no 0xAA55 boot flag or no "HdrS"),
 * `UNSUPPORTED_PROTOCOL` (older than 2.03), `BAD_HEADER` (a relocatable kernel whose
 * kernel_alignment is not a power of two, min_alignment above it, a zero init_size, a payload
 * outside the image, a header that ends before the fields its version claims).
 *
 * Loading the kernel is not done here; this is what a loader checks first.
 */
export function parseLinuxSetupHeader(image: Uint8Array): LinuxSetupHeader {
  const b = new ImageBytes(image, 'bzImage');
  b.need(0, HEADER + 4, 'the setup header up to "HdrS"');
  if (b.u16(BOOT_FLAG, 'boot_flag') !== BOOT_FLAG_MAGIC) {
    throw new LoaderError(
      'BAD_MAGIC',
      `bzImage boot_flag at 0x1fe is ${hex(b.u16(BOOT_FLAG, 'boot_flag'))}, not 0xaa55`,
    );
  }
  if (b.u32(HEADER, 'header') !== HEADER_MAGIC) {
    throw new LoaderError(
      'BAD_MAGIC',
      'bzImage has no "HdrS" setup header at 0x202 (boot protocol 2.00 or later required)',
    );
  }
  const version = b.u16(VERSION, 'version');
  const versionString = `${version >> 8}.${String(version & 0xff).padStart(2, '0')}`;
  if (version < MIN_BOOT_PROTOCOL) {
    throw new LoaderError('UNSUPPORTED_PROTOCOL', `Linux boot protocol ${versionString} is older than 2.03`);
  }
  // The header runs to the target of the jump at 0x200 (EB xx); the fields a version defines must fit in it.
  const disp = b.u8(JUMP + 1, 'jump offset');
  const jumpTarget = b.u8(JUMP, 'jump') === 0xeb ? JUMP + 2 + (disp > 0x7f ? disp - 0x100 : disp) : undefined;
  const needEnd =
    version >= 0x020f
      ? 0x26c
      : version >= 0x020b
        ? 0x268
        : version >= 0x020a
          ? 0x264
          : version >= 0x0209
            ? 0x258
            : version >= 0x0208
              ? 0x250
              : version >= 0x0207
                ? 0x248
                : version >= 0x0206
                  ? 0x23c
                  : version >= 0x0205
                    ? 0x235
                    : 0x230;
  if (jumpTarget !== undefined && jumpTarget < needEnd) {
    throw new LoaderError(
      'BAD_HEADER',
      `the setup header ends at ${hex(jumpTarget)} (jump at 0x200) but protocol ${versionString} defines fields up to ${hex(needEnd)}`,
    );
  }
  b.need(0, needEnd, `the protocol ${versionString} setup header`);
  const rawSects = b.u8(SETUP_SECTS, 'setup_sects');
  const setupSects = rawSects === 0 ? 4 : rawSects;
  const setupSize = (setupSects + 1) * 512;
  b.need(0, setupSize, `the real-mode setup code (${setupSects} setup sectors)`);
  const kernelSize = image.length - setupSize;
  if (kernelSize <= 0) {
    throw new LoaderError(
      'TRUNCATED',
      `bzImage has no protected-mode kernel after its ${hex(setupSize)} bytes of setup`,
    );
  }
  const loadFlags = b.u8(LOADFLAGS, 'loadflags');
  const at = (v: number, off: number, field: string) => (version >= v ? b.u32(off, field) : undefined);
  const kernelAlignment = at(0x0205, KERNEL_ALIGNMENT, 'kernel_alignment');
  const relocatable = version >= 0x0205 && b.u8(RELOCATABLE_KERNEL, 'relocatable_kernel') !== 0;
  const minAlignment = version >= 0x020a ? b.u8(MIN_ALIGNMENT, 'min_alignment') : undefined;
  const payloadOffset = at(0x0208, PAYLOAD_OFFSET, 'payload_offset');
  const payloadLength = at(0x0208, PAYLOAD_LENGTH, 'payload_length');
  const initSize = at(0x020a, INIT_SIZE, 'init_size');
  if (relocatable && (kernelAlignment === undefined || !isPowerOfTwo(kernelAlignment))) {
    throw new LoaderError(
      'BAD_HEADER',
      `relocatable kernel with kernel_alignment ${hex(kernelAlignment ?? 0)}, which is not a power of two`,
    );
  }
  if (
    minAlignment !== undefined &&
    kernelAlignment !== undefined &&
    relocatable &&
    2 ** minAlignment > kernelAlignment
  ) {
    throw new LoaderError(
      'BAD_HEADER',
      `min_alignment 2^${minAlignment} exceeds kernel_alignment ${hex(kernelAlignment)}`,
    );
  }
  if (initSize === 0) throw new LoaderError('BAD_HEADER', 'init_size is 0');
  if (
    payloadOffset !== undefined &&
    payloadLength !== undefined &&
    payloadOffset + payloadLength > kernelSize
  ) {
    throw new LoaderError(
      'BAD_HEADER',
      `payload ${hex(payloadOffset)}+${hex(payloadLength)} lies outside the ${hex(kernelSize)}-byte protected-mode kernel`,
    );
  }
  const kvOff = b.u16(KERNEL_VERSION, 'kernel_version');
  let kernelVersion: string | undefined;
  if (kvOff !== 0 && kvOff + 0x200 < setupSize) {
    let s = '';
    for (let i = kvOff + 0x200; i < setupSize && i < kvOff + 0x200 + 256; i++) {
      const c = image[i]!;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    kernelVersion = s;
  }
  return {
    version,
    versionString,
    setupSects,
    setupSize,
    kernelSize,
    rootFlags: b.u16(ROOT_FLAGS, 'root_flags'),
    syssize: b.u32(SYSSIZE, 'syssize'),
    vidMode: b.u16(VID_MODE, 'vid_mode'),
    rootDev: b.u16(ROOT_DEV, 'root_dev'),
    typeOfLoader: b.u8(TYPE_OF_LOADER, 'type_of_loader'),
    loadFlags,
    loadedHigh: (loadFlags & LOADED_HIGH) !== 0,
    canUseHeap: (loadFlags & CAN_USE_HEAP) !== 0,
    setupMoveSize: b.u16(SETUP_MOVE_SIZE, 'setup_move_size'),
    code32Start: b.u32(CODE32_START, 'code32_start'),
    ramdiskImage: b.u32(RAMDISK_IMAGE, 'ramdisk_image'),
    ramdiskSize: b.u32(RAMDISK_SIZE, 'ramdisk_size'),
    heapEndPtr: b.u16(HEAP_END_PTR, 'heap_end_ptr'),
    cmdLinePtr: b.u32(CMD_LINE_PTR, 'cmd_line_ptr'),
    initrdAddrMax: b.u32(INITRD_ADDR_MAX, 'initrd_addr_max'),
    kernelAlignment,
    relocatable,
    minAlignment,
    xloadflags: version >= 0x020c ? b.u16(XLOADFLAGS, 'xloadflags') : undefined,
    cmdlineSize: version >= 0x0206 ? b.u32(CMDLINE_SIZE, 'cmdline_size') : 255,
    hardwareSubarch: at(0x0207, HARDWARE_SUBARCH, 'hardware_subarch'),
    payloadOffset,
    payloadLength,
    prefAddress: version >= 0x020a ? b.u64(PREF_ADDRESS, 'pref_address') : undefined,
    initSize,
    handoverOffset: at(0x020b, HANDOVER_OFFSET, 'handover_offset'),
    kernelInfoOffset: at(0x020f, KERNEL_INFO_OFFSET, 'kernel_info_offset'),
    kernelVersion,
  };
}
