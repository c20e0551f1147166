import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Account, Quota_guard } from './quota.js';

describe('Quota_guard', () => {
  it('implements limit/used/avail with Genode semantics', () => {
    const g = new Quota_guard('RAM', 100);
    expect(g.try_withdraw(60)).toBe(true);
    expect(g.avail).toBe(40);
    expect(g.try_withdraw(41)).toBe(false);
    expect(g.try_downgrade(41)).toBe(false);
    expect(g.try_downgrade(40)).toBe(true);
    expect([g.limit, g.used, g.avail]).toEqual([60, 60, 0]);
    g.replenish(1000);
    expect(g.used).toBe(0);
    g.upgrade(Number.MAX_SAFE_INTEGER);
    expect(g.limit).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => g.upgrade(-1)).toThrow(RangeError);
    expect(g.toString()).toBe(`used=0, limit=${Number.MAX_SAFE_INTEGER}`);
  });
});

describe('Account', () => {
  it('transfers only along the reference edge and never below the initial limit', () => {
    const root = new Account(new Quota_guard('RAM', 1000), 'core', null, 0);
    const a = new Account(new Quota_guard('RAM', 100), 'a', root);
    const b = new Account(new Quota_guard('RAM', 100), 'b', root);
    expect(a.transfer_quota(b, 1)).toBe('INVALID');
    expect(root.transfer_quota(a, 50)).toBe('OK');
    expect(a.transfer_quota(root, 51)).toBe('EXCEEDED');
    a.guard.try_withdraw(120);
    expect(a.transfer_quota(root, 40)).toBe('EXCEEDED');
    expect(a.transfer_quota(root, 30)).toBe('OK');
    expect([root.guard.limit, a.guard.limit]).toEqual([980, 120]);
  });

  it('teardown returns the quota above the donation and re-parents members', () => {
    const root = new Account(new Quota_guard('RAM', 1000), 'core', null, 0);
    const a = new Account(new Quota_guard('RAM', 100), 'a', root);
    root.transfer_quota(a, 200);
    const c = new Account(new Quota_guard('RAM', 10), 'c', a);
    a.transfer_quota(c, 50);
    a.guard.try_withdraw(70);
    expect(a.destroy()).toBe(70);
    expect(root.guard.limit).toBe(800 + 150);
    expect(a.guard.limit).toBe(100);
    expect(c.ref).toBe(root);
    expect(c.transfer_quota(root, 50)).toBe('OK');
  });

  it('conserves the total under random transfers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.nat(500)), {
          maxLength: 80,
        }),
        (ops) => {
          const root = new Account(new Quota_guard('RAM', 1000), 'root', null, 0);
          const a = new Account(new Quota_guard('RAM', 0), 'a', root);
          const b = new Account(new Quota_guard('RAM', 0), 'b', a);
          const c = new Account(new Quota_guard('RAM', 0), 'c', root);
          const all = [root, a, b, c];
          for (const [i, j, n] of ops) all[i]!.transfer_quota(all[j]!, n);
          expect(all.reduce((s, x) => s + x.guard.limit, 0)).toBe(1000);
          for (const x of all) expect(x.guard.limit).toBeGreaterThanOrEqual(x.initial_limit);
        },
      ),
    );
  });
});
