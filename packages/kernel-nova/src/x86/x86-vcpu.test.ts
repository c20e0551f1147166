import { NpfError, SvmExit } from '@genode-ts/x86-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelNovaError } from '../errors.js';
import { MTD_ALL, Mtd } from '../mtd.js';
import type { Translation } from '../page-table.js';
import { PhysicalMemory } from '../physical-memory.js';
import type { GuestSpace, VcpuPort } from '../vcpu-engine.js';
import { VcpuState } from '../vcpu-state.js';
import { Efer, FORCE_CTRL0, SvmCtrl0, SvmCtrl1, vmrunCheck } from './svm-controls.js';
import type { X86Vcpu } from './x86-vcpu.js';
import { x86VcpuEngine } from './x86-vcpu-engine.js';

/** A machine of 1 MiB (kernel pool: the top 64 KiB) and a guest space the test controls. */
function machine(o: { ticksPerInstruction?: number } = {}) {
  const mem = new PhysicalMemory(1 << 20, 16);
  const npt = new Map<number, Translation>();
  const passed = new Set<number>();
  const io: string[] = [];
  let now = 0;
  const guest: GuestSpace = {
    translate: (p) => npt.get(p),
    ioPassThrough: (p) => passed.has(p),
    memory: mem,
    ioIn: (p, size) => {
      io.push(`in ${p.toString(16)}/${size}`);
      return 0x77;
    },
    ioOut: (p, size, v) => {
      io.push(`out ${p.toString(16)}/${size} ${v.toString(16)}`);
    },
  };
  const port: VcpuPort = { id: 1, cpu: 0, guest, tscKhz: 1_000_000, now: () => now };
  const engine = x86VcpuEngine(o);
  const v = engine.attach(port) as X86Vcpu;
  return {
    mem,
    npt,
    passed,
    io,
    engine,
    v,
    setNow: (t: number) => {
      now = t;
    },
    map: (gpaPage: number, frame: number, perms = 7) => npt.set(gpaPage, { frame, perms, wc: false }),
  };
}

/** Flat 32-bit protected-mode state at `eip`, with VMRUN set (a valid VMRUN). */
function flat(eip: number): { s: VcpuState; mtd: number } {
  const s = new VcpuState();
  s.rip = eip;
  s.rflags = 2;
  s.cr0 = 0x11;
  s.cs = { sel: 8, ar: 0xc9b, limit: 0xffffffff, base: 0 };
  for (const n of ['ss', 'ds', 'es', 'fs', 'gs'] as const)
    s[n] = { sel: 0x10, ar: 0xc93, limit: 0xffffffff, base: 0 };
  s.rsp = 0x8000;
  s.ctrl1 = SvmCtrl1.VMRUN;
  return {
    s,
    mtd: Mtd.EIP | Mtd.EFL | Mtd.CR | Mtd.CSSS | Mtd.ESDS | Mtd.FSGS | Mtd.ESP | Mtd.CTRL,
  };
}

