import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LoaderError } from '../errors.js';
import { pcMemoryMap } from '../memory/pc-memory-map.js';
import { buildBzImage, pattern } from '../scenarios/fixtures/guest-images.js';
import { FLAT_DEFAULT_ADDRESS, planGuest } from './guest-image.js';

const guests = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'guests');
const MAP = pcMemoryMap(32 << 20);

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof LoaderError) return e.code;
    throw e;
  }
  return 'OK';
}

describe('planGuest', () => {
  it('recognises a Multiboot a.out-kludge kernel and plans its load without writing', () => {
    const p = planGuest(MAP, { kind: 'auto', image: readFileSync(join(guests, 'io-echo.bin')) });
    expect(p.format).toBe('multiboot (a.out kludge)');
    expect(p.entry).toBeGreaterThanOrEqual(0x100000);
    expect(p.cpu).toMatchObject({ eax: 0x2badb002, ebx: 0x9000, cr0: 0x11 });
    expect(p.chunks.map((c) => c.what)).toContain('boot information');
  });

  it('loads anything else as a flat binary at 0x7c00 in real mode', () => {
    const p = planGuest(MAP, { kind: 'auto', image: Uint8Array.of(0xf4) });
    expect(p.format).toBe('flat binary');
    expect(p.entry).toBe(FLAT_DEFAULT_ADDRESS);
    expect(p.cpu).toMatchObject({ eip: 0x7c00, cr0: 0x10, cs: { selector: 0, base: 0 } }); // CR0.ET only: real mode
    expect(p.chunks).toEqual([
      { address: 0x7c00, length: 1, data: Uint8Array.of(0xf4), what: 'flat binary' },
    ]);
  });

  it('recognises a Linux bzImage and plans the 32-bit boot protocol with command line and initrd', () => {
    const image = buildBzImage({ kernel: pattern(0x400), prefAddress: 0x100000, initSize: 0x10000 });
    const p = planGuest(MAP, { kind: 'auto', image, cmdline: 'console=ttyS0', initrd: pattern(100) });
    expect(p.format).toBe('linux bzImage (boot protocol 2.15)');
    expect(p.cpu).toMatchObject({ eip: 0x100000, esi: 0x7000, cs: { selector: 0x10 } });
    expect(p.chunks.map((c) => c.what)).toEqual([
      'the protected-mode kernel',
      'the initrd',
      'the boot GDT',
      'boot_params (zero page)',
      'the command line',
    ]);
    expect(code(() => planGuest(MAP, { kind: 'linux', image, cmdline: 'x'.repeat(2048) }))).toBe(
      'BAD_OPTION',
    );
    // a flat binary takes neither; a Multiboot kernel gets the initrd as module 0
    expect(code(() => planGuest(MAP, { kind: 'auto', image: Uint8Array.of(0xf4), initrd: pattern(4) }))).toBe(
      'BAD_OPTION',
    );
    const mb = planGuest(MAP, {
      kind: 'auto',
      image: readFileSync(join(guests, 'io-echo.bin')),
      initrd: pattern(4),
    });
    expect(mb.chunks.map((c) => c.what)).toContain('module 0');
  });

  it('rejects bad images before anything exists', () => {
    const mb = readFileSync(join(guests, 'io-echo.bin'));
    const broken = Uint8Array.from(mb);
    broken[8] = (broken[8]! + 1) & 0xff; // the header checksum
    expect(code(() => planGuest(MAP, { kind: 'auto', image: broken }))).toBe('BAD_CHECKSUM');
    expect(code(() => planGuest(MAP, { kind: 'auto', image: mb.subarray(0, 40) }))).not.toBe('OK');
    const elf = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, ...new Array(60).fill(0));
    expect(code(() => planGuest(MAP, { kind: 'auto', image: elf }))).toBe('NO_HEADER');
    expect(code(() => planGuest(MAP, { kind: 'auto', image: new Uint8Array(0) }))).toBe('EMPTY_IMAGE');
    expect(code(() => planGuest(MAP, { kind: 'flat', image: new Uint8Array(0x100000) }))).toBe('OUTSIDE_RAM');
    expect(code(() => planGuest(MAP, { kind: 'multiboot', image: Uint8Array.of(1, 2, 3) }))).toBe(
      'NO_HEADER',
    );
    expect(
      code(() =>
        planGuest(pcMemoryMap(2 << 20), {
          kind: 'auto',
          image: readFileSync(join(guests, 'highmem-4m.bin')),
        }),
      ),
    ).toBe('OK');
  });
});
