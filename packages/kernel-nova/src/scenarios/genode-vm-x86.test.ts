/**
 * The seed's chain (DESIGN.md) with real guest code, through genode-base's backend:
 * `novaKernel({ vcpuEngine: x86VcpuEngine() })`, a colocated VM (`Vm_connection`, the VMM's own
 * PD is the guest space), the VMM's `Virtual_reservation` keeping the guest-physical range of its
 * address space free, guest RAM from a RAM dataspace attached in the VMM, and a guest on
 * @genode-ts/x86-core that touches pages. Every NPT exit goes: vCPU exit → VMM handler → VMM
 * page fault → core's pager → region-map walk → kernel mapping → pager reply → exit reply with
 * a G item from the VMM's own mapping → guest resumes; the G node below USER_ADDR also maps the
 * page 1:1 into the VMM (the shadow the reservation makes room for).
 */
import {
  boot,
  type Env,
  GenodeError,
  Region_map_client,
  Rm_connection,
  VCPU_EXIT,
  Vcpu,
  Vm_connection,
} from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { GenodeTraceLog } from '../genode/genode-trace.js';
import type { NovaGenodeKernel, NovaGenodePd } from '../genode/nova-backend.js';
import { novaKernel } from '../genode/nova-kernel.js';
import { checkInvariants } from '../invariants.js';
import { Sub } from '../mdb.js';
import { x86VcpuEngine } from '../x86/x86-vcpu-engine.js';
import { chargeFlat32 } from './genode-vcpu-harness.js';
import { guestImage } from './x86-harness.js';

/** `Vmm::PAGE_SIZE` of vmm/types.h (`PAGE_SIZE_LOG2 << 12` = 0xC000, never fixed). */
const VMM_PAGE_SIZE = 12 << 12;
/** Guest-physical space: 1 MiB. The guest's code at 0x10000, its data at 0x20000–0x27fff. */
const VM_SIZE = 1 << 20;
const CODE = 0x10000;
const DATA = 0x20000;
const DATA_END = 0x28000;
const MARK = 0x5eed_f00d;
/** Where the VMM attaches guest RAM (above the reservation). */
const BACKING = 0x400_1000;

/** `Vmm::Virtual_reservation(env, vm_size)`: an empty managed dataspace at identity offset. */
function reserve(env: Env, size: number): void {
  const rm = new Rm_connection(env);
  const map = new Region_map_client(env, rm.create(size));
  try {
    env.rm().attach_at(map.dataspace(), VMM_PAGE_SIZE, 0, VMM_PAGE_SIZE);
  } catch (e) {
    if (!(e instanceof GenodeError && e.code === 'Region_conflict')) throw e;
    env.error('region conflict while attaching guest-physical memory');
  }
}

