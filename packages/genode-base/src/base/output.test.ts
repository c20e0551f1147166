import { describe, expect, it } from 'vitest';
import { format, Hex, Hex_range, Number_of_bytes, Ptr } from './output.js';

describe('Genode print conventions', () => {
  it('formats numbers, Hex, pointers, ranges and byte counts', () => {
    expect(format(['sub dataspace size is ', 65536, ' should be ', 65536])).toBe(
      'sub dataspace size is 65536 should be 65536',
    );
    expect(String(Hex(0x18000000))).toBe('0x18000000');
    expect(String(Hex(0))).toBe('0x0');
    expect(String(Hex(0xaa, { prefix: false, pad: 2 }))).toBe('aa');
    expect(String(Hex(5, { prefix: false, pad: 2 }))).toBe('05');
    expect(String(Hex(-1))).toBe('0xffffffffffffffff');
    expect(String(Hex(0x10102464c457fn))).toBe('0x10102464c457f');
    expect(String(Ptr(0x7000_0000))).toBe('0x70000000');
    expect(String(Hex_range(0x20000, 0xa000))).toBe('[0x20000,0x2a000)');
    expect(String(Number_of_bytes(8192))).toBe('8K');
    expect(String(Number_of_bytes(3 << 20))).toBe('3M');
    expect(String(Number_of_bytes(1000))).toBe('1000');
    expect(format(['a', null, undefined, true])).toBe('atrue');
  });
});
