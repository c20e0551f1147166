import { afterEach, describe, expect, it } from 'vitest';
import { Event, PAGE_SIZE, PfErr } from './constants.js';
import { memCrd } from './crd.js';
import type { Blocking } from './kernel-entry.js';
import { Mtd } from './mtd.js';
import {
  boot,
  childPd,
  delegateObj,
  mapPhys,
  ok,
  PD,
  spawn,
  utcbAddr,
  violations,
} from './scenarios/harness.js';
import type { Sys } from './sys.js';
import { ItemKind } from './typed-item.js';

const CHILD = 0x100;
const EVT = 0x1000;
const PAGE = 0x1234;

/** A pager in the root for the child's EC at EVT: records (qual0, qual1, rip), maps on request. */
function* pager(sys: Sys, seen: number[][], map: (n: number) => number | null): Blocking<void> {
  ok(yield* sys.createEc(0x40, PD, { utcb: utcbAddr(), sp: 0x3000 }), 'pager EC');
  ok(
    yield* sys.createPt(0x41, PD, 0x40, Mtd.QUAL | Mtd.EIP, function* (s) {
      const u = s.utcb;
      seen.push([u.qual0, u.qual1, u.rip]);
      const perms = map(seen.length);
      // more rights than the mapping in place: revoke it first (delegation skips occupied slots)
      if (perms !== null && perms !== 1) ok(yield* s.revoke(memCrd(PAGE, 0, 7), { remote: CHILD }), 'revoke');
      u.mtd = 0;
      if (perms === null) u.setMsg(0, 0);
      else {
        u.setMsg(0, 1);
        u.setItem(0, memCrd(0x900, 0, perms), { kind: ItemKind.DELEGATE, hotspot: PAGE });
      }
      yield* s.reply();
    }),
    'pager portal',
  );
  ok(yield* delegateObj(sys, PD, CHILD, 0x41, EVT + Event.PF), 'pager portal into the child');
}

describe('Sys.touch: an access without data, as the MMU sees it', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('faults until the host page table permits the access; error codes per x86 (P, W, U, I)', () => {
    const seen: number[][] = [];
    const done: string[] = [];
    const addr = PAGE * PAGE_SIZE + 0x10;
    boot(function* (sys) {
      yield* childPd(sys, CHILD);
      ok(yield* mapPhys(sys, PD, 0x900, 0x900, 0), 'pager page');
      // 1st fault: nothing; 2nd: map read-only; the write then faults (P|W), 4th: map rw;
      // an exec faults twice more (P|I) until the 6th maps rwx
      yield* pager(sys, seen, (n) => (n === 2 ? 1 : n === 4 ? 3 : null));
      yield* spawn(sys, {
        pd: CHILD,
        sel: 0x200,
        evt: EVT,
        code: function* (s) {
          yield* s.touch(addr, 'read');
          done.push('read');
          yield* s.touch(addr, 'write', 0x7000);
          done.push('write');
        },
      });
    }).run();
    expect(done).toEqual(['read', 'write']);
    const U = PfErr.U;
    expect(seen.map((f) => [f[0], f[1]])).toEqual([
      [U, addr],
      [U, addr],
      [PfErr.P | PfErr.W | U, addr],
      [PfErr.P | PfErr.W | U, addr],
    ]);
    // the given IP is what the fault reports; the code continued afterwards
    expect(seen[2]![2]).toBe(0x7000);
  });

  it('an instruction fetch of an absent page faults with I (no P); of a present non-executable page with P|I', () => {
    const seen: number[][] = [];
    let fetched = false;
    const addr = PAGE * PAGE_SIZE;
    boot(function* (sys) {
      yield* childPd(sys, CHILD);
      ok(yield* mapPhys(sys, PD, 0x900, 0x900, 0), 'pager page');
      yield* pager(sys, seen, (n) => (n === 1 ? 1 : n === 2 ? 5 : null));
      yield* spawn(sys, {
        pd: CHILD,
        sel: 0x200,
        evt: EVT,
        code: function* (s) {
          yield* s.touch(addr, 'exec', addr);
          fetched = true;
        },
      });
    }).run();
    expect(fetched).toBe(true);
    expect(seen).toEqual([
      [PfErr.I | PfErr.U, addr, addr],
      [PfErr.P | PfErr.I | PfErr.U, addr, addr],
    ]);
  });

  it('addresses outside the user range fault with CR2 clamped to a number, never throw', () => {
    const seen: number[][] = [];
    let after = false;
    boot(function* (sys) {
      yield* childPd(sys, CHILD);
      ok(yield* mapPhys(sys, PD, 0x900, 0x900, 0), 'pager page');
      yield* pager(sys, seen, () => null);
      yield* spawn(sys, {
        pd: CHILD,
        sel: 0x200,
        evt: EVT,
        code: function* (s) {
          yield* s.touch(Number.NaN, 'read');
          after = true;
        },
      });
    }).run({ maxSteps: 200 });
    expect(after).toBe(false);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[0]!.slice(0, 2)).toEqual([PfErr.U, 0]);
  });
});
