/**
 * Benchmarks of the kernel model (host wall-clock speed, not virtual time):
 *
 *   cd packages/kernel-nova && npx vitest bench --run --dir bench
 *
 * Each iteration boots a small machine and performs a fixed batch; the figure per second is
 * `hz × batch` (the batch is in each name).
 */
import { SvmExit } from '@genode-ts/x86-core';
import { bench, describe } from 'vitest';
import { Event, PAGE_SIZE } from '../src/constants.js';
import { memCrd, NULL_CRD } from '../src/crd.js';
import { NovaKernel } from '../src/kernel.js';
import { Mtd } from '../src/mtd.js';
import { ScriptedEngine, type Step } from '../src/scenarios/scripted-engine.js';
import { Status } from '../src/status.js';
import type { Sys } from '../src/sys.js';
import { ItemKind } from '../src/typed-item.js';

const PD = 32;
const SMALL = { memory: 16 * 1024 * 1024, kernelMemory: 8 * 1024 * 1024 };

function must(s: number, what: string): void {
  if (s !== Status.SUCCESS) throw new Error(`${what}: ${s}`);
}

/** Root: a child PD B, a local EC in B with a portal, a global EC in the root calling it. */
function ipc(n: number): number {
  let done = 0;
  NovaKernel.boot({
    ...SMALL,
    root: function* (sys: Sys) {
      must(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 64 }), 'pd');
      must(yield* sys.createEc(0x40, 0x100, { utcb: 0x10000 }), 'server');
      must(
        yield* sys.createPt(0x41, PD, 0x40, 0, function* (s: Sys) {
          s.utcb.setWords([s.utcb.mr(0) + 1]);
          yield* s.reply();
        }),
        'portal',
      );
      const u = sys.utcb;
      for (let i = 0; i < n; i++) {
        u.setWords([i]);
        yield* sys.call(0x41);
        if (u.mr(0) === i + 1) done++;
      }
    },
  }).run();
  if (done !== n) throw new Error(`ipc: ${done}/${n}`);
  return done;
}

/** An EC in B touches `n` fresh pages; the pager portal maps each with a reply item. */
function pageFaults(n: number): number {
  let faults = 0;
  NovaKernel.boot({
    ...SMALL,
    root: function* (sys: Sys) {
      must(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 512 }), 'pd');
      // The pager's own memory: n pages from the kernel space (H), order 14 at 0x100000.
      const u = sys.utcb;
      u.setMsg(0, 1);
      u.setItem(0, memCrd(0x400, 11, 3), { kind: ItemKind.DELEGATE, h: true });
      must(yield* sys.delegate(PD, PD, memCrd(0x100000, 11, 3)), 'pager memory');
      u.setMsg(0, 0);
      must(yield* sys.createEc(0x40, PD, { utcb: 0x20000 }), 'pager');
      must(
        yield* sys.createPt(0x41, PD, 0x40, Mtd.QUAL, function* (s: Sys) {
          const page = Math.floor(s.utcb.qual1 / PAGE_SIZE);
          s.utcb.mtd = 0;
          s.utcb.setMsg(0, 1);
          s.utcb.setItem(0, memCrd(0x100000 + (page % 2048), 0, 3), {
            kind: ItemKind.DELEGATE,
            hotspot: page,
          });
          faults++;
          yield* s.reply();
        }),
        'pf portal',
      );
      u.setMsg(0, 1);
      u.setItem(0, { type: 3, base: 0x41, order: 0, perms: 0x1f }, { kind: ItemKind.DELEGATE });
      must(
        yield* sys.delegate(PD, 0x100, { type: 3, base: 0x1000 + Event.PF, order: 0, perms: 0x1f }),
        'pf into B',
      );
      u.setItem(0, { type: 3, base: 0x42, order: 0, perms: 0x1f }, { kind: ItemKind.DELEGATE });
      must(yield* sys.createEc(0x43, PD, { utcb: 0x21000 }), 'startup');
      must(
        yield* sys.createPt(0x42, PD, 0x43, 0, function* (s: Sys) {
          s.utcb.mtd = Mtd.EIP;
          s.utcb.rip = s.regs.rdi;
          yield* s.reply();
        }),
        'startup portal',
      );
      const touch = sys.entry(function* (s: Sys) {
        for (let i = 0; i < n; i++) yield* s.read32(0x4000_0000 + i * PAGE_SIZE);
      });
      must(yield* sys.ptCtrl(0x42, touch), 'pid');
      must(
        yield* sys.delegate(PD, 0x100, { type: 3, base: 0x1000 + Event.STARTUP, order: 0, perms: 0x1f }),
        'startup into B',
      );
      u.setMsg(0, 0);
      must(yield* sys.createEc(0x50, 0x100, { utcb: 0x30000, global: true, evt: 0x1000 }), 'toucher');
      must(yield* sys.createSc(0x51, PD, 0x50, { prio: 5, quantum: 10_000 }), 'sc');
    },
  }).run();
  if (faults !== n) throw new Error(`faults: ${faults}/${n}`);
  return faults;
}

