/**
 * Host code writing guest RAM while the guest's code is cached: the VMM patches an instruction
 * of a compiled guest loop through its own mapping of guest RAM (`Local_memory`, a different
 * virtual address than the guest uses, the same frame), and the guest runs the new bytes.
 * genode-base reports such stores through `BootedKernel.ramWritten`; novaKernel forwards them to
 * the vCPU engine, which drops the decoded and compiled code in those bytes.
 */
import { boot, type Env, VCPU_EXIT, Vcpu, Vm_connection } from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { novaKernel } from '../genode/nova-kernel.js';
import { x86VcpuEngine } from '../x86/x86-vcpu-engine.js';
import { chargeFlat32 } from './genode-vcpu-harness.js';

const CODE = 0x10000;
const BACKING = 0x400_1000;
/**
 *   0  b9 c8 00 00 00   mov ecx, 200
 *   5  83 c0 01         add eax, 1        ; the VMM patches the immediate (offset 7)
 *   8  49               dec ecx
 *   9  75 fa            jnz 5
 *  11  f4               hlt
 */
const LOOP = Uint8Array.of(0xb9, 0xc8, 0, 0, 0, 0x83, 0xc0, 0x01, 0x49, 0x75, 0xfa, 0xf4);

function run(patch: (env: Env, local: number) => Generator<unknown, void, unknown>): { eax: number[] } {
  const engine = x86VcpuEngine({ compileThreshold: 16 });
  const system = boot({ kernel: novaKernel({ vcpuEngine: engine }), ramBytes: 64 << 20 });
  const eax: number[] = [];
  let done = false;
  system.start({
    name: 'vmm',
    ram: 8 << 20,
    caps: 300,
    component: {
      *construct(env: Env) {
        const vm = new Vm_connection(env, { colocated: false });
        const ram = env.ram().alloc(1 << 20);
        const r = env.rm().attach(ram, { use_at: true, at: BACKING, writeable: true, executable: true });
        const backing = r.ok ? r.range.start : 0;
        const mem = env.rm().local;
        yield* mem.write(backing + CODE, LOOP);
        new Vcpu(vm, function* (vcpu) {
          let npt = -1;
          let patchNow = false;
          vcpu.with_state((s) => {
            if (s.exit_reason === VCPU_EXIT.STARTUP) {
              chargeFlat32(s, CODE);
              s.ax.charge(0);
              return true;
            }
            if (s.exit_reason === VCPU_EXIT.NPT) {
              npt = s.qual_secondary.value();
              return true;
            }
            // HLT: record the sum; run the loop once more after the VMM patched it.
            eax.push(s.ax.value());
            if (eax.length === 2) return false;
            patchNow = true;
            s.ip.charge(CODE);
            s.ax.charge(0);
            return true;
          });
          if (npt >= 0) {
            const page = npt - (npt % 4096);
            if (mem.lookup(backing + page) === undefined) yield* mem.read8(backing + page);
            vcpu.delegate({ local: backing + page, guest_phys: page, log2: 12 });
          }
          if (patchNow) yield* patch(env, backing + CODE);
          if (eax.length === 2) done = true;
        });
      },
    },
  });
  const result = system.run({ until: () => done, maxSteps: 200_000 });
  expect(result.reason).toBe('until');
  // Two runs of mov, 200 × (add, dec, jnz), hlt. The loop block is compiled after 16 runs.
  expect(engine.vcpus[0]!.stats.instructions).toBe(2 * (1 + 3 * 200 + 1));
  return { eax };
}

describe('host writes to guest RAM reach the vCPU engine (BootedKernel.ramWritten)', () => {
  it('a Local_memory store into a compiled loop takes effect at the next run', () => {
    const { eax } = run(function* (env, code) {
      yield* env.rm().local.write8(code + 7, 5); // add eax, 1 → add eax, 5
    });
    expect(eax).toEqual([200, 1000]);
  });

  it('so do byte-range writes and fills', () => {
    const { eax } = run(function* (env, code) {
      yield* env.rm().local.write(code + 5, Uint8Array.of(0x83, 0xc0, 0x03)); // add eax, 3
    });
    expect(eax).toEqual([200, 600]);
    const filled = run(function* (env, code) {
      yield* env.rm().local.fill(code + 7, 1, 7); // add eax, 7
    });
    expect(filled.eax).toEqual([200, 1400]);
  });
});
