/**
 * Loading guest images into physical memory and entering them the way a Multiboot boot loader
 * does (Multiboot Specification 0.6.96, §3.1–3.3): the a.out kludge (header flag 16) or ELF32
 * program headers, then 32-bit protected mode with flat segments, EAX = 0x2BADB002 and EBX = the
 * Multiboot information structure. A flat binary is entered in real mode like a boot sector.
 */
import { Seg } from '../constants.js';
import type { Cpu } from '../cpu.js';
import { X86Error } from '../errors.js';
import type { PhysicalMemory } from '../physical-memory.js';

/** Multiboot header magic (§3.1.1). */
export const MULTIBOOT_MAGIC = 0x1badb002;
/** The value a Multiboot loader leaves in EAX (§3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
/** Where {@link enterMultiboot} places the Multiboot information (as v86 does). */
export const MULTIBOOT_INFO_ADDR = 0x7c00;

/** A loaded image. */
export interface LoadedImage {
  readonly kind: 'multiboot-aout' | 'multiboot-elf' | 'flat';
  /** Entry point (physical = linear: paging is off). */
  readonly entry: number;
  /** Lowest and highest (exclusive) physical addresses written, bss included. */
  readonly start: number;
  readonly end: number;
}

function u32(d: Uint8Array, off: number): number {
  return (
    ((d[off] ?? 0) | ((d[off + 1] ?? 0) << 8) | ((d[off + 2] ?? 0) << 16) | ((d[off + 3] ?? 0) << 24)) >>> 0
  );
}

function u16(d: Uint8Array, off: number): number {
  return (d[off] ?? 0) | ((d[off + 1] ?? 0) << 8);
}

/** Offset of a valid Multiboot header in the first 8 KiB of the image, or -1. */
export function findMultibootHeader(image: Uint8Array): number {
  const limit = Math.min(image.length - 12, 8192 - 12);
  for (let off = 0; off <= limit; off += 4) {
    if (u32(image, off) !== MULTIBOOT_MAGIC) continue;
    const flags = u32(image, off + 4);
    const sum = u32(image, off + 8);
    if (((MULTIBOOT_MAGIC + flags + sum) >>> 0) % 2 ** 32 === 0) return off;
  }
  return -1;
}

function checkRange(mem: PhysicalMemory, start: number, end: number, what: string): void {
  if (!(start >= 0 && end >= start && end <= mem.size)) {
    throw new X86Error(
      'BAD_IMAGE',
      `${what} [0x${start.toString(16)}, 0x${end.toString(16)}) does not fit in ${mem.size} bytes of RAM`,
    );
  }
}

/**
 * Loads a Multiboot image (a.out kludge or ELF32). Throws `BAD_IMAGE` when the image has no
 * usable header or does not fit in RAM.
 */
export function loadMultiboot(mem: PhysicalMemory, image: Uint8Array): LoadedImage {
  const h = findMultibootHeader(image);
  if (h < 0) {
    if (isElf(image)) return loadElf(mem, image);
    throw new X86Error('BAD_IMAGE', 'no Multiboot header in the first 8 KiB and not an ELF image');
  }
  const flags = u32(image, h + 4);
  if ((flags & 0x10000) === 0) {
    if (!isElf(image)) throw new X86Error('BAD_IMAGE', 'Multiboot header without address fields and not ELF');
    return loadElf(mem, image);
  }
  const headerAddr = u32(image, h + 12);
  const loadAddr = u32(image, h + 16);
  const loadEnd = u32(image, h + 20);
  const bssEnd = u32(image, h + 24);
  const entry = u32(image, h + 28);
  if (loadAddr > headerAddr) throw new X86Error('BAD_IMAGE', 'Multiboot load_addr above header_addr');
  const fileOff = h - (headerAddr - loadAddr);
  if (fileOff < 0)
    throw new X86Error('BAD_IMAGE', 'Multiboot header_addr/load_addr inconsistent with the file');
  const end = loadEnd === 0 ? loadAddr + (image.length - fileOff) : loadEnd;
  if (end < loadAddr || fileOff + (end - loadAddr) > image.length) {
    throw new X86Error('BAD_IMAGE', 'Multiboot load_end_addr beyond the file');
  }
  const zeroEnd = bssEnd === 0 ? end : bssEnd;
  if (zeroEnd < end) throw new X86Error('BAD_IMAGE', 'Multiboot bss_end_addr below load_end_addr');
  checkRange(mem, loadAddr, zeroEnd, 'image');
  mem.write(loadAddr, image.subarray(fileOff, fileOff + (end - loadAddr)));
  if (zeroEnd > end) mem.write(end, new Uint8Array(zeroEnd - end));
  if (entry < loadAddr || entry >= end)
    throw new X86Error('BAD_IMAGE', 'Multiboot entry_addr outside the image');
  return { kind: 'multiboot-aout', entry, start: loadAddr, end: zeroEnd };
}

