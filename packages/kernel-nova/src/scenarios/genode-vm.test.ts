/**
 * VM sessions on `novaKernel()` (spec/nova.md §5.5, §8 "VM session"; spec/genode.md §4.4–4.6):
 * the seed's chain for a colocated VM — guest access → NPT exit (0xfc) → portal call to the VMM
 * handler → VMM page fault (0x0e) → core's pager → region-map walk → kernel mapping (H) → reply
 * with a G item → resume — and eager guest memory (H+G delegation, remote revoke), recall, and
 * vCPU state written while paused. Guest execution comes from the scripted engine.
 */
import {
  boot,
  type Env,
  type Genode_system,
  MTD,
  VCPU_EXIT,
  Vcpu,
  type Vcpu_state,
  Vm_connection,
} from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { formatGenodeTrace, GenodeTraceLog } from '../genode/genode-trace.js';
import type {
  NovaGenodeKernel,
  NovaGenodePd,
  NovaGenodeThread,
  NovaGenodeVcpu,
} from '../genode/nova-backend.js';
import { novaKernel } from '../genode/nova-kernel.js';
import { checkInvariants } from '../invariants.js';
import { Sub } from '../mdb.js';
import type { Sc } from '../sc.js';
import { ScriptedEngine, type Step } from './scripted-engine.js';

const MARK = 0x5eed_f00d;

function machine(scripts: Step[][], trace?: GenodeTraceLog) {
  const engine = new ScriptedEngine(scripts);
  let k: NovaGenodeKernel | undefined;
  const system = boot({
    kernel: novaKernel({ vcpuEngine: engine, ...(trace ? { trace } : {}), onBoot: (b) => (k = b) }),
    ramBytes: 64 << 20,
  });
  return { system, engine, k: () => k! };
}

function vmm(system: Genode_system, construct: (env: Env) => Generator<unknown, void, unknown> | void) {
  return system.start({ name: 'vmm', ram: 8 << 20, caps: 300, component: { construct } });
}

