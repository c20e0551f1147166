import { describe, expect, it } from 'vitest';
import { exec } from '../test/harness.js';

const GDT = 0x9000;

function withGdt(code: number[], descriptors: [number, number][]) {
  let vector = -1;
  let error = -1;
  const m = exec(code, 'pm32', (mm) => {
    descriptors.forEach(([lo, hi], k) => {
      mm.mem.write32(GDT + 8 * (k + 1), lo);
      mm.mem.write32(GDT + 8 * (k + 1) + 4, hi);
    });
    mm.cpu.gdtBase = GDT;
    mm.cpu.gdtLimit = 8 * (descriptors.length + 1) - 1;
    mm.cpu.eventInterceptor = (c, v, code) => {
      vector = v;
      error = code;
      c.halt();
      return true;
    };
  });
  return { m, vector, error };
}

describe('segment loads and limits (protected mode)', () => {
  it('loads a data descriptor and sets its accessed bit', () => {
    // 0x08: data, base 0x10000, limit 0xfff; mov ax, 8; mov ds, ax; mov eax, [0x10]
    const r = withGdt([0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd8, 0xa1, 0x10, 0, 0, 0], [[0x00000fff, 0x00409201]]);
    expect(r.vector).toBe(-1);
    expect(r.m.cpu.segBase[3]).toBe(0x10000);
    expect(r.m.mem.read8(GDT + 13) & 1).toBe(1);
  });
  it('faults beyond the limit with #GP(0) and on a null selector use', () => {
    const r = withGdt(
      [0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd8, 0xa1, 0xfe, 0x0f, 0, 0],
      [[0x00000fff, 0x00409200]],
    );
    expect([r.vector, r.error]).toEqual([13, 0]);
    const n = withGdt([0x31, 0xc0, 0x8e, 0xc0, 0x26, 0xa1, 0x00, 0, 0, 0], []);
    expect([n.vector, n.error]).toEqual([13, 0]);
  });
  it('expand-down segments allow only offsets above the limit', () => {
    // expand-down data (type 6), limit 0x0fff, B=1: valid 0x1000..0xffffffff
    const ok = withGdt(
      [0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 0x10, 0, 0],
      [[0x00000fff, 0x00409600]],
    );
    expect(ok.vector).toBe(-1);
    const bad = withGdt(
      [0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 0x08, 0, 0],
      [[0x00000fff, 0x00409600]],
    );
    expect(bad.vector).toBe(13);
  });
  it('refuses a code segment in SS and a non-present segment', () => {
    const ss = withGdt([0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd0], [[0x0000ffff, 0x00cf9a00]]);
    expect([ss.vector, ss.error]).toEqual([13, 8]);
    const np = withGdt([0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd8], [[0x0000ffff, 0x00cf1200]]);
    expect([np.vector, np.error]).toEqual([11, 8]);
  });
  it('writes through a read-only data segment fault', () => {
    const r = withGdt([0x66, 0xb8, 0x08, 0x00, 0x8e, 0xd8, 0xa3, 0x10, 0, 0, 0], [[0x0000ffff, 0x00cf9000]]);
    expect(r.vector).toBe(13);
  });
});
