// The VMM core on genode-base's test kernel: its fake vCPU runs a script of guest accesses (no
// x86 code), which is enough to drive the memory path, port I/O, CPUID, HLT and the stop paths
// deterministically. The real engine (x86-core on NOVA) runs the end-to-end guests in apps/demo.
import { boot, type Env, type Genode_system, MTD, VCPU_EXIT } from '@genode-ts/genode-base';
import { testKernel } from '@genode-ts/genode-base/test-kernel';
import { describe, expect, it } from 'vitest';
import type { Vmm_result } from '../core/exit-handlers.js';
import { Vmm, type Vmm_options } from '../core/vmm.js';
import { LoaderError } from '../errors.js';
import type { Register_access } from '../vcpu/mtd-discipline.js';

type Op =
  | { op: 'read'; gpa: number; size: 1 | 2 | 4 }
  | { op: 'write'; gpa: number; size: 1 | 2 | 4; value: number }
  | { op: 'hlt' }
  | { op: 'cpuid'; leaf: number }
  | { op: 'in'; port: number; size: 1 | 2 | 4 }
  | { op: 'out'; port: number; size: 1 | 2 | 4; value: number }
  | { op: 'spin'; us: number };
type Script = (ctx: { vcpu: number }) => Generator<Op, void, unknown>;

const FLAT = {
  kind: 'flat' as const,
  image: new Uint8Array(64).fill(0x90),
  address: 0x100000,
  mode: 'protected' as const,
};

function start(script: Script, options: Partial<Vmm_options> = {}) {
  const results: unknown[] = [];
  const wrapped: Script = function* (ctx) {
    const g = script(ctx);
    let r: unknown;
    for (;;) {
      const s = g.next(r);
      if (s.done) return;
      r = yield s.value;
      results.push(r);
    }
  };
  const system: Genode_system = boot({
    kernel: testKernel({ guest: wrapped as never }),
    ramBytes: 96 << 20,
  });
  const serial: number[] = [];
  const violations: Register_access[] = [];
  let vmm: Vmm | undefined;
  let env: Env | undefined;
  let error: unknown;
  const c = system.start({
    name: 'vmm',
    ram: 48 << 20,
    caps: 2000,
    component: {
      *construct(e) {
        env = e;
        try {
          vmm = yield* Vmm.create(e, {
            ram: 16 << 20,
            guest: FLAT,
            onSerial: (b) => serial.push(b),
            strict: { strict: true, onViolation: (_r, _h, a) => violations.push(a) },
            log: () => {},
            ...options,
          });
        } catch (x) {
          error = x;
        }
      },
    },
  });
  const run = system.run({
    until: () => error !== undefined || vmm?.result() !== undefined,
    maxSteps: 500_000,
  });
  return { system, c, run, vmm: vmm!, env: env!, serial, violations, results, error };
}

