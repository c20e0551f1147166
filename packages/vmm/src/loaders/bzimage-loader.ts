import { LoaderError } from '../errors.js';
import type { GuestMemory, MemoryMapEntry, MemoryType } from '../memory/guest-memory.js';
import { utf8Encode } from '../util/utf8.js';
import {
  CAN_USE_HEAP,
  CMD_LINE_PTR,
  HEAP_END_PTR,
  JUMP,
  type LinuxSetupHeader,
  LOADFLAGS,
  parseLinuxSetupHeader,
  RAMDISK_IMAGE,
  RAMDISK_SIZE,
  SETUP_SECTS,
  TYPE_OF_LOADER,
} from './bzimage.js';
import {
  FLAT_CODE_ATTRIBUTES,
  FLAT_DATA_ATTRIBUTES,
  flatProtectedModeState,
  type InitialCpuState,
} from './cpu-state.js';
import { hex } from './image-bytes.js';
import { ADDRESS_SPACE_4G, applyPlan, checkPlan, type LoadChunk } from './load-plan.js';

// Where this loader puts its pieces in conventional memory (Firecracker's and QEMU's choices for
// the 32-bit boot protocol are in the same range): all below 640 KiB, clear of the protected-mode
// kernel at 1 MiB and of the initrd at the top of RAM.
/** The boot GDT: null, null, __BOOT_CS (0x10), __BOOT_DS (0x18). */
export const LINUX_GDT_ADDRESS = 0x1000;
/** Initial ESP (the kernel sets up its own stack; this one lies below the zero page). */
export const LINUX_STACK_TOP = 0x7000;
/** boot_params ("the zero page"), handed over in ESI. */
export const LINUX_ZERO_PAGE_ADDRESS = 0x7000;
/** The command line (cmd_line_ptr). */
export const LINUX_CMDLINE_ADDRESS = 0x20000;
/** __BOOT_CS of arch/x86/include/asm/segment.h (GDT entry 2). */
export const BOOT_CS = 0x10;
/** __BOOT_DS (GDT entry 3). */
export const BOOT_DS = 0x18;
/** type_of_loader 0xff: "undefined" boot loader (boot.rst: no assigned ID). */
export const LINUX_LOADER_TYPE = 0xff;
/** heap_end_ptr written by this loader: the real-mode heap ends at 0xe000 (boot.rst: minus 0x200). */
export const LINUX_HEAP_END: number = 0xe000 - 0x200;

// boot_params (arch/x86/include/uapi/asm/bootparam.h)
/** e820_entries: number of entries in e820_table. */
export const E820_ENTRIES = 0x1e8;
/** e820_table: 20-byte entries (u64 addr, u64 size, u32 type). */
export const E820_TABLE = 0x2d0;
/** E820_MAX_ENTRIES_ZEROPAGE. */
export const E820_MAX_ENTRIES = 128;
/** Size of boot_params. */
export const ZERO_PAGE_SIZE = 0x1000;

const PAGE = 4096;
const E820_TYPES: Record<MemoryType, number> = { ram: 1, reserved: 2, acpi: 3, nvs: 4, unusable: 5 };

/** Options of {@link planBzImage}. */
export interface BzImageOptions {
  /** The kernel command line (default empty); at most the header's cmdline_size bytes. */
  readonly cmdline?: string;
  /** The initial RAM disk, placed page-aligned as high as initrd_addr_max and RAM allow. */
  readonly initrd?: Uint8Array;
}

/** The result of planning (and then performing) a Linux 32-bit boot-protocol load. */
export interface BzImageLoad {
  readonly header: LinuxSetupHeader;
  /** Where the protected-mode kernel goes: code32_start (1 MiB for a bzImage). */
  readonly kernelAddress: number;
  /** The entry point (code32_start). */
  readonly entry: number;
  /**
   * The memory the kernel needs in place to decompress: init_size bytes from where it runs
   * (pref_address or the load address aligned up to kernel_alignment; see boot.rst, init_size).
   */
  readonly kernelRuntime: { readonly start: number; readonly end: number };
  readonly zeroPage: number;
  readonly cmdlineAddress: number;
  /** The initrd's guest-physical address and size (0, 0 without one). */
  readonly ramdiskImage: number;
  readonly ramdiskSize: number;
  /** The e820 table given to the kernel. */
  readonly e820: readonly MemoryMapEntry[];
  /** 32-bit flat protected mode: CS __BOOT_CS, data __BOOT_DS, ESI boot_params, IF = 0, paging off. */
  readonly cpu: InitialCpuState;
  /** Everything written, in order. */
  readonly chunks: readonly LoadChunk[];
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  put16(b, at, v & 0xffff);
  put16(b, at + 2, (v >>> 16) & 0xffff);
}

