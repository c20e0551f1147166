/**
 * A PC built from the textual configuration Linux needs (spec/linux-boot.md §7), driven the way
 * Linux 6.1's drivers drive it at boot: the 8259A init and the 250 Hz PIT tick through the PIC,
 * the 8250 driver's autoconfig and THRE probes, interrupt-driven serial output and input, the RTC
 * read loop, the i8042 self-test and reboot path, unclaimed ports, and the debug-exit stop. The
 * "CPU" here is a loop that advances the virtual clock and takes interrupts through INTR/INTA,
 * i.e. what the VMM core will do.
 */
import { describe, expect, it } from 'vitest';
import type { HostOperation } from '../bus/host-bus.js';
import { PC_MACHINE_CONFIG, standardDevices } from '../devices/standard-devices.js';
import type { Uart16550 } from '../devices/uart-16550.js';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';

const MS = 1_000_000;

function pc() {
  const clock = new VirtualClock();
  let intr = false;
  const board = new Motherboard({ clock, interrupts: { setIntr: (on) => (intr = on) } });
  const serial: number[] = [];
  const ops: HostOperation[] = [];
  board.host.handle((m) => {
    if (m.op === 'serial-output') serial.push(m.byte);
    else if (m.op === 'memory-size') m.reply = 128 << 20;
    else ops.push(m);
    return true;
  });
  const devices = standardDevices().build(board, PC_MACHINE_CONFIG);
  const inb = (p: number) => board.io.read(p, 1);
  const outb = (p: number, v: number) => board.io.write(p, 1, v);
  /** Runs guest time to `until`, taking interrupts (IF = 1) at `step` granularity. */
  const run = (until: number, step: number, handler: (vector: number) => void) => {
    while (clock.now() < until) {
      clock.advanceTo(Math.min(until, clock.now() + step));
      for (let guard = 0; intr && guard < 64; guard++) handler(board.pins.acknowledge()!);
    }
  };
  return { clock, board, devices, serial, ops, inb, outb, run, intr: () => intr };
}

/** Linux init_8259A: vectors 0x30 (master) and 0x38 (slave), everything masked but the cascade. */
function init8259(outb: (p: number, v: number) => void): void {
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
  outb(0x20, 0x11);
  outb(0x21, 0x30);
  outb(0x21, 0x04);
  outb(0x21, 0x01);
  outb(0xa0, 0x11);
  outb(0xa1, 0x38);
  outb(0xa1, 0x02);
  outb(0xa1, 0x01);
  outb(0x21, 0xfb);
  outb(0xa1, 0xff);
}

