import { boot, type Capability, type Flexpage } from '@genode-ts/genode-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { USER_ADDR } from '../constants.js';
import { checkInvariants } from '../invariants.js';
import { GENODE_USER_END, type NovaGenodeKernel, type NovaGenodePd } from './nova-backend.js';
import { novaKernel } from './nova-kernel.js';

function booted(): { k: NovaGenodeKernel; pd: NovaGenodePd } {
  let k: NovaGenodeKernel | undefined;
  boot({ kernel: novaKernel({ onBoot: (b) => (k = b) }), ramBytes: 32 << 20 });
  const pd = k!.createPd('fuzz') as NovaGenodePd;
  return { k: k!, pd };
}

describe('NovaGenodeKernel: boot', () => {
  it('core is the root PD; RAM above 1 MiB up to the kernel pool is core’s; UTCBs stay out of the region maps', () => {
    let k: NovaGenodeKernel | undefined;
    const s = boot({ kernel: novaKernel({ onBoot: (b) => (k = b) }), ramBytes: 32 << 20 });
    expect(s.core.kernel_pd).toBe(k!.corePd);
    expect(k!.corePd.nova).toBe(k!.nova.root);
    expect(k!.memory.available).toEqual([
      { base: 0x10_0000, size: k!.nova.memory.kernelStart * 4096 - 0x10_0000 },
    ]);
    expect(k!.nova.memory.kernelStart * 4096).toBe((32 << 20) - (4 << 20));
    expect(k!.userRange).toEqual({ start: 0x1000, end: GENODE_USER_END });
    expect(GENODE_USER_END).toBe(USER_ADDR - 0x400_0000);
    // every UTCB of core's ECs is above the range region maps cover
    for (const n of k!.nova.root.mem.values())
      if (n.utcb) expect(n.base * 4096).toBeGreaterThanOrEqual(GENODE_USER_END);
  });

  it('map installs exactly the flexpage with its rights from the kernel space; unmap revokes it', () => {
    const { k, pd } = booted();
    const page: Flexpage = {
      phys: 0x40_0000,
      virt: 0x1000_0000,
      log2: 16,
      rights: { write: false, exec: true },
    };
    expect(k.map(pd, page)).toBe('OK');
    expect(k.lookup(pd, 0x1000_f123)).toEqual({
      virt: 0x1000_f000,
      phys: 0x40_f000,
      rights: { write: false, exec: true },
    });
    const node = pd.nova.mem.find(0x1000_0000 / 4096)!;
    expect([node.order, node.perms, node.parent?.pd]).toEqual([4, 5, k.nova.kern]);
    // a weaker mapping in the way is replaced, not kept
    expect(k.map(pd, { ...page, rights: { write: true, exec: true } })).toBe('OK');
    expect(k.lookup(pd, 0x1000_0000)?.rights).toEqual({ write: true, exec: true });
    k.unmap(pd, 0x1000_4000, 0x1000);
    // revoking a part of a flexpage removes the node that covers it (NOVA revokes whole nodes)
    expect(k.lookup(pd, 0x1000_0000)).toBeUndefined();
    expect(checkInvariants(k.nova)).toEqual([]);
  });
});

describe('NovaGenodeKernel: kernel memory', () => {
  it('core grows a PD’s quota from the root’s when its mappings need more kernel memory', () => {
    const { k, pd } = booted();
    const limit = pd.nova.quota.limit;
    // 5,000 single pages, none combinable: 5,000 MDB nodes and their page tables
    for (let i = 0; i < 5000; i++) {
      const r = k.map(pd, {
        phys: 0x20_0000 + i * 4096,
        virt: 0x4000_0000 + i * 2 * 4096,
        log2: 12,
        rights: { write: true, exec: false },
      });
      if (r !== 'OK') throw new Error(`page ${i}: ${r}`);
    }
    expect(pd.nova.quota.limit).toBeGreaterThan(limit);
    expect(pd.nova.quota.used).toBeGreaterThan(limit);
    expect(k.lookup(pd, 0x4000_0000 + 4999 * 2 * 4096)?.phys).toBe(0x20_0000 + 4999 * 4096);
    expect(checkInvariants(k.nova)).toEqual([]);
  });
});

describe('NovaGenodeKernel: bad input (fast-check)', () => {
  const num = fc.oneof(
    fc.integer({ min: -0x2000, max: 0x4000_0000 }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 53, 2 ** 60, USER_ADDR, 0.5, 4096.5),
    fc.integer({ min: 0, max: 0x8000 }).map((p) => p * 4096),
  );
  const flexpage = fc.record({
    phys: num,
    virt: num,
    log2: fc.oneof(fc.integer({ min: -2, max: 50 }), fc.constant(Number.NaN)),
    rights: fc.record({ write: fc.boolean(), exec: fc.boolean() }),
  });
  const op = fc.oneof(
    fc.record({ kind: fc.constant('map' as const), page: flexpage }),
    fc.record({ kind: fc.constant('unmap' as const), virt: num, size: num }),
    fc.record({ kind: fc.constant('lookup' as const), virt: num }),
    fc.record({ kind: fc.constant('mapGuest' as const), page: flexpage }),
    fc.record({ kind: fc.constant('unmapGuest' as const), virt: num, size: num }),
    fc.record({ kind: fc.constant('fromLocal' as const), page: flexpage }),
    fc.record({ kind: fc.constant('call' as const), id: fc.integer({ min: -3, max: 400 }) }),
    fc.record({ kind: fc.constant('submit' as const), id: fc.integer({ min: -3, max: 400 }), count: num }),
  );

  it('every operation with any numbers returns a status or nothing, and the kernel stays consistent', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const { k, pd } = booted();
        const vm = k.createVm(pd, { label: 'vm', colocated: false });
        const same = k.createVm(pd, { label: 'same', colocated: true });
        for (const o of ops) {
          switch (o.kind) {
            case 'map': {
              const r = k.map(pd, o.page);
              expect(['OK', 'INVALID', 'OUT_OF_MEMORY']).toContain(r);
              if (r === 'OK') expect(k.lookup(pd, o.page.virt)?.phys).toBe(o.page.phys);
              break;
            }
            case 'unmap':
              k.unmap(pd, o.virt, o.size);
              break;
            case 'lookup':
              k.lookup(pd, o.virt);
              break;
            case 'mapGuest': {
              const r = k.mapGuest(vm, o.page);
              if (r === 'OK') expect(k.lookupGuest(vm, o.page.virt)?.phys).toBe(o.page.phys);
              break;
            }
            case 'unmapGuest':
              k.unmapGuest(vm, o.virt, o.size);
              break;
            case 'fromLocal': {
              const r = k.mapGuestFromLocal(same, {
                virt: o.page.virt,
                gpa: o.page.phys,
                log2: o.page.log2,
                rights: o.page.rights,
              });
              expect(['OK', 'INVALID', 'NOT_MAPPED', 'OUT_OF_MEMORY']).toContain(r);
              break;
            }
            case 'call': {
              const cap: Capability = { id: o.id };
              // core's own services may answer; an unknown id is an invalid capability
              try {
                const r = k.call(cap, { op: 'no_such_op', args: [cap, { id: o.id + 1 }] });
                expect(r.ok).toBe(false);
              } catch (e) {
                expect((e as { name?: string }).name).toBe('GenodeError');
              }
              break;
            }
            case 'submit':
              k.submitSignal({ id: o.id }, o.count);
              break;
          }
        }
        expect(checkInvariants(k.nova)).toEqual([]);
      }),
      { seed: 0x5eed, numRuns: 40 },
    );
  });
});
