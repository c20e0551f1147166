/**
 * Linux smoke run (not a test: it needs a bzImage and busybox the repository does not ship).
 * Loads a bzImage through the 32-bit boot protocol onto a processor with a handful of minimal
 * devices (8259 master, PIT channel 0, a UART with interrupts, CMOS stub, keyboard-controller
 * reset) and runs it with earlyprintk on the serial port: the XZ decompressor, the kernel's
 * initcalls with the crypto self-tests and, with an initramfs from bench/linux-initrd.ts, user
 * mode, until the guest reboots. Exit status 0 when the guest asked for a reset.
 *
 *   npx tsx bench/linux-smoke.ts <bzImage> [instructions] [--initrd=<cpio>] [--no-timer]
 *                                [--progress] [kernel command line…]
 *
 * The kernel of ../shared/spec/linux-boot.md §1 is fetched with `apt-get download
 * linux-image-6.1.0-50-686` (i386) and unpacked with `dpkg -x`.
 */
import fs from 'node:fs';
import { Cpu, PhysicalMemory, PortBus, RunExit, Seg } from '../src/index.js';

const [file, budgetArg, ...extra] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: linux-smoke <bzImage> [instructions] [command line…]\n');
  process.exit(2);
}
const image = new Uint8Array(fs.readFileSync(file));
const budget = Number(budgetArg ?? 2e9);
const RAM = 128 << 20;
const ZERO_PAGE = 0x10000;
const CMDLINE = 0x20000;
const cmdline = [
  'console=ttyS0',
  'earlyprintk=serial,ttyS0,115200',
  'lpj=1000000',
  'tsc=reliable',
  'nokaslr',
  ...extra.filter((a) => !a.startsWith('--')),
].join(' ');

let line = '';
const mem = new PhysicalMemory({ size: RAM });
const bus = new PortBus();
const cpu = new Cpu({ memory: mem, io: bus });
const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
if (dv.getUint32(0x202, true) !== 0x53726448) throw new Error('not a bzImage (no HdrS)');
const setupSects = image[0x1f1] || 4;
const pmOffset = (setupSects + 1) * 512;
const version = dv.getUint16(0x206, true);
process.stderr.write(`boot protocol ${version >> 8}.${version & 0xff}, setup ${setupSects} sectors\n`);

// Zero page: the setup header copied from the image, then the loader's fields.
const hdrEnd = 0x202 + image[0x201]!;
for (let k = 0x1f1; k < hdrEnd; k++) mem.write8(ZERO_PAGE + k, image[k]!);
mem.write8(ZERO_PAGE + 0x210, 0xff); // type_of_loader: undefined
mem.write8(ZERO_PAGE + 0x211, image[0x211]! | 0x01); // LOADED_HIGH
mem.write32(ZERO_PAGE + 0x228, CMDLINE);
for (let k = 0; k < cmdline.length; k++) mem.write8(CMDLINE + k, cmdline.charCodeAt(k));
mem.write8(CMDLINE + cmdline.length, 0);
// E820: 0–0x9fc00 and 1 MiB–end usable.
const e820: [number, number, number][] = [
  [0, 0x9fc00, 1],
  [0x9fc00, 0x400, 2],
  [0xf0000, 0x10000, 2],
  [0x100000, RAM - 0x100000, 1],
];
mem.write8(ZERO_PAGE + 0x1e8, e820.length);
e820.forEach(([base, size, type], k) => {
  const a = ZERO_PAGE + 0x2d0 + k * 20;
  mem.write32(a, base);
  mem.write32(a + 4, 0);
  mem.write32(a + 8, size);
  mem.write32(a + 12, 0);
  mem.write32(a + 16, type);
});
// The initramfs (bench/linux-initrd.ts builds one) at 64 MiB.
const initrdArg = extra.find((a) => a.startsWith('--initrd='));
if (initrdArg !== undefined) {
  const initrd = fs.readFileSync(initrdArg.slice('--initrd='.length));
  const at = 64 << 20;
  for (let k = 0; k < initrd.length; k++) mem.write8(at + k, initrd[k]!);
  mem.write32(ZERO_PAGE + 0x218, at);
  mem.write32(ZERO_PAGE + 0x21c, initrd.length);
}
// The protected-mode kernel at 1 MiB.
for (let k = pmOffset; k < image.length; k++) mem.write8(0x100000 + k - pmOffset, image[k]!);

// 32-bit entry: flat __BOOT_CS (0x10) / __BOOT_DS (0x18), a GDT holding them, ESI = zero page.
const GDT = 0x9000;
mem.write32(GDT + 0x10, 0x0000ffff);
mem.write32(GDT + 0x14, 0x00cf9b00);
mem.write32(GDT + 0x18, 0x0000ffff);
mem.write32(GDT + 0x1c, 0x00cf9300);
const c = cpu;
c.reset();
c.cr0 = 0x11;
c.refreshMode();
c.gdtBase = GDT;
c.gdtLimit = 0x1f;
c.loadSegmentCache(Seg.CS, 0x10, 0, -1, 0xc9b);
for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) c.loadSegmentCache(s, 0x18, 0, -1, 0xc93);
c.setEflags(2);
c.r32.fill(0);
c.r32[6] = ZERO_PAGE;
c.eip = dv.getUint32(0x214, true);
c.setA20(true);

