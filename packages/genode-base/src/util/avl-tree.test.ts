import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AvlTree, compareNumbers } from './avl-tree.js';

describe('AvlTree', () => {
  it('behaves like a sorted map under random inserts and deletes, and stays balanced', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 200 })), { maxLength: 300 }),
        fc.integer({ min: -5, max: 205 }),
        (ops, probe) => {
          const tree = new AvlTree<number, number>(compareNumbers);
          const model = new Map<number, number>();
          for (const [ins, k] of ops) {
            if (ins) {
              tree.set(k, k * 2);
              model.set(k, k * 2);
            } else {
              expect(tree.delete(k)).toBe(model.delete(k));
            }
          }
          tree.verify();
          const keys = [...model.keys()].sort((a, b) => a - b);
          expect([...tree.entries()].map((e) => e.key)).toEqual(keys);
          expect(tree.size).toBe(keys.length);
          expect(tree.height()).toBeLessThanOrEqual(Math.ceil(1.45 * Math.log2(keys.length + 2)));
          const floor = keys.filter((k) => k <= probe).pop();
          const ceil = keys.find((k) => k >= probe);
          expect(tree.floor(probe)?.key).toBe(floor);
          expect(tree.ceiling(probe)?.key).toBe(ceil);
          expect([...tree.entries(probe)].map((e) => e.key)).toEqual(keys.filter((k) => k >= probe));
          expect(tree.get(probe)).toBe(model.get(probe));
          expect(tree.first()?.key).toBe(keys[0]);
        },
      ),
    );
  });

  it('keeps O(log n) height for 100,000 ascending inserts', () => {
    const tree = new AvlTree<number, null>(compareNumbers);
    for (let i = 0; i < 100_000; i++) tree.set(i * 4096, null);
    expect(tree.height()).toBeLessThanOrEqual(25);
    expect(tree.floor(4096 * 50_000 + 17)?.key).toBe(4096 * 50_000);
  });
});
