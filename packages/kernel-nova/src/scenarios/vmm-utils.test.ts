/**
 * Genode's `test/vmm_utils` (repos/ports, 2014–2020; spec/genode.md §4.7) on `novaKernel()`:
 * two vCPUs in the VMM's own PD (`Vcpu_same_pd`) and two in a PD "VM" of their own
 * (`Vcpu_other_pd`), each with a `Vcpu_dispatcher<Thread>` — an entrypoint whose only exit
 * handler is the SVM startup exit (0xfe, MTD ALL) — logging `<name> _vcpu_startup called`.
 * Expected, in this order: `VMM: vcpu_s_1 …`, `VMM: vcpu_s_2 …`, `VMM: vcpu_o_1 …`,
 * `VMM: vcpu_o_2 …`. The NOVA side is checked too: the vCPU ECs live in the right PDs, their
 * 256-selector event windows hold exit portals bound to the dispatchers' local ECs, and the
 * STARTUP exit reached the dispatcher through the portal at evt + 0xfe.
 */
import { boot, Entrypoint, type Env, MTD, VCPU_EXIT, Vcpu, Vm_connection } from '@genode-ts/genode-base';
import { lines_of } from '@genode-ts/genode-base/conformance';
import { describe, expect, it } from 'vitest';
import { ObjType } from '../constants.js';
import type { Ec } from '../ec.js';
import type { NovaGenodeKernel, NovaGenodeVcpu } from '../genode/nova-backend.js';
import { novaKernel } from '../genode/nova-kernel.js';
import { checkInvariants } from '../invariants.js';
import type { Pt } from '../pt.js';
import { TraceLog } from '../trace.js';

/** `Vmm::log`: Genode's VMM utilities prefix their messages with "VMM: ". */
function vmmLog(env: Env, ...args: string[]): void {
  env.log('VMM: ', ...args);
}

interface Dispatcher {
  readonly name: string;
  readonly vcpu: Vcpu;
  readonly ep: Entrypoint;
}

function runVmmUtils() {
  const kernelTrace = new TraceLog();
  let nova: NovaGenodeKernel | undefined;
  const system = boot({
    kernel: novaKernel({ kernelTrace, onBoot: (k) => (nova = k) }),
    ramBytes: 64 << 20,
  });
  const dispatchers: Dispatcher[] = [];
  let vmSame: Vm_connection | undefined;
  let vmOther: Vm_connection | undefined;
  const c = system.start({
    name: 'vmm_utils',
    ram: 16 << 20,
    caps: 400,
    component: {
      construct(env) {
        // Vcpu_same_pd: the guest-physical space is the VMM's own PD; Vcpu_other_pd: PD "VM"
        vmSame = new Vm_connection(env, { label: 'same pd', colocated: true });
        vmOther = new Vm_connection(env, { label: 'VM', colocated: false });
        const add = (vm: Vm_connection, name: string) => {
          // Vmm::Vcpu_dispatcher<Thread>: only the startup exit is registered (MTD ALL)
          const ep = new Entrypoint(env, 16 * 1024, name);
          const vcpu = new Vcpu(
            vm,
            (v) => {
              if (v.exit_reason() === VCPU_EXIT.STARTUP) vmmLog(env, `${name} _vcpu_startup called`);
              // no other exit is handled: the vCPU stays where it is
              v.with_state(() => false);
            },
            { ep, exit_mtd: (reason) => (reason === VCPU_EXIT.STARTUP ? MTD.ALL : 0) },
          );
          dispatchers.push({ name, vcpu, ep });
        };
        add(vmSame, 'vcpu_s_1');
        add(vmSame, 'vcpu_s_2');
        add(vmOther, 'vcpu_o_1');
        add(vmOther, 'vcpu_o_2');
      },
    },
  });
  const run = system.run({
    until: () => lines_of(system.log, 'init -> vmm_utils').length >= 4,
    maxSteps: 100_000,
  });
  return { system, c, run, dispatchers, nova: nova!, kernelTrace, vmSame: vmSame!, vmOther: vmOther! };
}

describe('vmm_utils (spec/genode.md §4.7) on novaKernel()', () => {
  it('logs the four startup exits in order: same-PD vCPUs first, then the other-PD ones', () => {
    const { system, run, nova } = runVmmUtils();
    expect(run.reason).toBe('until');
    expect(lines_of(system.log, 'init -> vmm_utils')).toEqual([
      'VMM: vcpu_s_1 _vcpu_startup called',
      'VMM: vcpu_s_2 _vcpu_startup called',
      'VMM: vcpu_o_1 _vcpu_startup called',
      'VMM: vcpu_o_2 _vcpu_startup called',
    ]);
    expect(system.log.filter((l) => l.includes('Error'))).toEqual([]);
    expect(checkInvariants(nova.nova)).toEqual([]);
  });

  it('uses NOVA vCPU ECs with 256-selector exit windows bound to the dispatchers', () => {
    const { dispatchers, nova, kernelTrace, vmSame, vmOther } = runVmmUtils();
    const vmmPd = vmSame.kernel_vm().vmm as unknown as { nova: unknown };
    const otherPd = vmOther.kernel_vm().pd as unknown as { nova: { label: string } };
    expect(vmSame.kernel_vm().pd).toBe(vmSame.kernel_vm().vmm);
    expect(vmOther.kernel_vm().pd).not.toBe(vmOther.kernel_vm().vmm);
    for (const d of dispatchers) {
      const v = d.vcpu.kernel_vcpu() as NovaGenodeVcpu;
      const ec: Ec = v.ec;
      // a vCPU EC (UTCB 0) in the VM's PD: the VMM's own for Vcpu_same_pd, PD "VM" otherwise
      expect(ec.kind).toBe('vcpu');
      expect(ec.pd).toBe(d.name.startsWith('vcpu_s') ? vmmPd.nova : otherPd.nova);
      expect(ec.evt % 256).toBe(0);
      // evt + 0xfe: the startup portal, bound to the dispatcher's local EC, PID = id << 16 | 0xfe
      for (const reason of [VCPU_EXIT.STARTUP, VCPU_EXIT.NPT, VCPU_EXIT.HLT]) {
        const node = nova.nova.objCap(ec.pd, ec.evt + reason);
        expect(node?.obj?.type).toBe(ObjType.PT);
        const pt = node!.obj as Pt;
        expect(pt.ec.kind).toBe('local');
        expect(pt.ec.pd).toBe(vmmPd.nova);
        expect(pt.pid).toBe(v.id * 0x10000 + reason);
        expect(pt.mtd).toBe(reason === VCPU_EXIT.STARTUP ? MTD.ALL : 0);
        // core dropped pt_ctrl from the exit portals it installed
        expect(node!.perms & 0x1).toBe(0);
      }
      // the STARTUP exit was the implicit portal call at evt + 0xfe into the dispatcher
      const handler = (nova.nova.objCap(ec.pd, ec.evt + 0xfe)!.obj as Pt).ec.label;
      expect(kernelTrace.lines().some((l) => l.includes(`${ec.label} event 0xfe -> ${handler}`))).toBe(true);
      // the handler did not resume the vCPU: it waits on its SM (reply-and-block)
      expect(ec.waitingOn).toBe(v.sem.sm);
    }
    expect(otherPd.nova.label).toBe('VM (VM)');
  });
});
