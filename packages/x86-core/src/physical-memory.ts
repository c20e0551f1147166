import { CodeCache } from './code-cache.js';
import { X86Error } from './errors.js';
import type { MmioHandler, MmioRegion } from './mmio.js';

/** Something that caches translations to physical pages and must hear when a page starts holding code. */
export interface CodePageListener {
  /** The physical page now holds decoded code: writes to it must take the slow path. */
  protectCodePage(page: number): void;
}

/** Options for {@link PhysicalMemory}: a RAM size to allocate, or an existing buffer to use. */
export type PhysicalMemoryOptions =
  | { readonly size: number }
  | {
      readonly buffer: ArrayBuffer | SharedArrayBuffer;
      /** Where physical address 0 lies in the buffer (multiple of 4096). Default 0. */
      readonly byteOffset?: number;
      /** RAM size in bytes (multiple of 4096). Default: the rest of the buffer. */
      readonly byteLength?: number;
    };

/** Page flag: the page is not plain RAM (an MMIO region overlaps it). */
const PAGE_MMIO = 1;

const MAX_RAM = 0x7fff_f000;

/**
 * The physical address space of a machine: RAM (an `ArrayBuffer`, or a window of one) from
 * address 0, MMIO regions (which may overlay RAM, like VGA memory at 0xa0000), and the
 * decoded-code cache. Several {@link Cpu}s may share one `PhysicalMemory` (an SMP machine);
 * they then share the code cache as well.
 *
 * Host code that writes RAM behind the processors' back (a loader, a DMA-capable device, a VMM
 * filling guest memory) must use {@link write} or call {@link invalidate} afterwards, so that no
 * stale decoded instruction survives.
 */
export class PhysicalMemory {
  /** RAM size in bytes. */
  readonly size: number;
  /** RAM as bytes (physical address = index). */
  readonly u8: Uint8Array;
  /** RAM for 16/32-bit little-endian accesses at any alignment. */
  readonly dv: DataView;
  /** Per RAM page: {@link PAGE_MMIO} when an MMIO region overlaps the page. */
  readonly pageFlags: Uint8Array;
  /** The decoded-code cache shared by every CPU on this memory. */
  readonly code: CodeCache = new CodeCache();
  private readonly regions: MmioRegion[] = [];
  private readonly listeners: CodePageListener[] = [];

  constructor(options: PhysicalMemoryOptions) {
    let buffer: ArrayBuffer | SharedArrayBuffer;
    let offset = 0;
    let length: number;
    if ('size' in options) {
      length = options.size;
      checkSize(length);
      buffer = new ArrayBuffer(length);
    } else {
      buffer = options.buffer;
      offset = options.byteOffset ?? 0;
      length = options.byteLength ?? buffer.byteLength - offset;
      if (!Number.isInteger(offset) || offset < 0 || offset % 4096 !== 0) {
        throw new X86Error('INVALID_CONFIG', `byteOffset ${offset} is not a non-negative multiple of 4096`);
      }
      checkSize(length);
      if (offset + length > buffer.byteLength) {
        throw new X86Error('INVALID_CONFIG', `RAM window ${offset}+${length} exceeds the buffer`);
      }
    }
    this.size = length;
    this.u8 = new Uint8Array(buffer, offset, length);
    this.dv = new DataView(buffer, offset, length);
    this.pageFlags = new Uint8Array(length >>> 12);
  }

