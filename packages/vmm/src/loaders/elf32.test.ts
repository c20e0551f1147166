import { describe, expect, it } from 'vitest';
import { LoaderError } from '../errors.js';
import { buildElf, pattern } from '../scenarios/fixtures/guest-images.js';
import { parseElf32 } from './elf32.js';

describe('ELF32 parser', () => {
  it('reads the entry and program headers', () => {
    const elf = parseElf32(
      buildElf({
        entry: 0x100040,
        segments: [{ paddr: 0x100000, vaddr: 0xc0100000, data: pattern(10), memsz: 0x20 }],
      }),
    );
    expect(elf.entry).toBe(0x100040);
    expect(elf.programHeaders).toEqual([
      {
        type: 1,
        offset: 144,
        vaddr: 0xc0100000,
        paddr: 0x100000,
        filesz: 10,
        memsz: 0x20,
        flags: 5,
        align: 0x1000,
      },
    ]);
  });

  it('rejects bad magic, other types and truncated program header tables', () => {
    const reason = (b: Uint8Array) => {
      try {
        parseElf32(b);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(LoaderError);
        return (e as LoaderError).code;
      }
    };
    const good = buildElf({ entry: 0, segments: [{ paddr: 0, data: pattern(4) }] });
    expect(reason(good)).toBe('ok');
    const magic = good.slice();
    magic[1] = 0x46;
    expect(reason(magic)).toBe('BAD_MAGIC');
    expect(reason(buildElf({ entry: 0, type: 3, segments: [{ paddr: 0, data: pattern(4) }] }))).toBe(
      'UNSUPPORTED_ELF',
    );
    const bigEndian = good.slice();
    bigEndian[5] = 2;
    expect(reason(bigEndian)).toBe('UNSUPPORTED_ELF');
    expect(reason(good.subarray(0, 60))).toBe('TRUNCATED');
    expect(reason(good.subarray(0, 40))).toBe('TRUNCATED');
    const noPh = good.slice();
    noPh[44] = 0;
    expect(reason(noPh)).toBe('EMPTY_IMAGE');
  });
});
