/**
 * Model-based fuzzing of the hypercall interface (fast-check): random sequences of hypercalls
 * with random selectors, CRDs, QPDs, UTCB contents and typed items, issued by ECs in four PDs.
 * After every hypercall: the status is architected, no JavaScript exception escaped, and
 * `checkInvariants` finds nothing (capabilities = MDB nodes, rights never exceed the parent's,
 * only delegated access to other PDs' objects, no kernel memory reachable, derived page
 * tables = what the MDB implies, quota conserved, scheduler and call links consistent); after
 * a revoke nothing revoked stays reachable.
 *
 * Fixed seed in the default suite; GENODE_TS_LONG=1 runs many more sequences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUM_CPU, PAGE_SIZE } from '../constants.js';
import { type Crd, CrdType, decodeCrd, encodeCrd, memCrd, objCrd } from '../crd.js';
import type { Ec } from '../ec.js';
import { checkInvariants } from '../invariants.js';
import { NovaKernel } from '../kernel.js';
import type { Blocking } from '../kernel-entry.js';
import type { Pd } from '../pd.js';
import type { Sys } from '../sys.js';
import { ItemKind } from '../typed-item.js';
import { delegateObj, mapPhys, ok, PD, spawn } from './harness.js';

const LONG = process.env.GENODE_TS_LONG === '1';
const SEED = Number(process.env.GENODE_TS_SEED ?? 0x4e4f5641);
const CHILDREN = [0x100, 0x101, 0x102];
const WAKE = 0x30; // each fuzz EC's GSI semaphore (its doorbell)

type Op =
  | 'call'
  | 'reply'
  | 'createPd'
  | 'createEc'
  | 'createSc'
  | 'createPt'
  | 'createSm'
  | 'revoke'
  | 'lookup'
  | 'delegate'
  | 'recall'
  | 'yield'
  | 'donate'
  | 'reschedule'
  | 'ecTime'
  | 'getVcpu'
  | 'setVcpu'
  | 'scCtrl'
  | 'ptCtrl'
  | 'smUp'
  | 'smDown'
  | 'assignPci'
  | 'assignGsi'
  | 'quota'
  | 'raw'
  | 'memory'
  | 'spin';

interface Item {
  readonly crd: Crd;
  readonly flags: number;
}

interface Cmd {
  readonly who: number;
  readonly op: Op;
  readonly sels: readonly number[];
  readonly crd: Crd;
  readonly window: Crd;
  readonly items: readonly Item[];
  readonly words: readonly number[];
  readonly flags: number;
  readonly nums: readonly number[];
}

const selArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      0,
      1,
      2,
      3,
      0x20,
      0x21,
      WAKE,
      32,
      33,
      34,
      35,
      36,
      0x101e,
      0x100e,
      0x100,
      0x101,
      0x102,
    ),
  },
  { weight: 6, arbitrary: fc.integer({ min: 0x40, max: 0x4f }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(NUM_CPU, NUM_CPU + 1, 2 ** 26 + 0x40, 2 ** 26 - 1) },
);

const crdArb: fc.Arbitrary<Crd> = fc
  .record({
    type: fc.constantFrom(0, 1, 2, 3, 3, 1),
    base: fc.oneof(
      fc.integer({ min: 0x100, max: 0x140 }),
      fc.integer({ min: 0x40, max: 0x4f }),
      fc.integer({ min: 0, max: 0x400 }),
      fc.integer({ min: 0, max: 2 ** 36 }),
    ),
    order: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 31 }) },
    ),
    perms: fc.oneof(fc.constant(0x1f), fc.integer({ min: 0, max: 0x1f })),
  })
  .map((c) => ({ ...c, type: c.type as 0 | 1 | 2 | 3 }));

const itemArb: fc.Arbitrary<Item> = fc.record({
  crd: crdArb,
  flags: fc
    .record({
      kind: fc.integer({ min: 0, max: 3 }),
      bits: fc.constantFrom(0, 0, 0x100, 0x200, 0x400, 0x800, 0xa00, 0xe00),
      hot: fc.oneof(fc.integer({ min: 0, max: 0x400 }), fc.integer({ min: 0, max: 2 ** 36 })),
    })
    .map((f) => f.hot * 4096 + f.bits + f.kind),
});

const wordArb = fc.oneof(
  fc.integer({ min: 0, max: 0x1000 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(-1, 2 ** 53, 2 ** 64 - 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY),
);

const cmdArb: fc.Arbitrary<Cmd> = fc.record({
  who: fc.integer({ min: 0, max: 3 }),
  op: fc.constantFrom<Op>(
    'call',
    'call',
    'call',
    'reply',
    'createPd',
    'createEc',
    'createEc',
    'createSc',
    'createPt',
    'createPt',
    'createSm',
    'createSm',
    'revoke',
    'revoke',
    'revoke',
    'lookup',
    'delegate',
    'delegate',
    'delegate',
    'recall',
    'yield',
    'donate',
    'reschedule',
    'ecTime',
    'getVcpu',
    'setVcpu',
    'scCtrl',
    'ptCtrl',
    'smUp',
    'smDown',
    'assignPci',
    'assignGsi',
    'quota',
    'raw',
    'raw',
    'memory',
    'spin',
  ),
  sels: fc.tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0x40, max: 0x4f }) },
      { weight: 1, arbitrary: selArb },
    ),
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(32, 0x20) }, { weight: 1, arbitrary: selArb }),
    fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0x40, max: 0x4f }) },
      { weight: 1, arbitrary: selArb },
    ),
    selArb,
  ),
  crd: crdArb,
  window: crdArb,
  items: fc.array(itemArb, { maxLength: 4 }),
  words: fc.array(wordArb, { maxLength: 5 }),
  flags: fc.integer({ min: 0, max: 15 }),
  nums: fc.array(wordArb, { minLength: 5, maxLength: 5 }),
});

/** Where a fuzz EC reports back. */
interface Slot {
  cmd: Cmd | null;
  done: boolean;
  status: number;
  sys: Sys | null;
}

