import { describe, expect, it } from 'vitest';
import { LoaderError, type LoaderErrorCode } from '../errors.js';
import { ArrayGuestMemory } from '../memory/array-guest-memory.js';
import { pcMemoryMap } from '../memory/pc-memory-map.js';
import { buildBzImage, pattern } from '../scenarios/fixtures/guest-images.js';
import {
  type BzImageOptions,
  isBzImage,
  LINUX_CMDLINE_ADDRESS,
  LINUX_GDT_ADDRESS,
  LINUX_ZERO_PAGE_ADDRESS,
  loadBzImage,
  planBzImage,
} from './bzimage-loader.js';

const MIB = 1 << 20;
const ZP = LINUX_ZERO_PAGE_ADDRESS;

function u16(m: ArrayGuestMemory, a: number): number {
  return m.bytes[a]! | (m.bytes[a + 1]! << 8);
}
function u32(m: ArrayGuestMemory, a: number): number {
  return (u16(m, a) | (u16(m, a + 2) << 16)) >>> 0;
}

function code(ram: number, image: Uint8Array, o: BzImageOptions = {}): LoaderErrorCode | 'ok' {
  const mem = ArrayGuestMemory.pc(ram);
  try {
    loadBzImage(mem, image, o);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(LoaderError);
    expect(mem.bytesWritten).toBe(0); // nothing written
    return (e as LoaderError).code;
  }
}

