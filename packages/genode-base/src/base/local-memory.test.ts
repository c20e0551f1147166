import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { run_component } from '../test-kernel/harness.js';
import { Rm_connection } from './connections.js';
import { Entrypoint } from './entrypoint.js';
import { Region_map_client } from './region-map-client.js';
import { Signal_handler } from './signal.js';
import { Thread } from './thread.js';

describe('Local_memory', () => {
  it('reads and writes 8/16/32/64-bit values and byte ranges through the kernel mapping', () => {
    const { c, system } = run_component(function* (env) {
      const ds = env.ram().alloc(3 * 4096);
      const r = env.rm().attach(ds, { writeable: true });
      const a = r.ok ? r.range.start : 0;
      const m = env.rm().local;
      yield* m.write8(a, 0x12);
      yield* m.write16(a + 2, 0x3456);
      yield* m.write32(a + 4, 0x89abcdef);
      yield* m.write64(a + 8, 0x0123456789abcdefn);
      expect(yield* m.read8(a)).toBe(0x12);
      expect(yield* m.read16(a + 2)).toBe(0x3456);
      expect(yield* m.read32(a + 4)).toBe(0x89abcdef);
      expect(yield* m.read64(a + 8)).toBe(0x0123456789abcdefn);
      // across a page boundary
      yield* m.write32(a + 4094, 0xcafebabe);
      expect(yield* m.read32(a + 4094)).toBe(0xcafebabe);
      yield* m.write64(a + 8190, -1n);
      expect(yield* m.read64(a + 8190)).toBe(0xffffffffffffffffn);
      yield* m.write(a + 4000, new Uint8Array(200).fill(7));
      expect([...(yield* m.read(a + 4000, 200))].every((b) => b === 7)).toBe(true);
      yield* m.write_cstring(a + 100, 'hello');
      expect(yield* m.read_cstring(a + 100)).toBe('hello');
      yield* m.fill(a, 3 * 4096, 0);
      expect(yield* m.read64(a + 8190)).toBe(0n);
    });
    expect(c.exit_value()).toBe(0);
    expect(system.log.filter((l) => l.includes('Error'))).toEqual([]);
  });

  it('a write spanning two pages does not touch the first page while the second faults', () => {
    let firstByte = -1;
    let resumed = false;
    const { c } = run_component(function* (env) {
      const rm = new Rm_connection(env);
      const s = new Region_map_client(env, rm.create(4 * 4096));
      const ds = env.ram().alloc(4096);
      s.attach(ds, { use_at: true, at: 0, writeable: true });
      const L = env.rm().attach(s.dataspace(), { writeable: true });
      const base = L.ok ? L.range.start : 0;
      const ep = new Entrypoint(env, 16 * 1024, 'handler');
      let faulted = false;
      const h = new Signal_handler(ep, () => {
        faulted = true;
      });
      s.fault_handler(h.cap());
      const t = new Thread(env, 'writer', 16 * 1024, function* () {
        yield* env.rm().local.write32(base + 4094, 0xffffffff);
        resumed = true;
      });
      t.start();
      while (!faulted) yield* env.kernel.yieldCpu();
      firstByte = yield* env.rm().local.read8(base + 4094);
      s.attach(env.ram().alloc(4096), { use_at: true, at: 4096, writeable: true });
      yield* t.join();
    });
    expect(c.exit_value()).toBe(0);
    expect(firstByte).toBe(0);
    expect(resumed).toBe(true);
  });

  it('random word writes and reads agree with a byte-array model', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 8184 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), {
          maxLength: 30,
        }),
        (writes) => {
          const model = new DataView(new ArrayBuffer(8192));
          const seen: bigint[] = [];
          const expected: bigint[] = [];
          run_component(function* (env) {
            const ds = env.ram().alloc(8192);
            const r = env.rm().attach(ds, { writeable: true });
            const a = r.ok ? r.range.start : 0;
            for (const [off, v] of writes) {
              yield* env.rm().local.write64(a + off, v);
              model.setBigUint64(off, v, true);
            }
            for (const [off] of writes) {
              seen.push(yield* env.rm().local.read64(a + off));
              expected.push(model.getBigUint64(off, true));
            }
          });
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
