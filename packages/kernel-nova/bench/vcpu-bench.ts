/**
 * vCPUs on x86VcpuEngine (host speed, measured in process CPU time, not virtual time), best of `--runs`:
 *
 *   cd packages/kernel-nova && npx tsx --conditions=@genode-ts/source bench/vcpu-bench.ts \
 *     [--runs 3] [--quick] [--only exits|npt|mips]      (KERNELS=alu,fib picks compute kernels)
 *
 * 1. vCPU exit + resume round trips per second: a real HLT loop (inc, hlt, jmp) and an I/O loop
 *    (inc, out 0x80, jmp) whose every iteration exits to the VMM's handler through NOVA's
 *    implicit portal call and resumes with the reply — next to the same loops on x86-core's
 *    SvmVcpu alone (a handler called directly), which is what the kernel path adds to.
 * 2. NPT faults resolved per second: a guest touching fresh pages, each one an NPT exit the VMM
 *    answers with a G delegation in its reply.
 * 3. Guest MIPS of x86-core's compute kernels (guests/bench: alu, sieve, fib) as a NOVA guest
 *    (Multiboot entry state from the VMM's STARTUP reply, guest RAM eagerly delegated with H+G,
 *    COM1 passed through) against the same binary on x86-core's bare machine, interleaved.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BareMachine,
  Cpu,
  loadMultiboot,
  MULTIBOOT_BOOTLOADER_MAGIC,
  type NestedPageTable,
  NptRights,
  PhysicalMemory,
  Seg,
  SvmExit,
  SvmVcpu,
  writeMultibootInfo,
} from '@genode-ts/x86-core';
import { ioCrd, memCrd } from '../src/crd.js';
import { NovaKernel } from '../src/kernel.js';
import type { Blocking } from '../src/kernel-entry.js';
import { MTD_ALL, Mtd } from '../src/mtd.js';
import { delegateItem, mapPhys, ok, PD } from '../src/scenarios/harness.js';
import {
  type ExitHandler,
  flatState,
  GUEST,
  guestImage,
  mapReply,
  VCPU_SM,
  vmm,
  vmmPages,
} from '../src/scenarios/x86-harness.js';
import type { Sys } from '../src/sys.js';
import { ItemKind } from '../src/typed-item.js';
import { x86VcpuEngine } from '../src/x86/x86-vcpu-engine.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The process's CPU time in ms (user + system): on a shared machine wall time also counts the
 * time other processes have the cores, CPU time does not.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const quick = args.includes('--quick');
/** `--only exits|npt|mips`: one part. */
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const part = (name: string): boolean => only === undefined || only === name;

interface Result {
  ms: number;
  /** Exits handled (loops) / pages mapped (NPT) / guest instructions (MIPS). */
  count: number;
  instructions: number;
  serial?: string;
}

/**
 * Boot a machine whose root task is `root` and run it to the end; wall time of the run.
 * `commit` bytes of RAM from `commitAt` are touched first: the host OS commits a fresh page of
 * the RAM buffer on its first write (about 25 µs per 4 KiB page on the development container),
 * which is the host's cost, not the kernel's.
 */
function machine(
  root: (sys: Sys) => Blocking<void>,
  memory = 128 << 20,
  commitAt = 0,
  commit = 0,
): { ms: number; k: NovaKernel } {
  const engine = x86VcpuEngine();
  const k = NovaKernel.boot({ root, memory, vcpuEngine: engine });
  for (let a = commitAt; a < commitAt + commit; a += 4096) k.memory.bytes[a] = 0;
  const t0 = cpuMs();
  k.run({ maxSteps: Number.POSITIVE_INFINITY });
  return { ms: cpuMs() - t0, k };
}

function engineInstructions(k: NovaKernel): number {
  return (k.vcpuEngine as ReturnType<typeof x86VcpuEngine>).vcpus.reduce(
    (n, v) => n + v.stats.instructions,
    0,
  );
}

// ---------------------------------------------------------------- 1. exit + resume round trips

/** `n` exits of hlt-loop / io-loop through NOVA; the portal MTD is `mtd` (EIP|QUAL or ALL). */
function novaExitLoop(guest: 'hlt-loop' | 'io-loop', n: number, mtd: number): Result {
  let exits = 0;
  // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
  const handler: ExitHandler = function* (s, reason) {
    const u = s.utcb;
    if (reason === SvmExit.STARTUP) return flatState(s, 0x1000);
    if (reason === SvmExit.NPT_FAULT) {
      mapReply(s, 0xa00, 1);
      return { mtd: 0 };
    }
    if (++exits >= n) return { mtd: 0, sm: VCPU_SM };
    // HLT: rip += inst_len; OUT: SVM's exitinfo2 is the next RIP.
    u.rip = reason === SvmExit.IOIO ? u.qual1 : u.rip + 1;
    return { mtd: Mtd.EIP };
  };
  const { ms, k } = machine(function* (sys) {
    yield* vmmPages(sys, 0x1b00, 0xa00, 1, guestImage(guest));
    yield* vmm(sys, handler, { mtd });
  });
  return { ms, count: exits, instructions: engineInstructions(k) };
}

