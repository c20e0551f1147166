import { LoaderError } from '../errors.js';
import { type GuestMemory, isInRam, type MemoryMapEntry } from '../memory/guest-memory.js';
import { utf8Encode } from '../util/utf8.js';
import { flatProtectedModeState, type InitialCpuState } from './cpu-state.js';
import { isElf, PT_LOAD, parseElf32 } from './elf32.js';
import { hex } from './image-bytes.js';
import { ADDRESS_SPACE_4G, applyPlan, checkPlan, type LoadChunk } from './load-plan.js';
import {
  findMultibootHeader,
  MB_FLAG_AOUT_KLUDGE,
  MULTIBOOT_BOOTLOADER_MAGIC,
  type MultibootHeader,
} from './multiboot-header.js';
import { buildMultibootInfo, type MultibootInfoArea, type PlacedModule } from './multiboot-info.js';

/**
 * Where the boot information area goes by default: 0x9000, in conventional memory below the
 * usual 1 MiB kernel load address (the address QEMU's Multiboot loader uses). The area holds the
 * information structure, the memory map, the module list and all strings.
 */
export const MULTIBOOT_INFO_ADDRESS = 0x9000;
/** The `boot_loader_name` this loader reports by default. */
export const MULTIBOOT_LOADER_NAME = 'genode-ts vmm';
const PAGE = 4096;

/** A boot module to hand to the kernel. */
export interface MultibootModule {
  readonly data: Uint8Array;
  /** The module's string (usually its command line); default empty. */
  readonly string?: string;
}

/** Options of {@link loadMultiboot}. */
export interface MultibootOptions {
  /** The kernel command line (default empty). */
  readonly cmdline?: string;
  /** Boot modules, placed page-aligned after the kernel image in this order. */
  readonly modules?: readonly MultibootModule[];
  /** `boot_loader_name` (default {@link MULTIBOOT_LOADER_NAME}). */
  readonly bootLoaderName?: string;
  /** Where to put the boot information area (default {@link MULTIBOOT_INFO_ADDRESS}; 4-byte aligned). */
  readonly infoAddress?: number;
}

/** A module as loaded. */
export interface LoadedModule {
  readonly start: number;
  /** One past the last byte (`mod_end`). */
  readonly end: number;
  readonly string: string;
}

/** The result of planning (and then performing) a Multiboot load. */
export interface MultibootLoad {
  /** `elf` (program headers) or `aout-kludge` (header flag bit 16). */
  readonly format: 'elf' | 'aout-kludge';
  readonly header: MultibootHeader;
  /** Physical entry point. */
  readonly entry: number;
  /** EAX = 0x2BADB002, EBX = info address, flat protected mode, paging and interrupts off, A20 on. */
  readonly cpu: InitialCpuState;
  /** Lowest and highest+1 physical address of the kernel image (BSS included). */
  readonly kernelStart: number;
  readonly kernelEnd: number;
  readonly modules: readonly LoadedModule[];
  readonly info: MultibootInfoArea;
  readonly infoAddress: number;
  /** Everything written, in order. */
  readonly chunks: readonly LoadChunk[];
}

function cString(s: string, what: string): Uint8Array {
  const b = utf8Encode(s);
  if (b.includes(0)) throw new LoaderError('BAD_OPTION', `${what} contains a NUL character`);
  return b;
}

/** The kernel's pieces from its ELF program headers (PT_LOAD with p_memsz > 0, at p_paddr). */
function elfChunks(image: Uint8Array): { chunks: LoadChunk[]; entry: number } {
  const elf = parseElf32(image);
  const chunks: LoadChunk[] = [];
  let entry: number | undefined;
  elf.programHeaders.forEach((ph, i) => {
    if (ph.type !== PT_LOAD) return;
    const what = `ELF segment ${i}`;
    if (ph.memsz < ph.filesz) {
      throw new LoaderError(
        'MEMSZ_LT_FILESZ',
        `${what}: p_memsz ${hex(ph.memsz)} < p_filesz ${hex(ph.filesz)}`,
      );
    }
    if (ph.offset + ph.filesz > image.length) {
      throw new LoaderError(
        'TRUNCATED',
        `${what}: file bytes ${hex(ph.offset)}..${hex(ph.offset + ph.filesz)} lie past the end of the image (${hex(image.length)} bytes)`,
      );
    }
    if (ph.paddr + ph.memsz > ADDRESS_SPACE_4G) {
      throw new LoaderError(
        'NUMERIC_OVERFLOW',
        `${what}: p_paddr ${hex(ph.paddr)} + p_memsz ${hex(ph.memsz)} leaves the 32-bit physical address space`,
      );
    }
    if (ph.memsz === 0) return;
    chunks.push({
      address: ph.paddr,
      length: ph.memsz,
      data: image.subarray(ph.offset, ph.offset + ph.filesz),
      what,
    });
    // GRUB 2's rule: an entry inside a segment's virtual range is translated to its physical range.
    if (entry === undefined && elf.entry >= ph.vaddr && elf.entry - ph.vaddr < ph.memsz) {
      entry = ph.paddr + (elf.entry - ph.vaddr);
    }
  });
  if (chunks.length === 0)
    throw new LoaderError('EMPTY_IMAGE', 'ELF image has no loadable segment (PT_LOAD with p_memsz > 0)');
  return { chunks, entry: entry ?? elf.entry };
}

