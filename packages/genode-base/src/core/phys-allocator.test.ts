import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boot } from '../base/system.js';
import type { Kernel } from '../kernel/kernel.js';
import { testKernel } from '../test-kernel/test-kernel.js';
import { Phys_allocator } from './phys-allocator.js';

const PAGE = 4096;

describe('Phys_allocator dirty tracking', () => {
  it('reports exactly the freed pages of a new allocation as dirty, once', () => {
    const a = new Phys_allocator();
    a.add_range(0x10000, 64 * PAGE);
    const x = a.alloc(4 * PAGE)!;
    expect(a.take_dirty(x, 4 * PAGE)).toEqual([]); // never used: reads zero already
    a.free(x, 4 * PAGE);
    expect(a.dirty).toBe(4 * PAGE);
    const y = a.alloc(8 * PAGE)!;
    expect(y).toBe(x); // lowest fitting, same alignment
    expect(a.take_dirty(y, 8 * PAGE)).toEqual([{ base: x, size: 4 * PAGE }]);
    expect(a.take_dirty(y, 8 * PAGE)).toEqual([]);
    expect(a.dirty).toBe(0);
  });

  it('splits a dirty range that an allocation covers only in part', () => {
    const a = new Phys_allocator();
    a.add_range(0, 16 * PAGE);
    const x = a.alloc(16 * PAGE)!;
    a.free(x, 16 * PAGE);
    const y = a.alloc(2 * PAGE)!;
    expect(a.take_dirty(y, 2 * PAGE)).toEqual([{ base: y, size: 2 * PAGE }]);
    expect(a.dirty).toBe(14 * PAGE);
  });

  it('matches a per-page model under random alloc/free sequences', () => {
    const PAGES = 64;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.record({ alloc: fc.integer({ min: 1, max: 12 }) }), fc.record({ free: fc.nat() })),
          {
            maxLength: 60,
          },
        ),
        (ops) => {
          const a = new Phys_allocator();
          a.add_range(0, PAGES * PAGE);
          const state = new Array<'clean' | 'used' | 'dirty'>(PAGES).fill('clean');
          const live: { base: number; size: number }[] = [];
          for (const op of ops) {
            if ('alloc' in op) {
              const size = op.alloc * PAGE;
              const base = a.alloc(size);
              if (base === undefined) continue;
              const expected: number[] = [];
              for (let p = base / PAGE; p < (base + size) / PAGE; p++) {
                expect(state[p]).not.toBe('used');
                if (state[p] === 'dirty') expected.push(p);
                state[p] = 'used';
              }
              const got = a
                .take_dirty(base, size)
                .flatMap((r) => Array.from({ length: r.size / PAGE }, (_, i) => r.base / PAGE + i));
              expect(got).toEqual(expected);
              live.push({ base, size });
            } else if (live.length > 0) {
              const [r] = live.splice(op.free % live.length, 1);
              a.free(r!.base, r!.size);
              for (let p = r!.base / PAGE; p < (r!.base + r!.size) / PAGE; p++) state[p] = 'dirty';
            }
          }
          expect(a.dirty).toBe(state.filter((s) => s === 'dirty').length * PAGE);
        },
      ),
      { seed: 0x5eed, numRuns: 300 },
    );
  });
});

describe('RAM dataspaces and host writes', () => {
  /** The test kernel with a `ramWritten` spy. */
  function spied(writes: [number, number][]): Kernel {
    const inner = testKernel();
    return {
      name: 'test+spy',
      boot(machine, core) {
        const k = inner.boot(machine, core);
        k.ramWritten = (phys, length) => writes.push([phys, length]);
        return k;
      },
    };
  }

  it('a reused dataspace reads zero; core zeroes and reports only the frames that held data', () => {
    const writes: [number, number][] = [];
    const system = boot({ kernel: spied(writes) });
    const seen: number[] = [];
    let done = false;
    system.start({
      name: 'test',
      ram: 4 << 20,
      caps: 200,
      component: {
        *construct(env) {
          const m = env.rm().local;
          const ds1 = env.ram().alloc(2 * PAGE);
          const r1 = env.rm().attach(ds1, { writeable: true });
          const a1 = r1.ok ? r1.range.start : 0;
          writes.length = 0;
          yield* m.write32(a1 + PAGE + 8, 0xdeadbeef);
          yield* m.write(a1 + 10, Uint8Array.of(1, 2, 3));
          const phys = env.rm().local.probe(a1)!;
          // Local_memory stores are reported at their physical addresses.
          expect(writes).toEqual([
            [phys + PAGE + 8, 4],
            [phys + 10, 3],
          ]);
          env.rm().detach(a1);
          env.ram().free(ds1);
          writes.length = 0;
          const ds2 = env.ram().alloc(2 * PAGE);
          const r2 = env.rm().attach(ds2, { writeable: true });
          const a2 = r2.ok ? r2.range.start : 0;
          seen.push(yield* m.read32(a2 + PAGE + 8), yield* m.read8(a2 + 11));
          const phys2 = env.rm().local.probe(a2)!;
          expect(phys2).toBe(phys); // lowest fitting block: the frames just freed
          expect(writes).toEqual([[phys, 2 * PAGE]]);
          done = true;
          env.parent().exit(0);
        },
      },
    });
    system.run({ until: () => done, maxSteps: 100_000 });
    expect(done).toBe(true);
    expect(seen).toEqual([0, 0]);
  });
});
