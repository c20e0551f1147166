import { describe, expect, it } from 'vitest';
import { LoaderError } from '../errors.js';
import { ArrayGuestMemory } from '../memory/array-guest-memory.js';
import { pattern } from '../scenarios/fixtures/guest-images.js';
import { REAL_CODE_ATTRIBUTES } from './cpu-state.js';
import { loadFlatBinary } from './flat-loader.js';

describe('flat binary loader', () => {
  it('copies the image to its address and enters it in flat protected mode', () => {
    const mem = ArrayGuestMemory.pc(4 << 20);
    const image = pattern(1000, 7);
    const r = loadFlatBinary(mem, image, { address: 0x100000, entry: 0x100010, stack: 0x90000 });
    expect([...mem.read(0x100000, 1000)]).toEqual([...image]);
    expect(r).toMatchObject({ entry: 0x100010, start: 0x100000, end: 0x100000 + 1000 });
    expect(r.cpu).toMatchObject({ eip: 0x100010, esp: 0x90000, cr0: 0x11, eflags: 0x2, eax: 0 });
    expect(r.cpu.cs.limit).toBe(0xffffffff);
  });

  it('enters in real mode with CS:IP addressing the entry', () => {
    const mem = ArrayGuestMemory.pc(1 << 20);
    const r = loadFlatBinary(mem, pattern(512), { address: 0x7c00, mode: 'real' });
    expect(r.cpu.cs).toEqual({ selector: 0, base: 0, limit: 0xffff, attributes: REAL_CODE_ATTRIBUTES });
    expect(r.cpu.eip).toBe(0x7c00);
    expect(r.cpu.cr0 & 1).toBe(0);
    const high = loadFlatBinary(mem, pattern(16), { address: 0x12340, mode: 'real' });
    expect([high.cpu.cs.selector, high.cpu.cs.base, high.cpu.eip]).toEqual([0x1000, 0x10000, 0x2340]);
  });

  it('rejects empty images, entries outside the image, images outside RAM, and writes nothing', () => {
    const mem = ArrayGuestMemory.pc(2 << 20);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(LoaderError);
        return (e as LoaderError).code;
      }
      return 'none';
    };
    expect(code(() => loadFlatBinary(mem, new Uint8Array(0), { address: 0x100000 }))).toBe('EMPTY_IMAGE');
    expect(code(() => loadFlatBinary(mem, pattern(16), { address: 0x100000, entry: 0x100010 }))).toBe(
      'ENTRY_OUTSIDE_IMAGE',
    );
    expect(code(() => loadFlatBinary(mem, pattern(16), { address: 0xa0000 }))).toBe('OUTSIDE_RAM');
    expect(code(() => loadFlatBinary(mem, pattern(16), { address: 0x1ffff8 }))).toBe('OUTSIDE_RAM');
    expect(code(() => loadFlatBinary(mem, pattern(16), { address: 0xfffffff8 }))).toBe('NUMERIC_OVERFLOW');
    expect(code(() => loadFlatBinary(mem, pattern(16), { address: 0x100000, mode: 'real' }))).toBe(
      'BAD_OPTION',
    );
    expect(code(() => loadFlatBinary(mem, pattern(16), { address: 0x100000, stack: -4 }))).toBe('BAD_OPTION');
    expect(mem.bytesWritten).toBe(0);
  });
});