/** The kernel's pieces from the a.out-kludge address fields (Multiboot §3.1.3). */
function kludgeChunks(image: Uint8Array, h: MultibootHeader): { chunks: LoadChunk[]; entry: number } {
  const headerAddr = h.headerAddr!;
  const loadAddr = h.loadAddr!;
  const loadEndAddr = h.loadEndAddr!;
  const bssEndAddr = h.bssEndAddr!;
  if (headerAddr < loadAddr) {
    throw new LoaderError(
      'BAD_ADDRESSES',
      `header_addr ${hex(headerAddr)} is below load_addr ${hex(loadAddr)}`,
    );
  }
  const fileStart = h.offset - (headerAddr - loadAddr);
  if (fileStart < 0) {
    throw new LoaderError(
      'BAD_ADDRESSES',
      `header_addr - load_addr (${hex(headerAddr - loadAddr)}) exceeds the header's file offset ${hex(h.offset)}: load_addr would lie before the file start`,
    );
  }
  let loadEnd: number;
  if (loadEndAddr === 0) loadEnd = loadAddr + (image.length - fileStart);
  else {
    if (loadEndAddr < loadAddr) {
      throw new LoaderError(
        'BAD_ADDRESSES',
        `load_end_addr ${hex(loadEndAddr)} is below load_addr ${hex(loadAddr)}`,
      );
    }
    loadEnd = loadEndAddr;
    if (fileStart + (loadEnd - loadAddr) > image.length) {
      throw new LoaderError(
        'TRUNCATED',
        `load_addr..load_end_addr (${hex(loadEnd - loadAddr)} bytes from file offset ${hex(fileStart)}) runs past the end of the image (${hex(image.length)} bytes)`,
      );
    }
  }
  if (loadEnd > ADDRESS_SPACE_4G) {
    throw new LoaderError(
      'NUMERIC_OVERFLOW',
      `the loaded text and data end at ${hex(loadEnd)}, beyond 4 GiB`,
    );
  }
  if (bssEndAddr !== 0 && bssEndAddr < loadEnd) {
    throw new LoaderError(
      'BAD_ADDRESSES',
      `bss_end_addr ${hex(bssEndAddr)} is below the end of the loaded data ${hex(loadEnd)}`,
    );
  }
  const end = bssEndAddr === 0 ? loadEnd : bssEndAddr;
  if (end === loadAddr) throw new LoaderError('EMPTY_IMAGE', 'the a.out-kludge image loads no bytes');
  const chunks: LoadChunk[] = [
    {
      address: loadAddr,
      length: end - loadAddr,
      data: image.subarray(fileStart, fileStart + (loadEnd - loadAddr)),
      what: 'kernel image (load_addr..bss_end_addr)',
    },
  ];
  return { chunks, entry: h.entryAddr! };
}

/** The first page-aligned address ≥ `from` where `size` bytes of RAM are free of `taken` ranges. */
function place(
  map: readonly MemoryMapEntry[],
  from: number,
  size: number,
  taken: readonly LoadChunk[],
): number | undefined {
  const length = Math.max(1, size);
  for (const e of map) {
    if (e.type !== 'ram') continue;
    let at = Math.ceil(Math.max(from, e.base) / PAGE) * PAGE;
    for (;;) {
      if (at + length > e.base + e.length || at + length > ADDRESS_SPACE_4G) break;
      const clash = taken.find((c) => c.length > 0 && at < c.address + c.length && c.address < at + length);
      if (clash === undefined) return at;
      at = Math.ceil((clash.address + clash.length) / PAGE) * PAGE;
    }
  }
  return undefined;
}

/**
 * Plans a Multiboot (v1) load without writing anything: finds and checks the header, takes the
 * kernel's pieces from its ELF program headers (p_paddr, p_filesz, p_memsz; zero-filled BSS) or
 * from the a.out-kludge address fields (flag bit 16, which take precedence over ELF), places the
 * modules page-aligned after the kernel and the boot information area at `infoAddress`, and checks
 * that everything lies in RAM, inside 4 GiB and without overlaps, and that the entry point lies in
 * the loaded kernel. Throws {@link LoaderError} with a code for each way an image can be bad.
 */
