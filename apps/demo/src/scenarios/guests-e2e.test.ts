// End to end: the bundled guest and the VMM's focused guests boot in @genode-ts/vmm, on
// novaKernel({ vcpuEngine: x86VcpuEngine() }), in both PD modes. Serial output must equal the
// guests' expected/ files byte for byte; exits, NPT blocks and instruction counts are exact (the
// system is deterministic: the same guest gives the same numbers in every run and in both modes).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Register_access, Vmm_result } from '@genode-ts/vmm';
import { describe, expect, it, vi } from 'vitest';
import { type Guest_run, runGuest } from '../run-guest.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

interface Expected {
  name: string;
  memoryMiB: number;
  input: string | null;
  serial: string;
  exit: { kind: string; value?: number };
  instructions: number | null;
}

function guest(dir: string, name: string): { image: Uint8Array; expected: Expected } {
  return {
    image: readFileSync(join(root, dir, `${name}.bin`)),
    expected: JSON.parse(readFileSync(join(root, dir, 'expected', `${name}.json`), 'utf8')) as Expected,
  };
}

interface Outcome {
  readonly run: Guest_run;
  readonly serial: string;
  readonly result: Vmm_result | undefined;
  readonly counts: Record<string, unknown>;
  readonly violations: Register_access[];
}

function boot(
  dir: string,
  name: string,
  colocated: boolean,
  options: { budget?: number; cpus?: number } = {},
): Outcome {
  const { image, expected } = guest(dir, name);
  const out: number[] = [];
  const violations: Register_access[] = [];
  const run = runGuest({
    guest: { kind: 'auto', image },
    ram: expected.memoryMiB << 20,
    colocated,
    cpus: options.cpus ?? 1,
    budgetInstructions: options.budget ?? 200_000_000,
    ...(expected.input !== null ? { input: expected.input } : {}),
    onSerial: (b) => out.push(b),
    onLog: () => {},
    strict: { onViolation: (_r, _h, a) => violations.push(a) },
  });
  const s = run.vmm!.stats;
  return {
    run,
    serial: Buffer.from(out).toString('latin1'),
    result: run.vmm!.result(),
    violations,
    counts: {
      exits: s.exitCounts(),
      blocks: s.blockCounts(),
      nptRam: s.nptRam,
      nptMmio: s.nptMmio,
      mmio: [s.mmioReads, s.mmioWrites],
      io: [s.ioReads, s.ioWrites],
      injected: s.injected,
      vmmFaults: s.vmmFaults,
      instructions: run.instructions,
      virtualUs: run.virtualUs,
    },
  };
}

/** x86-core counts an instruction that faults and restarts twice: each data NPT fault adds one. */
function dataNptFaults(o: Outcome): number {
  return (o.run.vmm!.stats.nptRam as number) - 1; // the first NPT fault is the fetch at the entry
}

// A boot of the bundled guest takes about a second; io-echo's polling loop half a million exits.
vi.setConfig({ testTimeout: 120_000 });

