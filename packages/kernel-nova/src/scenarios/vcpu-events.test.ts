/**
 * vCPU events with real guest code (spec/nova.md §5.2 INJ/STA, §5.4): event injection in an exit
 * reply, EXITINTINFO of a delivery cut short by an NPT exit and its re-injection, the
 * interrupt-window request (exit 0x64), the forced MSR and shutdown intercepts, and VMRUN's
 * consistency checks (exit 0xfd).
 */
import { NpfError, SvmExit } from '@genode-ts/x86-core';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../constants.js';
import { Mtd } from '../mtd.js';
import { Efer } from '../x86/svm-controls.js';
import { violations } from './harness.js';
import { guestImage, hex, mapReply, resetState, runX86, VCPU_SM, vmm, vmmPages } from './x86-harness.js';

const RESET_FRAME = 0x1900;
const RESET_VMM = 0x800;
/** Guest RAM for page 0 (IVT, counter) and page 0x10 (stack) of irq.bin. */
const LOW_FRAME = 0x1d00;
const LOW_VMM = 0xc00;
const STACK_FRAME = 0x1d10;
const STACK_VMM = 0xc10;

/** INJ word: valid, external interrupt (type 0), vector 0x20. */
const INJ_IRQ20 = 0x80000020;
/** INJ request bit: exit 0x64 once the guest can take an interrupt. */
const INJ_WINDOW = 0x1000;