const STATUS_MAX = 9;

/** Figures of the fuzz run (printed at the end, for the report). */
export const fuzzStats = {
  sequences: 0,
  commands: 0,
  stuck: 0,
  invariantChecks: 0,
  byStatus: new Map<number, number>(),
};

/** Run one command in the fuzz EC's context and return its status (or -1 for non-hypercalls). */
function* exec(s: Sys, c: Cmd, replyIp: number): Blocking<number> {
  const u = s.utcb;
  const [a = 0, b = 0, c2 = 0, d = 0] = c.sels;
  u.setWords(c.words.map((w) => (Number.isSafeInteger(w) && w >= 0 ? w : 0)).slice(0, 5), 0);
  c.items.forEach((it, i) => {
    u.setItemWords(i, encodeCrd(it.crd), it.flags);
  });
  u.t = c.items.length;
  u.xlt = c.window;
  u.del = c.crd.type === 0 ? c.window : c.crd;
  const n = c.nums;
  switch (c.op) {
    case 'call':
      return yield* s.call(a, { dontBlock: (c.flags & 1) === 1 });
    case 'reply':
      // A fuzz EC is global: its reply blocks it for ever (it drops out).
      if ((c.flags & 3) === 0) yield* s.reply(a);
      return -1;
    case 'createPd':
      return yield* s.createPd(a, b, c.crd, { lower: c.flags, upper: (n[0] ?? 0) % 64 });
    case 'createEc':
      return yield* s.createEc(a, b, {
        cpu: c.flags % 3,
        utcb: (c.flags & 4) !== 0 ? 0 : (0x700 + (Math.abs(Math.trunc(n[0] ?? 0)) % 64)) * PAGE_SIZE,
        sp: 0x1000,
        evt: (c.flags & 8) !== 0 ? 0x1000 : d,
        global: (c.flags & 1) === 1,
      });
    case 'createSc':
      return yield* s.createSc(a, b, c2, {
        prio: (c.flags * 17) % 130,
        quantum: (c.flags & 1) * 100 + (c.flags & 2),
      });
    case 'createPt':
      return yield* s.createPt(
        a,
        b,
        c2,
        c.flags * 0x1111,
        (c.flags & 1) === 1 ? replyIp : Math.abs(Math.trunc(n[0] ?? 0)),
      );
    case 'createSm':
      return yield* s.createSm(a, b, c.flags, (c.flags & 1) === 1 ? c2 : 0);
    case 'revoke':
      return yield* s.revoke(c.crd, {
        self: (c.flags & 1) === 1,
        keep: (c.flags & 4) === 4,
        ...((c.flags & 2) === 2 ? { remote: b } : {}),
        ...((c.flags & 8) === 8 ? { notifySm: c2 } : {}),
      });
    case 'lookup': {
      const r = yield* s.hypercall(8, encodeCrd(c.crd));
      return r.rdi % 256;
    }
    case 'delegate':
      return yield* s.delegate(a, b, c.window);
    case 'recall':
      return yield* s.recall(a, (c.flags & 1) === 1);
    case 'yield':
      return yield* s.yieldSc();
    case 'donate':
      return yield* s.donateSc(a, 0);
    case 'reschedule':
      return yield* s.reschedule();
    case 'ecTime':
      return (yield* s.ecTime(a)).status;
    case 'getVcpu':
      return yield* s.getVcpuState(a, c.flags * 0x1357);
    case 'setVcpu':
      return yield* s.setVcpuState(a, (c.flags & 1) === 1);
    case 'scCtrl':
      return (yield* s.scCtrl(a, c.flags & 3, b)).status;
    case 'ptCtrl':
      return yield* s.ptCtrl(a, c.flags);
    case 'smUp':
      return yield* s.smUp(a);
    case 'smDown':
      return (yield* s.smDown(a, { zc: (c.flags & 1) === 1, timeout: s.now() + 1 + c.flags })).status;
    case 'assignPci':
      return yield* s.assignPci(a, b, c2);
    case 'assignGsi':
      return (yield* s.assignGsi(a, {
        cpu: c.flags % 3,
        dev: (c.flags & 4) !== 0 ? 0x1000 : 0,
        ...((c.flags & 8) === 8 ? { signal: b } : {}),
      })).status;
    case 'quota':
      return (c.flags & 1) === 1 ? (yield* s.quotaQuery(a)).status : yield* s.quotaTransfer(a, b, c.flags);
    case 'raw': {
      const r = yield* s.hypercall(
        (n[0] ?? 0) === Number.POSITIVE_INFINITY ? a * 256 + c.flags : (n[0] ?? 0),
        n[1] ?? 0,
        n[2] ?? 0,
        n[3] ?? 0,
        n[4] ?? 0,
      );
      return Number.isFinite(r.rdi) ? r.rdi % 256 : -2;
    }
    case 'memory': {
      const addr = (0x100 + (c.flags % 0x20)) * PAGE_SIZE + 8;
      if (c.flags & 1) yield* s.write32(addr, c.flags);
      else yield* s.read32(addr);
      return -1;
    }
    case 'spin':
      yield* s.spin(c.flags);
      return -1;
  }
}

