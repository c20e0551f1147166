import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CrdType,
  checkQpd,
  DEFAULT_QPD,
  decodeCrd,
  decodeQpd,
  encodeCrd,
  encodeQpd,
  memCrd,
  NULL_CRD,
  objCrd,
} from './crd.js';
import { Status, statusName } from './status.js';

describe('CRD words (spec/nova.md §1.4)', () => {
  it('packs type, permissions, order and base like the kernel', () => {
    // Obj_crd(0x20, 2, 0x1f): type 3 | 0x1f << 2 | 2 << 7 | 0x20 << 12
    expect(encodeCrd(objCrd(0x20, 2))).toBe(3 | (0x1f << 2) | (2 << 7) | (0x20 << 12));
    // Mem_crd(page 0x18000, order 0, rw)
    expect(encodeCrd(memCrd(0x18000, 0, 3))).toBe(1 | (3 << 2) | (0x18000 * 4096));
  });

  it('handles page numbers of the whole x86-64 user range', () => {
    const top = 0x7fffc0000000 / 4096 - 1;
    expect(decodeCrd(encodeCrd(memCrd(top, 0, 7)))).toEqual({
      type: CrdType.MEM,
      base: top,
      order: 0,
      perms: 7,
    });
  });

  it('decodes garbage words without throwing', () => {
    expect(decodeCrd(-1)).toEqual(NULL_CRD);
    expect(decodeCrd(Number.NaN)).toEqual(NULL_CRD);
    expect(decodeCrd(1.5)).toEqual(NULL_CRD);
    fc.assert(
      fc.property(fc.double(), (w) => {
        const c = decodeCrd(w);
        return c.type >= 0 && c.type <= 3 && c.order <= 31 && c.perms <= 31;
      }),
    );
  });

  it('round-trips every well-formed CRD', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0, max: 31 }),
        (type, base, order, perms) => {
          const c = { type: type as 0 | 1 | 2 | 3, base, order, perms };
          expect(decodeCrd(encodeCrd(c))).toEqual(c);
        },
      ),
    );
  });
});

describe('QPD words (spec/nova.md §1.5)', () => {
  it("encodes Genode's default and checks create_sc's rules", () => {
    expect(decodeQpd(encodeQpd(DEFAULT_QPD))).toEqual({ prio: 64, quantum: 10_000 });
    expect(checkQpd({ prio: 0, quantum: 1 })).toBe(Status.BAD_PAR);
    expect(checkQpd({ prio: 128, quantum: 1 })).toBe(Status.BAD_PAR);
    expect(checkQpd({ prio: 1, quantum: 0 })).toBe(Status.BAD_PAR);
    expect(checkQpd({ prio: 127, quantum: 1 })).toBe(Status.SUCCESS);
  });

  it('names status codes', () => {
    expect(statusName(Status.BAD_CAP)).toBe('BAD_CAP');
    expect(statusName(9)).toBe('QUO_OOM');
    expect(statusName(42)).toBe('0x2a');
  });
});