describe('vCPU events with real guest code', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('injects an interrupt in a HLT reply; a delivery cut short by an NPT exit is reported in intr_info and re-injected; the window request exits 0x64 when the guest can take it', () => {
    const log: string[] = [];
    let counter = -1;
    runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('irq'));
      yield* vmmPages(sys, LOW_FRAME, LOW_VMM, 1);
      yield* vmmPages(sys, STACK_FRAME, STACK_VMM, 1);
      let hlts = 0;
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) return resetState(s);
        const ifl = (u.get('rflags') >>> 9) & 1;
        log.push(
          `${hex(reason)} rip=${hex(u.rip)} q=${hex(u.qual0)}/${hex(u.qual1)} if=${ifl} inj=${hex(u.get('intrInfo'))}`,
        );
        if (reason === SvmExit.NPT_FAULT) {
          const page = Math.floor(u.qual1 / PAGE_SIZE);
          // The reset page is also the BIOS alias at 0xff000 (where CS 0xf000 runs).
          const vmmPage = page === 0 ? LOW_VMM : page === 0x10 ? STACK_VMM : RESET_VMM;
          mapReply(s, vmmPage, page);
          // A delivery the NPT exit interrupted is the VMM's to re-inject (EXITINTINFO → EVENTINJ).
          if ((u.get('intrInfo') & 0x80000000) !== 0) return { mtd: Mtd.INJ };
          return { mtd: 0 };
        }
        if (reason === SvmExit.HLT) {
          hlts++;
          if (hlts === 3) {
            counter = yield* s.read16(LOW_VMM * PAGE_SIZE + 0x400);
            return { mtd: 0, sm: VCPU_SM };
          }
          u.rip = u.rip + u.get('instLen');
          // First HLT: inject at once. Second: only ask for the window (exit 0x64).
          u.set('intrInfo', hlts === 1 ? INJ_IRQ20 : INJ_WINDOW);
          u.set('intrError', 0);
          return { mtd: Mtd.EIP | Mtd.INJ };
        }
        if (reason === SvmExit.VINTR) {
          u.set('intrInfo', INJ_IRQ20); // the window is open: inject, and withdraw the request
          return { mtd: Mtd.INJ };
        }
        return { mtd: 0, sm: VCPU_SM };
      });
    });
    const W = NpfError.W + NpfError.U + NpfError.FINAL;
    const F = NpfError.U + NpfError.ID + NpfError.FINAL;
    expect(log).toEqual([
      `fc rip=fff0 q=${hex(F)}/fffffff0 if=0 inj=0`,
      // mov word [0x80], handler: the IVT page is absent (a write)
      `fc rip=f00c q=${hex(W)}/80 if=0 inj=0`,
      '78 rip=f01f q=0/f020 if=1 inj=0',
      // The injected interrupt pushes FLAGS/CS/IP onto the absent stack page: the delivery is
      // undone and reported (intr_info = the event, valid); the VMM maps the page and re-injects.
      `fc rip=f020 q=${hex(W)}/107fe if=1 inj=${hex(INJ_IRQ20)}`,
      // Delivered: the handler's first fetch at the alias 0xf0000 + 0xf02c.
      `fc rip=f02c q=${hex(F)}/ff02c if=0 inj=0`,
      '78 rip=f01f q=0/f020 if=1 inj=0',
      // The window request: the guest is interruptible at once (IF = 1, no shadow).
      '64 rip=f020 q=0/0 if=1 inj=0',
      '78 rip=f028 q=0/f029 if=0 inj=0',
    ]);
    expect(counter).toBe(2);
  });

  it('RDMSR/WRMSR always exit 0x7c (exitinfo1 = 0 / 1); a triple fault exits 0x7f', () => {
    const log: string[] = [];
    const { engine } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('fault'));
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) return resetState(s);
        if (reason === SvmExit.NPT_FAULT) {
          mapReply(s, RESET_VMM, 0xfffff);
          return { mtd: 0 };
        }
        log.push(
          `${hex(reason)} rip=${hex(u.rip)} q=${hex(u.qual0)} len=${u.get('instLen')} ecx=${hex(u.get('rcx'))}`,
        );
        if (reason === SvmExit.MSR) {
          u.rip = u.rip + u.get('instLen');
          return { mtd: Mtd.EIP };
        }
        return { mtd: 0, sm: VCPU_SM };
      });
    });
    expect(log).toEqual([
      '7c rip=f006 q=0 len=2 ecx=10',
      '7c rip=f008 q=1 len=2 ecx=10',
      '7f rip=f010 q=0 len=0 ecx=10',
    ]);
    expect(engine.vcpus[0]!.stats.exits.get(SvmExit.SHUTDOWN)).toBe(1);
  });

  it('VMRUN consistency checks: EFER.LME (no long mode), CR0.NW without CD and a reserved EVENTINJ type exit 0xfd; the VMM repairs the state', () => {
    const log: string[] = [];
    runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('reset'));
      let n = 0;
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        log.push(
          `${hex(reason)} efer=${hex(u.get('efer'))} cr0=${hex(u.get('cr0'))} inj=${hex(u.get('intrInfo'))}`,
        );
        if (reason === SvmExit.STARTUP) {
          const r = resetState(s);
          u.set('efer', Efer.SVME | Efer.LME);
          return { mtd: r.mtd | Mtd.EFER };
        }
        if (reason === SvmExit.INVALID_STATE) {
          n++;
          if (n === 1) {
            u.set('efer', Efer.SVME);
            u.set('cr0', 0x20000010); // NW without CD
            return { mtd: Mtd.EFER | Mtd.CR };
          }
          if (n === 2) {
            u.set('cr0', 0x10);
            u.set('intrInfo', 0x80000520); // type 5: a VMX type, reserved on SVM
            return { mtd: Mtd.CR | Mtd.INJ };
          }
          u.set('intrInfo', 0);
          return { mtd: Mtd.INJ };
        }
        return { mtd: 0, sm: VCPU_SM }; // the fetch at the reset vector: entered at last
      });
    });
    expect(log).toEqual([
      'fe efer=1000 cr0=0 inj=0',
      'fd efer=1100 cr0=10 inj=0',
      'fd efer=1000 cr0=20000010 inj=0',
      // For an invalid-state exit intr_info is the pending injection (G-kernel `load_svm`).
      'fd efer=1000 cr0=10 inj=80000520',
      'fc efer=1000 cr0=10 inj=0',
    ]);
  });
});