// Minimal devices: a CMOS that reads 0, port 0x61 toggling its refresh bit, a master 8259, PIT
// channel 0 (periodic IRQ 0; none with --no-timer), and a 16450-style UART on COM1 with THRE and
// receive interrupts on IRQ 4. Virtual time: one instruction = 10 ns (a 100 MHz machine).
const noTimer = extra.includes('--no-timer');
let cmosIndex = 0;
bus.register(0x70, 2, {
  read: (port) => (port === 0x71 ? (cmosIndex === 0x0a ? 0x26 : cmosIndex === 0x0b ? 0x02 : 0) : 0xff),
  write: (port, _size, v) => {
    if (port === 0x70) cmosIndex = v & 0x7f;
  },
});
let refresh = 0;
bus.register(0x61, 1, {
  read: () => {
    refresh ^= 0x30;
    return refresh;
  },
  write: () => {},
});
let exitValue: number | null = null;
// The keyboard controller's pulse-reset command (0x64 ← 0xFE), how Linux reboots without ACPI.
let resetRequested = false;
bus.register(0x64, 1, {
  read: () => 0x00,
  write: (_p, _s, v) => {
    if (v === 0xfe) {
      resetRequested = true;
      cpu.requestStop();
    }
  },
});
bus.register(0xf4, 1, {
  read: () => 0xff,
  write: (_p, _s, v) => {
    exitValue = v & 0xff;
    cpu.requestStop();
  },
});

const NS_PER_INSN = 10;
const nowNs = () => Math.max(cpu.retired, cpu.exactRetired) * NS_PER_INSN;

/** Master 8259: edge-triggered lines 0–7, fully nested priority, specific and non-specific EOI. */
const pic = { imr: 0xff, irr: 0, isr: 0, base: 8, icw: 0, readIsr: false };
const pending = () => {
  const req = pic.irr & ~pic.imr;
  if (req === 0) return -1;
  const line = 31 - Math.clz32(req & -req);
  const inService = pic.isr === 0 ? 8 : 31 - Math.clz32(pic.isr & -pic.isr);
  return line < inService ? line : -1;
};
const updateIntr = () => cpu.setIntr(pending() >= 0);
const raise = (line: number) => {
  pic.irr |= 1 << line;
  updateIntr();
};
cpu.interrupts = {
  acknowledge: () => {
    const line = pending();
    if (line < 0) return pic.base | 7; // spurious
    pic.irr &= ~(1 << line);
    pic.isr |= 1 << line;
    updateIntr();
    return pic.base | line;
  },
};
bus.register(0x20, 2, {
  read: (port) => (port === 0x21 ? pic.imr : pic.readIsr ? pic.isr : pic.irr),
  write: (port, _size, v) => {
    if (port === 0x20) {
      if (v & 0x10) {
        pic.icw = 1;
        pic.imr = 0;
        pic.isr = 0;
        pic.irr = 0;
      } else if ((v & 0x18) === 0x08) {
        if (v & 2) pic.readIsr = (v & 1) !== 0;
      } else if ((v & 0xe0) === 0x60) pic.isr &= ~(1 << (v & 7));
      else if (v & 0x20) pic.isr &= pic.isr - 1;
    } else if (pic.icw === 1) {
      pic.base = v & 0xf8;
      pic.icw = 2;
    } else if (pic.icw === 2) pic.icw = 3;
    else if (pic.icw === 3) pic.icw = 0;
    else pic.imr = v;
    updateIntr();
    uartUpdate();
  },
});

/** COM1: transmit completes at once; IIR reports receive data, then THR empty. */
const uart = { ier: 0, lcr: 0, mcr: 0, scr: 0, dll: 1, dlm: 0, thre: true, rx: [] as number[], level: false };
const uartIir = () =>
  (uart.ier & 1) !== 0 && uart.rx.length > 0 ? 0x04 : (uart.ier & 2) !== 0 && uart.thre ? 0x02 : 0x01;