describe('the seed chain on novaKernel() with real guest code (x86VcpuEngine)', () => {
  it('each NPT exit of the guest is resolved by a G delegation from the VMM’s own mapping, after core resolved the VMM’s page fault', () => {
    const trace = new GenodeTraceLog();
    let k: NovaGenodeKernel | undefined;
    const engine = x86VcpuEngine();
    const system = boot({
      kernel: novaKernel({ vcpuEngine: engine, trace, onBoot: (b) => (k = b) }),
      ramBytes: 64 << 20,
    });
    const exits: string[] = [];
    const shadow: string[] = [];
    let backing = 0;
    let vm: Vm_connection | undefined;
    let done = false;
    system.start({
      name: 'vmm',
      ram: 8 << 20,
      caps: 300,
      component: {
        *construct(env: Env) {
          reserve(env, VM_SIZE);
          vm = new Vm_connection(env, { colocated: true });
          // Guest RAM: one dataspace, attached 4 KiB- but not 8 KiB-aligned relative to its
          // frames, so core maps it page by page and every guest page costs the VMM a fault.
          const ram = env.ram().alloc(VM_SIZE);
          const r = env.rm().attach(ram, { use_at: true, at: BACKING, writeable: true, executable: true });
          backing = r.ok ? r.range.start : 0;
          const mem = env.rm().local;
          // The guest image in guest RAM (the VMM's backing store; it faults in through core).
          yield* mem.write(backing + CODE, guestImage('pages'));
          new Vcpu(vm, function* (vcpu) {
            let npt = -1;
            vcpu.with_state((s) => {
              exits.push(`${s.exit_reason.toString(16)} ${s.qual_secondary.value().toString(16)}`);
              if (s.exit_reason === VCPU_EXIT.STARTUP) {
                // 32-bit flat protected mode at the image; ESI..EDI = the pages to touch.
                chargeFlat32(s, CODE);
                s.bx.charge(MARK);
                s.si.charge(DATA);
                s.di.charge(DATA_END);
                return true;
              }
              if (s.exit_reason === VCPU_EXIT.NPT) {
                npt = s.qual_secondary.value();
                return true;
              }
              return false; // HLT: the guest is done
            });
            if (npt >= 0) {
              // Seoul's _handle_map_memory: the VMM's own page first (touch), then delegate it (G).
              const page = npt - (npt % 4096);
              const local = backing + page;
              if (mem.lookup(local) === undefined) yield* mem.read8(local);
              vcpu.delegate({ local, guest_phys: page, log2: 12 });
            }
            if (vcpu.exit_reason() === VCPU_EXIT.HLT) {
              // The guest's writes, seen through the backing store and through the 1:1 shadow.
              for (let p = DATA; p < DATA_END; p += 0x1000) {
                const a = yield* mem.read32(backing + p);
                const b = yield* mem.read32(p);
                shadow.push(`${p.toString(16)} ${a.toString(16)} ${b.toString(16)}`);
              }
              done = true;
            }
          });
        },
      },
    });
    const run = system.run({ until: () => done, maxSteps: 200_000 });
    expect(run.reason).toBe('until');
    const pages = Array.from({ length: 8 }, (_, i) => `fc ${(DATA + i * 0x1000).toString(16)}`);
    expect(exits[0]).toBe('fe 0');
    expect(exits.slice(1)).toEqual([`fc ${CODE.toString(16)}`, ...pages, exits.at(-1)]);
    expect(exits.at(-1)?.startsWith('78 ')).toBe(true);
    expect(shadow).toEqual(
      Array.from(
        { length: 8 },
        (_, i) => `${(DATA + i * 0x1000).toString(16)} ${MARK.toString(16)} ${MARK.toString(16)}`,
      ),
    );
    // Nine NPT exits. The code page's backing was mapped when the VMM wrote the image, so its
    // exit is answered at once; each data page takes the whole chain, in order.
    const chains = trace.nptChains();
    expect(chains).toHaveLength(9);
    expect(chains[0]!.map((r) => r.kind)).toEqual(['vcpu-exit', 'exit-reply']);
    expect(chains[0]![1]).toMatchObject({ items: [{ virt: backing + CODE, gpa: CODE, log2: 12 }] });
    for (const [i, c] of chains.slice(1).entries()) {
      const gpa = DATA + i * 0x1000;
      expect(c.map((r) => r.kind)).toEqual([
        'vcpu-exit',
        'page-fault',
        'rm-walk',
        'map',
        'pager-reply',
        'exit-reply',
      ]);
      expect(c[0]).toMatchObject({ reason: 0xfc, qual1: gpa });
      expect(c[1]).toMatchObject({
        pd: 'init -> vmm',
        addr: backing + gpa,
        type: 'read',
        pager: 'core:pager0',
      });
      expect(c[2]).toMatchObject({ steps: [{ map: 'init -> vmm address space', dataspace: 'RAM' }] });
      expect(c[3]).toMatchObject({ from: 'H (kernel space)', pd: 'init -> vmm', guest: false });
      expect(c[4]).toMatchObject({ result: 'resume' });
      expect(c[5]).toMatchObject({
        resume: true,
        items: [{ virt: backing + gpa, gpa, log2: 12, rights: 'rwx' }],
      });
    }
    // The fetch fault has I/D set; the data faults are writes to absent pages.
    expect(chains[0]![0]).toMatchObject({ qual0: 0x100000014 });
    expect(chains[1]![0]).toMatchObject({ qual0: 0x100000006 });
    // Kernel view: the guest page is a G node of the VMM's PD, a child of its backing mapping.
    const kern = k!;
    const pd = vm!.kernel_vm().vmm as NovaGenodePd;
    for (const gpa of [CODE, DATA, DATA_END - 0x1000]) {
      const node = pd.nova.mem.find(gpa / 4096)!;
      expect(node.sub & Sub.G).toBe(Sub.G);
      expect(node.parent).toBe(pd.nova.mem.find((backing + gpa) / 4096));
      expect(kern.lookupGuest(vm!.kernel_vm(), gpa)!.phys).toBe(kern.lookup(pd, backing + gpa)!.phys);
    }
    const v = engine.vcpus[0]!;
    expect(v.stats.exits.get(0xfc)).toBe(9);
    // pages.bin: 4 instructions per page, the HLT, and the two restarts counted per fault.
    expect(v.stats.instructions).toBe(8 * 4 + 1 + 8);
    expect(checkInvariants(kern.nova)).toEqual([]);
  });
});
