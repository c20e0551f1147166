import { describe, expect, it } from 'vitest';
import { Quota } from './quota.js';

describe('Quota (G-kernel kernel-memory accounting)', () => {
  it('counts slab pages per kind and whole pages', () => {
    const q = new Quota();
    q.limit = 10;
    for (let i = 0; i < 65; i++) q.chargeSlab('MDB');
    expect(q.used).toBe(2);
    q.chargePages(3);
    expect(q.used).toBe(5);
    q.refundSlab('MDB');
    expect(q.used).toBe(4);
    expect(q.hitLimit(6)).toBe(false);
    expect(q.hitLimit(7)).toBe(true);
    expect(q.hitLimit(11)).toBe(true);
  });

  it('transfers limit but keeps usage and the non-transferable reserve', () => {
    const a = new Quota();
    const b = new Quota();
    a.limit = 100;
    a.reserve = 20;
    a.chargePages(30);
    expect(a.transferTo(b, 51)).toBe(false); // 30 + 51 > 100 - 20
    expect(a.transferTo(b, 50)).toBe(true);
    expect([a.limit, b.limit]).toEqual([50, 50]);
    expect(a.transferTo(b, -1)).toBe(false);
    expect(a.transferTo(b, 20, false)).toBe(true);
  });

  it('merges into the creator on destruction; later refunds land there', () => {
    const parent = new Quota();
    const child = new Quota();
    parent.limit = 10;
    child.limit = 5;
    child.chargeSlab('EC');
    child.mergeInto(parent);
    expect(parent.limit).toBe(15);
    expect(parent.used).toBe(1);
    child.refundSlab('EC');
    expect(parent.used).toBe(0);
  });
});
