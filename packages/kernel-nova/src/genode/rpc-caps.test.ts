import { INVALID_CAPABILITY } from '@genode-ts/genode-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { carryCapabilities, isCapability } from './rpc-caps.js';

describe('capabilities in RPC values', () => {
  it('recognises `{ id }` handles only', () => {
    expect(isCapability({ id: 3 })).toBe(true);
    expect(isCapability(Object.freeze({ id: -1 }))).toBe(true);
    expect(isCapability({ id: 3, label: 'pd' })).toBe(false);
    expect(isCapability({ id: '3' })).toBe(false);
    expect(isCapability([3])).toBe(false);
    expect(isCapability(null)).toBe(false);
  });

  it('lists held capabilities once and replaces the others by the invalid capability', () => {
    const held = new Set([1, 2]);
    const carried: number[] = [];
    const a = { id: 1 };
    const args = [a, { vmm_pd: { id: 2 }, n: 5 }, { id: 9 }, a, 'text', INVALID_CAPABILITY];
    const out = carryCapabilities(args, (id) => held.has(id), carried) as unknown[];
    expect(carried).toEqual([1, 2]);
    expect(out).not.toBe(args);
    expect(out[0]).toBe(a);
    expect(out[1]).toBe(args[1]);
    expect(out[2]).toBe(INVALID_CAPABILITY);
    expect(out[5]).toBe(INVALID_CAPABILITY);
    // nothing replaced: the very same value
    const ok = [a, { x: [a] }];
    expect(carryCapabilities(ok, () => true, [])).toBe(ok);
  });

  it('never throws and never changes what the sender holds (fast-check)', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.integer(),
        fc.string(),
        fc.constant(null),
        fc.record({ id: fc.integer({ min: -2, max: 8 }) }),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 255 }), (v, mask) => {
        const holds = (id: number) => id >= 0 && ((mask >> id) & 1) === 1;
        const carried: number[] = [];
        const out = carryCapabilities(v, holds, carried);
        expect(new Set(carried).size).toBe(carried.length);
        expect(carried.every(holds)).toBe(true);
        if (carried.length === 0 && JSON.stringify(v) === JSON.stringify(out)) return;
        expect(out).toBeDefined();
      }),
      { seed: 4242, numRuns: 300 },
    );
  });
});