/** The same loop on x86-core's SvmVcpu alone: the handler is a function call. */
function rawExitLoop(guest: 'hlt-loop' | 'io-loop', n: number): Result {
  const mem = new PhysicalMemory({ size: 1 << 20 });
  mem.write(0x1000, guestImage(guest));
  const npt: NestedPageTable = {
    lookup: (page) => (page < 0x100000 ? page | NptRights.READ | NptRights.WRITE | NptRights.EXEC : -1),
  };
  const cpu = new Cpu({ memory: mem });
  cpu.cr0 = 0x11;
  cpu.refreshMode();
  cpu.loadSegmentCache(Seg.CS, 0x08, 0, -1, 0xc9b);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) cpu.loadSegmentCache(s, 0x10, 0, -1, 0xc93);
  cpu.eip = 0x1000;
  const v = new SvmVcpu(cpu, { npt, intercepts: { io: true, hlt: true } });
  const t0 = cpuMs();
  let exits = 0;
  let instructions = 0;
  while (exits < n) {
    const x = v.run(1_000_000);
    instructions += x.instructions;
    if (x.code === SvmExit.HLT || x.code === SvmExit.IOIO) {
      exits++;
      cpu.eip = x.code === SvmExit.IOIO ? x.info2 : cpu.eip + x.instLen;
    }
  }
  return { ms: cpuMs() - t0, count: exits, instructions };
}

// ---------------------------------------------------------------- 2. NPT faults resolved

/** The guest touches `pages` fresh pages from GPA 1 MiB; each NPT exit is answered with a G item. */
function nptFaults(pages: number): Result {
  const VMM_BASE = 0x10000; // VMM page of guest page 0x100
  const FRAME = 0x4000; // frames of guest RAM (64 MiB-aligned)
  let mapped = 0;
  const { ms, k } = machine(
    function* (sys) {
      yield* vmmPages(sys, 0x1b00, 0xa00, 1, guestImage('pages'));
      const order = Math.log2(pages);
      ok(yield* mapPhys(sys, PD, FRAME, VMM_BASE, order), 'VMM guest RAM');
      yield* vmm(
        sys,
        // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
        function* (s, reason) {
          const u = s.utcb;
          if (reason === SvmExit.STARTUP)
            return flatState(s, 0x1000, { ebx: 0xabcd, esi: 0x100000, edi: 0x100000 + pages * 4096 });
          if (reason === SvmExit.NPT_FAULT) {
            const g = Math.floor(u.qual1 / 4096);
            if (g === 1) mapReply(s, 0xa00, 1);
            else {
              mapReply(s, VMM_BASE + (g - 0x100), g);
              mapped++;
            }
            return { mtd: 0 };
          }
          return { mtd: 0, sm: VCPU_SM };
        },
        { mtd: Mtd.EIP | Mtd.QUAL, quota: 4 * 1024 },
      );
    },
    256 << 20,
    FRAME * 4096,
    pages * 4096,
  );
  return { ms, count: mapped, instructions: engineInstructions(k) };
}

// ---------------------------------------------------------------- 3. guest MIPS

const benchGuests = join(here, '../../x86-core/guests/bench');
const image = (kernel: string): Uint8Array =>
  new Uint8Array(readFileSync(join(benchGuests, `${kernel}.bin`)));

/** A COM1 that is always ready (LSR = 0x60) and collects what is written (DLAB honoured). */
function uart(out: number[]) {
  let lcr = 0;
  return {
    in: (port: number) => (port === 0x3fd ? 0x60 : port === 0x3fb ? lcr : 0),
    out: (port: number, _size: number, value: number) => {
      if (port === 0x3fb) lcr = value & 0xff;
      else if (port === 0x3f8 && (lcr & 0x80) === 0) out.push(value & 0xff);
    },
  };
}

/**
 * x86-core's bench kernel as a NOVA guest: 32 MiB of guest RAM (frames 32–64 MiB, H+G). Both
 * machines commit their RAM buffer's pages as the guest first touches them.
 */