/** Delegate `n` single pages (254 items per misc delegate) into B, then revoke them all. */
function delegateRevoke(n: number): number {
  let mapped = 0;
  NovaKernel.boot({
    memory: 64 * 1024 * 1024,
    kernelMemory: 32 * 1024 * 1024,
    root: function* (sys: Sys) {
      must(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 4000 }), 'pd');
      const u = sys.utcb;
      for (let done = 0; done < n; ) {
        const k = Math.min(254, n - done);
        for (let i = 0; i < k; i++)
          u.setItem(i, memCrd(0x100, 0, 3), { kind: ItemKind.DELEGATE, h: true, hotspot: done + i });
        u.setMsg(0, k);
        must(yield* sys.delegate(PD, 0x100, memCrd(0, 17, 3)), 'delegate');
        done += k;
      }
      u.setMsg(0, 0);
      mapped = (sys.kernel.objCap(sys.kernel.root, 0x100)!.obj as import('../src/pd.js').Pd).mem.size;
      must(yield* sys.revoke(memCrd(0, 17, 7), { remote: 0x100 }), 'revoke');
    },
  }).run();
  if (mapped !== n) throw new Error(`mapped ${mapped}/${n}`);
  return mapped;
}

/** A vCPU exits on HLT `n` times; the handler skips the instruction (scripted engine, no guest code). */
function vcpuHltLoop(n: number): number {
  let exits = 0;
  const script: Step[] = [];
  for (let i = 0; i < n; i++) script.push({ kind: 'exit', reason: SvmExit.HLT, instLen: 1 });
  NovaKernel.boot({
    ...SMALL,
    vcpuEngine: new ScriptedEngine([script]),
    root: function* (sys: Sys) {
      must(yield* sys.createPd(0x100, PD, NULL_CRD, { upper: 64 }), 'guest');
      must(yield* sys.createEc(0x40, PD, { utcb: 0x20000 }), 'handler');
      const ip = sys.entry(function* (s: Sys) {
        if (s.regs.rdi === SvmExit.HLT) {
          exits++;
          s.utcb.rip = s.utcb.rip + s.utcb.get('instLen');
          s.utcb.mtd = Mtd.EIP;
        } else s.utcb.mtd = 0;
        yield* s.reply();
      });
      const u = sys.utcb;
      for (const r of [SvmExit.STARTUP, SvmExit.HLT]) {
        must(yield* sys.createPt(0x200 + r, PD, 0x40, Mtd.EIP, ip), 'exit portal');
        must(yield* sys.ptCtrl(0x200 + r, r), 'pid');
        u.setMsg(0, 1);
        u.setItem(0, { type: 3, base: 0x200 + r, order: 0, perms: 0x1f }, { kind: ItemKind.DELEGATE });
        must(
          yield* sys.delegate(PD, 0x100, { type: 3, base: r, order: 0, perms: 0x1f }),
          'portal into guest',
        );
        u.setMsg(0, 0);
      }
      must(yield* sys.createEc(0x50, 0x100, { utcb: 0, evt: 0 }), 'vcpu');
      must(yield* sys.createSc(0x51, PD, 0x50, { prio: 5, quantum: 10_000 }), 'sc');
    },
  }).run({ until: () => exits === n });
  if (exits !== n) throw new Error(`exits ${exits}/${n}`);
  return exits;
}

describe('kernel-nova model speed', () => {
  bench(
    'IPC call+reply between two PDs (batch 20,000)',
    () => {
      ipc(20_000);
    },
    { iterations: 10, warmupIterations: 2, time: 0, warmupTime: 0 },
  );
  bench(
    'page faults resolved through a pager portal (batch 2,000)',
    () => {
      pageFaults(2_000);
    },
    { iterations: 10, warmupIterations: 2, time: 0, warmupTime: 0 },
  );
  bench(
    'delegate + revoke of 100,000 single pages (batch 100,000)',
    () => {
      delegateRevoke(100_000);
    },
    { iterations: 5, warmupIterations: 1, time: 0, warmupTime: 0 },
  );
  bench(
    'vCPU HLT exit + resume, scripted engine (batch 20,000)',
    () => {
      vcpuHltLoop(20_000);
    },
    { iterations: 10, warmupIterations: 2, time: 0, warmupTime: 0 },
  );
});
