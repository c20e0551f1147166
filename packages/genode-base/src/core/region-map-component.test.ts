import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pd_session_client } from '../base/pd-session-client.js';
import type { Attach_result, Attr } from '../base/region-map.js';
import { Region_map_client } from '../base/region-map-client.js';
import { rpc_call } from '../base/rpc.js';
import { boot } from '../base/system.js';
import type { Capability } from '../kernel/capability.js';
import { INVALID_CAPABILITY } from '../kernel/capability.js';
import { testKernel } from '../test-kernel/test-kernel.js';
import type { Rm_create_result, Rm_session_component } from './rm-session-component.js';

const PAGE = 4096;
const MAP_SIZE = 64 * PAGE;

interface Ref_ds {
  cap: Capability;
  size: number;
  phys: number;
  alive: boolean;
}

interface Ref_region {
  base: number;
  size: number;
  offset: number;
  ds: number;
  reserved: boolean;
}

/** The reference model: a sorted list and linear scans, straight from spec §3.2/§3.3. */
class Reference {
  regions: Ref_region[] = [];

  attach(dss: readonly Ref_ds[], dsIdx: number, attr: Attr): Attach_result {
    const fail = (error: 'REGION_CONFLICT' | 'INVALID_DATASPACE'): Attach_result => ({ ok: false, error });
    const offset = attr.offset ?? 0;
    if (offset % PAGE !== 0) return fail('REGION_CONFLICT');
    const ds = dss[dsIdx];
    if (ds === undefined || !ds.alive) return fail('INVALID_DATASPACE');
    if (offset >= ds.size) return fail('REGION_CONFLICT');
    const size = Math.ceil((attr.size ? attr.size : ds.size - offset) / PAGE) * PAGE;
    if (offset + size > ds.size) return fail('REGION_CONFLICT');
    let at: number | undefined;
    if (attr.use_at) {
      const a = attr.at ?? 0;
      if (a % PAGE !== 0 || a + size > MAP_SIZE) return fail('REGION_CONFLICT');
      if (this.regions.some((r) => a < r.base + r.size && r.base < a + size)) return fail('REGION_CONFLICT');
      at = a;
    } else {
      for (let align = Math.floor(Math.log2(size)); align >= 12 && at === undefined; align--) {
        if ((ds.phys + offset) % 2 ** align !== 0) continue;
        const unit = 2 ** align;
        const gaps: { base: number; size: number }[] = [];
        let pos = 0;
        for (const r of this.regions) {
          if (r.base > pos) gaps.push({ base: pos, size: r.base - pos });
          pos = r.base + r.size;
        }
        if (pos < MAP_SIZE) gaps.push({ base: pos, size: MAP_SIZE - pos });
        gaps.sort((x, y) => x.size - y.size || x.base - y.base);
        for (const g of gaps) {
          const start = Math.ceil(g.base / unit) * unit;
          if (start + size <= g.base + g.size) {
            at = start;
            break;
          }
        }
      }
      if (at === undefined) return fail('REGION_CONFLICT');
    }
    this.regions.push({ base: at, size, offset, ds: dsIdx, reserved: false });
    this.regions.sort((x, y) => x.base - y.base);
    return { ok: true, range: { start: at, num_bytes: size } };
  }

  detach(addr: number): void {
    this.regions = this.regions.filter((r) => !(addr >= r.base && addr < r.base + r.size));
  }

  free(dsIdx: number): void {
    for (const r of this.regions) if (r.ds === dsIdx) r.reserved = true;
  }
}

const op = fc.oneof(
  fc.record({
    kind: fc.constant('attach' as const),
    ds: fc.integer({ min: -1, max: 2 }),
    offset: fc.oneof(
      fc.integer({ min: 0, max: 9 }).map((p) => p * PAGE),
      fc.integer({ min: 1, max: 5000 }),
    ),
    size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10 * PAGE })),
    use_at: fc.boolean(),
    at: fc.oneof(
      fc.integer({ min: 0, max: 66 }).map((p) => p * PAGE),
      fc.integer({ min: 0, max: MAP_SIZE }),
    ),
  }),
  fc.record({ kind: fc.constant('detach' as const), addr: fc.integer({ min: 0, max: MAP_SIZE + PAGE }) }),
  fc.record({ kind: fc.constant('free' as const), ds: fc.integer({ min: 0, max: 2 }) }),
);

