/**
 * The time model of vCPUs on x86VcpuEngine (DESIGN.md "Time and determinism"): guest
 * instructions advance the one virtual clock (one TSC tick each by default), so a vCPU's SC
 * consumes budget and quanta preempt guest code; the guest's TSC is the virtual TSC plus the
 * offset the VMM adds; a halted guest lets the scheduler skip idle time to the next deadline;
 * and the same inputs give the same exits, counts and times.
 */
import { SvmExit } from '@genode-ts/x86-core';
import { afterEach, describe, expect, it } from 'vitest';
import { Mtd } from '../mtd.js';
import type { Sc } from '../sc.js';
import { Status } from '../status.js';
import type { Sys } from '../sys.js';
import { delegateObj, ok, PD, spawn, utcbAddr, violations } from './harness.js';
import {
  flatState,
  GUEST,
  guestImage,
  hex,
  mapReply,
  resetState,
  runX86,
  VCPU,
  VCPU_SC,
  VCPU_SM,
  vmm,
  vmmPages,
} from './x86-harness.js';

const RESET_FRAME = 0x1900;
const RESET_VMM = 0x800;

describe('vCPU time and determinism', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('the guest TSC is the virtual TSC plus the offset the VMM adds (signed); a HLT the VMM turns into a 1 ms sleep skips idle time', () => {
    const log: string[] = [];
    const { engine, r, k } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('tsc'));
      ok(yield* sys.createSm(0x70, PD, 0), 'sleep SM');
      let hlts = 0;
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) {
          const st = resetState(s);
          u.set('tscOff', 1_000_000); // added to the current offset (0)
          return { mtd: st.mtd | Mtd.TSC };
        }
        if (reason === SvmExit.NPT_FAULT) {
          mapReply(s, RESET_VMM, 0xfffff);
          return { mtd: 0 };
        }
        log.push(
          `${hex(reason)} at ${s.now()} tsc_val=${u.get('tscVal')} tsc_off=${u.signed('tscOff')} esi=${u.get('rsi')} ebx=${u.get('rbx')}`,
        );
        if (++hlts === 2) return { mtd: 0, sm: VCPU_SM };
        // Nothing pending: sleep until 1 ms from now (the handler runs on the vCPU's SC).
        const d = yield* s.smDown(0x70, { timeout: s.now() + 1_000_000 });
        log.push(`woke ${d.status === Status.TIMEOUT ? 'by timeout' : d.status} at ${s.now()}`);
        u.rip = u.rip + 1;
        u.set('tscOff', -1000); // move the guest's TSC back by 1 µs
        return { mtd: Mtd.EIP | Mtd.TSC };
      });
    });
    // jmp, rdtsc: RDTSC reads the TSC at its own start (tick 1) + 1,000,000. The HLT is the
    // fifth instruction (tick 5). The timeout fires at 1,000,005; the second RDTSC is the first
    // instruction after the resume: 1,000,005 + 999,000.
    expect(log).toEqual([
      '78 at 5 tsc_val=5 tsc_off=1000000 esi=1000001 ebx=0',
      'woke by timeout at 1000005',
      '78 at 1000009 tsc_val=1000009 tsc_off=999000 esi=1000001 ebx=1999005',
    ]);
    // The sleep was skipped, not stepped: a handful of kernel steps, the CPU idle for 1 ms.
    expect(r.steps).toBeLessThan(200);
    expect(k.cpus[0]!.idleSc.time).toBeGreaterThanOrEqual(1_000_000);
    expect(engine.vcpus[0]!.stats.instructions).toBe(9);
  });

  it('guest instructions consume the SC budget: a quantum of 1 ms preempts guest code for another SC of the same priority', () => {
    const log: string[] = [];
    const { k } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('spin'));
      ok(yield* sys.createSm(0x70, PD, 0), 'sleep SM');
      yield* vmm(
        sys,
        // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
        function* (s, reason) {
          const u = s.utcb;
          if (reason === SvmExit.STARTUP) return resetState(s);
          if (reason === SvmExit.NPT_FAULT) {
            mapReply(s, RESET_VMM, 0xfffff);
            return { mtd: 0 };
          }
          log.push(`${hex(reason)} at ${s.now()} ecx=${u.get('rcx')}`);
          return { mtd: 0, sm: VCPU_SM };
        },
        { sc: false },
      );
      // A boss at priority 20 binds two SCs of priority 10 (quantum 1 ms): the vCPU's, then a
      // host thread's. The thread computes 3 × 100 µs, sleeps until 2 ms and recalls the vCPU.
      yield* spawn(sys, {
        pd: PD,
        sel: 0x90,
        evt: 0x900,
        prio: 20,
        code: function* (s: Sys) {
          ok(yield* s.createSc(VCPU_SC, PD, VCPU, { prio: 10, quantum: 1000 }), 'vCPU SC');
          yield* spawn(s, {
            pd: PD,
            sel: 0xa0,
            evt: 0xa00,
            prio: 10,
            quantumUs: 1000,
            code: function* (t: Sys) {
              for (let i = 0; i < 3; i++) {
                log.push(`thread at ${t.now()}`);
                yield* t.spin(100);
              }
              yield* t.smDown(0x70, { timeout: 2_000_000 });
              log.push(`recall ${yield* t.recall(VCPU)} at ${t.now()}`);
            },
          });
        },
      });
    });
    // The vCPU's quantum ends at 1 ms: the thread runs 300 µs. At 2 ms its timeout makes it
    // ready, but a same-priority SC does not preempt: the guest keeps the CPU until its second
    // quantum ends at 2.3 ms. The guest ran [0, 1 ms) and [1.3 ms, 2.3 ms): 2,000,000
    // instructions, jmp + xor and 999,999 iterations of inc/jmp.
    expect(log).toEqual([
      'thread at 1000000',
      'thread at 1100000',
      'thread at 1200000',
      `recall ${Status.SUCCESS} at 2300000`,
      'ff at 2300000 ecx=999999',
    ]);
    const vcpuSc = k.objCap(k.root, VCPU_SC)!.obj as Sc;
    expect(vcpuSc.time).toBe(2_000_000);
  });

  /**
   * Two vCPUs of one guest PD on two CPUs — an HLT loop and an I/O loop, lazily mapped pages,
   * a host thread recalling one of them — run for 200 µs: everything that happened, in order.
   */
  function twoVcpus(): string[] {
    const log: string[] = [];
    const { engine, k } = runX86(
      function* (sys) {
        yield* vmmPages(sys, 0x1b00, 0xa00, 1, guestImage('hlt-loop'));
        yield* vmmPages(sys, 0x1b01, 0xa01, 1, guestImage('io-loop'));
        ok(yield* sys.createPd(GUEST, PD, undefined, { upper: 256 }), 'guest PD');
        for (const cpu of [0, 1]) {
          const handler = 0x40 + cpu;
          ok(yield* sys.createEc(handler, PD, { cpu, utcb: utcbAddr(), sp: 0x1000 }), 'handler');
          const ip = sys.entry(function* (s) {
            const u = s.utcb;
            const reason = s.regs.rdi;
            log.push(`cpu${cpu} ${hex(reason)} at ${s.now()} ecx=${u.get('rcx')} rip=${hex(u.rip)}`);
            let mtd = 0;
            if (reason === SvmExit.STARTUP) mtd = flatState(s, 0x1000 * (cpu + 1)).mtd;
            else if (reason === SvmExit.NPT_FAULT) mapReply(s, 0xa00 + cpu, 1 + cpu);
            else if (reason === SvmExit.RECALL) mtd = 0;
            else {
              u.rip = u.rip + u.get('instLen');
              mtd = Mtd.EIP;
              if (u.get('rcx') % 1000 === 0) yield* s.spin(5); // the VMM computes now and then
            }
            u.mtd = mtd;
            yield* s.reply();
          });
          for (const reason of [0x78, 0x7b, 0xfc, 0xfe, 0xff]) {
            const sel = 0x1000 + cpu * 0x100 + reason;
            ok(yield* sys.createPt(sel, PD, handler, Mtd.EIP | Mtd.ACDB | Mtd.QUAL, ip), 'portal');
            ok(yield* sys.ptCtrl(sel, reason), 'badge');
            ok(yield* delegateObj(sys, PD, GUEST, sel, cpu * 0x100 + reason), 'portal to guest');
          }
          ok(yield* sys.createEc(0x50 + cpu, GUEST, { cpu, utcb: 0, evt: cpu * 0x100 }), 'vCPU');
        }
        // vCPU 0 runs the HLT loop at GPA 0x1000, vCPU 1 the I/O loop at 0x2000 (both images
        // are position independent).
        yield* spawn(sys, {
          pd: PD,
          sel: 0x90,
          evt: 0x900,
          cpu: 1,
          prio: 20,
          code: function* (t: Sys) {
            ok(yield* t.createSm(0x71, PD, 0), 'SM');
            yield* t.smDown(0x71, { timeout: 123_457 });
            log.push(`recall ${yield* t.recall(0x50)} at ${t.now()}`);
          },
        });
        // The vCPUs' SCs last: at priority 10 they keep the root (priority 1) from running.
        ok(yield* sys.createSc(0x58, PD, 0x50, { prio: 10, quantum: 100 }), 'vCPU0 SC');
        ok(yield* sys.createSc(0x59, PD, 0x51, { prio: 10, quantum: 100 }), 'vCPU1 SC');
      },
      { cpus: 2, maxTime: 200_000 },
    );
    for (const v of engine.vcpus)
      log.push(`stats ${v.stats.runs}/${v.stats.instructions}/${[...v.stats.exits]}`);
    log.push(`now ${k.now} steps ${k.steps}`);
    return log;
  }

  it('is deterministic: the same machine twice gives the same exits, counts and times (two vCPUs on two CPUs, NPT, recall, quanta)', () => {
    const a = twoVcpus();
    const b = twoVcpus();
    expect(a.length).toBeGreaterThan(10_000);
    expect(b).toEqual(a);
    // The recall from CPU 1 at the deadline of the thread's timeout finds vCPU 0 in its exit
    // handler (which computes 5 µs every 1000 HLTs): it raises 0xff when the reply returns the
    // vCPU to guest mode, before another guest instruction.
    const at = a.indexOf(`recall ${Status.SUCCESS} at 123457`);
    expect(at).toBeGreaterThan(0);
    const next = a.slice(at).find((l) => l.startsWith('cpu0'));
    expect(next).toBe('cpu0 ff at 127999 ecx=16000 rip=1002');
  }, 60_000);
});
