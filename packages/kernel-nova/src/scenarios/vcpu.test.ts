/**
 * spec/nova.md §9 acceptance scenarios S25 and S41–S45 (Genode `vmm_x86`) with real guest code:
 * every vCPU runs on @genode-ts/x86-core's SVM model (x86VcpuEngine); the guests are the
 * assembled programs of `packages/kernel-nova/guests/`. Exit portals at evt + reason, MTD state
 * both ways, the nested page table as the guest PD's G-delegated memory, recall, get/set state.
 */
import { NpfError, SvmExit } from '@genode-ts/x86-core';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../constants.js';
import { ioCrd, memCrd } from '../crd.js';
import { Mtd } from '../mtd.js';
import { Status } from '../status.js';
import { ItemKind } from '../typed-item.js';
import { SvmCtrl0, SvmCtrl1 } from '../x86/svm-controls.js';
import { delegateItem, ok, PD, utcbAddr, violations } from './harness.js';
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
  VMM_MTD,
  vmm,
  vmmPages,
} from './x86-harness.js';

/** The reset page lives in frame 0x1900, mapped at page 0x800 of the VMM (root PD). */
const RESET_FRAME = 0x1900;
const RESET_VMM = 0x800;
const RESET_GPA = 0xfffff;

/** NPT error of an instruction fetch from an absent page: U | I/D, final translation. */
const NPF_FETCH = NpfError.U + NpfError.ID + NpfError.FINAL;

