import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { X86Error } from '../errors.js';
import { parseMoo } from './moo.js';

function chunk(tag: string, body: number[]): number[] {
  const len = body.length;
  return [...tag].map((ch) => ch.charCodeAt(0)).concat([len & 0xff, (len >> 8) & 0xff, 0, 0], body);
}
const u32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const u16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];

describe('parseMoo', () => {
  it('reads a test with registers, RAM and an exception', () => {
    const regs = chunk('REGS', [...u16(0b1 | (1 << 12)), ...u16(0x1234), ...u16(0x100)]);
    const ram = chunk('RAM ', [...u32(1), ...u32(0x500), 0x90]);
    const test = chunk('TEST', [
      ...u32(7),
      ...chunk('NAME', [...u32(3), 0x6e, 0x6f, 0x70]),
      ...chunk('BYTS', [...u32(2), 0x90, 0xf4]),
      ...chunk('INIT', [...regs, ...ram]),
      ...chunk('FINA', chunk('REGS', [...u16(1 << 12), ...u16(0x102)])),
      ...chunk('EXCP', [6, ...u32(0x1234)]),
      ...chunk('HASH', [0xab, 0xcd]),
    ]);
    const file = Uint8Array.from(
      [...'MOO ']
        .map((c) => c.charCodeAt(0))
        .concat(u32(12), [1, 0, 0, 0], u32(1), [0x43, 0x32, 0x38, 0x36], test),
    );
    const f = parseMoo(file);
    expect(f.cpu).toBe('C286');
    expect(f.tests).toHaveLength(1);
    const t = f.tests[0]!;
    expect(t.name).toBe('nop');
    expect(Array.from(t.bytes)).toEqual([0x90, 0xf4]);
    expect(t.init.regs[0]).toBe(0x1234);
    expect(t.init.regs[12]).toBe(0x100);
    expect(t.init.ram).toEqual([[0x500, 0x90]]);
    expect(t.final.regs[12]).toBe(0x102);
    expect(t.exception).toEqual({ vector: 6, flagsAddress: 0x1234 });
    expect(t.hash).toBe('abcd');
  });
  it('rejects malformed files with BAD_IMAGE only', () => {
    expect(() => parseMoo(new Uint8Array(4))).toThrow(X86Error);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const data = Uint8Array.from([
          0x4d,
          0x4f,
          0x4f,
          0x20,
          12,
          0,
          0,
          0,
          ...new Array(12).fill(0),
          ...tail,
        ]);
        try {
          parseMoo(data);
        } catch (e) {
          expect((e as X86Error).code).toBe('BAD_IMAGE');
        }
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});