/** Boot the fuzz machine: the root and three child PDs, each with a fuzz EC woken by a GSI. */
function setup(): { k: NovaKernel; slots: Slot[] } {
  const slots: Slot[] = [0, 1, 2, 3].map(() => ({ cmd: null, done: false, status: 0, sys: null }));
  let replyIp = 0;
  const loop = (i: number) =>
    function* (s: Sys): Blocking<void> {
      const slot = slots[i]!;
      if (slot.sys !== null && slot.sys !== s) return; // code reached through a random portal
      slot.sys = s;
      for (;;) {
        const w = yield* s.smDown(WAKE);
        if (w.status !== 0) return;
        const c = slot.cmd;
        if (c === null) continue;
        slot.status = yield* exec(s, c, replyIp);
        slot.done = true;
      }
    };
  const k = NovaKernel.boot({
    cpus: 2,
    memory: 16 * 1024 * 1024,
    kernelMemory: 4 * 1024 * 1024,
    root: function* (sys) {
      replyIp = sys.entry(function* (s) {
        yield* s.spin(1);
        yield* s.reply();
      });
      ok(yield* mapPhys(sys, PD, 0x100, 0x100, 4), 'root memory');
      // Root's doorbell: GSI 0's kernel semaphore, by H delegation.
      ok(yield* hObj(sys, PD, NUM_CPU + 0, WAKE), 'gsi 0');
      for (const [i, pd] of CHILDREN.entries()) {
        ok(yield* sys.createPd(pd, PD, undefined, { upper: 48 }), 'child');
        ok(yield* delegateObj(sys, PD, pd, pd, 0x20), 'child self');
        ok(yield* hObj(sys, pd, NUM_CPU + 1 + i, WAKE), 'gsi');
        ok(yield* mapPhys(sys, pd, 0x110 + 4 * i, 0x100, 2), 'child memory');
        yield* spawn(sys, { pd, sel: 0x200 + 4 * i, evt: 0x1000, code: loop(1 + i), prio: 1 + i });
      }
      yield* loop(0)(sys);
    },
  });
  k.run({ maxSteps: 100_000 });
  return { k, slots };
}