describe('VMs on novaKernel(): the seed chain (colocated, Vcpu_same_pd)', () => {
  it('an NPT fault is resolved by the VMM touching its backing page and delegating it with G', () => {
    const trace = new GenodeTraceLog();
    const { system, engine, k } = machine(
      [
        [
          { kind: 'access', gpa: 0x2000 },
          { kind: 'exit', reason: 0x78 },
        ],
      ],
      trace,
    );
    const exits: number[] = [];
    let backing = 0;
    let vm: Vm_connection | undefined;
    let halted = false;
    vmm(system, (env) => {
      vm = new Vm_connection(env, { colocated: true });
      const ram = env.ram().alloc(64 * 1024);
      const r = env.rm().attach(ram, { writeable: true, executable: true });
      backing = r.ok ? r.range.start : 0;
      const mem = env.rm().local;
      new Vcpu(vm, function* (vcpu) {
        let gpa = -1;
        vcpu.with_state((s: Vcpu_state) => {
          exits.push(s.exit_reason);
          if (s.exit_reason === VCPU_EXIT.NPT) gpa = s.qual_secondary.value();
          return s.exit_reason !== VCPU_EXIT.HLT;
        });
        if (gpa >= 0) {
          // Seoul's _handle_map_memory: the VMM's own page first (touch), then delegate it (G)
          const page = gpa - (gpa % 4096);
          const local = backing + page;
          if (mem.lookup(local) === undefined) yield* mem.write32(local, MARK);
          vcpu.delegate({ local, guest_phys: page, log2: 12 });
        }
        if (vcpu.exit_reason() === VCPU_EXIT.HLT) halted = true;
      });
    });
    const run = system.run({ until: () => halted, maxSteps: 100_000 });
    expect(run.reason).toBe('until');
    expect(exits).toEqual([VCPU_EXIT.STARTUP, VCPU_EXIT.NPT, VCPU_EXIT.HLT]);
    // the guest's read after the delegation saw the VMM's page
    expect(engine.vcpus[0]!.log.reads).toEqual([[0x2000, MARK]]);
    const kern = k();
    const g = kern.lookupGuest(vm!.kernel_vm(), 0x2000)!;
    const pd = vm!.kernel_vm().vmm as NovaGenodePd;
    expect(g.phys).toBe(kern.lookup(pd, backing + 0x2000)!.phys);
    // same PD: the guest mapping is a G node in the VMM's own memory space, derived from its page
    const node = pd.nova.mem.find(2)!;
    expect(node.sub & Sub.G).toBe(Sub.G);
    expect(node.parent).toBe(pd.nova.mem.find((backing + 0x2000) / 4096));
    // the trace shows the whole chain, in order
    const chains = trace.nptChains();
    expect(chains).toHaveLength(1);
    expect(chains[0]!.map((r) => r.kind)).toEqual([
      'vcpu-exit',
      'page-fault',
      'rm-walk',
      'map',
      'pager-reply',
      'exit-reply',
    ]);
    const [exit, pf, walk, map, , reply] = chains[0]!;
    expect(exit).toMatchObject({ reason: 0xfc, qual1: 0x2000, handler: 'vmm:ep/rpc' });
    expect(pf).toMatchObject({
      pd: 'init -> vmm',
      thread: 'ep',
      ec: 'vmm:ep/rpc',
      addr: backing + 0x2000,
      type: 'write',
    });
    expect(pf).toMatchObject({ pager: 'core:pager0' });
    expect(walk).toMatchObject({ steps: [{ map: 'init -> vmm address space', dataspace: 'RAM' }] });
    expect(map).toMatchObject({
      by: 'core:pager0',
      from: 'H (kernel space)',
      pd: 'init -> vmm',
      guest: false,
    });
    expect(reply).toMatchObject({
      vcpu: 1,
      resume: true,
      items: [{ virt: backing + 0x2000, gpa: 0x2000, log2: 12, rights: 'rwx' }],
    });
    const text = chains[0]!.flatMap((r) => formatGenodeTrace(r).split('\n'));
    expect(text[0]).toMatch(/vcpu1 guest access to GPA 0x2000 not in the NPT: exit 0xfc \(NPT fault/);
    expect(text[1]).toMatch(
      /vcpu1 portal call evt\+0xfc \(selector 0x[0-9a-f]+fc, PID 0x100fc, MTD 0x[0-9a-f]+\) -> vmm:ep\/rpc/,
    );
    expect(text.at(-1)).toMatch(/G item VMM 0x[0-9a-f]+ -> GPA 0x2000 \(2\^12, rwx\); vCPU resumes/);
    expect(checkInvariants(kern.nova)).toEqual([]);
  });

  it('mapGuestFromLocal refuses what the VMM has not mapped (NOT_MAPPED), then delegates it', () => {
    const { system, k } = machine([[]]);
    const got: string[] = [];
    let done = false;
    vmm(system, function* (env) {
      const vm = new Vm_connection(env, { colocated: true });
      const ram = env.ram().alloc(8192);
      const r = env.rm().attach(ram, { writeable: true });
      const local = r.ok ? r.range.start : 0;
      const d = { virt: local, gpa: 0x10_0000, log2: 12, rights: { write: true, exec: false } };
      got.push(env.kernel.mapGuestFromLocal(vm.kernel_vm(), d));
      yield* env.rm().local.read8(local);
      got.push(env.kernel.mapGuestFromLocal(vm.kernel_vm(), d));
      got.push(env.kernel.mapGuestFromLocal(vm.kernel_vm(), { ...d, virt: local + 1 }));
      const t = env.kernel.lookupGuest(vm.kernel_vm(), 0x10_0000);
      got.push(t?.rights.write && !t.rights.exec ? 'rw-' : 'wrong rights');
      done = true;
    });
    system.run({ until: () => done, maxSteps: 100_000 });
    expect(got).toEqual(['NOT_MAPPED', 'OK', 'INVALID', 'rw-']);
    expect(checkInvariants(k().nova)).toEqual([]);
  });
});

describe('VMs on novaKernel(): a VM PD of its own (Vcpu_other_pd, modern Vm_session)', () => {
  it('attach is an H+G delegation into the VM PD; detach revokes it and the guest exits again', () => {
    const script: Step[] = [
      { kind: 'access', gpa: 0x3000 },
      { kind: 'exit', reason: 0x78 },
      { kind: 'access', gpa: 0x3000 },
    ];
    const { system, engine, k } = machine([script]);
    const exits: number[] = [];
    let vm: Vm_connection | undefined;
    let finished = false;
    vmm(system, function* (env) {
      vm = new Vm_connection(env, { label: 'guest' });
      const ram = env.ram().alloc(16 * 1024);
      const local = env.rm().attach(ram, { writeable: true });
      yield* env.rm().local.write32((local.ok ? local.range.start : 0) + 0x3000, 0xabcdef);
      vm.attach(ram, 0, { writeable: true, executable: true });
      new Vcpu(vm, (vcpu) => {
        vcpu.with_state((s) => {
          exits.push(s.exit_reason);
          if (s.exit_reason === VCPU_EXIT.HLT) {
            vm!.detach(0, 16 * 1024);
            return true;
          }
          if (s.exit_reason === VCPU_EXIT.NPT) {
            finished = true;
            return false;
          }
          return true;
        });
      });
    });
    system.run({ until: () => finished, maxSteps: 100_000 });
    expect(exits).toEqual([VCPU_EXIT.STARTUP, VCPU_EXIT.HLT, VCPU_EXIT.NPT]);
    const v = engine.vcpus[0]!;
    // first access: no exit (eager mapping), value from the dataspace; second: NPT exit, no TLB hit
    expect(v.log.reads).toEqual([[0x3000, 0xabcdef]]);
    expect(v.log.tlbHits).toBe(0);
    expect(k().lookupGuest(vm!.kernel_vm(), 0x3000)).toBeUndefined();
    // the VM's PD is not the VMM's, and the vCPU EC lives there
    const kvm = vm!.kernel_vm();
    expect(kvm.pd).not.toBe(kvm.vmm);
    expect(
      ((kvm as unknown as { vcpus: Set<NovaGenodeVcpu> }).vcpus.values().next().value as NovaGenodeVcpu).ec
        .pd,
    ).toBe((kvm.pd as NovaGenodePd).nova);
    expect(checkInvariants(k().nova)).toEqual([]);
  });

  it('recall gives a RECALL exit (0xff); state written while paused reaches the vCPU (ec_ctrl)', () => {
    const script: Step[] = [
      { kind: 'exit', reason: 0x78, instLen: 1 },
      { kind: 'exit', reason: 0x72, instLen: 2 },
      { kind: 'run', ticks: 50_000_000 },
    ];
    const { system, k } = machine([script]);
    const seen: string[] = [];
    let vcpu: Vcpu | undefined;
    let phase = 0;
    vmm(system, function* (env) {
      const vm = new Vm_connection(env, { label: 'guest' });
      vcpu = new Vcpu(
        vm,
        (v) => {
          v.with_state((s) => {
            seen.push(`exit 0x${s.exit_reason.toString(16)} ax=${s.ax.value()}`);
            // HLT: stay paused; the main thread resumes the vCPU with a new RAX
            if (s.exit_reason === VCPU_EXIT.HLT) return false;
            if (s.exit_reason === VCPU_EXIT.RECALL) {
              phase = 2;
              return false;
            }
            return true;
          });
        },
        { exit_mtd: () => MTD.ALL },
      );
      while (seen.length < 2) yield* env.kernel.yieldCpu();
      vcpu.with_state((s) => {
        s.ax.charge(42);
        return true;
      });
      phase = 1;
      while (seen.length < 3) yield* env.kernel.yieldCpu();
      yield* env.kernel.sleep(100);
      vcpu.recall();
    });
    const r = system.run({ until: () => phase === 2, maxSteps: 100_000 });
    expect(r.reason).toBe('until');
    expect(seen).toEqual(['exit 0xfe ax=0', 'exit 0x78 ax=0', 'exit 0x72 ax=42', 'exit 0xff ax=42']);
    expect(checkInvariants(k().nova)).toEqual([]);
  });

  it('the exit handler runs on the vCPU’s SC (donation through the implicit portal call)', () => {
    const { system, k } = machine([[{ kind: 'exit', reason: 0x78 }]]);
    let vcpu: Vcpu | undefined;
    let ep: NovaGenodeThread | undefined;
    let halted = false;
    vmm(system, (env) => {
      const vm = new Vm_connection(env, { label: 'guest' });
      ep = env.ep().kernel_ep.thread as NovaGenodeThread;
      vcpu = new Vcpu(vm, function* (v) {
        // 300 µs of work in the handler, charged to whatever SC runs the handler's EC
        yield* env.kernel.spin(300);
        v.with_state((s) => s.exit_reason !== VCPU_EXIT.HLT);
        if (v.exit_reason() === VCPU_EXIT.HLT) halted = true;
      });
    });
    system.run({ until: () => halted, maxSteps: 100_000 });
    const kern = k();
    const t = (vcpu!.kernel_vcpu() as NovaGenodeVcpu).thread;
    const sc = kern.nova.objCap(kern.nova.root, t.scSel)!.obj as Sc;
    // two exits (STARTUP, HLT), 300 µs each, all on the vCPU's SC; the entrypoint thread's SC got none
    expect(kern.nova.ticksToUs(sc.time)).toBe(600);
    const epSc = kern.nova.objCap(kern.nova.root, ep!.scSel)!.obj as Sc;
    expect(kern.nova.ticksToUs(epSc.time)).toBe(0);
  });

  it('a VMM PD at its kernel-memory limit still gets its G items: core tops up its quota (OOM handling)', () => {
    const { system, engine, k } = machine([
      [
        { kind: 'access', gpa: 0x5000 },
        { kind: 'exit', reason: 0x78 },
      ],
    ]);
    let backing = 0;
    let halted = false;
    let drained = -1;
    let vm: Vm_connection | undefined;
    vmm(system, (env) => {
      vm = new Vm_connection(env, { colocated: true });
      const ram = env.ram().alloc(64 * 1024);
      const r = env.rm().attach(ram, { writeable: true });
      backing = r.ok ? r.range.start : 0;
      new Vcpu(vm, function* (vcpu) {
        let gpa = -1;
        vcpu.with_state((s) => {
          if (s.exit_reason === VCPU_EXIT.NPT) gpa = s.qual_secondary.value();
          return s.exit_reason !== VCPU_EXIT.HLT;
        });
        if (gpa >= 0) {
          const local = backing + gpa;
          yield* env.rm().local.write32(local, MARK);
          // now leave the VMM's PD no kernel memory to spare for the G item of the reply
          const q = (vm!.kernel_vm().vmm as NovaGenodePd).nova.quota;
          q.transferTo(k().nova.root.quota, q.limit - q.used);
          drained = q.limit - q.used;
          vcpu.delegate({ local, guest_phys: gpa, log2: 12 });
        }
        if (vcpu.exit_reason() === VCPU_EXIT.HLT) halted = true;
      });
    });
    system.run({ until: () => halted, maxSteps: 100_000 });
    expect(drained).toBe(0);
    expect(engine.vcpus[0]!.log.reads).toEqual([[0x5000, MARK]]);
    expect(system.log.filter((l) => l.includes('Error'))).toEqual([]);
    expect(checkInvariants(k().nova)).toEqual([]);
  });
});