describe('x86VcpuEngine: one vCPU', () => {
  it('starts from the zeroed VMCB and transfers every state group both ways by MTD', () => {
    const { v } = machine();
    const z = new VcpuState();
    v.load(z, MTD_ALL | Mtd.INJ | Mtd.STA | Mtd.TSC);
    expect([z.rip, z.cr0, z.rflags, z.cs.base, z.cs.ar, z.efer]).toEqual([0, 0, 2, 0, 0, Efer.SVME]);

    const s = new VcpuState();
    Object.assign(s, {
      rax: 1,
      rcx: 2,
      rdx: 3,
      rbx: 4,
      rsp: 5,
      rbp: 6,
      rsi: 7,
      rdi: 8,
      rip: 0x1234,
      rflags: 0x246,
      cr0: 0x11,
      cr2: 0xdead000,
      cr3: 0x5000,
      cr4: 0x10,
      dr7: 0x401,
      sysenterCs: 8,
      sysenterRsp: 0x9000,
      sysenterRip: 0xc0001000,
      r8: 2 ** 40 + 8,
      r15: 15,
      pdpte2: 0x1234,
      star: 0x55,
      tpr: 3,
      tscAux: 0xaffe0001,
      xcr0: 7,
      efer: Efer.SVME,
    });
    s.cs = { sel: 0x08, ar: 0xc9b, limit: 0xffffffff, base: 0 };
    s.ss = { sel: 0x13, ar: 0xcf3, limit: 0xffffffff, base: 0 };
    s.ds = { sel: 0x10, ar: 0xc93, limit: 0xfffff, base: 0x100000 };
    s.es = { sel: 0x10, ar: 0x93, limit: 0xffff, base: 0 };
    s.fs = { sel: 0x23, ar: 0xcf3, limit: 0xfff, base: 0x7000 };
    s.gs = { sel: 0, ar: 0, limit: 0, base: 0 };
    s.tr = { sel: 0x28, ar: 0x8b, limit: 0x67, base: 0x3000 };
    s.ldtr = { sel: 0x30, ar: 0x82, limit: 0x17, base: 0x4000 };
    s.gdtr = { sel: 0, ar: 0, limit: 0x37, base: 0x2000 };
    s.idtr = { sel: 0, ar: 0, limit: 0x7ff, base: 0x2800 };
    const all = MTD_ALL | Mtd.TSC_AUX | Mtd.XSAVE | Mtd.PDPTE;
    v.store(s, all);
    const out = new VcpuState();
    v.load(out, all);
    for (const f of [
      'rax',
      'rcx',
      'rdx',
      'rbx',
      'rsp',
      'rbp',
      'rsi',
      'rdi',
      'rip',
      'rflags',
      'cr0',
      'cr2',
      'cr3',
      'cr4',
      'dr7',
    ] as const)
      expect([f, out[f]]).toEqual([f, s[f]]);
    for (const f of ['cs', 'ss', 'ds', 'es', 'fs', 'gs', 'tr', 'ldtr', 'gdtr', 'idtr'] as const)
      expect([f, out[f]]).toEqual([f, s[f]]);
    expect([out.sysenterCs, out.sysenterRsp, out.sysenterRip]).toEqual([8, 0x9000, 0xc0001000]);
    // State this i686 has no registers for is kept as written (the VMCB would hold it).
    expect([out.r8, out.r15, out.pdpte2, out.star, out.tpr, out.tscAux, out.xcr0]).toEqual([
      2 ** 40 + 8,
      15,
      0x1234,
      0x55,
      3,
      0xaffe0001,
      7,
    ]);
    // The processor took it: protected mode, CPL = SS.DPL = 3, 32-bit code.
    expect([v.cpu.protectedMode, v.cpu.cpl, v.cpu.cs32]).toEqual([true, 3, true]);
    // A group outside the MTD is left alone.
    const t = new VcpuState();
    t.rax = 99;
    v.store(t, Mtd.EBSD);
    const u = new VcpuState();
    v.load(u, Mtd.ACDB);
    expect(u.rax).toBe(1);
  });

  it('intercepts: NOVA forces HLT, I/O, MSR; CPUID only with ctrl[0] bit 18; VMRUN must be set in ctrl[1]', () => {
    expect(FORCE_CTRL0 & SvmCtrl0.CPUID).toBe(0);
    expect((FORCE_CTRL0 & (SvmCtrl0.HLT | SvmCtrl0.IOIO | SvmCtrl0.MSR | SvmCtrl0.SHUTDOWN)) >>> 0).toBe(
      (SvmCtrl0.HLT | SvmCtrl0.IOIO | SvmCtrl0.MSR | SvmCtrl0.SHUTDOWN) >>> 0,
    );
    expect(vmrunCheck(0, 0x10, Efer.SVME, 0)).toBe('VMRUN intercept clear');
    expect(vmrunCheck(SvmCtrl1.VMRUN, 0x10, Efer.SVME, 0)).toBeNull();
    expect(vmrunCheck(SvmCtrl1.VMRUN, 0x60000010, Efer.SVME, 0)).toBeNull();
    expect(vmrunCheck(SvmCtrl1.VMRUN, 0x10, Efer.SVME, 0x80000102)).toBe('EVENTINJ type 1 reserved');
    expect(vmrunCheck(SvmCtrl1.VMRUN, 0x10, Efer.SVME, 0x80000302)).toBe('EVENTINJ exception vector 2');
    expect(vmrunCheck(SvmCtrl1.VMRUN, 0x10, Efer.SVME, 0x80000320)).toBe('EVENTINJ exception vector 32');
    expect(vmrunCheck(SvmCtrl1.VMRUN, 0x10, Efer.SVME, 0x80000b0e)).toBeNull();

    const { v, mem, map } = machine();
    // cpuid; hlt at GPA 0x1000 (frame 0x10)
    mem.bytes.set([0x0f, 0xa2, 0xf4], 0x10000);
    map(1, 0x10);
    const f = flat(0x1000);
    v.store(f.s, f.mtd);
    expect(v.run(100)).toMatchObject({ reason: SvmExit.HLT, ticks: 2, instLen: 1 });
    f.s.ctrl0 = SvmCtrl0.CPUID;
    v.store(f.s, f.mtd);
    expect(v.run(100)).toMatchObject({ reason: SvmExit.CPUID, ticks: 1, instLen: 2 }); // an intercepted instruction counts
  });

  it('the NPT is the guest space: absent pages and missing rights exit 0xfc with the NPF error code and the GPA', () => {
    const { v, mem, map } = machine();
    // mov eax, [0x3000]; mov [0x3000], eax; hlt
    mem.bytes.set([0xa1, 0x00, 0x30, 0x00, 0x00, 0xa3, 0x00, 0x30, 0x00, 0x00, 0xf4], 0x10000);
    map(1, 0x10, 5); // r-x
    const f = flat(0x1000);
    v.store(f.s, f.mtd);
    expect(v.run(100)).toMatchObject({ reason: 0xfc, qual0: NpfError.U + NpfError.FINAL, qual1: 0x3000 });
    map(3, 0x20, 1); // read-only
    mem.write(0x20000, 4, 0xfeed);
    const x = v.run(100);
    expect(x).toMatchObject({ reason: 0xfc, qual0: NpfError.P + NpfError.W + NpfError.U + NpfError.FINAL });
    expect(v.cpu.r32[0]).toBe(0xfeed);
    // An upgrade needs the kernel's invalidation (cached translations are not re-checked).
    map(3, 0x20, 3);
    v.invalidate(3, 1);
    expect(v.run(100).reason).toBe(SvmExit.HLT);
  });

  it('nothing stale survives an invalidation: neither translations nor decoded code of the unmapped frame', () => {
    const { v, mem, npt, map } = machine();
    // inc eax; hlt — executed, so its block sits in the decoded-code cache
    mem.bytes.set([0x40, 0xf4], 0x10000);
    map(1, 0x10);
    const f = flat(0x1000);
    v.store(f.s, f.mtd);
    expect(v.run(100).reason).toBe(SvmExit.HLT);
    expect(v.cpu.r32[0]).toBe(1);
    // Revoke; the frame is reused and rewritten behind the processor (dec eax; hlt), mapped again.
    npt.delete(1);
    v.invalidate(1, 1);
    v.store(f.s, Mtd.EIP);
    expect(v.run(100)).toMatchObject({ reason: 0xfc, qual1: 0x1000 });
    mem.bytes.set([0x48, 0xf4], 0x10000);
    map(1, 0x10);
    expect(v.run(100).reason).toBe(SvmExit.HLT);
    expect(v.cpu.r32[0]).toBe(0);
  });

  it("host code writing through the kernel's memory drops decoded guest code in those bytes", () => {
    const { v, mem, map, engine } = machine();
    mem.bytes.set([0x40, 0xf4], 0x10000);
    map(1, 0x10);
    const f = flat(0x1000);
    v.store(f.s, f.mtd);
    v.run(100);
    mem.write(0x10000, 1, 0x48); // dec eax — PhysicalMemory.write tells the engine
    v.store(f.s, Mtd.EIP);
    v.run(100);
    expect(v.cpu.r32[0]).toBe(0);
    // Writes around the kernel (the RAM buffer directly) must be reported by their author.
    mem.bytes[0x10000] = 0x40;
    engine.invalidateCode(0x10000, 1);
    v.store(f.s, Mtd.EIP);
    v.run(100);
    expect(v.cpu.r32[0]).toBe(1);
  });

  it('ports delegated with G pass through to the host bus; all others exit 0x7b', () => {
    const { v, mem, map, passed, io } = machine();
    // mov dx, 0x60; in al, dx; out 0x61, al; out 0x62, al; hlt
    mem.bytes.set([0x66, 0xba, 0x60, 0x00, 0xec, 0xe6, 0x61, 0xe6, 0x62, 0xf4], 0x10000);
    map(1, 0x10);
    passed.add(0x60).add(0x61);
    const f = flat(0x1000);
    v.store(f.s, f.mtd);
    const x = v.run(100);
    // port 0x62 << 16 | size 8 | 32-bit address, next RIP
    expect(x).toMatchObject({ reason: SvmExit.IOIO, qual0: 0x620110, qual1: 0x1009, instLen: 2 });
    expect(io).toEqual(['in 60/1', 'out 61/1 77']);
  });

  it('time: ticksPerInstruction TSC ticks per instruction; the guest TSC is now + offset; the budget is maxTicks / ticksPerInstruction', () => {
    const { v, mem, map, setNow } = machine({ ticksPerInstruction: 10 });
    // rdtsc; jmp $-2 (an endless loop re-reading the TSC)
    mem.bytes.set([0x0f, 0x31, 0xeb, 0xfc], 0x10000);
    map(1, 0x10);
    const f = flat(0x1000);
    f.s.tscOff = -500;
    v.store(f.s, f.mtd | Mtd.TSC);
    setNow(1_000_000);
    expect(v.run(95)).toEqual({ reason: null, ticks: 90, qual0: 0, qual1: 0, instLen: 0 });
    // 9 instructions: the fifth RDTSC ran at instruction 8, i.e. at tick 1,000,080.
    expect(v.cpu.r32[0]).toBe(1_000_080 - 500);
    setNow(2_000_000);
    expect(v.run(1).ticks).toBe(10); // at least one instruction: the jmp
    setNow(2_000_010);
    expect(v.run(10).ticks).toBe(10); // the RDTSC, at the start of this slice
    expect(v.cpu.r32[0]).toBe(2_000_010 - 500);
  });

  it('forgets a destroyed vCPU (the kernel destroyed its EC)', () => {
    const { v, engine } = machine();
    expect(engine.vcpus).toEqual([v]);
    v.destroy();
    expect(engine.vcpus).toEqual([]);
  });

  it('refuses a bad configuration', () => {
    expect(() => x86VcpuEngine({ ticksPerInstruction: 0 })).toThrow(KernelNovaError);
    expect(() => x86VcpuEngine({ ticksPerInstruction: 1.5 })).toThrow(/positive integer/);
  });

  it('frames beyond RAM reach the kernel MMIO handler', () => {
    const { v, mem, map } = machine();
    const seen: string[] = [];
    mem.mmio = {
      read: (a, size) => {
        seen.push(`r ${a.toString(16)}/${size}`);
        return 0x1234;
      },
      write: (a, size, val) => {
        seen.push(`w ${a.toString(16)}/${size} ${val.toString(16)}`);
        return true;
      },
    };
    // mov eax, [0x5000]; mov [0x5004], eax; hlt
    mem.bytes.set([0xa1, 0x00, 0x50, 0x00, 0x00, 0xa3, 0x04, 0x50, 0x00, 0x00, 0xf4], 0x10000);
    map(1, 0x10);
    map(5, 0xfee00); // guest page 5 → the local APIC's frame (not RAM)
    const f = flat(0x1000);
    v.store(f.s, f.mtd);
    expect(v.run(100).reason).toBe(SvmExit.HLT);
    expect(seen).toEqual(['r fee00000/4', 'w fee00004/4 1234']);
  });

  it('bad guest state and random guest code never throw: every run ends in an exit or the budget', () => {
    const allowed = new Set<number | null>([
      null,
      SvmExit.VINTR,
      SvmExit.CPUID,
      SvmExit.HLT,
      SvmExit.IOIO,
      SvmExit.MSR,
      SvmExit.SHUTDOWN,
      SvmExit.NPT_FAULT,
      SvmExit.INVALID_STATE,
      SvmExit.EXCP_BASE + 17,
    ]);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.record({
          cr0: fc.oneof(fc.constant(0x10), fc.constant(0x11), fc.constant(0x80000011), fc.nat(2 ** 32 - 1)),
          rflags: fc.nat(2 ** 32 - 1),
          csAr: fc.nat(0xfff),
          ssAr: fc.nat(0xfff),
          efer: fc.nat(2 ** 16 - 1),
          intrInfo: fc.nat(2 ** 32 - 1),
          intrState: fc.nat(3),
          ctrl0: fc.nat(2 ** 32 - 1),
          ctrl1: fc.nat(0xff),
          rip: fc.nat(0x1fff),
        }),
        (code, st) => {
          const { v, mem, map } = machine();
          mem.bytes.set(code, 0x10000);
          map(0, 0x10);
          map(1, 0x11);
          const f = flat(st.rip);
          Object.assign(f.s, {
            cr0: st.cr0,
            rflags: st.rflags,
            efer: st.efer,
            intrInfo: st.intrInfo,
            intrState: st.intrState,
            ctrl0: st.ctrl0,
            ctrl1: st.ctrl1,
          });
          f.s.cs = { ...f.s.cs, ar: st.csAr };
          f.s.ss = { ...f.s.ss, ar: st.ssAr };
          v.store(f.s, f.mtd | Mtd.EFER | Mtd.INJ | Mtd.STA);
          for (let i = 0; i < 3; i++) {
            const x = v.run(500);
            expect(allowed.has(x.reason)).toBe(true);
            expect(Number.isSafeInteger(x.ticks) && x.ticks >= 0).toBe(true);
          }
          const out = new VcpuState();
          v.load(out, MTD_ALL | Mtd.INJ | Mtd.STA | Mtd.TSC);
          expect(Number.isFinite(out.rip) && Number.isFinite(out.rflags)).toBe(true);
        },
      ),
      { numRuns: process.env.GENODE_TS_LONG === '1' ? 2000 : 60, seed: 0x5eed },
    );
  }, 60_000);
});