function* hObj(sys: Sys, dst: number, kernelSel: number, sel: number): Blocking<number> {
  const u = sys.utcb;
  u.setMsg(0, 1);
  u.setItem(0, objCrd(kernelSel, 0), { kind: ItemKind.DELEGATE, h: true });
  const s = yield* sys.delegate(PD, dst, objCrd(sel, 0));
  u.setMsg(0, 0);
  return s;
}

/** After a revoke by `pd` of `crd`: nothing revoked stays reachable. */
function revokedUnreachable(pd: Pd, crd: Crd, self: boolean, keep: boolean): string[] {
  const out: string[] = [];
  const space = pd.space(crd.type);
  if (space === undefined || (crd.perms & 0x1f) === 0 || keep) return out;
  const base = crd.type === CrdType.OBJ ? (crd.order >= 26 ? 0 : crd.base % 2 ** 26) : crd.base;
  const order = crd.type === CrdType.OBJ ? Math.min(crd.order, 26) : crd.order;
  for (const n of space.inRange(base, order)) {
    if (n.utcb) continue;
    if (self && (n.perms & crd.perms) !== 0)
      out.push(`revoked node @${n.base.toString(16)} still has perms ${n.perms}`);
    const check = (c: import('../mdb.js').MdbNode): void => {
      if ((c.perms & crd.perms) !== 0 && (self || c.parent !== n || true)) {
        // Only descendants inside the revoked part must have lost the rights.
        const inside = c.obj !== null || (c.phys < n.phys + 2 ** n.order && c.phys + 2 ** c.order > n.phys);
        if (inside && (self || n.base >= base))
          out.push(`descendant in ${c.pd.label} @${c.base.toString(16)} keeps perms ${c.perms}`);
      }
      for (const g of c.children ?? []) check(g);
    };
    if (n.base >= base && n.base + 2 ** n.order <= base + 2 ** order)
      for (const c of n.children ?? []) check(c);
  }
  return out;
}

