import { describe, expect, it } from 'vitest';
import { GuestMemoryError } from '../errors.js';
import { ArrayGuestMemory } from './array-guest-memory.js';
import { checkMemoryMap, isInRam } from './guest-memory.js';
import { pcMemoryMap } from './pc-memory-map.js';

describe('guest memory', () => {
  it('lays out a PC: RAM below 640 KiB, the legacy hole, RAM from 1 MiB', () => {
    expect(pcMemoryMap(128 << 20)).toEqual([
      { base: 0, length: 0xa0000, type: 'ram' },
      { base: 0xa0000, length: 0x60000, type: 'reserved' },
      { base: 0x100000, length: (128 << 20) - 0x100000, type: 'ram' },
    ]);
    expect(pcMemoryMap(0x80000)).toEqual([
      { base: 0, length: 0x80000, type: 'ram' },
      { base: 0xa0000, length: 0x60000, type: 'reserved' },
    ]);
  });

  it('reads and writes RAM and refuses the hole and the space beyond', () => {
    const mem = ArrayGuestMemory.pc(2 << 20);
    mem.write(0x9fffe, Uint8Array.of(1, 2));
    expect([...mem.read(0x9fffe, 2)]).toEqual([1, 2]);
    expect(() => mem.write(0x9ffff, Uint8Array.of(1, 2))).toThrow(GuestMemoryError);
    expect(() => mem.read(0x1fffff, 2)).toThrow(/not inside one RAM region/);
    expect(mem.bytesWritten).toBe(2);
  });

  it('treats adjacent RAM entries as one run and checks maps', () => {
    const map = [
      { base: 0, length: 0x1000, type: 'ram' as const },
      { base: 0x1000, length: 0x1000, type: 'ram' as const },
    ];
    expect(isInRam(map, 0xff0, 0x20)).toBe(true);
    expect(isInRam(map, 0x1ff0, 0x20)).toBe(false);
    expect(isInRam(map, 0, 0)).toBe(false);
    expect(() =>
      checkMemoryMap([
        { base: 0x1000, length: 0x1000, type: 'ram' },
        { base: 0, length: 0x10, type: 'ram' },
      ]),
    ).toThrow(/overlaps or precedes/);
    expect(() => checkMemoryMap([{ base: 0, length: 0, type: 'ram' }])).toThrow(/not a non-empty range/);
  });
});