describe('vCPUs with real guest code (spec/nova.md §9)', () => {
  afterEach(() => {
    expect(violations()).toEqual([]);
  });

  it('S41 vCPU + SC => exit 0xfe with the zeroed VMCB state; the handler sets the real-mode reset state and the HLT/VMRUN controls', () => {
    const log: string[] = [];
    const seen: number[] = [];
    const { engine } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('reset'));
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        const cs = u.segment('cs');
        log.push(`${hex(reason)} rip=${hex(u.rip)} cs=${hex(cs.sel)}/${hex(cs.base)}/${hex(cs.ar)}`);
        if (reason === SvmExit.STARTUP) {
          seen.push(u.exitReason, u.mtd, u.get('cr0'), u.get('rflags'));
          return resetState(s);
        }
        if (reason === SvmExit.NPT_FAULT) {
          mapReply(s, RESET_VMM, RESET_GPA);
          return { mtd: 0 };
        }
        return { mtd: 0, sm: VCPU_SM }; // HLT: pause for good
      });
    });
    // STARTUP carries the fresh VMCB (all zero, EFLAGS 2); the reply's state is what runs.
    expect(seen).toEqual([0xfe, VMM_MTD, 0, 2]);
    expect(log).toEqual([
      'fe rip=0 cs=0/0/0',
      'fc rip=fff0 cs=f000/ffff0000/93',
      '78 rip=f000 cs=f000/ffff0000/93',
    ]);
    const v = engine.vcpus[0]!;
    expect([v.ctrl0, v.ctrl1]).toEqual([SvmCtrl0.HLT | SvmCtrl0.CPUID, SvmCtrl1.VMRUN]);
  });

  it('S41 without the VMRUN intercept in ctrl[1] the entry fails: exit 0xfd (invalid state) before any guest instruction', () => {
    const log: string[] = [];
    const { engine } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('reset'));
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      yield* vmm(sys, function* (s, reason) {
        log.push(`${hex(reason)} rip=${hex(s.utcb.rip)} at ${s.now()}`);
        if (reason === SvmExit.STARTUP) return resetState(s, { ctrl1: 0 });
        if (reason === SvmExit.INVALID_STATE) {
          // Genode's VMMs set VMRUN at STARTUP; this one repairs it now.
          s.utcb.set('ctrl0', SvmCtrl0.HLT);
          s.utcb.set('ctrl1', SvmCtrl1.VMRUN);
          return { mtd: Mtd.CTRL };
        }
        if (reason === SvmExit.NPT_FAULT) {
          mapReply(s, RESET_VMM, RESET_GPA);
          return { mtd: 0 };
        }
        return { mtd: 0, sm: VCPU_SM };
      });
    });
    expect(log).toEqual(['fe rip=0 at 0', 'fd rip=fff0 at 0', 'fc rip=fff0 at 0', '78 rip=f000 at 2']);
    expect(engine.vcpus[0]!.stats.exits.get(0xfd)).toBe(1);
  });

  it('S42 the first fetch at GPA 0xfffffff0 without guest memory exits 0xfc with qual[1] = 0xfffffff0; a G delegation at 0xfffff000 lets the guest continue', () => {
    const faults: number[][] = [];
    const after: string[] = [];
    runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('reset'));
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) return resetState(s);
        if (reason === SvmExit.NPT_FAULT) {
          faults.push([u.exitReason, u.qual0, u.qual1]);
          mapReply(s, RESET_VMM, RESET_GPA);
          return { mtd: 0 };
        }
        after.push(`${hex(reason)} rip=${hex(u.rip)} len=${u.get('instLen')}`);
        return { mtd: 0, sm: VCPU_SM };
      });
    });
    expect(faults).toEqual([[0xfc, NPF_FETCH, 0xfffffff0]]);
    // The jmp at the reset vector ran (from the delegated page) and reached the HLT at 0xf000.
    expect(after).toEqual(['78 rip=f000 len=1']);
  });

  it('S43 HLT => exit 0x78: the VMM skips it (rip += inst_len), then pauses the vCPU with reply-and-block until sm_ctrl(up)', () => {
    const log: string[] = [];
    const { engine } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('reset'));
      let hlts = 0;
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) return resetState(s);
        if (reason === SvmExit.NPT_FAULT) {
          mapReply(s, RESET_VMM, RESET_GPA);
          return { mtd: 0 };
        }
        log.push(`${hex(reason)} rip=${hex(u.rip)} len=${u.get('instLen')} at ${s.now()}`);
        if (reason === SvmExit.HLT) {
          u.rip = u.rip + u.get('instLen');
          return ++hlts === 2 ? { mtd: Mtd.EIP, sm: VCPU_SM } : { mtd: Mtd.EIP };
        }
        return { mtd: 0, sm: VCPU_SM }; // CPUID: stop here
      });
      // The vCPU (priority 10) runs until it is paused; the root resumes it 100 µs later.
      yield* sys.spin(100);
      log.push(`resume at ${sys.now()}`);
      ok(yield* sys.smUp(VCPU_SM), 'resume');
    });
    // One guest instruction is one TSC tick (1 ns at the default 1 GHz): the fetch fault at the
    // reset vector retires nothing; jmp + hlt exit at tick 2, the second hlt at 3; the root's
    // 100 µs spin starts when the vCPU blocks; xor + cpuid run after the resume.
    expect(log).toEqual([
      '78 rip=f000 len=1 at 2',
      '78 rip=f001 len=1 at 3',
      'resume at 100003',
      '72 rip=f005 len=2 at 100005',
    ]);
    const v = engine.vcpus[0]!;
    expect(v.stats.instructions).toBe(5);
    expect(v.cpu.eip).toBe(0xf005);
  });

  it("S44 recall of a running vCPU => exit 0xff at the moment of the recall; get/set vCPU state succeed from the handler on the vCPU's CPU, BAD_CPU from another", () => {
    const log: string[] = [];
    const got: number[] = [];
    const remote: number[] = [];
    const { engine } = runX86(
      function* (sys) {
        yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('spin'));
        yield* vmm(
          sys,
          function* (s, reason) {
            const u = s.utcb;
            if (reason === SvmExit.STARTUP) return resetState(s);
            if (reason === SvmExit.NPT_FAULT) {
              mapReply(s, RESET_VMM, RESET_GPA);
              return { mtd: 0 };
            }
            log.push(`exit ${hex(reason)} at ${s.now()} rip=${hex(u.rip)} ecx=${u.get('rcx')}`);
            // get/set state of the vCPU from this EC (same CPU as the vCPU).
            got.push(yield* s.getVcpuState(VCPU, Mtd.EIP | Mtd.ACDB));
            log.push(`get rip=${hex(u.rip)} ecx=${u.get('rcx')} reason=${hex(u.exitReason)}`);
            u.mtd = Mtd.ACDB;
            u.set('rcx', 0);
            got.push(yield* s.setVcpuState(VCPU));
            return { mtd: 0, sm: VCPU_SM };
          },
          { sc: false },
        );
        // A thread on CPU 1 recalls the vCPU after 30 µs, and fails to touch its state (BAD_CPU).
        ok(yield* sys.createEc(0x60, PD, { cpu: 1, utcb: utcbAddr(), global: true, evt: 0x600 }), 'cpu1 EC');
        ok(yield* sys.createEc(0x61, PD, { cpu: 1, utcb: utcbAddr() }), 'cpu1 startup EC');
        const body = sys.entry(function* (s) {
          yield* s.spin(30); // the vCPU is in guest mode meanwhile
          log.push(`recall ${yield* s.recall(VCPU)} at ${s.now()}`);
          remote.push(yield* s.getVcpuState(VCPU, Mtd.EIP));
          remote.push(yield* s.setVcpuState(VCPU, true));
        });
        ok(
          yield* sys.createPt(
            0x600 + 0x1e,
            PD,
            0x61,
            Mtd.EIP,
            sys.entry(function* (s) {
              s.utcb.mtd = Mtd.EIP;
              s.utcb.rip = s.regs.rdi;
              yield* s.reply();
            }),
          ),
          'startup',
        );
        ok(yield* sys.ptCtrl(0x61e, body), 'entry');
        ok(yield* sys.createSc(0x62, PD, 0x60, { prio: 5, quantum: 1000 }), 'cpu1 SC');
        ok(yield* sys.createSc(VCPU_SC, PD, VCPU, { prio: 10, quantum: 10_000 }), 'vCPU SC');
      },
      { cpus: 2 },
    );
    // The guest's slice ends where CPU 1 can act (its spin ends at tick 30000): the recall lands
    // between two guest instructions at exactly that tick. jmp + xor took ticks 1–2, so 29,998
    // loop instructions ran: 14,999 iterations, RIP back at `inc ecx`.
    expect(log).toEqual([
      `recall ${Status.SUCCESS} at 30000`,
      'exit ff at 30000 rip=f003 ecx=14999',
      'get rip=f003 ecx=14999 reason=ff',
    ]);
    expect(remote).toEqual([Status.BAD_CPU, Status.BAD_CPU]);
    expect(got).toEqual([Status.SUCCESS, Status.SUCCESS]);
    // The handler's set-state wrote ECX.
    expect(engine.vcpus[0]!.cpu.r32[1]).toBe(0);
  });

  /** Run reset.bin as S45's VMM does; returns the exits, the port traffic and the final registers. */
  function s45(cpuidIntercept: boolean) {
    const log: string[] = [];
    const bus: string[] = [];
    const { engine } = runX86(
      function* (sys) {
        sys.kernel.ioBus = {
          in: (port, size) => {
            bus.push(`in ${hex(port)}/${size}`);
            return 0x5a;
          },
          out: (port, size, value) => {
            bus.push(`out ${hex(port)}/${size} ${hex(value)}`);
          },
        };
        yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('reset'));
        yield* vmm(sys, function* (s, reason) {
          const u = s.utcb;
          if (reason === SvmExit.STARTUP) return resetState(s, { cpuid: cpuidIntercept });
          if (reason === SvmExit.NPT_FAULT) {
            mapReply(s, RESET_VMM, RESET_GPA);
            return { mtd: 0 };
          }
          log.push(
            `${hex(reason)} q=${hex(u.qual0)}/${hex(u.qual1)} rip=${hex(u.rip)} len=${u.get('instLen')}`,
          );
          if (reason === SvmExit.CPUID) {
            u.set('rax', 0x4f564e);
            u.set('rbx', 0x41564f4e); // "NOVA"
            u.set('rcx', 0);
            u.set('rdx', 0);
            u.rip = u.rip + u.get('instLen');
            return { mtd: Mtd.EIP | Mtd.ACDB };
          }
          if (reason === SvmExit.IOIO) {
            if (u.qual0 >>> 16 === 0x3f8) {
              // Pass port 0x3f8 through from now on: an H item from the kernel's port space,
              // delegated with G into the guest PD.
              ok(
                yield* delegateItem(s, PD, GUEST, ioCrd(0x3f8, 0), ioCrd(0x3f8, 0), {
                  kind: ItemKind.DELEGATE,
                  h: true,
                  g: true,
                }),
                'port',
              );
            }
            u.rip = u.qual1; // SVM: exitinfo2 = the next RIP
            return { mtd: Mtd.EIP };
          }
          if (reason === SvmExit.HLT && u.rip === 0xf000) {
            u.rip = u.rip + 1;
            return { mtd: Mtd.EIP };
          }
          if (reason === SvmExit.HLT && u.rip === 0xf001) {
            u.rip = u.rip + 1;
            return { mtd: Mtd.EIP };
          }
          return { mtd: 0, sm: VCPU_SM };
        });
      },
      { engine: { cpuid: { vendor: 'AuthenticAMD' } } },
    );
    const c = engine.vcpus[0]!.cpu;
    return { log, bus, ebx: c.r32[3]! >>> 0, ebp: c.r32[5]! >>> 0, cl: c.r32[1]! & 0xff };
  }

  it('S45 CPUID => exit 0x72 (with the CPUID intercept); port I/O => exit 0x7b with the SVM IOIO qualification unless the port was delegated to the guest PD with G', () => {
    const r = s45(true);
    // IOIO exitinfo1: port << 16 | size 8 (0x10) | 16-bit address (0x80) | IN (bit 0); exitinfo2 =
    // the next RIP (addresses as `ndisasm -b16 -o 0xf000 guests/reset.bin` lists them).
    expect(r.log).toEqual([
      '78 q=0/f001 rip=f000 len=1',
      '78 q=0/f002 rip=f001 len=1',
      '72 q=0/f007 rip=f005 len=2',
      '7b q=3f80090/f010 rip=f00f len=1',
      '7b q=3f90090/f018 rip=f017 len=1',
      '7b q=800090/f01a rip=f018 len=2',
      '78 q=0/f01b rip=f01a len=1',
    ]);
    // After the delegation the OUT and the IN reached the host's port bus without an exit.
    expect(r.bus).toEqual(['out 3f8/1 4f', 'in 3f8/1']);
    expect(r.cl).toBe(0x5a);
    expect([r.ebp, r.ebx]).toEqual([0x4f564e, 0x41564f4e]);
  });

  it("S45 without the CPUID intercept the guest executes CPUID itself (the engine's CPUID identity); I/O exits are forced", () => {
    const r = s45(false);
    expect(r.log.map((l) => l.slice(0, 2))).toEqual(['78', '78', '7b', '7b', '7b', '78']);
    expect(r.ebx).toBe(0x68747541); // "Auth" of AuthenticAMD
  });

  it('S25 memory delegated with G into the guest PD: guest reads no longer exit; after a remote revoke the same read exits 0xfc again (no stale TLB entry)', () => {
    const log: string[] = [];
    const G = 0x42; // guest-physical page read by touch.bin (DS = 0x4000, offset 0x2004)
    const { engine } = runX86(function* (sys) {
      yield* vmmPages(sys, RESET_FRAME, RESET_VMM, 1, guestImage('touch'));
      yield* vmmPages(sys, 0x1a00, 0x900, 1);
      yield* sys.write32(0x900 * PAGE_SIZE + 4, 0x5555);
      yield* vmm(
        sys,
        function* (s, reason) {
          const u = s.utcb;
          if (reason === SvmExit.STARTUP) return resetState(s);
          log.push(
            `${hex(reason)} q=${hex(u.qual0)}/${hex(u.qual1)} eax=${hex(u.get('rax'))} ebx=${hex(u.get('rbx'))} ecx=${hex(u.get('rcx'))}`,
          );
          if (reason === SvmExit.NPT_FAULT) {
            mapReply(s, u.qual1 >= 0xfffff000 ? RESET_VMM : 0x900, Math.floor(u.qual1 / PAGE_SIZE));
            return { mtd: 0 };
          }
          if (log.length === 2) ok(yield* s.revoke(memCrd(G, 0, 7), { remote: GUEST }), 'detach');
          u.rip = u.rip + 1;
          return log.length === 2 ? { mtd: Mtd.EIP } : { mtd: 0, sm: VCPU_SM };
        },
        { sc: false },
      );
      // Eager guest memory, as core does for a VM session: misc delegate with H + G.
      ok(
        yield* delegateItem(sys, PD, GUEST, memCrd(0x1a00, 0, 7), memCrd(G, 0, 7), {
          kind: ItemKind.DELEGATE,
          h: true,
          g: true,
        }),
        'attach',
      );
      ok(yield* sys.createSc(VCPU_SC, PD, VCPU, { prio: 10, quantum: 10_000 }), 'vCPU SC');
    });
    expect(log).toEqual([
      `fc q=${hex(NPF_FETCH)}/fffffff0 eax=0 ebx=0 ecx=0`,
      // Two reads of GPA 0x42004 went through the NPT (the second from the TLB): no exit.
      '78 q=0/f00f eax=5555 ebx=5555 ecx=0',
      // The revoke flushed the cached translation: the third read exits (not present, read).
      `fc q=${hex(NpfError.U + NpfError.FINAL)}/42004 eax=5555 ebx=5555 ecx=0`,
      '78 q=0/f015 eax=5555 ebx=5555 ecx=5555',
    ]);
    expect(engine.vcpus[0]!.stats.exits.get(0xfc)).toBe(2);
  });

  it('S25 a permission cut (revoke of w) is a flush too: the next guest write exits 0xfc with P|W, reads still pass', () => {
    const log: string[] = [];
    runX86(function* (sys) {
      yield* vmmPages(sys, 0x1b00, 0xa00, 1, guestImage('pages'));
      yield* vmmPages(sys, 0x1c00, 0xb00, 1);
      let hlts = 0;
      yield* vmm(sys, function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) {
          const r = flatState(s, 0x1000, { ebx: 0xabcd, esi: 0x20000, edi: 0x21000 });
          return r;
        }
        log.push(`${hex(reason)} q=${hex(u.qual0)}/${hex(u.qual1)} esi=${hex(u.get('rsi'))}`);
        if (reason === SvmExit.NPT_FAULT) {
          if (u.qual1 < 0x2000) mapReply(s, 0xa00, 1);
          else if ((u.qual0 & NpfError.P) === 0) mapReply(s, 0xb00, 0x20);
          else return { mtd: 0, sm: VCPU_SM }; // the write after the cut: stop
          return { mtd: 0 };
        }
        // HLT: cut write access to the data page (revoke w in the guest PD), run the loop again.
        if (++hlts === 1) ok(yield* s.revoke(memCrd(0x20, 0, 2), { remote: GUEST }), 'cut w');
        u.rip = u.rip + 1;
        u.set('rsi', 0x20000);
        return { mtd: Mtd.EIP | Mtd.EBSD };
      });
    });
    expect(log).toEqual([
      `fc q=${hex(NPF_FETCH)}/1000 esi=20000`,
      `fc q=${hex(NpfError.W + NpfError.U + NpfError.FINAL)}/20000 esi=20000`,
      '78 q=0/100d esi=21000',
      `fc q=${hex(NpfError.P + NpfError.W + NpfError.U + NpfError.FINAL)}/20000 esi=20000`,
    ]);
  });
});