describe('bzImage loader (Linux 32-bit boot protocol)', () => {
  // Debian 12's 686 kernel: protocol 2.15, 39 setup sectors, relocatable, kernel_alignment and
  // pref_address 16 MiB, init_size 0x100c000 (spec/linux-boot.md §1).
  const kernel = pattern(0x3000, 9);
  const debianLike = buildBzImage({
    setupSects: 39,
    kernel,
    kernelAlignment: 0x1000000,
    prefAddress: 0x1000000,
    initSize: 0x100c000,
  });

  it('puts the kernel at code32_start, fills boot_params and enters in flat protected mode', () => {
    const mem = ArrayGuestMemory.pc(128 * MIB);
    const initrd = pattern(0x1234, 3);
    const load = loadBzImage(mem, debianLike, { cmdline: 'console=ttyS0 quiet', initrd });
    // the protected-mode part, byte for byte, at 1 MiB
    expect(mem.bytes.subarray(0x100000, 0x100000 + kernel.length)).toEqual(kernel);
    expect(load.kernelRuntime).toEqual({ start: 0x1000000, end: 0x1000000 + 0x100c000 });
    // the initrd: page-aligned, as high as RAM allows (initrd_addr_max 0x7fffffff is above it)
    expect(load.ramdiskImage).toBe((128 * MIB - 0x2000) & ~0xfff);
    expect(load.ramdiskImage + initrd.length).toBeLessThanOrEqual(128 * MIB);
    expect(mem.bytes.subarray(load.ramdiskImage, load.ramdiskImage + initrd.length)).toEqual(initrd);
    // boot_params: the setup header copied from the image …
    expect(mem.bytes.subarray(ZP + 0x1f1, ZP + 0x210)).toEqual(debianLike.subarray(0x1f1, 0x210));
    expect(u32(mem, ZP + 0x202)).toBe(0x53726448);
    expect(u16(mem, ZP + 0x206)).toBe(0x020f);
    expect(u32(mem, ZP + 0x214)).toBe(0x100000); // code32_start
    expect(u32(mem, ZP + 0x258)).toBe(0x1000000); // pref_address
    expect(u32(mem, ZP + 0x260)).toBe(0x100c000); // init_size
    // … and the loader's fields
    expect(mem.bytes[ZP + 0x210]).toBe(0xff); // type_of_loader
    expect(mem.bytes[ZP + 0x211]).toBe(0x81); // LOADED_HIGH | CAN_USE_HEAP
    expect(u16(mem, ZP + 0x224)).toBe(0xde00); // heap_end_ptr
    expect(u32(mem, ZP + 0x228)).toBe(LINUX_CMDLINE_ADDRESS);
    expect(u32(mem, ZP + 0x218)).toBe(load.ramdiskImage);
    expect(u32(mem, ZP + 0x21c)).toBe(0x1234);
    expect(mem.bytes.subarray(0, 0x1f1).every((b) => b === 0)).toBe(true); // no screen_info: no VGA console
    // the command line, NUL-terminated
    const cl = 'console=ttyS0 quiet';
    expect(
      String.fromCharCode(...mem.bytes.subarray(LINUX_CMDLINE_ADDRESS, LINUX_CMDLINE_ADDRESS + cl.length)),
    ).toBe(cl);
    expect(mem.bytes[LINUX_CMDLINE_ADDRESS + cl.length]).toBe(0);
    // e820 = the PC memory map: 640 KiB RAM, the hole reserved, RAM from 1 MiB
    expect(mem.bytes[ZP + 0x1e8]).toBe(3);
    const e820 = [0, 1, 2].map((i) => {
      const a = ZP + 0x2d0 + i * 20;
      return [u32(mem, a), u32(mem, a + 4), u32(mem, a + 8), u32(mem, a + 12), u32(mem, a + 16)];
    });
    expect(e820).toEqual([
      [0, 0, 0xa0000, 0, 1],
      [0xa0000, 0, 0x60000, 0, 2],
      [0x100000, 0, 127 * MIB, 0, 1],
    ]);
    // the boot GDT: __BOOT_CS and __BOOT_DS flat 4 GiB
    expect([...mem.bytes.subarray(LINUX_GDT_ADDRESS + 0x10, LINUX_GDT_ADDRESS + 0x20)]).toEqual([
      0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
    ]);
    // entry state
    expect(load.cpu).toMatchObject({
      eip: 0x100000,
      esi: ZP,
      eax: 0,
      ebx: 0,
      ebp: 0,
      edi: 0,
      eflags: 2, // IF = 0
      cr0: 0x11, // PE + ET, paging off
      cs: { selector: 0x10, base: 0, limit: 0xffffffff, attributes: 0xc9b },
      ds: { selector: 0x18, base: 0, limit: 0xffffffff, attributes: 0xc93 },
      ss: { selector: 0x18 },
      es: { selector: 0x18 },
      gdtr: { base: LINUX_GDT_ADDRESS, limit: 0x1f },
      a20: true,
    });
  });

  it('honours initrd_addr_max, and loads without an initrd or command line', () => {
    const img = buildBzImage({ kernel, initrdAddrMax: 0x37ffffff, prefAddress: 0x100000, initSize: 0x10000 });
    const p = planBzImage(pcMemoryMap(1024 * MIB), img, { initrd: new Uint8Array(0x1800) });
    expect(p.ramdiskImage).toBe(0x38000000 - 0x2000);
    const none = planBzImage(pcMemoryMap(8 * MIB), img);
    expect([none.ramdiskImage, none.ramdiskSize]).toEqual([0, 0]);
    expect(none.chunks.find((c) => c.what === 'the command line')?.data).toEqual(Uint8Array.of(0));
  });

  it('rejects bad images and impossible loads before writing anything', () => {
    expect(code(64 * MIB, debianLike)).toBe('ok');
    expect(code(64 * MIB, debianLike.subarray(0, 0x300))).toBe('TRUNCATED');
    expect(code(64 * MIB, debianLike.subarray(0, 40 * 512))).toBe('TRUNCATED'); // no protected-mode part
    const noFlag = debianLike.slice();
    noFlag[0x1ff] = 0;
    expect(code(64 * MIB, noFlag)).toBe('BAD_MAGIC');
    expect(code(64 * MIB, buildBzImage({ version: 0x0202 }))).toBe('UNSUPPORTED_PROTOCOL');
    expect(code(64 * MIB, buildBzImage({ loadFlags: 0 }))).toBe('BAD_HEADER'); // a zImage
    // the kernel's decompression area (16 MiB + init_size) does not fit in 24 MiB
    expect(code(24 * MIB, debianLike)).toBe('OUTSIDE_RAM');
    // code32_start outside RAM
    expect(code(8 * MIB, buildBzImage({ code32Start: 0x900000, prefAddress: 0x900000 }))).toBe('OUTSIDE_RAM');
    // an initrd too large for RAM; one above initrd_addr_max; one that only fits over the kernel
    expect(code(40 * MIB, debianLike, { initrd: new Uint8Array(48 * MIB) })).toBe('OUTSIDE_RAM');
    const lowMax = buildBzImage({ kernel, initrdAddrMax: 0x3fff, prefAddress: 0x100000, initSize: 0x10000 });
    expect(code(8 * MIB, lowMax, { initrd: new Uint8Array(0x8000) })).toBe('OUTSIDE_RAM');
    expect(code(34 * MIB, debianLike, { initrd: new Uint8Array(4 * MIB) })).toBe('OVERLAP');
    // command lines: longer than cmdline_size, with a NUL
    const short = buildBzImage({ kernel, cmdlineSize: 8, prefAddress: 0x100000, initSize: 0x10000 });
    expect(code(8 * MIB, short, { cmdline: '12345678' })).toBe('ok');
    expect(code(8 * MIB, short, { cmdline: '123456789' })).toBe('BAD_OPTION');
    expect(code(64 * MIB, debianLike, { cmdline: 'a\0b' })).toBe('BAD_OPTION');
    expect(() => planBzImage(pcMemoryMap(64 * MIB), short, { cmdline: 'console=ttyS0' })).toThrow(
      "the kernel command line has 13 bytes, more than the kernel's cmdline_size (8)",
    );
    expect(() =>
      planBzImage(pcMemoryMap(40 * MIB), debianLike, { initrd: new Uint8Array(48 * MIB) }),
    ).toThrow(/the initrd \(0x3000000 bytes\) does not fit in guest RAM below initrd_addr_max 0x7fffffff/);
  });

  it('recognises bzImages by their boot flag and HdrS', () => {
    expect(isBzImage(debianLike)).toBe(true);
    expect(isBzImage(debianLike.subarray(0, 0x205))).toBe(false);
    const other = debianLike.slice();
    other[0x205] = 0;
    expect(isBzImage(other)).toBe(false);
  });
});