/** Whether the image starts with a 32-bit little-endian x86 ELF header. */
export function isElf(image: Uint8Array): boolean {
  return (
    image.length >= 52 &&
    image[0] === 0x7f &&
    image[1] === 0x45 &&
    image[2] === 0x4c &&
    image[3] === 0x46 &&
    image[4] === 1 &&
    image[5] === 1
  );
}

/** Loads the PT_LOAD segments of an ELF32 image at their physical addresses. */
export function loadElf(mem: PhysicalMemory, image: Uint8Array): LoadedImage {
  if (!isElf(image)) throw new X86Error('BAD_IMAGE', 'not a 32-bit little-endian ELF image');
  if (u16(image, 18) !== 3) throw new X86Error('BAD_IMAGE', 'ELF machine is not i386');
  const entry = u32(image, 24);
  const phoff = u32(image, 28);
  const phentsize = u16(image, 42);
  const phnum = u16(image, 44);
  if (phentsize < 32 || phoff + phnum * phentsize > image.length) {
    throw new X86Error('BAD_IMAGE', 'ELF program headers beyond the file');
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (u32(image, p) !== 1) continue;
    const off = u32(image, p + 4);
    const paddr = u32(image, p + 12);
    const filesz = u32(image, p + 16);
    const memsz = u32(image, p + 20);
    if (off + filesz > image.length || memsz < filesz)
      throw new X86Error('BAD_IMAGE', 'ELF segment beyond the file');
    checkRange(mem, paddr, paddr + memsz, 'ELF segment');
    mem.write(paddr, image.subarray(off, off + filesz));
    if (memsz > filesz) mem.write(paddr + filesz, new Uint8Array(memsz - filesz));
    lo = Math.min(lo, paddr);
    hi = Math.max(hi, paddr + memsz);
  }
  if (hi === 0) throw new X86Error('BAD_IMAGE', 'ELF image without PT_LOAD segments');
  return { kind: 'multiboot-elf', entry, start: lo, end: hi };
}

/** Loads a flat binary at `addr`. */
export function loadFlat(mem: PhysicalMemory, image: Uint8Array, addr: number): LoadedImage {
  checkRange(mem, addr, addr + image.length, 'flat image');
  mem.write(addr, image);
  return { kind: 'flat', entry: addr, start: addr, end: addr + image.length };
}

/**
 * Writes the Multiboot information structure (§3.3: flags bit 0, mem_lower/mem_upper in KiB)
 * at `addr` and returns `addr`.
 */
export function writeMultibootInfo(mem: PhysicalMemory, addr: number = MULTIBOOT_INFO_ADDR): number {
  const info = new Uint8Array(88);
  const dv = new DataView(info.buffer);
  dv.setUint32(0, 0x1, true);
  dv.setUint32(4, 640, true);
  dv.setUint32(8, Math.max(0, Math.floor((mem.size - 0x100000) / 1024)), true);
  mem.write(addr, info);
  return addr;
}

/**
 * Puts the processor into the Multiboot entry state: protected mode, paging off, flat 4 GiB code
 * and data segments (selectors 0x08/0x10), EFLAGS = 2, EAX = 0x2BADB002, EBX = `infoAddr`,
 * EIP = `entry`, A20 on. GDTR and IDTR are left as they are (the guest must load its own).
 */
export function enterMultiboot(cpu: Cpu, entry: number, infoAddr: number): void {
  cpu.reset();
  cpu.cr0 = 0x11;
  cpu.refreshMode();
  cpu.loadSegmentCache(Seg.CS, 0x08, 0, -1, 0xc9b);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) cpu.loadSegmentCache(s, 0x10, 0, -1, 0xc93);
  cpu.setEflags(2);
  cpu.r32.fill(0);
  cpu.r32[0] = MULTIBOOT_BOOTLOADER_MAGIC | 0;
  cpu.r32[3] = infoAddr;
  cpu.eip = entry;
  cpu.setA20(true);
}

/** Puts the processor into real mode at 0000:`entry` (a boot sector's entry state). */
export function enterReal(cpu: Cpu, entry: number): void {
  cpu.reset();
  cpu.loadSegmentCache(Seg.CS, 0, 0, 0xffff, 0x9b);
  cpu.eip = entry & 0xffff;
  cpu.r32[2] = 0x80;
}