function put64(b: Uint8Array, at: number, v: number): void {
  put32(b, at, v % 0x100000000);
  put32(b, at + 4, Math.floor(v / 0x100000000));
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** The kernel's in-place area: where it decompresses (boot.rst "init_size", head_32.S). */
function runtimeArea(h: LinuxSetupHeader, load: number): { start: number; end: number } {
  let start = load;
  if (h.prefAddress !== undefined) {
    // 2.10+: a relocatable kernel runs at its load address aligned up to kernel_alignment, but
    // not below LOAD_PHYSICAL_ADDR (= pref_address); a fixed one runs at pref_address.
    start =
      h.relocatable && h.kernelAlignment !== undefined
        ? Math.max(alignUp(load, h.kernelAlignment), h.prefAddress)
        : h.prefAddress;
  }
  const size = Math.max(h.initSize ?? 0, h.kernelSize);
  return { start, end: start + size };
}

/**
 * Plans the load of a Linux bzImage through the 32-bit boot protocol (Documentation/arch/x86/
 * boot.rst, protocol 2.03 or later) without writing anything: the protected-mode kernel at
 * code32_start (1 MiB), boot_params at {@link LINUX_ZERO_PAGE_ADDRESS} with the image's setup header
 * and the loader's fields (type_of_loader 0xff, LOADED_HIGH, CAN_USE_HEAP with heap_end_ptr,
 * cmd_line_ptr, ramdisk_image/size) and the e820 table of `map`, the command line, the initrd at
 * the highest page-aligned address below initrd_addr_max and the end of RAM, and a boot GDT with
 * __BOOT_CS/__BOOT_DS. Throws {@link LoaderError} for a bad image (the parser's codes), a zImage
 * (`BAD_HEADER`), a kernel or initrd that does not fit (`OUTSIDE_RAM`, `OVERLAP`) and a command
 * line longer than cmdline_size or containing NUL (`BAD_OPTION`).
 */
export function planBzImage(
  map: readonly MemoryMapEntry[],
  image: Uint8Array,
  options: BzImageOptions = {},
): BzImageLoad {
  const h = parseLinuxSetupHeader(image);
  if (!h.loadedHigh) {
    throw new LoaderError(
      'BAD_HEADER',
      'the image is a zImage (loadflags without LOADED_HIGH): only bzImages, whose protected-mode kernel runs at 1 MiB, are loaded',
    );
  }
  const cmdline = utf8Encode(options.cmdline ?? '');
  if (cmdline.includes(0))
    throw new LoaderError('BAD_OPTION', 'the kernel command line contains a NUL character');
  if (cmdline.length > h.cmdlineSize) {
    throw new LoaderError(
      'BAD_OPTION',
      `the kernel command line has ${cmdline.length} bytes, more than the kernel's cmdline_size (${h.cmdlineSize})`,
    );
  }
  const ramTop = map.filter((e) => e.type === 'ram').reduce((t, e) => Math.max(t, e.base + e.length), 0);
  const load = h.code32Start;
  const kernelEnd = load + h.kernelSize;
  if (load < 0x100000 || kernelEnd > ADDRESS_SPACE_4G) {
    throw new LoaderError(
      'BAD_HEADER',
      `code32_start ${hex(load)} with a ${hex(h.kernelSize)}-byte kernel is not a place a bzImage can run (1 MiB .. 4 GiB)`,
    );
  }
  const runtime = runtimeArea(h, load);
  const kernelChunk: LoadChunk = {
    address: load,
    length: h.kernelSize,
    data: image.subarray(h.setupSize),
    what: 'the protected-mode kernel',
  };
  checkPlan(map, [kernelChunk]);
  if (runtime.end > ramTop || runtime.end > ADDRESS_SPACE_4G) {
    throw new LoaderError(
      'OUTSIDE_RAM',
      `the kernel needs ${hex(runtime.end - runtime.start)} bytes (init_size) from ${hex(runtime.start)} to decompress and run, but guest RAM ends at ${hex(ramTop)}`,
    );
  }

  // The initrd: as high as possible (QEMU, GRUB), page-aligned, ending at or below both
  // initrd_addr_max + 1 and the end of the highest RAM range, clear of the kernel's area.
  let ramdiskImage = 0;
  const initrd = options.initrd;
  const ramdiskSize = initrd?.length ?? 0;
  const chunks: LoadChunk[] = [kernelChunk];
  if (initrd !== undefined && initrd.length > 0) {
    const limit = Math.min(h.initrdAddrMax + 1, ADDRESS_SPACE_4G);
    let at: number | undefined;
    for (const e of [...map].reverse()) {
      if (e.type !== 'ram') continue;
      const top = Math.min(e.base + e.length, limit);
      const cand = Math.floor((top - initrd.length) / PAGE) * PAGE;
      if (cand >= e.base && cand + initrd.length <= top) {
        at = cand;
        break;
      }
    }
    if (at === undefined) {
      throw new LoaderError(
        'OUTSIDE_RAM',
        `the initrd (${hex(initrd.length)} bytes) does not fit in guest RAM below initrd_addr_max ${hex(h.initrdAddrMax)} (RAM ends at ${hex(ramTop)})`,
      );
    }
    if (at < Math.max(runtime.end, kernelEnd) && at + initrd.length > Math.min(runtime.start, load)) {
      throw new LoaderError(
        'OVERLAP',
        `the initrd (${hex(at)}-${hex(at + initrd.length - 1)}, the highest place below initrd_addr_max and the end of RAM) overlaps the kernel's area ${hex(Math.min(runtime.start, load))}-${hex(Math.max(runtime.end, kernelEnd) - 1)}: give the guest more RAM`,
      );
    }
    ramdiskImage = at;
    chunks.push({ address: at, length: initrd.length, data: initrd, what: 'the initrd' });
  }

  // boot_params: zeros, the setup header as the image has it (0x1f1 to the end of the header,
  // which the jump at 0x200 bounds), then the loader's fields.
  const zp = new Uint8Array(ZERO_PAGE_SIZE);
  const disp = image[JUMP + 1]!;
  const headerEnd = Math.min(image[JUMP] === 0xeb && disp < 0x80 ? JUMP + 2 + disp : 0x26c, image.length);
  zp.set(image.subarray(SETUP_SECTS, headerEnd), SETUP_SECTS);
  zp[TYPE_OF_LOADER] = LINUX_LOADER_TYPE;
  zp[LOADFLAGS] = h.loadFlags | CAN_USE_HEAP;
  put16(zp, HEAP_END_PTR, LINUX_HEAP_END);
  put32(zp, CMD_LINE_PTR, LINUX_CMDLINE_ADDRESS);
  put32(zp, RAMDISK_IMAGE, ramdiskImage);
  put32(zp, RAMDISK_SIZE, ramdiskSize);
  const e820 = map.slice(0, E820_MAX_ENTRIES);
  zp[E820_ENTRIES] = e820.length;
  e820.forEach((e, i) => {
    const at = E820_TABLE + i * 20;
    put64(zp, at, e.base);
    put64(zp, at + 8, e.length);
    put32(zp, at + 16, E820_TYPES[e.type]);
  });

  const gdt = new Uint8Array(32);
  // Flat 4 GiB descriptors: base 0, limit 0xfffff with G; code type 0xb, data type 0x3.
  for (const [at, attributes] of [
    [BOOT_CS, FLAT_CODE_ATTRIBUTES],
    [BOOT_DS, FLAT_DATA_ATTRIBUTES],
  ] as const) {
    put16(gdt, at, 0xffff);
    gdt[at + 5] = attributes & 0xff;
    gdt[at + 6] = 0x0f | ((attributes >> 4) & 0xf0);
  }
  const cmdBytes = new Uint8Array(cmdline.length + 1);
  cmdBytes.set(cmdline);
  chunks.push(
    { address: LINUX_GDT_ADDRESS, length: gdt.length, data: gdt, what: 'the boot GDT' },
    { address: LINUX_ZERO_PAGE_ADDRESS, length: ZERO_PAGE_SIZE, data: zp, what: 'boot_params (zero page)' },
    { address: LINUX_CMDLINE_ADDRESS, length: cmdBytes.length, data: cmdBytes, what: 'the command line' },
  );
  checkPlan(map, chunks);

  const flat = flatProtectedModeState(load, { esi: LINUX_ZERO_PAGE_ADDRESS, esp: LINUX_STACK_TOP });
  const code = { ...flat.cs, selector: BOOT_CS };
  const data = { ...flat.ds, selector: BOOT_DS };
  const cpu: InitialCpuState = {
    ...flat,
    cs: code,
    ds: data,
    es: data,
    fs: data,
    gs: data,
    ss: data,
    gdtr: { base: LINUX_GDT_ADDRESS, limit: gdt.length - 1 },
  };
  return {
    header: h,
    kernelAddress: load,
    entry: load,
    kernelRuntime: runtime,
    zeroPage: LINUX_ZERO_PAGE_ADDRESS,
    cmdlineAddress: LINUX_CMDLINE_ADDRESS,
    ramdiskImage,
    ramdiskSize,
    e820,
    cpu,
    chunks,
  };
}

/**
 * Loads a Linux bzImage, its initrd and command line into guest memory and returns the boot
 * vCPU's state for the 32-bit boot protocol entry ({@link planBzImage} checks everything first:
 * a bad image throws {@link LoaderError} and leaves guest memory untouched).
 *
 * @example
 * ```ts
 * const mem = ArrayGuestMemory.pc(128 << 20);
 * const load = loadBzImage(mem, bzImage, { cmdline: 'console=ttyS0', initrd });
 * vcpu.setInitialState(load.cpu); // EIP 0x100000, ESI = boot_params
 * ```
 */
export function loadBzImage(mem: GuestMemory, image: Uint8Array, options: BzImageOptions = {}): BzImageLoad {
  const plan = planBzImage(mem.map, image, options);
  applyPlan(mem, plan.chunks);
  return plan;
}

/** Whether `image` looks like a Linux kernel image (boot flag 0xAA55 and "HdrS" at 0x202). */
export function isBzImage(image: Uint8Array): boolean {
  return (
    image.length >= 0x206 &&
    image[0x1fe] === 0x55 &&
    image[0x1ff] === 0xaa &&
    image[0x202] === 0x48 &&
    image[0x203] === 0x64 &&
    image[0x204] === 0x72 &&
    image[0x205] === 0x53
  );
}
