/**
 * spec/nova.md §9 acceptance scenarios S16–S24, S26–S28: typed items, delegation, translation,
 * revocation (Genode test-nova `test_revoke`, `test_translate`, `test_pat`,
 * `test_delegate_revoke_smp`, `test_server_oom`). S25 (guest memory) is in vcpu.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Event, PAGE_SIZE } from '../constants.js';
import { type Crd, CrdType, decodeCrd, encodeCrd, memCrd, NULL_CRD, objCrd } from '../crd.js';
import type { Blocking } from '../kernel-entry.js';
import { Mtd } from '../mtd.js';
import type { Pd } from '../pd.js';
import { Status } from '../status.js';
import type { Sys } from '../sys.js';
import { ItemKind, type TypedItem } from '../typed-item.js';
import { boot, childPd, delegateObj, mapPhys, ok, PD, spawn, utcbAddr, violations } from './harness.js';

/** What the receiver saw in one call. */
interface Received {
  readonly items: TypedItem[];
  readonly lookups: Crd[];
}

/**
 * A receiver: local EC `sel` in PD `pd` (root selector) with portal `sel + 1` in the root. Each
 * call carries in mr[0], mr[1] the delegation and translation windows for the *next* call, and
 * in mr[2..] selectors/pages (mr[2] = type) to look up in the receiver's PD after this one.
 */
function* receiver(sys: Sys, pd: number, sel: number, seen: Received[]): Blocking<void> {
  ok(yield* sys.createEc(sel, pd, { utcb: utcbAddr() }), 'receiver EC');
  const ip = sys.entry(function* (s) {
    const u = s.utcb;
    const items: TypedItem[] = [];
    for (let i = 0; i < u.t; i++) items.push(u.item(i));
    const words = u.words();
    const lookups: Crd[] = [];
    const type = (words[2] ?? 0) as 1 | 2 | 3;
    for (let i = 3; i < words.length; i++)
      lookups.push(yield* s.lookup({ type, base: words[i]!, order: 0, perms: 0 }));
    seen.push({ items, lookups });
    u.del = decodeCrd(words[0] ?? 0);
    u.xlt = decodeCrd(words[1] ?? 0);
    u.setMsg(0, 0);
    yield* s.reply();
  });
  ok(yield* sys.createPt(sel + 1, PD, sel, 0, ip), 'receiver portal');
}

/** Call receiver portal `pt`: windows for the next call, lookups (type + selectors), typed items. */
function* send(
  sys: Sys,
  pt: number,
  next: { del?: Crd; xlt?: Crd },
  lookups: { type: number; sels: number[] },
  items: [Crd, number][] = [],
): Blocking<number> {
  const u = sys.utcb;
  u.setWords([
    encodeCrd(next.del ?? NULL_CRD),
    encodeCrd(next.xlt ?? NULL_CRD),
    lookups.type,
    ...lookups.sels,
  ]);
  items.forEach(([crd, flags], i) => {
    u.setItemWords(i, encodeCrd(crd), flags);
  });
  u.t = items.length;
  const s = yield* sys.call(pt);
  u.setMsg(0, 0);
  return s;
}

const DELEGATE = (hotspot = 0, extra = 0): number => hotspot * 4096 + ItemKind.DELEGATE + extra;
const TRANSLATE = 0;