  /** Claims `[base, base + size)` for an MMIO handler; throws `INVALID_CONFIG` on overlap. */
  addMmio(base: number, size: number, handler: MmioHandler): void {
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size < 1 || base + size > 2 ** 32) {
      throw new X86Error('INVALID_CONFIG', `MMIO range ${base}+${size} is outside the 32-bit physical space`);
    }
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new X86Error(
          'INVALID_CONFIG',
          `MMIO range 0x${base.toString(16)} overlaps 0x${r.base.toString(16)}`,
        );
      }
    }
    this.regions.push({ base, size, handler });
    this.regions.sort((a, b) => a.base - b.base);
    const first = Math.floor(base / 4096);
    const last = Math.floor((base + size - 1) / 4096);
    for (let p = first; p <= last && p < this.pageFlags.length; p++) {
      this.pageFlags[p] = (this.pageFlags[p] ?? 0) | PAGE_MMIO;
      this.code.invalidatePage(p);
    }
  }

  /** Whether the physical page is plain RAM (fast-path accessible). */
  isRamPage(page: number): boolean {
    return page < this.pageFlags.length && ((this.pageFlags[page] ?? PAGE_MMIO) & PAGE_MMIO) === 0;
  }

  /** Registers a CPU (or other translation cache) for code-page notifications. */
  attach(listener: CodePageListener): void {
    this.listeners.push(listener);
  }

  /** Detaches a listener registered with {@link attach}. */
  detach(listener: CodePageListener): void {
    const k = this.listeners.indexOf(listener);
    if (k >= 0) this.listeners.splice(k, 1);
  }

  /** Called by the decoder when a page receives its first block. */
  protectCodePage(page: number): void {
    for (const l of this.listeners) l.protectCodePage(page);
  }

  /** Drops decoded code that `[addr, addr + length)` touches. */
  invalidate(addr: number, length: number): void {
    if (length <= 0) return;
    let a = addr;
    const end = addr + length;
    while (a < end) {
      const pageEnd = (Math.floor(a / 4096) + 1) * 4096;
      const n = Math.min(end, pageEnd) - a;
      if (n === 4096) this.code.invalidatePage(a / 4096);
      else this.code.invalidateRange(a, n);
      a += n;
    }
  }

  /** Copies bytes into physical memory (RAM or MMIO), invalidating decoded code. */
  write(addr: number, bytes: Uint8Array): void {
    if (addr >= 0 && addr + bytes.length <= this.size && this.allRam(addr, bytes.length)) {
      this.u8.set(bytes, addr);
    } else {
      for (let k = 0; k < bytes.length; k++) this.write8(addr + k, bytes[k] ?? 0);
    }
    this.invalidate(addr, bytes.length);
  }

  /** Reads `length` bytes of physical memory (RAM or MMIO) into a new array. */
  read(addr: number, length: number): Uint8Array {
    if (addr >= 0 && addr + length <= this.size && this.allRam(addr, length)) {
      return this.u8.slice(addr, addr + length);
    }
    const out = new Uint8Array(length);
    for (let k = 0; k < length; k++) out[k] = this.read8(addr + k);
    return out;
  }

  private allRam(addr: number, length: number): boolean {
    const last = (addr + length - 1) >>> 12;
    for (let p = addr >>> 12; p <= last; p++) if (!this.isRamPage(p)) return false;
    return true;
  }

  /** Reads a byte at a physical address (RAM, MMIO, or all ones when unclaimed). */
  read8(addr: number): number {
    addr >>>= 0;
    if (addr < this.size && this.isRamPage(addr >>> 12)) return this.u8[addr] ?? 0;
    return this.mmioRead(addr, 1);
  }

  /** Reads a little-endian word at a physical address. */
  read16(addr: number): number {
    addr >>>= 0;
    if (addr + 1 < this.size && (addr & 0xfff) !== 0xfff && this.isRamPage(addr >>> 12)) {
      return this.dv.getUint16(addr, true);
    }
    return this.mmioRead(addr, 2);
  }

  /** Reads a little-endian dword at a physical address (as a signed 32-bit number). */
  read32(addr: number): number {
    addr >>>= 0;
    if (addr + 3 < this.size && (addr & 0xfff) <= 0xffc && this.isRamPage(addr >>> 12)) {
      return this.dv.getInt32(addr, true);
    }
    return this.mmioRead(addr, 4) | 0;
  }

  /** Writes a byte at a physical address (invalidates decoded code in that page). */
  write8(addr: number, value: number): void {
    addr >>>= 0;
    if (addr < this.size && this.isRamPage(addr >>> 12)) {
      this.u8[addr] = value;
      this.code.invalidateRange(addr, 1);
      return;
    }
    this.mmioWrite(addr, 1, value);
  }

  /** Writes a little-endian word at a physical address. */
  write16(addr: number, value: number): void {
    addr >>>= 0;
    if (addr + 1 < this.size && (addr & 0xfff) !== 0xfff && this.isRamPage(addr >>> 12)) {
      this.dv.setUint16(addr, value, true);
      this.code.invalidateRange(addr, 2);
      return;
    }
    this.mmioWrite(addr, 2, value);
  }

  /** Writes a little-endian dword at a physical address. */
  write32(addr: number, value: number): void {
    addr >>>= 0;
    if (addr + 3 < this.size && (addr & 0xfff) <= 0xffc && this.isRamPage(addr >>> 12)) {
      this.dv.setInt32(addr, value, true);
      this.code.invalidateRange(addr, 4);
      return;
    }
    this.mmioWrite(addr, 4, value);
  }

  /**
   * Slow-path read of `size` bytes at a physical address that is not plain RAM (or straddles a
   * page): dispatches to the MMIO region, RAM, or all ones, byte-wise when the access straddles.
   */
  mmioRead(addr: number, size: 1 | 2 | 4): number {
    addr >>>= 0;
    const r = this.findRegion(addr);
    if (r !== undefined && addr + size <= r.base + r.size) return r.handler.read(addr, size);
    if (size === 1) {
      if (r === undefined && addr < this.size) return this.u8[addr] ?? 0;
      return 0xff;
    }
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.mmioRead((addr + k) >>> 0, 1) << (8 * k);
    return size === 4 ? v >>> 0 : v;
  }

  /** Slow-path write; see {@link mmioRead}. Writes to unclaimed addresses are ignored. */
  mmioWrite(addr: number, size: 1 | 2 | 4, value: number): void {
    addr >>>= 0;
    const r = this.findRegion(addr);
    if (r !== undefined && addr + size <= r.base + r.size) {
      r.handler.write(addr, size, size === 4 ? value | 0 : value & (size === 1 ? 0xff : 0xffff));
      return;
    }
    if (size === 1) {
      if (r === undefined && addr < this.size) {
        this.u8[addr] = value;
        this.code.invalidateRange(addr, 1);
      }
      return;
    }
    for (let k = 0; k < size; k++) this.mmioWrite((addr + k) >>> 0, 1, (value >>> (8 * k)) & 0xff);
  }

  private findRegion(addr: number): MmioRegion | undefined {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return r;
    }
    return undefined;
  }
}

function checkSize(length: number): void {
  if (!Number.isInteger(length) || length < 4096 || length % 4096 !== 0 || length > MAX_RAM) {
    throw new X86Error(
      'INVALID_CONFIG',
      `RAM size ${length} must be a whole number of 4 KiB pages between 4 KiB and 2 GiB - 4 KiB`,
    );
  }
}
