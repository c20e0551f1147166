import { describe, expect, it } from 'vitest';
import { LoaderError, type LoaderErrorCode } from '../errors.js';
import { ArrayGuestMemory } from '../memory/array-guest-memory.js';
import { buildAout, buildElf, pattern, writeMultibootHeader } from '../scenarios/fixtures/guest-images.js';
import { FLAT_CODE_ATTRIBUTES, FLAT_DATA_ATTRIBUTES } from './cpu-state.js';
import { loadMultiboot, MULTIBOOT_INFO_ADDRESS } from './multiboot-loader.js';

const MiB = 1 << 20;

function memory(size = 16 * MiB): ArrayGuestMemory {
  const mem = ArrayGuestMemory.pc(size);
  mem.bytes.fill(0xcc);
  return mem;
}

function u32(mem: ArrayGuestMemory, at: number): number {
  return new DataView(mem.bytes.buffer).getUint32(at, true);
}

function cstring(mem: ArrayGuestMemory, at: number): string {
  let s = '';
  while (mem.bytes[at] !== 0) s += String.fromCharCode(mem.bytes[at++]!);
  return s;
}

function expectLoaderError(fn: () => unknown, code: LoaderErrorCode, message: string | RegExp): void {
  try {
    fn();
    expect.unreachable('no error');
  } catch (e) {
    expect(e).toBeInstanceOf(LoaderError);
    expect((e as LoaderError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
  }
}

/** A higher-half kernel: text at 0x100000 (virtual 0xc0100000), data + BSS at 0x102000. */
function higherHalfKernel(): Uint8Array {
  return buildElf({
    entry: 0xc0100010,
    segments: [
      { paddr: 0x100000, vaddr: 0xc0100000, data: pattern(0x1800, 3) },
      { paddr: 0x102000, vaddr: 0xc0102000, data: pattern(0x100, 9), memsz: 0x3000 },
      { paddr: 0, type: 4, data: new Uint8Array(0) }, // PT_NOTE: ignored
    ],
  });
}

describe('Multiboot loader: ELF kernels', () => {
  it('loads PT_LOAD segments at p_paddr, zero-fills p_memsz beyond p_filesz and translates a virtual entry', () => {
    const mem = memory();
    const load = loadMultiboot(mem, higherHalfKernel());
    expect(load.format).toBe('elf');
    expect([...mem.bytes.subarray(0x100000, 0x101800)]).toEqual([...pattern(0x1800, 3)]);
    expect([...mem.bytes.subarray(0x102000, 0x102100)]).toEqual([...pattern(0x100, 9)]);
    expect(mem.bytes.subarray(0x102100, 0x105000).every((b) => b === 0)).toBe(true);
    expect(mem.bytes[0x105000]).toBe(0xcc);
    expect(mem.bytes[0x101800]).toBe(0xcc);
    expect(load.entry).toBe(0x100010);
    expect([load.kernelStart, load.kernelEnd]).toEqual([0x100000, 0x105000]);
  });

  it('enters in 32-bit protected mode with EAX = 0x2BADB002, EBX = info, flat segments, paging and IF off, A20 on', () => {
    const load = loadMultiboot(memory(), higherHalfKernel());
    const c = load.cpu;
    expect(c.eax).toBe(0x2badb002);
    expect(c.ebx).toBe(MULTIBOOT_INFO_ADDRESS);
    expect(c.eip).toBe(0x100010);
    expect(c.cr0 & 0x80000001).toBe(0x00000001);
    expect(c.eflags & 0x00020200).toBe(0);
    expect(c.cs).toEqual({ selector: 0x08, base: 0, limit: 0xffffffff, attributes: FLAT_CODE_ATTRIBUTES });
    for (const s of [c.ds, c.es, c.fs, c.gs, c.ss])
      expect(s).toMatchObject({ base: 0, limit: 0xffffffff, attributes: FLAT_DATA_ATTRIBUTES });
    expect(c.a20).toBe(true);
  });

  it('writes the boot information: memory, memory map, command line, modules and loader name', () => {
    const mem = memory(64 * MiB);
    const mod0 = pattern(5000, 11);
    const mod1 = pattern(100, 13);
    const load = loadMultiboot(mem, higherHalfKernel(), {
      cmdline: 'console=ttyS0 quiet',
      modules: [
        { data: mod0, string: 'initrd.gz' },
        { data: mod1, string: 'extra arg=1' },
      ],
    });
    const mbi = load.infoAddress;
    expect(u32(mem, mbi)).toBe(0x1 | 0x4 | 0x8 | 0x40 | 0x200);
    expect(u32(mem, mbi + 4)).toBe(640);
    expect(u32(mem, mbi + 8)).toBe(63 * 1024);
    expect(cstring(mem, u32(mem, mbi + 16))).toBe('console=ttyS0 quiet');
    expect(cstring(mem, u32(mem, mbi + 64))).toBe('genode-ts vmm');
    // Memory map: size field 20, then base, length, type for each entry.
    const mmapAddr = u32(mem, mbi + 48);
    expect(u32(mem, mbi + 44)).toBe(3 * 24);
    const entries = [0, 1, 2].map((i) => {
      const e = mmapAddr + 24 * i;
      return [u32(mem, e), u32(mem, e + 4), u32(mem, e + 12), u32(mem, e + 20)];
    });
    expect(entries).toEqual([
      [20, 0, 0xa0000, 1],
      [20, 0xa0000, 0x60000, 2],
      [20, 0x100000, 63 * MiB, 1],
    ]);
    // Modules: page-aligned after the kernel's end (0x105000), in order.
    expect(u32(mem, mbi + 20)).toBe(2);
    const mods = u32(mem, mbi + 24);
    expect([u32(mem, mods), u32(mem, mods + 4)]).toEqual([0x105000, 0x105000 + 5000]);
    expect([u32(mem, mods + 16), u32(mem, mods + 20)]).toEqual([0x107000, 0x107000 + 100]);
    expect(cstring(mem, u32(mem, mods + 8))).toBe('initrd.gz');
    expect(cstring(mem, u32(mem, mods + 24))).toBe('extra arg=1');
    expect([...mem.bytes.subarray(0x105000, 0x105000 + 5000)]).toEqual([...mod0]);
    expect(load.modules.map((m) => m.string)).toEqual(['initrd.gz', 'extra arg=1']);
  });

  it('places the boot information where asked', () => {
    const mem = memory();
    const load = loadMultiboot(mem, higherHalfKernel(), { infoAddress: 0x20000 });
    expect(load.cpu.ebx).toBe(0x20000);
    expect(u32(mem, 0x20000 + 4)).toBe(640);
    expect(mem.bytes[MULTIBOOT_INFO_ADDRESS]).toBe(0xcc);
  });
});

describe('Multiboot loader: a.out-kludge images', () => {
  it('loads load_addr..load_end_addr from the file offset the header implies and zero-fills to bss_end_addr', () => {
    const body = pattern(0x3000, 5);
    const image = buildAout({
      body,
      headerOffset: 0x40,
      loadAddr: 0x200000,
      loadEndAddr: 0x202000,
      bssEndAddr: 0x204000,
      entryAddr: 0x200100,
    });
    const mem = memory();
    const load = loadMultiboot(mem, image);
    expect(load.format).toBe('aout-kludge');
    expect([...mem.bytes.subarray(0x200000, 0x202000)]).toEqual([...image.subarray(0, 0x2000)]);
    expect(mem.bytes.subarray(0x202000, 0x204000).every((b) => b === 0)).toBe(true);
    expect(mem.bytes[0x204000]).toBe(0xcc);
    expect(load.entry).toBe(0x200100);
    expect(load.kernelEnd).toBe(0x204000);
  });

  it('loads to the end of the file when load_end_addr is 0, with a header that does not start the text', () => {
    // The header sits at file offset 0x80 and is to be loaded at 0x300080; text starts at file offset 0.
    const image = buildAout({
      body: pattern(0x1000, 1),
      headerOffset: 0x80,
      loadAddr: 0x300000,
      entryAddr: 0x300000,
    });
    const mem = memory();
    loadMultiboot(mem, image);
    expect([...mem.bytes.subarray(0x300000, 0x301000)]).toEqual([...image]);
  });

  it('takes the address fields over the ELF headers when flag bit 16 is set', () => {
    const elf = buildElf({
      entry: 0x100000,
      segments: [{ paddr: 0x100000, data: pattern(64) }],
      multiboot: false,
    });
    const image = new Uint8Array(0x400);
    image.set(elf);
    writeMultibootHeader(image, 0x200, {
      flags: 0x10003,
      headerAddr: 0x400200,
      loadAddr: 0x400000,
      loadEndAddr: 0x400400,
      bssEndAddr: 0,
      entryAddr: 0x400000,
    });
    const load = loadMultiboot(memory(), image);
    expect(load.format).toBe('aout-kludge');
    expect(load.kernelStart).toBe(0x400000);
  });
});

describe('Multiboot loader: bad images are rejected before anything is written', () => {
  const cases: [string, () => Uint8Array, LoaderErrorCode, RegExp, object?][] = [
    [
      'no header',
      () => pattern(10000),
      'NO_HEADER',
      /no multiboot header \(magic 0x1badb002\) in the first 8192 bytes/,
    ],
    [
      'header beyond 8 KiB',
      () =>
        buildElf({
          entry: 0x100000,
          segments: [{ paddr: 0x100000, data: new Uint8Array(16) }],
          multiboot: { offset: 0x2000 },
        }),
      'NO_HEADER',
      /found at offset 0x2000, not completely within the first 8192 bytes/,
    ],
    [
      'bad checksum',
      () =>
        buildElf({
          entry: 0x100000,
          segments: [{ paddr: 0x100000, data: new Uint8Array(16) }],
          multiboot: { checksum: 1 },
        }),
      'BAD_CHECKSUM',
      /bad checksum/,
    ],
    [
      'truncated address fields',
      () => {
        const b = new Uint8Array(32);
        writeMultibootHeader(b, 0, { flags: 0x10000 });
        return b.subarray(0, 20);
      },
      'TRUNCATED',
      /address fields/,
    ],
    [
      'video mode requested',
      () =>
        buildElf({
          entry: 0x100000,
          segments: [{ paddr: 0x100000, data: new Uint8Array(16) }],
          multiboot: { flags: 0x7 },
        }),
      'UNSUPPORTED_FLAGS',
      /bit 2 asks for video mode/,
    ],
    [
      'unknown required flag',
      () =>
        buildElf({
          entry: 0x100000,
          segments: [{ paddr: 0x100000, data: new Uint8Array(16) }],
          multiboot: { flags: 0x21 },
        }),
      'UNSUPPORTED_FLAGS',
      /flags bits 0x20/,
    ],
    [
      'neither ELF nor a.out kludge',
      () => {
        const b = pattern(256);
        writeMultibootHeader(b, 0, { flags: 3 });
        return b;
      },
      'BAD_MAGIC',
      /neither ELF nor/,
    ],
    [
      'ELF64',
      () =>
        buildElf({ entry: 0x100000, class: 2, segments: [{ paddr: 0x100000, data: new Uint8Array(16) }] }),
      'UNSUPPORTED_ELF',
      /class 2 is not ELFCLASS32/,
    ],
    [
      'not i386',
      () =>
        buildElf({ entry: 0x100000, machine: 62, segments: [{ paddr: 0x100000, data: new Uint8Array(16) }] }),
      'UNSUPPORTED_ELF',
      /machine 62 is not EM_386/,
    ],
    [
      'p_memsz < p_filesz',
      () =>
        buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: new Uint8Array(32), memsz: 16 }] }),
      'MEMSZ_LT_FILESZ',
      /p_memsz 0x10 < p_filesz 0x20/,
    ],
    [
      'segment past the end of the file',
      () =>
        buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: new Uint8Array(64) }] }).subarray(
          0,
          120,
        ),
      'TRUNCATED',
      /past the end of the image/,
    ],
    [
      'overlapping segments',
      () =>
        buildElf({
          entry: 0x100000,
          segments: [
            { paddr: 0x100000, data: new Uint8Array(0x100), memsz: 0x2000 },
            { paddr: 0x101000, data: new Uint8Array(0x10) },
          ],
        }),
      'OVERLAP',
      /ELF segment 1 \(0x101000-0x10100f\) overlaps ELF segment 0 \(0x100000-0x101fff\)/,
    ],
    [
      'segment in the legacy hole',
      () => buildElf({ entry: 0xb8000, segments: [{ paddr: 0xb8000, data: new Uint8Array(16) }] }),
      'OUTSIDE_RAM',
      /ELF segment 0 \(0xb8000-0xb800f\) is not inside guest RAM/,
    ],
    [
      'segment beyond RAM',
      () =>
        buildElf({
          entry: 0x100000,
          segments: [{ paddr: 0x100000, data: new Uint8Array(16), memsz: 64 * MiB }],
        }),
      'OUTSIDE_RAM',
      /not inside guest RAM/,
    ],
    [
      'segment beyond 4 GiB',
      () =>
        buildElf({
          entry: 0xfffff000,
          segments: [{ paddr: 0xfffff000, data: new Uint8Array(16), memsz: 0x2000 }],
        }),
      'NUMERIC_OVERFLOW',
      /leaves the 32-bit physical address space/,
    ],
    [
      'entry outside the loaded image',
      () => buildElf({ entry: 0x200000, segments: [{ paddr: 0x100000, data: new Uint8Array(16) }] }),
      'ENTRY_OUTSIDE_IMAGE',
      /entry point 0x200000 does not lie in a loaded part of the kernel \(0x100000-0x10000f\)/,
    ],
    [
      'no loadable segment',
      () => buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, type: 4, data: new Uint8Array(16) }] }),
      'EMPTY_IMAGE',
      /no loadable segment/,
    ],
    [
      'load_end_addr < load_addr',
      () => buildAout({ body: pattern(256), loadAddr: 0x200000, loadEndAddr: 0x100000, entryAddr: 0x200000 }),
      'BAD_ADDRESSES',
      /load_end_addr 0x100000 is below load_addr 0x200000/,
    ],
    [
      'header_addr < load_addr',
      () => buildAout({ body: pattern(256), loadAddr: 0x200000, headerAddr: 0x1ff000, entryAddr: 0x200000 }),
      'BAD_ADDRESSES',
      /header_addr 0x1ff000 is below load_addr 0x200000/,
    ],
    [
      'load_addr before the file start',
      () =>
        buildAout({
          body: pattern(256),
          headerOffset: 0x10,
          loadAddr: 0x200000,
          headerAddr: 0x200100,
          entryAddr: 0x200000,
        }),
      'BAD_ADDRESSES',
      /before the file start/,
    ],
    [
      'bss_end_addr < load_end_addr',
      () =>
        buildAout({
          body: pattern(256),
          loadAddr: 0x200000,
          loadEndAddr: 0x200100,
          bssEndAddr: 0x200080,
          entryAddr: 0x200000,
        }),
      'BAD_ADDRESSES',
      /bss_end_addr 0x200080 is below/,
    ],
    [
      'load_end_addr past the file',
      () => buildAout({ body: pattern(256), loadAddr: 0x200000, loadEndAddr: 0x201000, entryAddr: 0x200000 }),
      'TRUNCATED',
      /runs past the end of the image/,
    ],
    [
      'a.out entry outside',
      () => buildAout({ body: pattern(256), loadAddr: 0x200000, entryAddr: 0x300000 }),
      'ENTRY_OUTSIDE_IMAGE',
      /entry point 0x300000/,
    ],
    [
      'bss beyond 4 GiB',
      () =>
        buildAout({
          body: pattern(256),
          loadAddr: 0xffff0000,
          bssEndAddr: 0xffffffff,
          entryAddr: 0xffff0000,
        }),
      'OUTSIDE_RAM',
      /kernel image/,
    ],
    [
      'kernel over the boot information',
      () => buildElf({ entry: 0x9000, segments: [{ paddr: 0x8000, data: new Uint8Array(0x2000) }] }),
      'OVERLAP',
      /boot information \(0x9000-.*\) overlaps ELF segment 0 \(0x8000-0x9fff\)/,
    ],
  ];

  for (const [name, build, code, message] of cases) {
    it(`${name}: ${code}`, () => {
      const mem = memory(4 * MiB);
      const before = mem.bytes.slice();
      expectLoaderError(() => loadMultiboot(mem, build()), code, message);
      expect(mem.bytesWritten).toBe(0);
      expect(Buffer.compare(mem.bytes, before)).toBe(0);
    });
  }

  it('rejects a module that does not fit, a NUL in the command line and a misaligned info address', () => {
    const kernel = higherHalfKernel();
    expectLoaderError(
      () => loadMultiboot(memory(2 * MiB), kernel, { modules: [{ data: new Uint8Array(MiB) }] }),
      'OUTSIDE_RAM',
      /module 0 \(0x100000 bytes\) does not fit in guest RAM above the kernel/,
    );
    expectLoaderError(
      () => loadMultiboot(memory(), kernel, { cmdline: 'a\0b' }),
      'BAD_OPTION',
      /command line contains a NUL/,
    );
    expectLoaderError(
      () => loadMultiboot(memory(), kernel, { infoAddress: 0x9002 }),
      'BAD_OPTION',
      /4-byte aligned/,
    );
  });
});
