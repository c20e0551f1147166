import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RootSel } from './constants.js';
import { HOST_PSTATE_MAX, HostMsr, HostMsrs } from './host-msr.js';
import { boot, PD } from './scenarios/harness.js';
import { Status, type StatusCode } from './status.js';
import { Utcb } from './utcb.js';

const W = 2 ** 29;

describe('[G] guarded host-MSR access (ec_ctrl op 8)', () => {
  it('answers reads in place, applies writes, and returns the bitmap of words that succeeded', () => {
    let st: StatusCode = -1 as StatusCode;
    let words: number[] = [];
    let items = 0n;
    let later: number[] = [];
    const k = boot(function* (sys) {
      yield* sys.spin(5); // the TSC moves: MPERF/APERF read it
      const u = sys.utcb;
      u.setWords([
        HostMsr.MPERF, // 0: read
        0x10, // 1: the TSC MSR is not on the list: refused
        HostMsr.PSTATE_CTRL + W, // 2+3: write P-state 1
        0x1,
        HostMsr.PSTATE_STATUS, // 4: read back
        HostMsr.PSTATE_LIMIT, // 5
        HostMsr.PSTATE_STATUS + W, // 6+7: status is read-only
        0x0,
      ]);
      st = yield* sys.msrAccess(RootSel.SM_MSR);
      words = u.words(8);
      items = u.view.getBigUint64(u.base, true);
      // APERF equals MPERF (the model never throttles); both advance with the virtual TSC
      yield* sys.spin(10);
      u.setWords([HostMsr.MPERF, HostMsr.APERF]);
      yield* sys.msrAccess(RootSel.SM_MSR);
      later = u.words(2);
    });
    k.run();
    expect(st).toBe(Status.SUCCESS);
    expect(items).toBe(0b0011_1101n); // 0, 2, 3, 4, 5
    expect(words[0]).toBeGreaterThanOrEqual(k.usToTicks(5));
    expect(later[1]).toBe(later[0]);
    expect(later[0]! - words[0]!).toBeGreaterThanOrEqual(k.usToTicks(10));
    expect(later[0]! - words[0]!).toBeLessThan(k.usToTicks(11));
    expect(words.slice(1)).toEqual([
      0x10,
      HostMsr.PSTATE_CTRL + W,
      0x1,
      1,
      HOST_PSTATE_MAX << 4,
      HostMsr.PSTATE_STATUS + W,
      0,
    ]);
    expect(k.hostMsrs[0]!.pstateCmd).toBe(1);
  });

  it('needs the MSR-access authority SM: BAD_CAP with any other selector, before touching the UTCB', () => {
    const seen: [StatusCode, number][] = [];
    const k = boot(function* (sys) {
      for (const sel of [RootSel.SM_MSR - 1, PD, 0x4000]) {
        sys.utcb.setWords([HostMsr.PSTATE_LIMIT]);
        seen.push([yield* sys.msrAccess(sel), sys.utcb.mr(0)]);
      }
    });
    k.run();
    expect(seen).toEqual([
      [Status.BAD_CAP, HostMsr.PSTATE_LIMIT],
      [Status.BAD_CAP, HostMsr.PSTATE_LIMIT],
      [Status.BAD_CAP, HostMsr.PSTATE_LIMIT],
    ]);
  });

  it('a trailing write index without its value is not served; at most 63 words are looked at', () => {
    const msrs = new HostMsrs();
    const view = new DataView(new ArrayBuffer(4096));
    const u = new Utcb(view, 0);
    u.setWords([HostMsr.PSTATE_LIMIT, HostMsr.PSTATE_CTRL + W]);
    msrs.userAccess(u, 0);
    expect(view.getBigUint64(0, true)).toBe(1n);
    expect(msrs.pstateCmd).toBe(0);
    u.setWords(Array.from({ length: 70 }, () => HostMsr.PSTATE_LIMIT));
    msrs.userAccess(u, 0);
    expect(view.getBigUint64(0, true)).toBe(2n ** 63n - 1n);
    expect(u.mr(63)).toBe(HostMsr.PSTATE_LIMIT);
    // a request beyond the highest P-state is kept in the control register, clamped in the status
    u.setWords([HostMsr.PSTATE_CTRL + W, 0x17, HostMsr.PSTATE_CTRL, HostMsr.PSTATE_STATUS]);
    msrs.userAccess(u, 0);
    expect([u.mr(2), u.mr(3)]).toEqual([7, HOST_PSTATE_MAX]);
  });

  it('random request words: never throws, answers only the listed MSRs, writes only P-state control', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...Object.values(HostMsr)), fc.nat()), { maxLength: 80 }),
        (ws) => {
          const msrs = new HostMsrs();
          const u = new Utcb(new DataView(new ArrayBuffer(4096)), 0);
          const req = ws.map((w, i) => (i % 3 === 1 ? w + W : w));
          u.setWords(req);
          msrs.userAccess(u, 1234);
          const bitmap = u.view.getBigUint64(0, true);
          const readable: number[] = Object.values(HostMsr);
          const max = Math.min(req.length, 63);
          // walk the requests as the kernel does: a bit only for a listed read, or for a P-state
          // control write together with its value word; refused words stay as they were
          for (let i = 0; i < max; i++) {
            const bit = (bitmap >> BigInt(i)) & 1n;
            if (Math.floor(req[i]! / W) % 2 === 1) {
              if (i + 1 >= max) break;
              const ok = req[i]! - W === HostMsr.PSTATE_CTRL ? 1n : 0n;
              expect([bit, (bitmap >> BigInt(i + 1)) & 1n]).toEqual([ok, ok]);
              i++;
            } else {
              expect(bit).toBe(readable.includes(req[i]!) ? 1n : 0n);
              if (bit === 0n) expect(u.mr(i)).toBe(req[i]);
            }
          }
          expect(bitmap >> BigInt(max)).toBe(0n);
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });
});