describe('the bundled guest (apps/demo/guests/demo.bin) in the colocated VMM', () => {
  const colo = boot('apps/demo/guests', 'demo', true);
  const { expected } = guest('apps/demo/guests', 'demo');

  it('passes its serial output through byte for byte and shuts down with 0', () => {
    expect(colo.serial).toBe(expected.serial);
    expect(colo.result).toEqual({ kind: 'debug-exit', value: 0 });
    expect(colo.violations).toEqual([]);
  });

  it('takes exactly these exits and NPT faults, and retires the reference instruction count', () => {
    expect(colo.counts).toMatchObject({
      exits: { '0x7b': 1046, '0xfc': 3, '0xfe': 1 },
      // the kernel at 1 MiB: [1, 2) MiB; the 4 KiB-page window onto 4–8 MiB: one 4 MiB block;
      // the 4 MiB page onto 8–12 MiB: the naturally aligned 8 MiB block [8, 16) MiB
      blocks: { '1M': 1, '4M': 1, '8M': 1 },
      nptMmio: 0,
      io: [520, 526],
      injected: 0,
      vmmFaults: 1,
    });
    // v86/QEMU/Bochs agree on 53,579,265; the two data NPT faults restart their instruction
    expect(colo.run.instructions).toBe(expected.instructions! + dataNptFaults(colo));
    expect(dataNptFaults(colo)).toBe(2);
    expect(colo.run.virtualUs).toBe(Math.floor(colo.run.instructions / 1000));
  });

  it('maps the seed’s way: the reservation at 0x1000, guest RAM in the window, G nodes at the guest-physical slots', () => {
    const vmm = colo.run.vmm!;
    const layout = colo.run.layout;
    expect(layout[0]).toMatchObject({
      base: 0x1000,
      size: (16 << 20) - 0x1000,
      offset: 0x1000,
      kind: 'MANAGED',
    });
    expect(layout[0]!.inner).toEqual([]); // nothing attached into the reservation
    const win = layout.find((e) => e.base === vmm.memory.window_base())!;
    expect(win.inner.map((x) => [x.base, x.size, x.kind])).toEqual([[0, 16 << 20, 'RAM']]);
    // colocated: the guest's page X is a G mapping in the VMM's own PD, at slot X
    const kvm = vmm.vm.kernel_vm();
    expect(kvm.pd).toBe(kvm.vmm);
    const k = colo.run.kernel;
    for (const gpa of [0x100000, 0x4ab000, 0xfff000]) {
      const g = k.lookupGuest(kvm, gpa)!;
      expect(g.phys).toBe(k.lookup(kvm.vmm, vmm.memory.local(gpa))!.phys);
      // the 1:1 shadow: VMM-local X is guest-physical X (the range the reservation kept free)
      expect(k.lookup(kvm.vmm, gpa)?.phys).toBe(g.phys);
    }
    // [2, 4) MiB was never touched by the guest: no guest mapping
    expect(k.lookupGuest(kvm, 0x200000)).toBeUndefined();
  });

  it('behaves the same in a PD of its own, and again in a second run', () => {
    const sep = boot('apps/demo/guests', 'demo', false);
    expect(sep.serial).toBe(expected.serial);
    expect(sep.counts).toEqual(colo.counts);
    const kvm = sep.run.vmm!.vm.kernel_vm();
    expect(kvm.pd).not.toBe(kvm.vmm);
    // the guest's pages live in the VM's PD: no shadow in the VMM's address space
    expect(sep.run.kernel.lookupGuest(kvm, 0x100000)).toBeDefined();
    expect(sep.run.kernel.lookup(kvm.vmm, 0x100000)).toBeUndefined();
    expect(sep.run.layout.some((e) => e.base === 0x1000)).toBe(false); // no reservation
    const again = boot('apps/demo/guests', 'demo', true);
    expect(again.counts).toEqual(colo.counts);
  });
});

interface Case {
  readonly name: string;
  /** Corpus folder (default packages/vmm/guests). */
  readonly dir?: string;
  readonly result: Vmm_result['kind'];
  readonly counts: Record<string, unknown>;
  readonly budget?: number;
  /** Run a second colocated boot to show determinism (skipped for the slow one). */
  readonly twice: boolean;
  /**
   * Whether the references' instruction count applies (io-echo's assumes all input is there
   * before the guest starts; here it arrives at the line rate, so the guest polls longer).
   */
  readonly referenceCount?: boolean;
  readonly check?: (o: Outcome) => void;
}