function uartUpdate(): void {
  const level = uartIir() !== 0x01 && (uart.mcr & 0x08) !== 0; // OUT2 gates the ISA IRQ
  if (level && !uart.level) raise(4);
  uart.level = level;
}
bus.register(0x3f8, 8, {
  read: (port) => {
    const r = port & 7;
    const dlab = (uart.lcr & 0x80) !== 0;
    let v = 0;
    if (r === 0) v = dlab ? uart.dll : (uart.rx.shift() ?? 0);
    else if (r === 1) v = dlab ? uart.dlm : uart.ier;
    else if (r === 2) {
      v = uartIir();
      if (v === 0x02) uart.thre = false;
    } else if (r === 3) v = uart.lcr;
    else if (r === 4) v = uart.mcr;
    else if (r === 5) v = 0x60 | (uart.rx.length > 0 ? 1 : 0);
    else if (r === 6) v = 0xb0;
    else v = uart.scr;
    uartUpdate();
    return v;
  },
  write: (port, _size, v) => {
    const r = port & 7;
    const dlab = (uart.lcr & 0x80) !== 0;
    if (r === 0 && dlab) uart.dll = v;
    else if (r === 0) {
      process.stdout.write(String.fromCharCode(v));
      line = v === 10 ? '' : line + String.fromCharCode(v);
      uart.thre = true;
    } else if (r === 1 && dlab) uart.dlm = v;
    else if (r === 1) {
      if ((v & 2) !== 0 && (uart.ier & 2) === 0) uart.thre = true;
      uart.ier = v & 0x0f;
    } else if (r === 3) uart.lcr = v;
    else if (r === 4) uart.mcr = v;
    else if (r === 7) uart.scr = v;
    uartUpdate();
  },
});

const pit = { reload: 0x10000, start: 0, latched: -1, lowByte: true, writeLow: true, armed: false };
const pitPeriodNs = () => (pit.reload * 1e9) / 1193182;
let nextTick = Number.POSITIVE_INFINITY;
if (!noTimer) {
  bus.register(0x40, 4, {
    read: (port) => {
      if (port !== 0x40) return 0xff;
      if (pit.latched < 0) {
        const into = (nowNs() - pit.start) % pitPeriodNs();
        pit.latched = Math.max(1, pit.reload - Math.floor((into * 1193182) / 1e9)) & 0xffff;
      }
      const v = pit.lowByte ? pit.latched & 0xff : pit.latched >> 8;
      pit.lowByte = !pit.lowByte;
      if (pit.lowByte) pit.latched = -1;
      return v;
    },
    write: (port, _size, v) => {
      if (port === 0x43) {
        if ((v & 0xf0) === 0)
          pit.latched = -1; // counter latch: the next read samples
        else if ((v & 0xc0) === 0) pit.writeLow = true;
        pit.lowByte = true;
      } else if (port === 0x40) {
        if (pit.writeLow) pit.reload = (pit.reload & 0xff00) | v;
        else {
          pit.reload = (pit.reload & 0xff) | (v << 8) || 0x10000;
          pit.start = nowNs();
          nextTick = pit.start + pitPeriodNs();
          pit.armed = true;
          cpu.requestStop(); // recompute the slice
        }
        pit.writeLow = !pit.writeLow;
      }
    },
  });
}

const t0 = performance.now();
let reason = 'budget';
let idle = 0; // instruction-times skipped while halted
const progress = extra.includes('--progress');
let nextReport = 5e8;
let lastT = performance.now();
let lastN = 0;
while (cpu.retired < budget) {
  if (progress && cpu.retired >= nextReport) {
    const t = performance.now();
    const n = cpu.retired - idle;
    process.stderr.write(
      `[progress] ${(n / 1e9).toFixed(1)}e9 ${((n - lastN) / (t - lastT) / 1000).toFixed(1)} MIPS eip ${(cpu.eip >>> 0).toString(16)} cpl ${cpu.cpl}\n`,
    );
    lastT = t;
    lastN = n;
    nextReport += 5e8;
  }
  const sliceEnd = Math.min(budget, Math.ceil(nextTick / NS_PER_INSN), progress ? nextReport : budget);
  const exit = cpu.run(Math.max(1, sliceEnd - cpu.retired));
  if (exit === RunExit.SHUTDOWN) {
    reason = 'shutdown';
    break;
  }
  if (resetRequested) {
    reason = 'reset';
    break;
  }
  if (exitValue !== null) {
    reason = `debug-exit ${exitValue}`;
    break;
  }
  if (exit === RunExit.HLT) {
    if (!pit.armed || (cpu.getEflags() & 0x200) === 0) {
      reason = 'halted';
      break;
    }
    const wake = Math.ceil(nextTick / NS_PER_INSN);
    if (wake > cpu.retired) {
      idle += wake - cpu.retired;
      cpu.retired = wake;
    }
  }
  if (pit.armed && nowNs() >= nextTick) {
    nextTick += pitPeriodNs() * Math.max(1, Math.ceil((nowNs() - nextTick) / pitPeriodNs()));
    raise(0);
  }
}
const ms = performance.now() - t0;
process.stderr.write(
  `\n[${reason}] ${cpu.retired - idle} instructions executed (+${idle} idle) in ${(ms / 1000).toFixed(1)} s (${((cpu.retired - idle) / ms / 1000).toFixed(1)} MIPS), virtual time ${(nowNs() / 1e9).toFixed(2)} s, eip ${(cpu.eip >>> 0).toString(16)} cs ${cpu.segSel[Seg.CS]!.toString(16)} last line: ${JSON.stringify(line)}\n`,
);
process.exitCode = reason === 'reset' ? 0 : 1;