describe('PC machine from text', () => {
  it('attaches the devices with their default names and ports', () => {
    const { devices, board } = pc();
    expect(devices.map((d) => d.name)).toEqual([
      'pic0',
      'pit0',
      'uart0',
      'rtc0',
      'post0',
      'port920',
      'i80420',
      'debugexit0',
    ]);
    expect(board.io.regions().map((r) => `${r.base.toString(16)}+${r.length} ${r.owner}`)).toEqual([
      '20+2 pic0',
      '40+4 pit0',
      '60+1 i80420',
      '61+1 pit0',
      '64+1 i80420',
      '70+2 rtc0',
      '80+1 post0',
      '92+1 port920',
      'a0+2 pic0',
      'f4+1 debugexit0',
      '3f8+8 uart0',
      '4d0+2 pic0',
    ]);
  });

  it("builds the brief's example configuration and a second serial port", () => {
    const board = new Motherboard({ clock: new VirtualClock() });
    const devices = standardDevices().build(board, 'uart:0x3f8,4 pic pit rtc debugexit:0xf4 uart:0x2f8,3');
    expect(devices.map((d) => `${d.name} ${JSON.stringify(d.params)}`)).toEqual([
      'uart0 {"base":1016,"irq":4}',
      'pic0 {"elcr":true}',
      'pit0 {"base":64,"irq":0,"port61":true}',
      'rtc0 {"base":112,"irq":8,"time":946684800}',
      'debugexit0 {"base":244,"size":"1"}',
      'uart1 {"base":760,"irq":3}',
    ]);
    const out: string[] = [];
    board.host.handle((m) => {
      if (m.op !== 'serial-output') return false;
      out.push(`${m.device}:${String.fromCharCode(m.byte)}`);
      return true;
    });
    board.io.write(0x3fb, 1, 3);
    board.io.write(0x2fb, 1, 3);
    board.io.write(0x3f8, 1, 0x31);
    board.io.write(0x2f8, 1, 0x32);
    expect(out).toEqual(['uart0:1', 'uart1:2']);
    expect(() => standardDevices().build(new Motherboard(), 'uart uart')).toThrow(
      "port I/O range 0x3f8-0x3ff of 'uart1' overlaps 0x3f8-0x3ff of 'uart0'",
    );
    expect(() => standardDevices().build(new Motherboard(), 'uart:0x3f8,4 vga')).toThrow(
      "unknown device 'vga' in 'vga' (known devices: uart, pic, pit, rtc, debugexit, post, port92, i8042)",
    );
    expect(() => standardDevices().build(new Motherboard(), 'uart:0x3f8,irq')).toThrow(
      "device 'uart': parameter 'irq' = 'irq' is not a number in 0..255",
    );
  });

  it('reads 0xff from ports nobody decodes (isapnp read port, COM2, LPT, DMA page registers)', () => {
    const { inb, board } = pc();
    for (const port of [0x20b, 0x2f8, 0x2fd, 0x378, 0x87, 0x3c0]) expect(inb(port)).toBe(0xff);
    expect(board.io.read(0x2f8, 4)).toBe(0xffffffff);
  });

  it('delivers the 250 Hz PIT tick through the PIC as vector 0x30, one per EOI', () => {
    const { outb, run, board } = pc();
    init8259(outb);
    outb(0x43, 0x34);
    outb(0x40, 4773 & 0xff);
    outb(0x40, 4773 >> 8);
    outb(0x21, 0xfa); // unmask IRQ 0 (and the cascade)
    const vectors: number[] = [];
    run(1000 * MS, MS, (v) => {
      vectors.push(v);
      outb(0x20, 0x60); // specific EOI for IRQ 0, as Linux's mask_and_ack_8259A
    });
    // Loaded one input clock after the write at t = 0: ticks at 1 + k·4773 clocks.
    expect(vectors.length).toBe(Math.floor((1_193_182 - 1) / 4773));
    expect(new Set(vectors)).toEqual(new Set([0x30]));
    expect(board.irq.risingEdges(0)).toBe(vectors.length);
  });

  it("passes the 8250 driver's autoconfig as a 16550A and its THRE/TXEN startup probes", () => {
    const { inb, outb } = pc();
    const base = 0x3f8;
    // autoconfig(): IER existence test with port-0x80 writes between.
    const scratch = inb(base + 1);
    outb(base + 1, 0);
    outb(0x80, 0xff);
    const scratch2 = inb(base + 1) & 0x0f;
    outb(base + 1, 0x0f);
    outb(0x80, 0);
    const scratch3 = inb(base + 1) & 0x0f;
    outb(base + 1, scratch);
    expect([scratch2, scratch3]).toEqual([0, 0x0f]);
    // Loopback test: MCR = LOOP | 0x0a must read MSR & 0xf0 = 0x90.
    const saveMcr = inb(base + 4);
    const saveLcr = inb(base + 3);
    outb(base + 4, 0x10 | 0x0a);
    expect(inb(base + 6) & 0xf0).toBe(0x90);
    outb(base + 4, saveMcr);
    // EFR clear (LCR 0xbf writes FCR on a 16550A), then FIFO detection.
    outb(base + 3, 0xbf);
    outb(base + 2, 0);
    outb(base + 3, 0);
    outb(base + 2, 0x01);
    expect(inb(base + 2) >> 6).toBe(3);
    // autoconfig_16550a(): no EFR behind LCR 0x80 or 0xbf (IIR reads non-zero there).
    outb(base + 3, 0x80);
    expect(inb(base + 2)).not.toBe(0);
    outb(base + 3, 0xbf);
    expect(inb(base + 2)).not.toBe(0);
    // Not a National Semiconductor SuperIO: EXCR1 (IIR under LCR 0xe0) does not follow MCR.LOOP.
    outb(base + 3, 0);
    const status1 = inb(base + 4);
    outb(base + 3, 0xe0);
    let status2 = inb(base + 2);
    expect((status1 ^ status2) & 0x10).toBe(0);
    outb(base + 3, 0);
    outb(base + 4, status1 ^ 0x10);
    outb(base + 3, 0xe0);
    status2 = inb(base + 2);
    outb(base + 3, 0);
    outb(base + 4, status1);
    expect((status2 ^ status1) & 0x10).toBe(0);
    // Not a TI16750: IIR >> 5 is 6 without and with DLAB.
    outb(base + 3, 0);
    outb(base + 2, 0x21);
    const iirA = inb(base + 2) >> 5;
    outb(base + 2, 0x01);
    outb(base + 3, 0x80);
    outb(base + 2, 0x21);
    const iirB = inb(base + 2) >> 5;
    outb(base + 2, 0x01);
    outb(base + 3, 0);
    expect([iirA, iirB]).toEqual([6, 6]);
    // Not an XScale: IER bit 6 does not stick.
    const iersave = inb(base + 1);
    outb(base + 1, iersave | 0x40);
    expect(inb(base + 1) & 0x40).toBe(0);
    outb(base + 1, iersave);
    outb(base + 3, saveLcr);
    // serial8250_do_startup: clear FIFOs, LSR is not 0xff, UART_BUG_THRE and UART_BUG_TXEN probes.
    outb(base + 2, 0x01);
    outb(base + 2, 0x07);
    outb(base + 2, 0);
    inb(base + 5);
    inb(base);
    inb(base + 2);
    inb(base + 6);
    expect(inb(base + 5)).not.toBe(0xff);
    outb(base + 1, 0x02);
    const iir1 = inb(base + 2);
    outb(base + 1, 0);
    outb(base + 1, 0x02);
    const iir = inb(base + 2);
    outb(base + 1, 0);
    // THRE asserted both times: no UART_BUG_THRE.
    expect([iir1, iir]).toEqual([0x02, 0x02]);
    outb(base + 3, 0x03);
    outb(base + 4, 0x08); // OUT2
    outb(base + 1, 0x02);
    const lsr = inb(base + 5);
    const iir2 = inb(base + 2);
    outb(base + 1, 0);
    // TEMT with an interrupt pending: no UART_BUG_TXEN.
    expect([lsr & 0x40, iir2]).toEqual([0x40, 0x02]);
  });

  it('moves serial output and input through IRQ 4 the way the tty layer does', () => {
    const { inb, outb, run, serial, devices } = pc();
    const uart = devices.find((d) => d.name === 'uart0')!.model as Uart16550;
    init8259(outb);
    outb(0x21, 0xeb); // unmask IRQ 4 and the cascade
    outb(0x3fb, 0x83);
    outb(0x3f8, 1); // 115200 baud
    outb(0x3f9, 0);
    outb(0x3fb, 0x03);
    outb(0x3fa, 0x81); // FIFO, trigger 8
    outb(0x3fc, 0x0b); // DTR, RTS, OUT2
    const text = 'LBSH# echo ECHO-$((6*7))\r\n';
    const pending = [...text].map((c) => c.charCodeAt(0));
    const received: number[] = [];
    outb(0x3f9, 0x05 | 0x02); // RLSI | RDI | THRI
    uart.input('echo ok\n');
    const handle = (vector: number) => {
      expect(vector).toBe(0x34);
      for (;;) {
        const iir = inb(0x3fa);
        if (iir & 1) break;
        const lsr = inb(0x3fd);
        if (lsr & 0x01) while (inb(0x3fd) & 0x01) received.push(inb(0x3f8));
        if (lsr & 0x20 && (iir & 0x0f) === 0x02) {
          for (let n = 0; n < 16 && pending.length > 0; n++) outb(0x3f8, pending.shift()!);
          if (pending.length === 0) outb(0x3f9, 0x05); // __stop_tx
        }
      }
      outb(0x20, 0x64);
    };
    run(10 * MS, 100_000, handle);
    expect(String.fromCharCode(...serial)).toBe(text);
    expect(String.fromCharCode(...received)).toBe('echo ok\n');
    expect(pending).toEqual([]);
  });

  it('reads the RTC like mc146818_get_time: wait while UIP, then consistent BCD fields', () => {
    const { inb, outb, clock } = pc();
    const cmos = (i: number) => {
      outb(0x70, i);
      return inb(0x71);
    };
    clock.advanceTo(61 * 1000 * MS - 1 * MS); // inside the UIP window before 00:01:01
    let waits = 0;
    while (cmos(0x0a) & 0x80) {
      waits++;
      clock.advanceBy(100_000);
    }
    expect(waits).toBeGreaterThan(0);
    expect([cmos(9), cmos(8), cmos(7), cmos(4), cmos(2), cmos(0)]).toEqual([
      0x00, 0x01, 0x01, 0x00, 0x01, 0x01,
    ]);
    expect(cmos(0x0d) & 0x40).toBe(0);
    expect(cmos(0x15) | (cmos(0x16) << 8)).toBe(640);
  });

  it('passes the i8042 self-test and reboots through 0xfe; a system reset re-initializes the devices', () => {
    const { inb, outb, ops, board } = pc();
    outb(0x64, 0xaa);
    expect(inb(0x64) & 1).toBe(1);
    expect(inb(0x60)).toBe(0x55);
    init8259(outb);
    outb(0x64, 0xfe);
    expect(ops).toContainEqual({ op: 'reset', device: 'i80420', reason: 'i8042 pulse output port (0xfe)' });
    board.reset();
    expect(inb(0x21)).toBe(0x00);
    expect(inb(0x3fd)).toBe(0x60);
  });

  it('stops through the debug-exit port with the value and QEMU status', () => {
    const { outb, ops } = pc();
    outb(0xf4, 0x31);
    expect(ops).toEqual([{ op: 'stop', device: 'debugexit0', value: 0x31, exitStatus: 0x63 }]);
  });
});