describe('the VMM on the test kernel (scripted guest)', () => {
  it('resolves an NPT fault by touching the VMM’s page and delegating the largest block (colocated)', () => {
    const { system, vmm, serial, violations, results } = start(function* () {
      yield { op: 'write', gpa: 0x100000, size: 4, value: 0x12345678 };
      yield { op: 'read', gpa: 0x1ffffc, size: 4 }; // same 1 MiB block: no exit
      yield { op: 'write', gpa: 0x300000, size: 4, value: 7 }; // [2 MiB, 4 MiB)
      yield { op: 'out', port: 0x3fb, size: 1, value: 0x03 }; // LCR: 8N1 (power-on: 5-bit words)
      yield { op: 'out', port: 0x3f8, size: 1, value: 0x41 };
      yield { op: 'cpuid', leaf: 0 };
      yield { op: 'out', port: 0xf4, size: 1, value: 0 };
    });
    expect(vmm.result()).toEqual({ kind: 'debug-exit', value: 0 } satisfies Vmm_result);
    expect(String.fromCharCode(...serial)).toBe('A');
    expect(violations).toEqual([]);
    expect(vmm.stats.exitCounts()).toEqual({ '0x72': 1, '0x7b': 3, '0xfc': 2, '0xfe': 1 });
    expect(vmm.stats.blockCounts()).toEqual({ '1M': 1, '2M': 1 });
    expect(vmm.stats.nptRam).toBe(2);
    // the first touch mapped the VMM's whole RAM window block: one VMM page fault
    expect(vmm.stats.vmmFaults).toBe(1);
    // the guest saw the value the VMM sees through its window (same frame)
    const k = system.kernel;
    const g = k.lookupGuest(vmm.vm.kernel_vm(), 0x100000)!;
    const l = k.lookup(vmm.vm.kernel_vm().vmm, vmm.memory.local(0x100000))!;
    expect(g.phys).toBe(l.phys);
    expect(new DataView(k.memory.buffer).getUint32(g.phys, true)).toBe(0x12345678);
    // CPUID 0: GenuineIntel, highest leaf 1
    expect(results[5]).toEqual({ eax: 1, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 });
  });

  it('places the reservation at PAGE_SIZE with offset PAGE_SIZE and the guest memory window elsewhere', () => {
    const { system, vmm, env } = start(function* () {
      yield { op: 'out', port: 0xf4, size: 1, value: 3 };
    });
    expect(vmm.result()).toEqual({ kind: 'debug-exit', value: 3 });
    const pd = system.core.pd_of(env.pd().native_pd()!.id)!;
    const as = pd.address_space_rm!;
    const res = as.region_at(0x1000)!;
    expect([res.base, res.size, res.offset]).toEqual([0x1000, (16 << 20) - 0x1000, 0x1000]);
    expect(vmm.reservation?.range()).toEqual({ start: 0x1000, end: 16 << 20 });
    const win = as.region_at(vmm.memory.window_base())!;
    expect(win.base).toBe(vmm.memory.window_base());
    expect(win.size).toBe(2 ** 32);
    expect(win.base).toBeGreaterThanOrEqual(16 << 20);
    // the window holds the RAM at guest-physical 0
    expect(vmm.memory.regions().map((r) => [r.name, r.gpa, r.size])).toEqual([['RAM', 0, 16 << 20]]);
  });

  it('runs separate from the VMM (a VM PD of its own, no reservation) with the same exits', () => {
    const script: Script = function* () {
      yield { op: 'write', gpa: 0x100000, size: 4, value: 1 };
      yield { op: 'write', gpa: 0x9000, size: 4, value: 1 };
      yield { op: 'out', port: 0xf4, size: 1, value: 0 };
    };
    const a = start(script);
    const b = start(script, { colocated: false });
    expect(b.vmm.reservation).toBeUndefined();
    expect(b.vmm.vm.kernel_vm().pd).not.toBe(b.vmm.vm.kernel_vm().vmm);
    expect(a.vmm.vm.kernel_vm().pd).toBe(a.vmm.vm.kernel_vm().vmm);
    expect(b.vmm.stats.exitCounts()).toEqual(a.vmm.stats.exitCounts());
    expect(b.vmm.stats.blockCounts()).toEqual({ '512K': 1, '1M': 1 });
  });

  it('stops on HLT with interrupts disabled, reporting the state', () => {
    const { vmm } = start(function* () {
      yield { op: 'hlt' };
    });
    const r = vmm.result();
    expect(r?.kind).toBe('halted');
    if (r?.kind === 'halted') {
      expect(r.state.eip).toBe(0x100001);
      expect(r.state.eflags).toBe(0x2);
    }
  });

  it('parks application processors (no local APIC): only vCPU 0 runs', () => {
    const lines: string[] = [];
    let started = 0;
    const { vmm } = start(
      function* () {
        if (started++ !== 0) return; // the fake vCPUs start in creation order: the first is vCPU 0
        yield { op: 'out', port: 0xf4, size: 1, value: 0 };
      },
      { cpus: 3, log: (l) => lines.push(l) },
    );
    expect(vmm.result()).toEqual({ kind: 'debug-exit', value: 0 });
    expect(vmm.vcpus.map((v) => v.state)).toEqual(['stopped', 'parked', 'parked']);
    expect(lines).toEqual([
      'vCPU 1: waiting for INIT/SIPI (no local APIC is modelled), stays stopped',
      'vCPU 2: waiting for INIT/SIPI (no local APIC is modelled), stays stopped',
    ]);
    expect(vmm.stats.exitsPerVcpu.map((m) => Object.fromEntries(m))).toEqual([
      { [VCPU_EXIT.STARTUP]: 1, [VCPU_EXIT.IOIO]: 1 },
      { [VCPU_EXIT.STARTUP]: 1 },
      { [VCPU_EXIT.STARTUP]: 1 },
    ]);
  });

  it('rejects a bad image before the VM exists', () => {
    const { error, system } = start(function* () {}, {
      guest: { kind: 'multiboot', image: new Uint8Array(100) },
    });
    expect(error).toBeInstanceOf(LoaderError);
    expect((error as LoaderError).code).toBe('NO_HEADER');
    expect(system.log.join('\n')).not.toContain('VM');
  });

  it('is deterministic: the same script gives the same counts twice', () => {
    const script: Script = function* () {
      for (let i = 0; i < 8; i++) yield { op: 'write', gpa: 0x100000 + i * 0x180000, size: 4, value: i };
      yield { op: 'in', port: 0x3fd, size: 1 };
      yield { op: 'out', port: 0xf4, size: 1, value: 0 };
    };
    const a = start(script);
    const b = start(script);
    expect(a.vmm.stats.exitCounts()).toEqual(b.vmm.stats.exitCounts());
    expect(a.vmm.stats.blockCounts()).toEqual(b.vmm.stats.blockCounts());
    expect(a.results).toEqual(b.results);
    // LSR of an idle 16550: THRE and TEMT
    expect(a.results.at(-1)).toBe(0x60);
    expect(MTD.ALL).toBeGreaterThan(0);
  });
});