export function planMultiboot(
  map: readonly MemoryMapEntry[],
  image: Uint8Array,
  options: MultibootOptions = {},
): MultibootLoad {
  const infoAddress = options.infoAddress ?? MULTIBOOT_INFO_ADDRESS;
  if (
    !Number.isInteger(infoAddress) ||
    infoAddress < 0 ||
    infoAddress % 4 !== 0 ||
    infoAddress >= ADDRESS_SPACE_4G
  ) {
    throw new LoaderError(
      'BAD_OPTION',
      `boot information address ${String(infoAddress)} is not a 4-byte aligned 32-bit address`,
    );
  }
  const cmdline = cString(options.cmdline ?? '', 'the command line');
  const loaderName = cString(options.bootLoaderName ?? MULTIBOOT_LOADER_NAME, 'the boot loader name');
  const header = findMultibootHeader(image);
  const aout = (header.flags & MB_FLAG_AOUT_KLUDGE) !== 0;
  if (!aout && !isElf(image)) {
    throw new LoaderError(
      'BAD_MAGIC',
      'multiboot image is neither ELF nor marked with header flag bit 16 (a.out kludge address fields)',
    );
  }
  const kernel = aout ? kludgeChunks(image, header) : elfChunks(image);
  checkPlan(map, kernel.chunks);
  const kernelStart = Math.min(...kernel.chunks.map((c) => c.address));
  const kernelEnd = Math.max(...kernel.chunks.map((c) => c.address + c.length));
  const entry = kernel.entry;
  if (
    !kernel.chunks.some((c) => entry >= c.address && entry < c.address + c.length) ||
    !isInRam(map, entry, 1)
  ) {
    throw new LoaderError(
      'ENTRY_OUTSIDE_IMAGE',
      `entry point ${hex(entry)} does not lie in a loaded part of the kernel (${kernel.chunks
        .map((c) => `${hex(c.address)}-${hex(c.address + c.length - 1)}`)
        .join(', ')})`,
    );
  }

  const chunks: LoadChunk[] = [...kernel.chunks];
  const modules: PlacedModule[] = [];
  const loaded: LoadedModule[] = [];
  (options.modules ?? []).forEach((m, i) => {
    const string = cString(m.string ?? '', `module ${i}'s string`);
    const at = place(map, kernelEnd, m.data.length, chunks);
    if (at === undefined) {
      throw new LoaderError(
        'OUTSIDE_RAM',
        `module ${i} (${hex(m.data.length)} bytes) does not fit in guest RAM above the kernel (which ends at ${hex(kernelEnd)})`,
      );
    }
    chunks.push({ address: at, length: m.data.length, data: m.data, what: `module ${i}` });
    modules.push({ start: at, end: at + m.data.length, string });
    loaded.push({ start: at, end: at + m.data.length, string: m.string ?? '' });
  });
  const info = buildMultibootInfo({
    address: infoAddress,
    map,
    cmdline,
    modules,
    bootLoaderName: loaderName,
  });
  chunks.push({
    address: infoAddress,
    length: info.bytes.length,
    data: info.bytes,
    what: 'boot information',
  });
  checkPlan(map, chunks);
  return {
    format: aout ? 'aout-kludge' : 'elf',
    header,
    entry,
    cpu: flatProtectedModeState(entry, { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: infoAddress }),
    kernelStart,
    kernelEnd,
    modules: loaded,
    info,
    infoAddress,
    chunks,
  };
}

/**
 * Loads a Multiboot (v1) kernel, its modules and the boot information into guest memory and
 * returns the initial CPU state (EAX = 0x2BADB002, EBX = the information structure's address,
 * 32-bit protected mode with flat segments, paging off, IF clear, A20 on — Multiboot §3.2).
 * Everything is checked first ({@link planMultiboot}); a bad image throws {@link LoaderError}
 * and leaves guest memory untouched.
 *
 * @example
 * ```ts
 * const mem = ArrayGuestMemory.pc(64 << 20);
 * const load = loadMultiboot(mem, kernel, { cmdline: 'console=ttyS0', modules: [{ data: initrd, string: 'initrd' }] });
 * vcpu.setInitialState(load.cpu);
 * ```
 */
export function loadMultiboot(
  mem: GuestMemory,
  image: Uint8Array,
  options: MultibootOptions = {},
): MultibootLoad {
  const plan = planMultiboot(mem.map, image, options);
  applyPlan(mem, plan.chunks);
  return plan;
}
