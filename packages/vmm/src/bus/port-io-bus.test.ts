import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BusError } from '../errors.js';
import type { AccessSize } from './access-sizes.js';
import type { BusAccess } from './address-bus.js';
import { PortIoBus } from './port-io-bus.js';

/** A byte-register device that records the accesses it receives. */
function recorder(bytes: Uint8Array) {
  const log: string[] = [];
  return {
    log,
    handler: {
      read(a: BusAccess) {
        log.push(`r${a.size}@${a.offset}`);
        let v = 0;
        for (let i = 0; i < a.size; i++) v |= bytes[a.offset + i]! << (8 * i);
        a.value = v >>> 0;
        return true;
      },
      write(a: BusAccess) {
        log.push(`w${a.size}@${a.offset}=${a.value.toString(16)}`);
        for (let i = 0; i < a.size; i++) {
          if ((a.mask >>> (8 * i)) & 0xff) bytes[a.offset + i] = (a.value >>> (8 * i)) & 0xff;
        }
        return true;
      },
    },
  };
}

describe('PortIoBus', () => {
  it('reads all-ones and drops writes on unclaimed ports, counting them', () => {
    const io = new PortIoBus();
    const seen: string[] = [];
    io.onUnhandled = (reason, kind, port, size) =>
      seen.push(`${reason} ${kind} ${port.toString(16)}/${size}`);
    expect(io.read(0x80, 1)).toBe(0xff);
    expect(io.read(0x1234, 2)).toBe(0xffff);
    expect(io.read(0x4000, 4)).toBe(0xffffffff);
    expect(io.write(0x80, 1, 0x12)).toBe(false);
    expect(io.stats).toEqual({ reads: 3, writes: 1, unclaimed: 4, invalid: 0 });
    expect(seen).toEqual([
      'unclaimed read 80/1',
      'unclaimed read 1234/2',
      'unclaimed read 4000/4',
      'unclaimed write 80/1',
    ]);
  });

  it('splits a word access to a byte-wide device into byte accesses at consecutive ports', () => {
    const io = new PortIoBus();
    const regs = new Uint8Array(8);
    const dev = recorder(regs);
    io.register({ owner: 'dev', base: 0x3f8, length: 8, handler: dev.handler });
    io.write(0x3f8, 2, 0xbeef);
    expect(dev.log).toEqual(['w1@0=ef', 'w1@1=be']);
    expect(io.read(0x3f8, 4)).toBe(0x0000beef);
    expect(dev.log.slice(2)).toEqual(['r1@0', 'r1@1', 'r1@2', 'r1@3']);
  });

  it('gives a word-wide device whole words and widens byte accesses with a lane mask', () => {
    const io = new PortIoBus();
    const regs = new Uint8Array([0x11, 0x22, 0x33, 0x44]);
    const dev = recorder(regs);
    io.register({ owner: 'w', base: 0x500, length: 4, impl: { min: 2, max: 2 }, handler: dev.handler });
    expect(io.read(0x501, 1)).toBe(0x22);
    expect(dev.log).toEqual(['r2@0']);
    io.write(0x503, 1, 0x99);
    expect(dev.log[1]).toBe('w2@2=9900');
    expect([...regs]).toEqual([0x11, 0x22, 0x33, 0x99]);
  });

  it('splits an access that leaves a device into bytes; the part outside reads 0xff', () => {
    const io = new PortIoBus();
    const regs = new Uint8Array([0xaa, 0xbb]);
    io.register({ owner: 'dev', base: 0x10, length: 2, handler: recorder(regs).handler });
    expect(io.read(0x11, 2)).toBe(0xffbb);
    expect(io.read(0x0f, 4)).toBe(0xffbbaaff);
    expect(io.stats.unclaimed).toBe(2);
    // Nothing wraps around the end of the port space.
    io.register({
      owner: 'low',
      base: 0,
      length: 1,
      handler: {
        read: (a) => {
          a.value = 0x12;
          return true;
        },
      },
    });
    expect(io.read(0xffff, 2)).toBe(0xffff);
    expect(io.read(0x10000, 1)).toBe(0xff);
    expect(io.write(0x11, 2, 0x1234)).toBe(false);
    expect(regs[1]).toBe(0x34);
  });

  it('treats a device that declines an access as unclaimed', () => {
    const io = new PortIoBus();
    io.register({ owner: 'wo', base: 0xf4, length: 1, handler: { write: () => true } });
    expect(io.read(0xf4, 1)).toBe(0xff);
    expect(io.write(0xf4, 1, 1)).toBe(true);
    expect(io.stats.unclaimed).toBe(1);
  });

  it('refuses overlapping ranges naming both owners, and ranges outside the port space', () => {
    const io = new PortIoBus();
    io.register({ owner: 'uart0', base: 0x3f8, length: 8, handler: {} });
    expect(() => io.register({ owner: 'uart1', base: 0x3fc, length: 8, handler: {} })).toThrow(
      "port I/O range 0x3fc-0x403 of 'uart1' overlaps 0x3f8-0x3ff of 'uart0'",
    );
    try {
      io.register({ owner: 'x', base: 0xfffe, length: 4, handler: {} });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BusError);
      expect((e as BusError).code).toBe('BAD_RANGE');
    }
    expect(() => io.register({ owner: 'x', base: 0x10, length: 0, handler: {} })).toThrow(/invalid/);
  });

  it('unregisters a region, after which its ports float again', () => {
    const io = new PortIoBus();
    const r = io.register({
      owner: 'dev',
      base: 0x60,
      length: 1,
      handler: {
        read: (a) => {
          a.value = 1;
          return true;
        },
      },
    });
    expect(io.read(0x60, 1)).toBe(1);
    io.unregister(r);
    expect(io.read(0x60, 1)).toBe(0xff);
    expect(() => io.unregister(r)).toThrow(/not registered/);
  });

  it('accepts a set of ranges exactly when they are pairwise disjoint (property)', () => {
    const rangeArb = fc.record({
      base: fc.integer({ min: 0, max: 0x3ff }),
      length: fc.integer({ min: 1, max: 32 }),
    });
    fc.assert(
      fc.property(fc.array(rangeArb, { maxLength: 24 }), (ranges) => {
        const io = new PortIoBus();
        const accepted: { base: number; length: number }[] = [];
        ranges.forEach((r, i) => {
          const overlaps = accepted.some((a) => r.base < a.base + a.length && a.base < r.base + r.length);
          let threw: unknown;
          try {
            io.register({
              owner: `d${i}`,
              ...r,
              handler: {
                read: (a) => {
                  a.value = i;
                  return true;
                },
              },
            });
          } catch (e) {
            threw = e;
          }
          expect(threw !== undefined).toBe(overlaps);
          if (threw !== undefined) expect((threw as BusError).code).toBe('BUS_OVERLAP');
          else accepted.push(r);
        });
        // Every port decodes to the one accepted range that holds it.
        for (let p = 0; p < 0x420; p++) {
          const owner = accepted.findIndex((a) => p >= a.base && p < a.base + a.length);
          const v = io.read(p, 1);
          if (owner < 0) expect(v).toBe(0xff);
          else expect(io.find(p)?.base).toBe(accepted[owner]!.base);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('behaves like plain byte storage for any access, whatever the device implements (property)', () => {
    const sizeArb = fc.constantFrom<AccessSize>(1, 2, 4);
    const opArb = fc.record({
      write: fc.boolean(),
      port: fc.integer({ min: 0x100, max: 0x10f }),
      size: sizeArb,
      value: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(sizeArb, sizeArb, fc.array(opArb, { maxLength: 40 }), (a, b, ops) => {
        const impl = { min: Math.min(a, b) as AccessSize, max: Math.max(a, b) as AccessSize };
        const io = new PortIoBus();
        const regs = new Uint8Array(8);
        io.register({ owner: 'dev', base: 0x108, length: 8, impl, handler: recorder(regs).handler });
        const model = new Uint8Array(0x10010).fill(0xff);
        model.fill(0, 0x108, 0x110);
        for (const op of ops) {
          if (op.write) {
            io.write(op.port, op.size, op.value);
            for (let i = 0; i < op.size; i++) {
              const p = op.port + i;
              if (p >= 0x108 && p < 0x110) model[p] = (op.value >>> (8 * i)) & 0xff;
            }
          } else {
            let expected = 0;
            for (let i = 0; i < op.size; i++) expected |= model[op.port + i]! << (8 * i);
            expect(io.read(op.port, op.size)).toBe(expected >>> 0);
          }
        }
        expect([...regs]).toEqual([...model.subarray(0x108, 0x110)]);
      }),
      { numRuns: 200 },
    );
  });
});