const CASES: Case[] = [
  {
    // CPUID, string I/O through the invalid-state path, MSRs with #GP, a timer interrupt while the
    // guest computes (the timer thread recalls the vCPU), and the interrupt window (VINTR)
    name: 'exits',
    dir: 'apps/demo/guests',
    result: 'debug-exit',
    counts: {
      exits: {
        '0x64': 1,
        '0x72': 1,
        '0x7b': 1072,
        '0x7c': 3,
        '0xfc': 1,
        '0xfd': 2,
        '0xfe': 1,
        '0xff': 4,
      },
      injected: 4,
      io: [527, 584],
      // The spin on the tick counter: its length depends on when the timer thread runs (since it
      // no longer polls every 100 µs, more of each PIT period is guest time).
      instructions: 4_515_960,
    },
    twice: true,
    check: (o) => {
      const s = o.run.vmm!.stats;
      expect(s.stringIo).toBe(2);
      expect(s.windows).toBe(1);
      expect(s.recalls).toBe(4);
    },
  },
  {
    // polls LSR.DR for host input that arrives at the line rate (115200 baud: 86.8 µs a byte)
    name: 'io-echo',
    result: 'debug-exit',
    counts: { exits: { '0x7b': 484304, '0xfc': 1, '0xfe': 1 }, io: [484225, 79], instructions: 1453866 },
    twice: false,
    referenceCount: false,
  },
  {
    name: 'pit-irq',
    result: 'debug-exit',
    counts: { exits: { '0x78': 10, '0x7b': 501, '0xfc': 1, '0xfe': 1 }, injected: 10, virtualUs: 100009 },
    twice: true,
    check: (o) => {
      // ten ticks of a ~100 Hz PIT (divisor 11932): 100 ms of virtual time, all of it halted
      expect(o.run.vmm!.stats.haltedUs).toBe(100_000);
    },
  },
  {
    name: 'mmio-unclaimed',
    result: 'debug-exit',
    counts: { exits: { '0x7b': 406, '0xfc': 6, '0xfe': 1 }, nptMmio: 5, mmio: [4, 1], blocks: { '1M': 1 } },
    twice: true,
    check: (o) => {
      expect(o.run.vmm!.board.mmio.stats.unclaimed).toBe(5);
    },
  },
  {
    name: 'npt-boundaries',
    result: 'debug-exit',
    counts: { exits: { '0x7b': 1026, '0xfc': 4, '0xfe': 1 }, blocks: { '1M': 1, '2M': 1, '4M': 1, '8M': 1 } },
    twice: true,
  },
  {
    // 4 MiB guest pages above 4 MiB: the NPT blocks are the largest co-aligned ones inside RAM
    name: 'highmem-4m',
    result: 'debug-exit',
    counts: {
      exits: { '0x7b': 1064, '0xfc': 4, '0xfe': 1 },
      blocks: { '1M': 1, '4M': 1, '8M': 1, '16M': 1 },
    },
    twice: true,
  },
  {
    name: 'triple-fault',
    result: 'triple-fault',
    counts: { exits: { '0x7b': 109, '0x7f': 1, '0xfc': 1, '0xfe': 1 }, instructions: 932 },
    twice: true,
    check: (o) => {
      const r = o.result as Extract<Vmm_result, { kind: 'triple-fault' }>;
      // the ud2 after `lidt` with an empty IDT; the state is the one at the shutdown exit
      expect(r.state).toMatchObject({ cs: 0x8, eip: 0x1001ab, idtr_limit: 0 });
    },
  },
  {
    name: 'runaway',
    result: 'runaway',
    budget: 5_000_000,
    counts: {
      exits: { '0x7b': 50, '0xfc': 1, '0xfe': 1, '0xff': 1 },
      instructions: 5_000_000,
      virtualUs: 5_000,
    },
    twice: true,
    check: (o) => {
      const r = o.result as Extract<Vmm_result, { kind: 'runaway' }>;
      expect(r.budgetUs).toBe(5_000);
      expect(r.state.eflags! & 0x200).toBe(0); // IF = 0: only the watchdog's recall stops it
    },
  },
];

describe.each(CASES)('focused guest $name', (c) => {
  const dir = c.dir ?? 'packages/vmm/guests';
  const { expected } = guest(dir, c.name);
  const opts = c.budget !== undefined ? { budget: c.budget } : {};
  const colo = boot(dir, c.name, true, opts);

  it('gives the expected serial output and ending', () => {
    expect(colo.serial).toBe(expected.serial);
    expect(colo.result?.kind).toBe(c.result);
    if (expected.exit.kind === 'debug-exit')
      expect(colo.result).toEqual({ kind: 'debug-exit', value: expected.exit.value });
    expect(colo.violations).toEqual([]);
    c.check?.(colo);
  });

  it('takes exactly the recorded exits', () => {
    expect(colo.counts).toMatchObject(c.counts);
    if (expected.instructions !== null && c.referenceCount !== false) {
      expect(colo.run.instructions).toBe(expected.instructions + dataNptFaults(colo));
    }
  });

  it('counts the same in a PD of its own (and in a second run)', () => {
    const sep = boot(dir, c.name, false, opts);
    expect(sep.serial).toBe(expected.serial);
    expect(sep.counts).toEqual(colo.counts);
    if (c.twice) {
      const again = boot(dir, c.name, true, opts);
      expect(again.counts).toEqual(colo.counts);
    }
  });
});