describe('delegation, translation, revocation (spec/nova.md §9)', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('S16 object delegate: perms = item mask & window mask, lands at W + hotspot, result item and lookup agree', () => {
    const seen: Received[] = [];
    boot(function* (sys) {
      yield* childPd(sys, 0x100);
      yield* receiver(sys, 0x100, 0x40, seen);
      ok(yield* send(sys, 0x41, { del: objCrd(0x200, 2, 0x1f) }, { type: 3, sels: [] }), 'setup');
      ok(
        yield* send(sys, 0x41, {}, { type: 3, sels: [0x201] }, [[objCrd(PD, 0, 0x3), DELEGATE(1)]]),
        'delegate',
      );
      ok(yield* send(sys, 0x41, {}, { type: 3, sels: [0x200, 0x201, 0x202] }), 'lookups');
    }).run();
    expect(seen[1]!.items).toEqual([
      { crd: { type: CrdType.OBJ, base: 0x201, order: 0, perms: 0x3 }, flags: DELEGATE(1) },
    ]);
    // The receiver's own lookups (in the same call, after the items were processed).
    expect(seen[1]!.lookups).toEqual([{ type: CrdType.OBJ, base: 0x201, order: 0, perms: 0x3 }]);
    expect(seen[2]!.lookups).toEqual([
      NULL_CRD,
      { type: CrdType.OBJ, base: 0x201, order: 0, perms: 0x3 },
      NULL_CRD,
    ]);
  });

  it('S17 a memory item against an object window yields a null result item and maps nothing', () => {
    const seen: Received[] = [];
    const k = boot(function* (sys) {
      yield* childPd(sys, 0x100);
      yield* receiver(sys, 0x100, 0x40, seen);
      ok(yield* send(sys, 0x41, { del: objCrd(0x200, 2, 0x1f) }, { type: 3, sels: [] }), 'setup');
      const hip = sys.kernel.hipAddr / PAGE_SIZE;
      ok(
        yield* send(sys, 0x41, {}, { type: 1, sels: [hip, 0x200] }, [[memCrd(hip, 0, 1), DELEGATE()]]),
        'mem item',
      );
    });
    k.run();
    expect(seen[1]!.items).toEqual([{ crd: NULL_CRD, flags: DELEGATE() }]);
    expect(seen[1]!.lookups).toEqual([NULL_CRD, NULL_CRD]);
    const b = k.objCap(k.root, 0x100)!.obj as Pd;
    expect([...b.mem.values()].filter((n) => !n.utcb)).toEqual([]);
    expect(b.obj.at(0x200)).toBeUndefined();
  });

  it('S18 delegating onto an occupied selector changes nothing there and still succeeds', () => {
    const seen: Received[] = [];
    const k = boot(function* (sys) {
      yield* childPd(sys, 0x100);
      yield* receiver(sys, 0x100, 0x40, seen);
      ok(yield* sys.createSm(0x50, PD, 0), 'sm');
      ok(yield* send(sys, 0x41, { del: objCrd(0x200, 0, 0x1f) }, { type: 3, sels: [] }), 'setup');
      ok(
        yield* send(sys, 0x41, { del: objCrd(0x200, 0, 0x1f) }, { type: 3, sels: [] }, [
          [objCrd(PD, 0, 0x3), DELEGATE()],
        ]),
        '1st',
      );
      const s = yield* send(sys, 0x41, {}, { type: 3, sels: [0x200] }, [[objCrd(0x50, 0, 0x1f), DELEGATE()]]);
      ok(s, '2nd');
    });
    k.run();
    // The result item describes the window part used, not what is there.
    expect(seen[2]!.items[0]!.crd).toEqual({ type: CrdType.OBJ, base: 0x200, order: 0, perms: 0x1f });
    expect(seen[2]!.lookups).toEqual([{ type: CrdType.OBJ, base: 0x200, order: 0, perms: 0x3 }]);
    const b = k.objCap(k.root, 0x100)!.obj as Pd;
    expect(b.obj.at(0x200)!.obj).toBe(k.root);
  });

  it('S19 memory: order-4 item into an order-8 window lands at the hotspot; an order-8 item into an order-4 window sends the hotspot part', () => {
    const seen: Received[] = [];
    const reads: number[] = [];
    const R = 0x1000;
    const R2 = 0x2000;
    const V = 0x400;
    const V2 = 0x500;
    boot(function* (sys) {
      yield* childPd(sys, 0x100);
      // The receiver reads its pages itself; a second local EC of B does that on request.
      yield* receiver(sys, 0x100, 0x40, seen);
      ok(yield* sys.createEc(0x42, 0x100, { utcb: utcbAddr() }), 'reader');
      const rd = sys.entry(function* (s) {
        const out: number[] = [];
        for (const a of s.utcb.words()) out.push(yield* s.read32(a));
        reads.push(...out);
        s.utcb.setMsg(0, 0);
        yield* s.reply();
      });
      ok(yield* sys.createPt(0x43, PD, 0x42, 0, rd), 'reader portal');
      ok(yield* mapPhys(sys, PD, 0x3000, V, 4), 'map V');
      ok(yield* mapPhys(sys, PD, 0x3100, V2, 8), 'map V2');
      for (let i = 0; i < 16; i++) yield* sys.write32((V + i) * PAGE_SIZE, 0x1000 + i);
      for (let i = 0; i < 256; i++) yield* sys.write32((V2 + i) * PAGE_SIZE, 0x2000 + i);
      ok(yield* send(sys, 0x41, { del: memCrd(R, 8, 7) }, { type: 1, sels: [] }), 'setup');
      ok(
        yield* send(
          sys,
          0x41,
          { del: memCrd(R2, 4, 7) },
          { type: 1, sels: [R + 0x2f, R + 0x30, R + 0x3f, R + 0x40] },
          [[memCrd(V, 4, 7), DELEGATE(R + 0x30)]],
        ),
        'order 4 into order 8',
      );
      ok(
        yield* send(sys, 0x41, {}, { type: 1, sels: [R2, R2 + 15, R2 + 16] }, [
          [memCrd(V2, 8, 7), DELEGATE(0x35)],
        ]),
        'order 8 into 4',
      );
      sys.utcb.setWords([(R + 0x35) * PAGE_SIZE, R2 * PAGE_SIZE, (R2 + 5) * PAGE_SIZE]);
      ok(yield* sys.call(0x43), 'read');
    }).run();
    expect(seen[1]!.items[0]!.crd).toEqual({ type: CrdType.MEM, base: R + 0x30, order: 4, perms: 7 });
    expect(seen[1]!.lookups).toEqual([
      NULL_CRD,
      { type: CrdType.MEM, base: R + 0x30, order: 4, perms: 7 },
      { type: CrdType.MEM, base: R + 0x30, order: 4, perms: 7 },
      NULL_CRD,
    ]);
    expect(seen[2]!.items[0]!.crd).toEqual({ type: CrdType.MEM, base: R2, order: 4, perms: 7 });
    expect(seen[2]!.lookups).toEqual([
      { type: CrdType.MEM, base: R2, order: 4, perms: 7 },
      { type: CrdType.MEM, base: R2, order: 4, perms: 7 },
      NULL_CRD,
    ]);
    expect(reads).toEqual([0x1005, 0x2030, 0x2035]);
  });

  /** S20–S23: A (a portal) → B → C in the root PD, by self-IPC; then keep-in-MDB, reuse and root revocation. */
  function translateChain(steps: number) {
    const seen: Received[] = [];
    const calls: number[] = [];
    const A = 0x100;
    const B = 0x200;
    const C = 0x300;
    const k = boot(function* (sys) {
      ok(yield* sys.createEc(0x50, PD, { utcb: utcbAddr() }), 'echo EC');
      ok(
        yield* sys.createPt(
          A,
          PD,
          0x50,
          0,
          sys.entry(function* (s) {
            s.utcb.setMsg(0, 0);
            yield* s.reply();
          }),
        ),
        'A',
      );
      yield* receiver(sys, PD, 0x40, seen);
      const all = objCrd(0, 31);
      ok(yield* send(sys, 0x41, { del: objCrd(B, 0) }, { type: 3, sels: [] }), 'setup');
      ok(
        yield* send(sys, 0x41, { del: objCrd(C, 0) }, { type: 3, sels: [] }, [[objCrd(A, 0), DELEGATE()]]),
        'B',
      );
      ok(yield* send(sys, 0x41, { xlt: all }, { type: 3, sels: [] }, [[objCrd(B, 0), DELEGATE()]]), 'C');
      // S20: translate C, B, A.
      for (const x of [C, B, A])
        ok(yield* send(sys, 0x41, { xlt: all }, { type: 3, sels: [] }, [[objCrd(x, 0), TRANSLATE]]), 'xlt');
      if (steps < 21) return;
      // S21: keep-in-MDB revoke of B.
      ok(yield* sys.revoke(objCrd(B, 0), { keep: true }), 'kim');
      ok(
        yield* send(sys, 0x41, { xlt: all }, { type: 3, sels: [B, C] }, [[objCrd(C, 0), TRANSLATE]]),
        'after kim',
      );
      calls.push(yield* sys.call(C));
      if (steps < 22) return;
      // S22: an unrelated capability at B's old selector is revoked.
      ok(yield* sys.createSm(B, PD, 0), 'unrelated');
      ok(yield* sys.revoke(objCrd(B, 0)), 'revoke unrelated');
      ok(
        yield* send(sys, 0x41, { xlt: all }, { type: 3, sels: [B, C] }, [[objCrd(C, 0), TRANSLATE]]),
        'after reuse',
      );
      calls.push(yield* sys.call(C));
      if (steps < 23) return;
      // S23: self-revoke of the root A destroys the portal.
      ok(yield* sys.revoke(objCrd(A, 0)), 'revoke A');
      ok(yield* send(sys, 0x41, { xlt: all }, { type: 3, sels: [A, C] }), 'after A');
      calls.push(yield* sys.call(C));
    });
    k.run();
    return { seen, calls, k };
  }

  const PT = (base: number) => ({ type: CrdType.OBJ, base, order: 0, perms: 0x13 });

  it('S20 translating C returns B, B returns A, A returns A (same-PD rule)', () => {
    const { seen } = translateChain(20);
    expect(seen.slice(3, 6).map((r) => r.items[0]!.crd)).toEqual([PT(0x200), PT(0x100), PT(0x100)]);
  });

  it('S21 keep-in-MDB revoke of B: B is gone, C still works and now translates to A', () => {
    const { seen, calls } = translateChain(21);
    expect(seen[6]!.lookups).toEqual([NULL_CRD, PT(0x300)]);
    expect(seen[6]!.items[0]!.crd).toEqual(PT(0x100));
    expect(calls).toEqual([Status.SUCCESS]);
  });

  it('S22 revoking an unrelated capability at the reused selector does not affect C', () => {
    const { seen, calls } = translateChain(22);
    expect(seen[7]!.lookups).toEqual([NULL_CRD, PT(0x300)]);
    expect(seen[7]!.items[0]!.crd).toEqual(PT(0x100));
    expect(calls).toEqual([Status.SUCCESS, Status.SUCCESS]);
  });

  it('S23 self-revoking the root A destroys the object: C is gone and calls through it => BAD_CAP', () => {
    const { seen, calls, k } = translateChain(23);
    expect(seen[8]!.lookups).toEqual([NULL_CRD, NULL_CRD]);
    expect(calls).toEqual([Status.SUCCESS, Status.SUCCESS, Status.BAD_CAP]);
    expect(k.objCap(k.root, 0x300)).toBeUndefined();
  });

  it("S24 revoke with self = 0 keeps the revoker's capability; a w-only revoke makes derived pages read-only (writes fault)", () => {
    const log: unknown[] = [];
    const faults: number[][] = [];
    const V = 0x600;
    const R = 0x700;
    const k = boot(function* (sys) {
      yield* childPd(sys, 0x100);
      ok(yield* sys.createSm(0x30, PD, 0), 'done');
      ok(yield* sys.createSm(0x31, PD, 0), 'go');
      ok(yield* delegateObj(sys, PD, 0x100, 0x30, 0x30), 'done');
      ok(yield* delegateObj(sys, PD, 0x100, 0x31, 0x31), 'go');
      ok(yield* mapPhys(sys, PD, 0x2400, V, 0), 'map V');
      ok(yield* delegateItemMem(sys, V, R), 'V -> B');
      // B's page-fault handler: record, then continue at the next stage of B's code.
      const stages: number[] = [];
      ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'pager');
      ok(
        yield* sys.createPt(
          0x41,
          PD,
          0x40,
          Mtd.QUAL | Mtd.EIP,
          sys.entry(function* (s) {
            faults.push([s.utcb.qual0, s.utcb.qual1]);
            s.utcb.mtd = Mtd.EIP;
            s.utcb.rip = stages[faults.length - 1]!;
            yield* s.reply();
          }),
        ),
        'pf portal',
      );
      ok(yield* delegateObj(sys, PD, 0x100, 0x41, 0x1000 + Event.PF), 'pf portal into B');
      const stage3 = sys.entry(function* (s) {
        log.push(yield* s.lookup(memCrd(R, 0)));
        yield* s.smUp(0x30);
      });
      const stage2 = sys.entry(function* (s) {
        log.push(yield* s.lookup(memCrd(R, 0)));
        log.push(`B read ${(yield* s.read32(R * PAGE_SIZE)).toString(16)}`);
        yield* s.smUp(0x30);
        yield* s.smDown(0x31);
        yield* s.read32(R * PAGE_SIZE); // faults: no mapping any more
      });
      stages.push(stage2, stage3);
      yield* spawn(sys, {
        pd: 0x100,
        sel: 0x200,
        evt: 0x1000,
        code: function* (s) {
          yield* s.write32(R * PAGE_SIZE, 0xbeef);
          log.push('B wrote');
          yield* s.smUp(0x30);
          yield* s.smDown(0x31);
          yield* s.write32(R * PAGE_SIZE, 0xdead); // faults: read-only now
          log.push('not reached');
        },
      });
      yield* sys.smDown(0x30);
      ok(yield* sys.revoke(memCrd(V, 0, 2), { self: false }), 'revoke w');
      log.push(yield* sys.lookup(memCrd(V, 0)));
      yield* sys.smUp(0x31);
      yield* sys.smDown(0x30);
      ok(yield* sys.revoke(memCrd(V, 0, 7), { self: false }), 'revoke all');
      log.push(yield* sys.lookup(memCrd(V, 0)));
      log.push(`root read ${(yield* sys.read32(V * PAGE_SIZE)).toString(16)}`);
      yield* sys.smUp(0x31);
      yield* sys.smDown(0x30);
    });
    k.run();
    const rootV = { type: CrdType.MEM, base: V, order: 0, perms: 7 };
    expect(log).toEqual([
      'B wrote',
      rootV,
      { type: CrdType.MEM, base: R, order: 0, perms: 5 },
      'B read beef',
      rootV,
      'root read beef',
      NULL_CRD,
    ]);
    // Write to the read-only page: P | W | U; read of the revoked page: U only.
    expect(faults).toEqual([
      [0x7, R * PAGE_SIZE],
      [0x4, R * PAGE_SIZE],
    ]);
  });

  it('S26 WC is sticky: a WC mapping from the root (H + WC) stays WC when re-delegated without WC; WC without H is ignored', () => {
    const seen: Received[] = [];
    const k = boot(function* (sys) {
      yield* childPd(sys, 0x100);
      yield* receiver(sys, 0x100, 0x40, seen);
      ok(yield* delegateItem2(sys, 0x2500, 0x800, true), 'WC map');
      ok(yield* mapPhys(sys, PD, 0x2501, 0x801, 0), 'plain map');
      ok(yield* send(sys, 0x41, { del: memCrd(0x900, 0, 7) }, { type: 1, sels: [] }), 'setup');
      ok(
        yield* send(sys, 0x41, { del: memCrd(0x901, 0, 7) }, { type: 1, sels: [] }, [
          [memCrd(0x800, 0, 7), DELEGATE()],
        ]),
        'redelegate',
      );
      ok(
        yield* send(sys, 0x41, {}, { type: 1, sels: [] }, [[memCrd(0x801, 0, 7), DELEGATE(0, 0x400)]]),
        'WC flag without H',
      );
    });
    k.run();
    const b = k.objCap(k.root, 0x100)!.obj as Pd;
    expect(k.root.host.translate(0x800)).toEqual({ frame: 0x2500, perms: 7, wc: true });
    expect(b.host.translate(0x900)).toEqual({ frame: 0x2500, perms: 7, wc: true });
    expect(k.root.host.translate(0x801)!.wc).toBe(false);
    expect(b.host.translate(0x901)).toEqual({ frame: 0x2501, perms: 7, wc: false });
  });

  it('S27 concurrent delegate/revoke across CPUs: 2000 revokes while a mapper on CPU 1 keeps mapping; no deadlock, calls keep succeeding', () => {
    const stats = { calls: 0, failures: 0, reads: 0, bad: 0, revokes: 0, faults: 0 };
    const V = 0xa00;
    let stop = false;
    const k = boot(
      function* (sys) {
        yield* childPd(sys, 0x100);
        ok(yield* mapPhys(sys, PD, 0x2600, V, 1), 'root pages');
        yield* sys.write32(V * PAGE_SIZE, 0x1111);
        yield* sys.write32((V + 1) * PAGE_SIZE, 0x2222);
        // Pager on CPU 1: maps the two pages into B on request (misc delegate) ...
        ok(yield* sys.createEc(0x40, PD, { cpu: 1, utcb: utcbAddr() }), 'pager');
        ok(
          yield* sys.createPt(
            0x41,
            PD,
            0x40,
            0,
            sys.entry(function* (s) {
              const u = s.utcb;
              u.setMsg(0, 1);
              u.setItem(0, memCrd(V, 1, 3), { kind: ItemKind.DELEGATE });
              const st = yield* s.delegate(PD, 0x100, memCrd(0x2000, 1, 3));
              u.setWords([st]);
              yield* s.reply();
            }),
          ),
          'map portal',
        );
        // ... and resolves B's page faults the same way.
        ok(
          yield* sys.createPt(
            0x42,
            PD,
            0x40,
            Mtd.QUAL,
            sys.entry(function* (s) {
              stats.faults++;
              const u = s.utcb;
              u.setMsg(0, 1);
              u.setItem(0, memCrd(V, 1, 3), { kind: ItemKind.DELEGATE });
              yield* s.delegate(PD, 0x100, memCrd(0x2000, 1, 3));
              u.setMsg(0, 0);
              u.mtd = 0;
              yield* s.reply();
            }),
          ),
          'pf portal',
        );
        ok(yield* delegateObj(sys, PD, 0x100, 0x41, 0x41), 'map portal into B');
        ok(yield* delegateObj(sys, PD, 0x100, 0x42, 0x1000 + Event.PF), 'pf portal into B');
        yield* spawn(sys, {
          pd: 0x100,
          sel: 0x200,
          evt: 0x1000,
          cpu: 1,
          code: function* (s) {
            while (!stop) {
              const st = yield* s.call(0x41);
              stats.calls++;
              if (st !== Status.SUCCESS || s.utcb.mr(0) !== Status.SUCCESS) stats.failures++;
              // Host code says when it computes; revokes on CPU 0 land in between.
              yield* s.spin(3);
              const a = yield* s.read32(0x2000 * PAGE_SIZE);
              const b = yield* s.read32(0x2001 * PAGE_SIZE);
              stats.reads += 2;
              if (a !== 0x1111 || b !== 0x2222) stats.bad++;
            }
          },
        });
        for (let i = 0; i < 2000; i++) {
          ok(yield* sys.revoke(memCrd(V, 1, 7), { self: false }), 'revoke');
          stats.revokes++;
          yield* sys.spin(1);
        }
        stop = true;
      },
      { cpus: 2 },
    );
    const r = k.run({ maxSteps: 2_000_000 });
    expect(r.reason).toBe('quiescent');
    expect(stats.revokes).toBe(2000);
    expect(stats.failures).toBe(0);
    expect(stats.bad).toBe(0);
    expect(stats.calls).toBeGreaterThan(100);
    expect(stats.faults).toBeGreaterThan(0);
  });

  it('S28 quota (test_server_oom, Greedy): 20,000 replies delegating new caps and 327,680 single-page mappings succeed with quota upgrades; no leak', () => {
    const r = {
      caps: 0,
      upgrades: 0,
      mappings: 0,
      mapUpgrades: 0,
      usageBefore: -1,
      usageAfter: -1,
      mapsBefore: -1,
      mapsAfter: -1,
    };
    const CAPS = 20_000;
    const PAGES = 327_680;
    const k = boot(
      function* (sys) {
        // Client PD C with a small quota; a server (local EC in the root) hands out new SMs.
        ok(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 8 }), 'C');
        ok(yield* delegateObj(sys, PD, 0x100, 0x100, 0x20), 'C self');
        ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr() }), 'server');
        let next = 0x10000;
        ok(
          yield* sys.createPt(
            0x41,
            PD,
            0x40,
            0,
            sys.entry(function* (s) {
              const u = s.utcb;
              if (u.mr(0) === 1) {
                // Quota upgrade request (what core does for an OOM'ing client).
                ok(yield* s.quotaTransfer(PD, 0x100, 16), 'upgrade');
                r.upgrades++;
                u.setMsg(0, 0);
              } else {
                ok(yield* s.createSm(next, PD, 0), 'new sm');
                u.setMsg(0, 1);
                u.setItem(0, objCrd(next, 0, 0x3), { kind: ItemKind.DELEGATE });
                next++;
              }
              yield* s.reply();
            }),
          ),
          'server portal',
        );
        ok(yield* delegateObj(sys, PD, 0x100, 0x41, 0x41), 'portal into C');
        yield* spawn(sys, {
          pd: 0x100,
          sel: 0x200,
          evt: 0x1000,
          code: function* (s) {
            r.usageBefore = (yield* s.quotaQuery(0x20)).usage;
            let sel = 0x10000;
            while (r.caps < CAPS) {
              s.utcb.del = objCrd(sel, 0);
              s.utcb.setWords([0]);
              ok(yield* s.call(0x41), 'request');
              const got = s.utcb.t === 1 && (yield* s.lookup(objCrd(sel, 0))).type === CrdType.OBJ;
              if (got) {
                r.caps++;
                sel++;
              } else {
                s.utcb.setWords([1]);
                ok(yield* s.call(0x41), 'upgrade');
              }
            }
            ok(yield* s.revoke(objCrd(0x10000, 15)), 'drop caps');
            r.usageAfter = (yield* s.quotaQuery(0x20)).usage;
          },
        });
        // Greedy: single-page H mappings into M, 254 items per misc delegate; upgrade on QUO_OOM.
        ok(yield* sys.createPd(0x300, PD, NULL_CRD, { upper: 8 }), 'M');
        r.mapsBefore = (yield* sys.quotaQuery(0x300)).usage;
        const u = sys.utcb;
        let done = 0;
        while (done < PAGES) {
          const n = Math.min(254, PAGES - done);
          for (let i = 0; i < n; i++)
            u.setItem(i, memCrd(0x7000, 0, 3), { kind: ItemKind.DELEGATE, h: true, hotspot: done + i });
          u.setMsg(0, n);
          const st = yield* sys.delegate(PD, 0x300, memCrd(0, 19, 3));
          if (st === Status.QUO_OOM) {
            ok(yield* sys.quotaTransfer(PD, 0x300, 256), 'map upgrade');
            r.mapUpgrades++;
            continue; // already mapped items are skipped (occupied) when repeated
          }
          ok(st, 'delegate');
          done += n;
        }
        u.setMsg(0, 0);
        const m = sys.kernel.objCap(sys.kernel.root, 0x300)!.obj as Pd;
        r.mappings = m.mem.size;
        ok(yield* sys.revoke(memCrd(0, 19, 7), { remote: 0x300 }), 'unmap all');
        r.mapsAfter = (yield* sys.quotaQuery(0x300)).usage;
      },
      { memory: 512 * 1024 * 1024, kernelMemory: 64 * 1024 * 1024 },
    );
    const t0 = performance.now();
    const res = k.run({ maxSteps: 5_000_000 });
    expect(res.reason).toBe('quiescent');
    expect(r.caps).toBe(CAPS);
    expect(r.upgrades).toBeGreaterThan(0);
    expect(r.usageAfter).toBe(r.usageBefore);
    expect(r.mappings).toBe(PAGES);
    expect(r.mapUpgrades).toBeGreaterThan(0);
    expect(r.mapsAfter).toBe(r.mapsBefore);
    console.log('S28 ms', performance.now() - t0);
  }, 120_000);
});

/** Delegate root page V to page R of PD 0x100 (misc delegate, rwx). */
function* delegateItemMem(sys: Sys, v: number, r: number): Blocking<number> {
  const u = sys.utcb;
  u.setMsg(0, 1);
  u.setItem(0, memCrd(v, 0, 7), { kind: ItemKind.DELEGATE });
  const s = yield* sys.delegate(PD, 0x100, memCrd(r, 0, 7));
  u.setMsg(0, 0);
  return s;
}

/** H + WC mapping of physical page `phys` at root page `virt`. */
function* delegateItem2(sys: Sys, phys: number, virt: number, wc: boolean): Blocking<number> {
  const u = sys.utcb;
  u.setMsg(0, 1);
  u.setItem(0, memCrd(phys, 0, 7), { kind: ItemKind.DELEGATE, h: true, wc });
  const s = yield* sys.delegate(PD, PD, memCrd(virt, 0, 7));
  u.setMsg(0, 0);
  return s;
}
