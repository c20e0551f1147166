import { describe, expect, it } from 'vitest';
import type { Blocking } from '../kernel/blocking.js';
import { MTD, NPT_ERROR, SVM_IOIO, VCPU_EXIT } from '../kernel/vcpu-state.js';
import type { Guest_result, Guest_script } from '../test-kernel/fake-guest.js';
import { testKernel } from '../test-kernel/test-kernel.js';
import type { Env } from './env.js';
import { boot } from './system.js';
import { Thread } from './thread.js';
import { Vcpu, Vm_connection } from './vm-connection.js';

function runVmm(guest: Guest_script, construct: (env: Env, done: () => void) => Blocking<void> | void) {
  const system = boot({ kernel: testKernel({ guest }) });
  let finished = false;
  const c = system.start({
    name: 'vmm',
    ram: 8 << 20,
    caps: 200,
    component: { construct: (env) => construct(env, () => (finished = true)) },
  });
  const run = system.run({ until: () => finished, maxSteps: 100_000 });
  return { system, c, run, finished };
}

describe('VM session and vCPUs (scripted fake vCPU)', () => {
  it('delivers STARTUP, I/O, CPUID and HLT exits in SVM numbering with x86 qualifications', () => {
    const guestSaw: Guest_result[] = [];
    const guest: Guest_script = function* () {
      yield { op: 'write', gpa: 0x1000, size: 4, value: 0xdeadbeef };
      guestSaw.push(yield { op: 'read', gpa: 0x1000, size: 4 });
      yield { op: 'out', port: 0x3f8, size: 1, value: 0x41 };
      guestSaw.push(yield { op: 'in', port: 0x60, size: 2 });
      guestSaw.push(yield { op: 'cpuid', leaf: 0 });
      yield { op: 'hlt' };
    };
    const exits: number[] = [];
    const io: string[] = [];
    let vmmSaw = -1;
    const { finished } = runVmm(guest, function* (env, done) {
      const vm = new Vm_connection(env);
      const ram = env.ram().alloc(64 * 1024);
      vm.attach(ram, 0, { writeable: true });
      const local = env.rm().attach(ram, {});
      new Vcpu(vm, function* (vcpu) {
        vcpu.with_state((s) => {
          exits.push(s.exit_reason);
          switch (s.exit_reason) {
            case VCPU_EXIT.STARTUP:
              s.ip.charge(0x100);
              return true;
            case VCPU_EXIT.IOIO: {
              const q = s.qual_primary.value();
              const port = Math.floor(q / 2 ** SVM_IOIO.PORT_SHIFT);
              const size = q & SVM_IOIO.SZ8 ? 1 : q & SVM_IOIO.SZ16 ? 2 : 4;
              const isIn = (q & SVM_IOIO.TYPE_IN) !== 0;
              io.push(
                `${isIn ? 'in' : 'out'} 0x${port.toString(16)}/${size} ax=0x${s.ax.value().toString(16)}`,
              );
              if (isIn) s.ax.charge(0xbeef);
              s.ip.charge(s.qual_secondary.value());
              return true;
            }
            case VCPU_EXIT.CPUID:
              s.ax.charge(0xd);
              s.bx.charge(0x756e6547);
              s.cx.charge(0x6c65746e);
              s.dx.charge(0x49656e69);
              s.ip.charge(s.ip.value() + s.ip_len.value());
              return true;
            default:
              return false; // HLT: stay paused
          }
        });
        if (vcpu.exit_reason() === VCPU_EXIT.HLT) {
          vmmSaw = yield* env.rm().local.read32((local.ok ? local.range.start : 0) + 0x1000);
          done();
        }
      });
    });
    expect(finished).toBe(true);
    expect(exits).toEqual([
      VCPU_EXIT.STARTUP,
      VCPU_EXIT.IOIO,
      VCPU_EXIT.IOIO,
      VCPU_EXIT.CPUID,
      VCPU_EXIT.HLT,
    ]);
    // IN exits with the previous EAX (0x41 from the OUT); the handler supplies the input
    expect(io).toEqual(['out 0x3f8/1 ax=0x41', 'in 0x60/2 ax=0x41']);
    expect(guestSaw).toEqual([
      0xdeadbeef,
      0xbeef,
      { eax: 0xd, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 },
    ]);
    expect(vmmSaw).toBe(0xdeadbeef);
  });

  it('colocated: an NPT exit is answered by delegating the VMM page into the guest (Vcpu_same_pd)', () => {
    const values: Guest_result[] = [];
    const guest: Guest_script = function* () {
      values.push(yield { op: 'read', gpa: 0x2004, size: 4 });
      values.push(yield { op: 'read', gpa: 0x2008, size: 4 });
      yield { op: 'write', gpa: 0x3000, size: 4, value: 7 };
      yield { op: 'hlt' };
    };
    const npt: { gpa: number; err: number }[] = [];
    let vmmView = -1;
    const { finished } = runVmm(guest, function* (env, done) {
      const vm = new Vm_connection(env, { colocated: true });
      expect(vm.colocated()).toBe(true);
      const ram = env.ram().alloc(64 * 1024);
      const r = env.rm().attach(ram, { writeable: true });
      const base = r.ok ? r.range.start : 0;
      yield* env.rm().local.write32(base + 0x2004, 0x11223344);
      new Vcpu(vm, function* (vcpu) {
        let gpa = -1;
        vcpu.with_state((s) => {
          if (s.exit_reason === VCPU_EXIT.NPT) {
            gpa = s.qual_secondary.value();
            npt.push({ gpa, err: s.qual_primary.value() });
          }
          return s.exit_reason !== VCPU_EXIT.HLT;
        });
        if (gpa >= 0) {
          const page = gpa - (gpa % 4096);
          // Seoul: make sure the VMM's own mapping exists, then delegate it with the G flag
          yield* env.rm().local.read8(base + page);
          yield* env.rm().local.write8(base + page, (yield* env.rm().local.read8(base + page)) | 0);
          vcpu.delegate({ local: base + page, guest_phys: page, log2: 12 });
        }
        if (vcpu.exit_reason() === VCPU_EXIT.HLT) {
          vmmView = yield* env.rm().local.read32(base + 0x3000);
          done();
        }
      });
    });
    expect(finished).toBe(true);
    expect(values).toEqual([0x11223344, 0]);
    expect(npt.map((n) => n.gpa)).toEqual([0x2004, 0x3000]);
    expect(npt[0]!.err & NPT_ERROR.PRESENT).toBe(0);
    expect(npt[1]!.err & NPT_ERROR.WRITE).toBe(NPT_ERROR.WRITE);
    expect(vmmView).toBe(7);
  });

  it('recall forces a RECALL exit; a paused vCPU resumes through with_state from another thread', () => {
    const guest: Guest_script = function* () {
      for (let i = 0; i < 1000; i++) yield { op: 'spin', us: 10 };
      yield { op: 'hlt' };
    };
    const exits: number[] = [];
    const { finished } = runVmm(guest, function* (env, done) {
      const vm = new Vm_connection(env);
      const vcpu = new Vcpu(vm, (v) => {
        v.with_state((s) => {
          exits.push(s.exit_reason);
          if (s.exit_reason === VCPU_EXIT.RECALL) return false; // pause
          if (s.exit_reason === VCPU_EXIT.HLT) done();
          return s.exit_reason === VCPU_EXIT.STARTUP;
        });
      });
      yield* env.kernel.sleep(500);
      vcpu.recall();
      const t = new Thread(env, 'resumer', 16 * 1024, function* () {
        while (!exits.includes(VCPU_EXIT.RECALL)) yield* env.kernel.yieldCpu();
        expect(() =>
          vcpu.with_state((s) => {
            s.ax.charge(1);
            return true;
          }),
        ).not.toThrow();
      });
      t.start();
    });
    expect(finished).toBe(true);
    expect(exits).toEqual([VCPU_EXIT.STARTUP, VCPU_EXIT.RECALL, VCPU_EXIT.HLT]);
  });

  it('guest memory: attach errors, flush on dataspace destruction (next access exits again)', () => {
    const guest: Guest_script = function* () {
      yield { op: 'read', gpa: 0x0, size: 4 };
      yield { op: 'hlt' };
      yield { op: 'read', gpa: 0x0, size: 4 };
      yield { op: 'hlt' };
    };
    const exits: number[] = [];
    const errors: string[] = [];
    const { finished } = runVmm(guest, (env, done) => {
      const vm = new Vm_connection(env);
      const ram = env.ram().alloc(16 * 1024);
      vm.attach(ram, 0, { writeable: true });
      for (const [gpa, attr] of [
        [0x1000, {}],
        [0x20000, { offset: 0x800 }],
        [0x20000, { offset: 0x4000 }],
        [0x20000, { size: 0x8000 }],
        [0x20800, {}],
      ] as const) {
        try {
          vm.attach(ram, gpa, attr);
        } catch (e) {
          errors.push((e as { code: string }).code);
        }
      }
      try {
        vm.attach({ id: -1 }, 0x40000);
      } catch (e) {
        errors.push((e as { code: string }).code);
      }
      let hlts = 0;
      new Vcpu(vm, (v) => {
        v.with_state((s) => {
          exits.push(s.exit_reason);
          if (s.exit_reason === VCPU_EXIT.HLT) {
            hlts++;
            if (hlts === 1) env.ram().free(ram);
            else done();
            s.ip.charge(s.ip.value() + s.ip_len.value());
          }
          return s.exit_reason !== VCPU_EXIT.NPT;
        });
      });
    });
    expect(errors).toEqual([
      'Region_conflict',
      'Region_conflict',
      'Region_conflict',
      'Region_conflict',
      'Region_conflict',
      'Invalid_dataspace',
    ]);
    // after the dataspace is freed, the guest's next access is an NPT exit and the vCPU pauses
    expect(exits).toEqual([VCPU_EXIT.STARTUP, VCPU_EXIT.HLT, VCPU_EXIT.NPT]);
    expect(finished).toBe(false);
  });

  it('exit portals deliver only the MTD-selected state; the reply writes only charged groups', () => {
    const guest: Guest_script = function* () {
      yield { op: 'cpuid', leaf: 7 };
      yield { op: 'hlt' };
    };
    const seen: { ax: number; cr0: number }[] = [];
    runVmm(guest, (env, done) => {
      const vm = new Vm_connection(env);
      new Vcpu(
        vm,
        (v) => {
          v.with_state((s) => {
            seen.push({ ax: s.ax.value(), cr0: s.cr0.value() });
            if (s.exit_reason === VCPU_EXIT.STARTUP) {
              s.cr0.charge(0x10);
              return true;
            }
            if (s.exit_reason === VCPU_EXIT.CPUID) {
              s.ip.charge(s.ip.value() + s.ip_len.value());
              return true;
            }
            done();
            return false;
          });
        },
        { exit_mtd: (reason) => (reason === VCPU_EXIT.CPUID ? MTD.EIP | MTD.ACDB : MTD.ALL) },
      );
    });
    // STARTUP (ALL) sees cr0 0; CPUID (EIP|ACDB) sees ax = leaf and no CR; HLT (ALL) sees cr0 0x10
    expect(seen).toEqual([
      { ax: 0, cr0: 0 },
      { ax: 7, cr0: 0 },
      { ax: 7, cr0: 0x10 },
    ]);
  });

  it('the FPU image travels only with MTD FPU: a charged image reaches the next FPU exit', () => {
    const guest: Guest_script = function* () {
      yield { op: 'cpuid', leaf: 1 };
      yield { op: 'hlt' };
    };
    const seen: { reason: number; fcw: number; st0: number }[] = [];
    runVmm(guest, (env, done) => {
      const vm = new Vm_connection(env);
      new Vcpu(
        vm,
        (v) => {
          v.with_state((s) => {
            s.fpu.with_state((b) => {
              seen.push({ reason: s.exit_reason, fcw: b[0]! | (b[1]! << 8), st0: b[32 + 7]! });
            });
            if (s.exit_reason === VCPU_EXIT.STARTUP) {
              s.fpu.charge((b) => {
                b[0] = 0x7f;
                b[1] = 0x03;
                b[32 + 7] = 0x80; // ST0 significand: integer bit
              });
              return true;
            }
            if (s.exit_reason === VCPU_EXIT.CPUID) {
              s.ip.charge(s.ip.value() + s.ip_len.value());
              return true;
            }
            done();
            return false;
          });
        },
        { exit_mtd: (reason) => (reason === VCPU_EXIT.CPUID ? MTD.ALL : (MTD.ALL | MTD.FPU) >>> 0) },
      );
    });
    // STARTUP: the initial (zero) image; CPUID (ALL, no FPU): not delivered (the test kernel's
    // exit view holds zeros); HLT (ALL | FPU): the image charged at STARTUP
    expect(seen).toEqual([
      { reason: VCPU_EXIT.STARTUP, fcw: 0, st0: 0 },
      { reason: VCPU_EXIT.CPUID, fcw: 0, st0: 0 },
      { reason: VCPU_EXIT.HLT, fcw: 0x037f, st0: 0x80 },
    ]);
  });
});
