import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessSize } from './access-sizes.js';
import type { BusAccess } from './address-bus.js';
import { MMIO_SPACE_LIMIT, MmioBus } from './mmio-bus.js';

/** 32-bit registers that merge partial writes by the lane mask (a dword-only MMIO device). */
function dwordRegisters(count: number) {
  const regs = new Uint32Array(count);
  const log: string[] = [];
  return {
    regs,
    log,
    handler: {
      read(a: BusAccess) {
        log.push(`r${a.size}@${a.offset}`);
        a.value = regs[a.offset >> 2]!;
        return true;
      },
      write(a: BusAccess) {
        log.push(`w${a.size}@${a.offset}=${a.value.toString(16)}/${a.mask.toString(16)}`);
        const i = a.offset >> 2;
        regs[i] = (regs[i]! & ~a.mask) | (a.value & a.mask);
        return true;
      },
    },
  };
}

describe('MmioBus', () => {
  it('decodes by address and reads all-ones where nothing is mapped', () => {
    const mmio = new MmioBus();
    const d = dwordRegisters(4);
    d.regs[0] = 0x11223344;
    mmio.register({
      owner: 'hpet',
      base: 0xfed00000,
      length: 16,
      impl: { min: 4, max: 4 },
      handler: d.handler,
    });
    expect(mmio.read(0xfed00000, 4)).toBe(0x11223344);
    expect(mmio.read(0xfed00010, 4)).toBe(0xffffffff);
    expect(mmio.read(0xb8000, 1)).toBe(0xff);
    expect(mmio.stats.unclaimed).toBe(2);
  });

  it('widens narrow guest accesses for a dword-only device and merges writes by lane mask', () => {
    const mmio = new MmioBus();
    const d = dwordRegisters(2);
    d.regs[0] = 0xaabbccdd;
    mmio.register({ owner: 'dev', base: 0x1000, length: 8, impl: { min: 4, max: 4 }, handler: d.handler });
    expect(mmio.read(0x1001, 1)).toBe(0xcc);
    expect(mmio.read(0x1002, 2)).toBe(0xaabb);
    mmio.write(0x1001, 1, 0x55);
    expect(d.regs[0]).toBe(0xaabb55dd);
    expect(d.log).toEqual(['r4@0', 'r4@0', 'w4@0=5500/ff00']);
  });

  it('refuses guest accesses the device does not allow: all-ones, write dropped, counted invalid', () => {
    const mmio = new MmioBus();
    const d = dwordRegisters(1);
    d.regs[0] = 0x12345678;
    mmio.register({
      owner: 'strict',
      base: 0x2000,
      length: 4,
      valid: { min: 4, max: 4, unaligned: false },
      impl: { min: 4, max: 4 },
      handler: d.handler,
    });
    expect(mmio.read(0x2000, 2)).toBe(0xffff);
    expect(mmio.write(0x2000, 1, 0)).toBe(false);
    expect(d.regs[0]).toBe(0x12345678);
    expect(mmio.stats.invalid).toBe(2);
    expect(d.log).toEqual([]);
    expect(mmio.read(0x2000, 4)).toBe(0x12345678);
  });

  it('refuses overlaps, regions past the address space and regions not aligned to impl.min', () => {
    const mmio = new MmioBus();
    mmio.register({ owner: 'a', base: 0x1000, length: 0x1000, handler: {} });
    expect(() => mmio.register({ owner: 'b', base: 0x1fff, length: 2, handler: {} })).toThrow(
      "MMIO range 0x1fff-0x2000 of 'b' overlaps 0x1000-0x1fff of 'a'",
    );
    expect(() => mmio.register({ owner: 'c', base: MMIO_SPACE_LIMIT - 1, length: 2, handler: {} })).toThrow(
      /invalid/,
    );
    expect(() =>
      mmio.register({ owner: 'd', base: 0x3002, length: 4, impl: { min: 4, max: 4 }, handler: {} }),
    ).toThrow(/aligned/);
    mmio.register({ owner: 'e', base: 0x2000, length: 1, handler: {} });
    expect(mmio.regions().map((r) => r.owner)).toEqual(['a', 'e']);
  });

  it('finds regions by binary search among many', () => {
    const mmio = new MmioBus();
    for (let i = 0; i < 100; i++) {
      mmio.register({
        owner: `r${i}`,
        base: 0x100000 + i * 0x2000,
        length: 0x1000,
        handler: {
          read: (a) => {
            a.value = i;
            return true;
          },
        },
      });
    }
    for (let i = 0; i < 100; i += 7) expect(mmio.read(0x100000 + i * 0x2000 + 0x10, 1)).toBe(i);
    expect(mmio.read(0x100000 + 3 * 0x2000 + 0x1000, 1)).toBe(0xff);
  });

  it('behaves like byte storage for every valid access, whatever widths the device implements (property)', () => {
    const sizeArb = fc.constantFrom<AccessSize>(1, 2, 4);
    const opArb = fc.record({
      write: fc.boolean(),
      address: fc.integer({ min: 0xfff8, max: 0x10018 }),
      size: sizeArb,
      value: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(sizeArb, sizeArb, fc.array(opArb, { maxLength: 40 }), (a, b, ops) => {
        const impl = { min: Math.min(a, b) as AccessSize, max: Math.max(a, b) as AccessSize };
        const mmio = new MmioBus();
        const bytes = new Uint8Array(16);
        mmio.register({
          owner: 'dev',
          base: 0x10000,
          length: 16,
          impl,
          handler: {
            read(x) {
              let v = 0;
              for (let i = 0; i < x.size; i++) v |= bytes[x.offset + i]! << (8 * i);
              x.value = v >>> 0;
              expect(x.offset % x.size).toBe(0);
              return true;
            },
            write(x) {
              expect(x.size).toBeGreaterThanOrEqual(impl.min);
              expect(x.size).toBeLessThanOrEqual(impl.max);
              for (let i = 0; i < x.size; i++) {
                if ((x.mask >>> (8 * i)) & 0xff) bytes[x.offset + i] = (x.value >>> (8 * i)) & 0xff;
              }
              return true;
            },
          },
        });
        const model = new Map<number, number>();
        const at = (p: number) => (p >= 0x10000 && p < 0x10010 ? (model.get(p) ?? 0) : 0xff);
        for (const op of ops) {
          if (op.write) {
            mmio.write(op.address, op.size, op.value);
            for (let i = 0; i < op.size; i++) {
              const p = op.address + i;
              if (p >= 0x10000 && p < 0x10010) model.set(p, (op.value >>> (8 * i)) & 0xff);
            }
          } else {
            let expected = 0;
            for (let i = 0; i < op.size; i++) expected |= at(op.address + i) << (8 * i);
            expect(mmio.read(op.address, op.size)).toBe(expected >>> 0);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