function runSequence(cmds: readonly Cmd[]): void {
  const { k, slots } = setup();
  expect(checkInvariants(k)).toEqual([]);
  fuzzStats.sequences++;
  const stuck = new Set<number>();
  for (const c of cmds) {
    if (stuck.has(c.who)) continue;
    const slot = slots[c.who]!;
    slot.cmd = c;
    slot.done = false;
    const ec = slot.sys === null ? null : ([...k.ecs].find((e) => e.sys === slot.sys) ?? null);
    k.triggerGsi(c.who);
    const r = k.run({ until: () => slot.done, maxSteps: 20_000, maxTime: k.now + k.usToTicks(200) });
    const problems = checkInvariants(k);
    fuzzStats.invariantChecks++;
    if (problems.length > 0) throw new Error(`after ${c.op} by ${c.who}: ${problems.slice(0, 5).join('; ')}`);
    if (r.reason !== 'until') {
      stuck.add(c.who);
      fuzzStats.stuck++;
      continue;
    }
    fuzzStats.commands++;
    fuzzStats.byStatus.set(slot.status, (fuzzStats.byStatus.get(slot.status) ?? 0) + 1);
    if (
      slot.status !== -1 &&
      (slot.status < 0 || slot.status > STATUS_MAX || !Number.isInteger(slot.status))
    ) {
      throw new Error(`${c.op} returned non-architected status ${slot.status}`);
    }
    if (c.op === 'revoke' && slot.status === 0 && ec !== null && (c.flags & 2) === 0) {
      const bad = revokedUnreachable(ec.pd, c.crd, (c.flags & 1) === 1, (c.flags & 4) === 4);
      if (bad.length > 0) throw new Error(`revoke ${JSON.stringify(c.crd)}: ${bad.join('; ')}`);
    }
  }
}

describe('model-based fuzzing of the hypercall interface', () => {
  it('random hypercall sequences from four PDs keep every invariant (fixed seed)', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { minLength: 20, maxLength: 80 }), (cmds) => {
        runSequence(cmds);
      }),
      { seed: SEED, numRuns: LONG ? 2000 : 40, endOnFailure: true },
    );
    const st = [...fuzzStats.byStatus]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}:${n}`)
      .join(' ');
    console.log(
      `fuzz: ${fuzzStats.sequences} sequences, ${fuzzStats.commands} hypercalls completed, ${fuzzStats.stuck} ECs dropped out, ${fuzzStats.invariantChecks} invariant checks; statuses ${st}`,
    );
  }, 600_000);

  it('the fuzz machine reaches a meaningful state (calls and delegations succeed)', () => {
    // Guard against a fuzzer that only ever produces BAD_CAP: run a fixed sequence.
    const { k, slots } = setup();
    const statuses: number[] = [];
    const base: Cmd = {
      who: 0,
      op: 'createSm',
      sels: [0x40, 32, 0, 0],
      crd: memCrd(0x100, 0, 7),
      window: objCrd(0x41, 0),
      items: [],
      words: [],
      flags: 0,
      nums: [0, 0, 0, 0, 0],
    };
    const seq: Cmd[] = [
      base,
      {
        ...base,
        op: 'delegate',
        sels: [32, 0x100, 0, 0],
        items: [{ crd: objCrd(0x40, 0, 0x3), flags: 1 }],
        window: objCrd(0x40, 0),
      },
      { ...base, who: 1, op: 'smUp', sels: [0x40, 0, 0, 0] },
      { ...base, op: 'revoke', crd: objCrd(0x40, 0, 0x1f), flags: 0 },
      { ...base, who: 1, op: 'smUp', sels: [0x40, 0, 0, 0] },
    ];
    for (const c of seq) {
      const slot = slots[c.who]!;
      slot.cmd = c;
      slot.done = false;
      k.triggerGsi(c.who);
      k.run({ until: () => slot.done, maxSteps: 20_000 });
      statuses.push(slot.status);
    }
    expect(statuses).toEqual([0, 0, 0, 0, 4]);
    expect(checkInvariants(k)).toEqual([]);
    const child = k.objCap(k.root, 0x100)!.obj as Pd;
    expect(child.obj.at(0x40)).toBeUndefined();
    expect(decodeCrd(0)).toEqual({ type: 0, base: 0, order: 0, perms: 0 });
    void ([] as Ec[]);
  });
});
