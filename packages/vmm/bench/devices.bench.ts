/**
 * Device-bus throughput: what one port-I/O exit costs on the device side, a second of PIT ticks,
 * and a Multiboot load. Run: `cd packages/vmm && ../../node_modules/.bin/vitest bench --run --dir bench`.
 */
import { bench, describe } from 'vitest';
import {
  ArrayGuestMemory,
  loadMultiboot,
  Motherboard,
  PC_MACHINE_CONFIG,
  standardDevices,
  VirtualClock,
} from '../src/index.js';
import { buildElf, pattern } from '../src/scenarios/fixtures/guest-images.js';

function machine() {
  const clock = new VirtualClock();
  const board = new Motherboard({ clock, interrupts: { setIntr: () => {} } });
  let bytes = 0;
  board.host.handle((m) => {
    if (m.op === 'serial-output') bytes++;
    return true;
  });
  standardDevices().build(board, PC_MACHINE_CONFIG);
  board.io.write(0x3fb, 1, 0x03);
  return { clock, board, count: () => bytes };
}

describe('port I/O dispatch', () => {
  const { board } = machine();
  bench('inb 0x3fd (UART LSR) x1000', () => {
    for (let i = 0; i < 1000; i++) board.io.read(0x3fd, 1);
  });
  bench('outb 0x3f8 (UART THR → host) x1000', () => {
    for (let i = 0; i < 1000; i++) board.io.write(0x3f8, 1, 0x41);
  });
  bench('inb 0x20b (unclaimed) x1000', () => {
    for (let i = 0; i < 1000; i++) board.io.read(0x20b, 1);
  });
  bench('inl 0x3f8 (split into 4 byte accesses) x1000', () => {
    for (let i = 0; i < 1000; i++) board.io.read(0x3f8, 4);
  });
});

describe('timers', () => {
  bench('1 s of 250 Hz PIT ticks through the PIC (INTA + EOI each)', () => {
    const { clock, board } = machine();
    const outb = (p: number, v: number) => board.io.write(p, 1, v);
    for (const [p, v] of [
      [0x20, 0x11],
      [0x21, 0x30],
      [0x21, 0x04],
      [0x21, 0x01],
      [0x21, 0xfa],
      [0x43, 0x34],
      [0x40, 4773 & 0xff],
      [0x40, 4773 >> 8],
    ] as const) {
      outb(p, v);
    }
    for (let t = 0; t < 1_000_000_000; t += 1_000_000) {
      clock.advanceTo(t);
      if (board.pins.intr) {
        board.pins.acknowledge();
        outb(0x20, 0x60);
      }
    }
  });
});

describe('loaders', () => {
  const kernel = buildElf({
    entry: 0x100000,
    segments: [{ paddr: 0x100000, data: pattern(1 << 20), memsz: 2 << 20 }],
  });
  const mem = ArrayGuestMemory.pc(16 << 20);
  bench('Multiboot load: 1 MiB text + 1 MiB BSS + boot info', () => {
    loadMultiboot(mem, kernel, { cmdline: 'console=ttyS0' });
  });
});