describe('Region_map_component against a reference model', () => {
  it('attach/detach/free agree with the sorted-list model, and no quota leaks', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const system = boot({ kernel: testKernel(), ramBytes: 4 << 20 });
        const core = system.core;
        const ctx = { kernel: system.kernel };
        const pd = new Pd_session_client(
          ctx,
          core.create_session('PD', 'model', { ram: 1 << 20, caps: 100 }),
        );
        const rmCap = core.create_session('RM', 'model', { ram: 64 * 1024, caps: 2 });
        const session = core.session_of(rmCap) as Rm_session_component;
        const created = rpc_call<Rm_create_result>(ctx, rmCap, 'create', MAP_SIZE);
        expect(created.ok).toBe(true);
        if (!created.ok) return;
        const rm = new Region_map_client(ctx, created.cap);
        const component = core.region_map_of(created.cap)!;
        const baseline = [session.ram_guard.used, session.cap_guard.used];
        const pdBaseline = [pd.used_ram(), pd.used_caps()];
        const dss: Ref_ds[] = [1, 3, 8].map((pages) => {
          const cap = pd.alloc(pages * PAGE);
          return { cap, size: pages * PAGE, phys: pd.dma_addr(cap), alive: true };
        });
        const ref = new Reference();
        for (const o of ops) {
          if (o.kind === 'attach') {
            const attr: Attr = {
              offset: o.offset,
              size: o.size,
              use_at: o.use_at,
              at: o.at,
              writeable: true,
            };
            const cap = o.ds < 0 ? INVALID_CAPABILITY : dss[o.ds]!.cap;
            expect(rm.attach(cap, attr)).toEqual(ref.attach(dss, o.ds, attr));
          } else if (o.kind === 'detach') {
            rm.detach(o.addr);
            ref.detach(o.addr);
          } else {
            pd.free(dss[o.ds]!.cap);
            dss[o.ds]!.alive = false;
            ref.free(o.ds);
          }
          const actual = [...component.regions()].map((r) => [r.base, r.size, r.offset, r.reserved]);
          expect(actual).toEqual(ref.regions.map((r) => [r.base, r.size, r.offset, r.reserved]));
        }
        for (const r of [...component.regions()]) rm.detach(r.base);
        for (const d of dss) pd.free(d.cap);
        expect([session.ram_guard.used, session.cap_guard.used]).toEqual(baseline);
        expect([pd.used_ram(), pd.used_caps()]).toEqual(pdBaseline);
        expect(component.free_ranges()).toEqual([{ base: 0, size: MAP_SIZE }]);
      }),
      { numRuns: 150 },
    );
  });

  it('charges metadata per slab block and returns it (16 regions per 2 KiB block; the first is embedded)', () => {
    const system = boot({ kernel: testKernel() });
    const ctx = { kernel: system.kernel };
    const pd = new Pd_session_client(
      ctx,
      system.core.create_session('PD', 'md', { ram: 1 << 20, caps: 100 }),
    );
    const rmCap = system.core.create_session('RM', 'md', { ram: 64 * 1024, caps: 10 });
    const session = system.core.session_of(rmCap) as Rm_session_component;
    const created = rpc_call<Rm_create_result>(ctx, rmCap, 'create', 1 << 20);
    if (!created.ok) throw new Error('create');
    const rm = new Region_map_client(ctx, created.cap);
    const ds = pd.alloc(PAGE);
    const used0 = session.ram_guard.used;
    for (let i = 0; i < 16; i++) rm.attach(ds, { use_at: true, at: i * PAGE });
    expect(session.ram_guard.used).toBe(used0);
    rm.attach(ds, { use_at: true, at: 16 * PAGE });
    expect(session.ram_guard.used).toBe(used0 + PAGE);
    rm.detach(16 * PAGE);
    expect(session.ram_guard.used).toBe(used0);
  });
});