function novaMips(kernel: string): Result {
  const serial: number[] = [];
  let exitValue = -1;
  const RAM = 32 << 20;
  const { ms, k } = machine(function* (sys) {
    // Guest RAM: load the image as a boot loader would, into the frames the guest will get.
    const mem = new PhysicalMemory({ buffer: sys.kernel.memory.buffer, byteOffset: RAM, byteLength: RAM });
    const img = loadMultiboot(mem, image(kernel));
    const info = writeMultibootInfo(mem);
    sys.kernel.ioBus = uart(serial);
    yield* vmm(
      sys,
      // biome-ignore lint/correctness/useYield: an exit handler that needs no kernel entry
      function* (s, reason) {
        const u = s.utcb;
        if (reason === SvmExit.STARTUP) {
          const st = flatState(s, img.entry, { eax: MULTIBOOT_BOOTLOADER_MAGIC, ebx: info });
          return st;
        }
        if (reason === SvmExit.IOIO) {
          const port = u.qual0 >>> 16;
          if (port === 0xf4) {
            exitValue = u.get('rax') & 0xff;
            return { mtd: 0, sm: VCPU_SM };
          }
          u.rip = u.qual1; // PIC masks and other ports: ignore
          return { mtd: Mtd.EIP };
        }
        return { mtd: 0, sm: VCPU_SM };
      },
      { sc: false, mtd: MTD_ALL | Mtd.QUAL },
    );
    ok(
      yield* delegateItem(sys, PD, GUEST, memCrd(RAM / 4096, 13, 7), memCrd(0, 13, 7), {
        kind: ItemKind.DELEGATE,
        h: true,
        g: true,
      }),
      'guest RAM',
    );
    ok(
      yield* delegateItem(sys, PD, GUEST, ioCrd(0x3f8, 3), ioCrd(0x3f8, 3), {
        kind: ItemKind.DELEGATE,
        h: true,
        g: true,
      }),
      'COM1',
    );
    ok(yield* sys.createSc(0x51, PD, 0x50, { prio: 10, quantum: 10_000 }), 'vCPU SC');
  });
  if (exitValue !== 0) throw new Error(`${kernel}: NOVA guest exit value ${exitValue}`);
  return { ms, count: 1, instructions: engineInstructions(k), serial: Buffer.from(serial).toString() };
}

function bareMips(kernel: string): Result {
  const serial: number[] = [];
  const m = new BareMachine({ memoryBytes: 32 << 20, onSerial: (b) => serial.push(b) });
  m.load(image(kernel));
  const t0 = cpuMs();
  const r = m.run(Number.POSITIVE_INFINITY);
  return {
    ms: cpuMs() - t0,
    count: 1,
    instructions: r.instructions,
    serial: Buffer.from(serial).toString(),
  };
}

// ---------------------------------------------------------------- driver

/** Best (fastest) of `runs` for each variant, interleaved in alternating order; `warmup` untimed rounds first. */
function bestOf(variants: (() => Result)[], warmup = 0): Result[] {
  for (let w = 0; w < warmup; w++) for (const f of variants) f();
  const best: (Result | undefined)[] = variants.map(() => undefined);
  for (let r = 0; r < runs; r++) {
    // Alternate the order every round, so that no variant always runs after the same one.
    const order = variants.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const x = variants[i]!();
      const b = best[i];
      if (b === undefined || x.ms < b.ms) best[i] = x;
    }
  }
  return best as Result[];
}

const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
console.log(`x86VcpuEngine on kernel-nova, best of ${runs}, Node ${process.version}`);

const N = quick ? 50_000 : 500_000;
for (const g of part('exits') ? (['hlt-loop', 'io-loop'] as const) : []) {
  const [lean, all, raw] = bestOf(
    [
      () => novaExitLoop(g, N, Mtd.EIP | Mtd.QUAL),
      () => novaExitLoop(g, N, MTD_ALL | Mtd.QUAL),
      () => rawExitLoop(g, N),
    ],
    1,
  ) as [Result, Result, Result];
  const rate = (r: Result): number => (r.count / r.ms) * 1000;
  console.log(
    `${g.padEnd(9)} exit+resume: ${fmt(rate(lean))}/s (${((lean.ms * 1e6) / lean.count).toFixed(0)} ns) with MTD EIP|QUAL, ` +
      `${fmt(rate(all))}/s (${((all.ms * 1e6) / all.count).toFixed(0)} ns) with MTD ALL; ` +
      `x86-core SvmVcpu alone ${fmt(rate(raw))}/s (${((raw.ms * 1e6) / raw.count).toFixed(0)} ns)`,
  );
}

const P = quick ? 4096 : 16384;
if (part('npt')) {
  const [npt] = bestOf([() => nptFaults(P)], 2) as [Result];
  console.log(
    `NPT faults resolved (G item in the exit reply): ${fmt((npt.count / npt.ms) * 1000)}/s ` +
      `(${((npt.ms * 1e6) / npt.count).toFixed(0)} ns each, ${npt.count} pages)`,
  );
}

const kernels =
  process.env.KERNELS?.split(',') ?? (quick ? ['alu-small', 'sieve-small'] : ['alu', 'sieve', 'fib']);
for (const kernel of part('mips') ? kernels : []) {
  const [nova, bare] = bestOf([() => novaMips(kernel), () => bareMips(kernel)]) as [Result, Result];
  if (nova.serial !== bare.serial)
    throw new Error(
      `${kernel}: serial output differs: ${JSON.stringify(nova.serial)} vs ${JSON.stringify(bare.serial)}`,
    );
  if (nova.instructions !== bare.instructions)
    throw new Error(`${kernel}: ${nova.instructions} instructions under NOVA, ${bare.instructions} bare`);
  const mips = (r: Result): number => r.instructions / r.ms / 1000;
  console.log(
    `${kernel.padEnd(11)} ${fmt(nova.instructions)} instructions: NOVA guest ${mips(nova).toFixed(1)} MIPS, ` +
      `bare ${mips(bare).toFixed(1)} MIPS (${((mips(nova) / mips(bare) - 1) * 100).toFixed(1)}%)`,
  );
}
