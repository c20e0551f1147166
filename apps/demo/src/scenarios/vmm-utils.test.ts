// Genode's test/vmm_utils (repos/ports, 2014–2020; spec/genode.md §4.7) with this VMM's exit
// dispatcher, on novaKernel({ vcpuEngine: x86VcpuEngine() }): two vCPUs in the VMM's own PD
// (Vcpu_same_pd) and two in a PD "VM" of their own (Vcpu_other_pd), each with a dispatcher
// entrypoint that registers only the SVM startup exit (0xfe, Mtd::ALL) and logs
// "<name> _vcpu_startup called"; run expects the four lines in creation order.
import {
  boot,
  Entrypoint,
  type Env,
  MTD,
  VCPU_EXIT,
  Vcpu,
  type Vcpu_state,
  Vm_connection,
} from '@genode-ts/genode-base';
import { novaKernel, x86VcpuEngine } from '@genode-ts/kernel-nova';
import { Exit_dispatcher, type Exit_handler } from '@genode-ts/vmm';
import { describe, expect, it } from 'vitest';

interface Named {
  readonly name: string;
  readonly env: Env;
}

function vcpuDispatcher(vm: Vm_connection, named: Named): Vcpu {
  const startup: Exit_handler<Named> = {
    name: 'startup',
    mtd: MTD.ALL,
    handle(c) {
      c.env.log(`VMM: ${c.name} _vcpu_startup called`); // Vmm::log prefixes "VMM: "
      return false; // the vCPU has no state to run with: it stays stopped, as in the test
    },
  };
  const d = new Exit_dispatcher<Named>({ [VCPU_EXIT.STARTUP]: startup }, startup);
  const ep = new Entrypoint(named.env, 16 * 1024, `${named.name} dispatcher`);
  return new Vcpu(
    vm,
    function* (vcpu) {
      let state: Vcpu_state | undefined;
      vcpu.with_state((s) => {
        state = s;
        return false;
      });
      const resume = yield* d.dispatch(named, state!);
      vcpu.with_state(() => resume);
    },
    { ep, exit_mtd: (r) => d.mtd(r) },
  );
}

describe("Genode's vmm_utils on the real engine", () => {
  it('starts two same-PD and two other-PD vCPUs; each reports its startup exit, in order', () => {
    const engine = x86VcpuEngine();
    const system = boot({ kernel: novaKernel({ vcpuEngine: engine }), ramBytes: 64 << 20 });
    const vcpus: Vcpu[] = [];
    system.start({
      name: 'test-vmm_utils',
      ram: 16 << 20,
      caps: 2000,
      component: {
        construct(env) {
          const same = new Vm_connection(env, { colocated: true });
          const other = new Vm_connection(env, { label: 'VM' });
          vcpus.push(vcpuDispatcher(same, { name: 'vcpu_s_1', env }));
          vcpus.push(vcpuDispatcher(same, { name: 'vcpu_s_2', env }));
          vcpus.push(vcpuDispatcher(other, { name: 'vcpu_o_1', env }));
          vcpus.push(vcpuDispatcher(other, { name: 'vcpu_o_2', env }));
        },
      },
    });
    const r = system.run({
      until: () => vcpus.length === 4 && vcpus.every((v) => v.exits === 1),
      maxSteps: 100_000,
    });
    expect(r.reason).toBe('until');
    expect(system.log.filter((l) => l.includes('_vcpu_startup'))).toEqual([
      '[init -> test-vmm_utils] VMM: vcpu_s_1 _vcpu_startup called',
      '[init -> test-vmm_utils] VMM: vcpu_s_2 _vcpu_startup called',
      '[init -> test-vmm_utils] VMM: vcpu_o_1 _vcpu_startup called',
      '[init -> test-vmm_utils] VMM: vcpu_o_2 _vcpu_startup called',
    ]);
    // real vCPU backends on x86-core: four of them, none ran guest code (STARTUP only)
    expect(engine.vcpus).toHaveLength(4);
    expect(engine.vcpus.map((v) => v.stats.instructions)).toEqual([0, 0, 0, 0]);
    const kvms = vcpus.map((v) => v.kernel_vcpu().vm);
    expect(kvms[0]!.pd).toBe(kvms[0]!.vmm); // same PD
    expect(kvms[2]!.pd).not.toBe(kvms[2]!.vmm); // PD "VM"
  });
});
