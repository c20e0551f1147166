import type { MemoryMapEntry, MemoryType } from '../memory/guest-memory.js';

// Multiboot Specification 0.6.96, §3.3 "Boot information format".
/** info.flags bit 0: mem_lower / mem_upper valid. */
export const MBI_MEMORY: number = 1 << 0;
/** info.flags bit 2: cmdline valid. */
export const MBI_CMDLINE: number = 1 << 2;
/** info.flags bit 3: mods_count / mods_addr valid. */
export const MBI_MODS: number = 1 << 3;
/** info.flags bit 6: mmap_length / mmap_addr valid. */
export const MBI_MMAP: number = 1 << 6;
/** info.flags bit 9: boot_loader_name valid. */
export const MBI_LOADER_NAME: number = 1 << 9;
/** Size of the boot information structure up to and including the framebuffer fields (offset 115). */
export const MBI_SIZE = 116;
/** Size of one memory-map entry including its leading `size` field (which holds 20). */
export const MBI_MMAP_ENTRY_SIZE = 24;
/** Size of one module structure (mod_start, mod_end, string, reserved). */
export const MBI_MODULE_SIZE = 16;

// Offsets of the fields in the information structure.
/** Offset of `flags`. */
export const MBI_OFF_FLAGS = 0;
/** Offset of `mem_lower`. */
export const MBI_OFF_MEM_LOWER = 4;
/** Offset of `mem_upper`. */
export const MBI_OFF_MEM_UPPER = 8;
/** Offset of `cmdline`. */
export const MBI_OFF_CMDLINE = 16;
/** Offset of `mods_count`. */
export const MBI_OFF_MODS_COUNT = 20;
/** Offset of `mods_addr`. */
export const MBI_OFF_MODS_ADDR = 24;
/** Offset of `mmap_length`. */
export const MBI_OFF_MMAP_LENGTH = 44;
/** Offset of `mmap_addr`. */
export const MBI_OFF_MMAP_ADDR = 48;
/** Offset of `boot_loader_name`. */
export const MBI_OFF_BOOT_LOADER_NAME = 64;

/** Multiboot memory-map `type` of a map entry: 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 bad. */
export function multibootMemoryType(type: MemoryType): number {
  switch (type) {
    case 'ram':
      return 1;
    case 'reserved':
      return 2;
    case 'acpi':
      return 3;
    case 'nvs':
      return 4;
    case 'unusable':
      return 5;
  }
}

/** A boot module as placed in guest memory. */
export interface PlacedModule {
  /** First byte. */
  readonly start: number;
  /** One past the last byte (GRUB's `mod_end`). */
  readonly end: number;
  /** Its string (usually its command line). */
  readonly string: Uint8Array;
}

/** Inputs of {@link buildMultibootInfo}. */
export interface MultibootInfoInput {
  /** Guest-physical address of the structure (4-byte aligned). */
  readonly address: number;
  readonly map: readonly MemoryMapEntry[];
  readonly cmdline: Uint8Array;
  readonly modules: readonly PlacedModule[];
  readonly bootLoaderName: Uint8Array;
}

/** The boot information area and where each part of it lies. */
export interface MultibootInfoArea {
  readonly bytes: Uint8Array;
  readonly flags: number;
  readonly memLower: number;
  readonly memUpper: number;
  readonly mmapAddress: number;
  readonly mmapLength: number;
  readonly modsAddress: number;
  readonly cmdlineAddress: number;
  readonly bootLoaderNameAddress: number;
}

/**
 * Lays out the boot information area at `address`: the 116-byte structure, the memory map, the
 * module structures, then the NUL-terminated strings (command line, module strings, boot loader
 * name). `mem_lower` is the KiB of RAM at address 0 (at most 640), `mem_upper` the KiB of RAM
 * contiguous from 1 MiB; the memory map lists every entry of `map` with its type.
 */
export function buildMultibootInfo(input: MultibootInfoInput): MultibootInfoArea {
  const { address, map, modules } = input;
  const mmapAddress = address + MBI_SIZE;
  const mmapLength = map.length * MBI_MMAP_ENTRY_SIZE;
  const modsAddress = mmapAddress + mmapLength;
  let strings = modsAddress + modules.length * MBI_MODULE_SIZE;
  const cmdlineAddress = strings;
  strings += input.cmdline.length + 1;
  const moduleStringAddresses = modules.map((m) => {
    const at = strings;
    strings += m.string.length + 1;
    return at;
  });
  const bootLoaderNameAddress = strings;
  strings += input.bootLoaderName.length + 1;
  const size = strings - address;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const put32 = (at: number, v: number) => view.setUint32(at - address, v >>> 0, true);

  let memLower = 0;
  let memUpper = 0;
  const ram = map.filter((e) => e.type === 'ram');
  const low = ram.find((e) => e.base === 0);
  if (low !== undefined) memLower = Math.min(640, Math.floor(low.length / 1024));
  let cursor = 0x100000;
  for (const e of ram) {
    if (e.base <= cursor && e.base + e.length > cursor) cursor = e.base + e.length;
  }
  memUpper = Math.floor((Math.min(cursor, 0x100000000) - 0x100000) / 1024);

  const flags = MBI_MEMORY | MBI_CMDLINE | MBI_MMAP | MBI_LOADER_NAME | (modules.length > 0 ? MBI_MODS : 0);
  put32(address + MBI_OFF_FLAGS, flags);
  put32(address + MBI_OFF_MEM_LOWER, memLower);
  put32(address + MBI_OFF_MEM_UPPER, memUpper);
  put32(address + MBI_OFF_CMDLINE, cmdlineAddress);
  put32(address + MBI_OFF_MODS_COUNT, modules.length);
  put32(address + MBI_OFF_MODS_ADDR, modules.length > 0 ? modsAddress : 0);
  put32(address + MBI_OFF_MMAP_LENGTH, mmapLength);
  put32(address + MBI_OFF_MMAP_ADDR, mmapAddress);
  put32(address + MBI_OFF_BOOT_LOADER_NAME, bootLoaderNameAddress);
  map.forEach((e, i) => {
    const at = mmapAddress + i * MBI_MMAP_ENTRY_SIZE;
    put32(at, MBI_MMAP_ENTRY_SIZE - 4);
    put32(at + 4, e.base % 0x100000000);
    put32(at + 8, Math.floor(e.base / 0x100000000));
    put32(at + 12, e.length % 0x100000000);
    put32(at + 16, Math.floor(e.length / 0x100000000));
    put32(at + 20, multibootMemoryType(e.type));
  });
  modules.forEach((m, i) => {
    const at = modsAddress + i * MBI_MODULE_SIZE;
    put32(at, m.start);
    put32(at + 4, m.end);
    put32(at + 8, moduleStringAddresses[i]!);
    put32(at + 12, 0);
    bytes.set(m.string, moduleStringAddresses[i]! - address);
  });
  bytes.set(input.cmdline, cmdlineAddress - address);
  bytes.set(input.bootLoaderName, bootLoaderNameAddress - address);
  return {
    bytes,
    flags,
    memLower,
    memUpper,
    mmapAddress,
    mmapLength,
    modsAddress,
    cmdlineAddress,
    bootLoaderNameAddress,
  };
}
