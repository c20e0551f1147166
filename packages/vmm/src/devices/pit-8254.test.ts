import { describe, expect, it } from 'vitest';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { type Pit8254, pitDevice } from './pit-8254.js';
import { pitTicksAt, pitTickTime } from './pit-time.js';

function setup() {
  const clock = new VirtualClock();
  const board = new Motherboard({ clock });
  const pit: Pit8254 = board.add(pitDevice).model;
  const edges: number[] = [];
  board.irq.connect('probe', 0, 16, (g, l) => g === 0 && l && edges.push(pitTicksAt(clock.now())));
  const outb = (p: number, v: number) => board.io.write(p, 1, v);
  const inb = (p: number) => board.io.read(p, 1);
  /** Moves guest time to just after input clock `k`. */
  const toTick = (k: number) => clock.advanceTo(pitTickTime(k));
  const status = (ch: number) => {
    outb(0x43, 0xe0 | (2 << ch)); // read-back: latch status only
    return inb(0x40 + ch);
  };
  const count = (ch: number) => {
    outb(0x43, ch << 6); // counter latch
    return inb(0x40 + ch) | (inb(0x40 + ch) << 8);
  };
  return { clock, board, pit, edges, outb, inb, toTick, status, count };
}

describe('8254 PIT: mode 2 (rate generator) on counter 0', () => {
  it("interrupts every N clocks from N after the load, as Linux's 250 Hz periodic tick programs it", () => {
    const { outb, edges, toTick, pit } = setup();
    toTick(1000);
    outb(0x43, 0x34); // counter 0, LSB then MSB, mode 2, binary
    outb(0x40, 4773 & 0xff);
    outb(0x40, 4773 >> 8);
    // Loaded by clock 1001; edges at 1001 + k·4773.
    toTick(1001 + 3 * 4773);
    expect(edges).toEqual([1001 + 4773, 1001 + 2 * 4773, 1001 + 3 * 4773]);
    expect(pit.interrupts).toBe(3);
  });

  it('counts down N..1 and reloads; the latch freezes the value until read', () => {
    const { outb, inb, toTick, count } = setup();
    outb(0x43, 0x34);
    outb(0x40, 100);
    outb(0x40, 0);
    toTick(1);
    expect(count(0)).toBe(100);
    toTick(11);
    expect(count(0)).toBe(90);
    toTick(100);
    expect(count(0)).toBe(1);
    toTick(101);
    expect(count(0)).toBe(100);
    outb(0x43, 0x00);
    toTick(150);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(100);
    // A second latch before the read is ignored; after the read the counter is live again.
    outb(0x43, 0x00); // latched at clock 150: 149 clocks after the load, 49 into a period
    toTick(160);
    outb(0x43, 0x00);
    expect(inb(0x40)).toBe(100 - 49);
    inb(0x40);
    expect(count(0)).toBe(100 - 59);
  });

  it('takes a new count at the end of the current period', () => {
    const { outb, edges, toTick } = setup();
    outb(0x43, 0x34);
    outb(0x40, 100);
    outb(0x40, 0);
    toTick(50);
    outb(0x40, 10);
    outb(0x40, 0);
    toTick(150);
    expect(edges).toEqual([101, 111, 121, 131, 141]);
  });
});

describe('8254 PIT: other modes', () => {
  it('mode 0: OUT low after the control word, high N+1 clocks after the count, then one interrupt', () => {
    const { outb, edges, toTick, status, pit } = setup();
    toTick(10);
    outb(0x43, 0x30);
    expect(status(0) & 0x80).toBe(0);
    outb(0x40, 20);
    outb(0x40, 0);
    toTick(30);
    expect(pit.counters[0].out(30)).toBe(false);
    toTick(31);
    expect(pit.counters[0].out(31)).toBe(true);
    toTick(10_000);
    expect(edges).toEqual([31]);
  });

  it('mode 0: writing the first byte of a new count stops counting and drops OUT at once', () => {
    const { outb, toTick, pit } = setup();
    outb(0x43, 0x30);
    outb(0x40, 5);
    outb(0x40, 0);
    toTick(10);
    expect(pit.counters[0].out(10)).toBe(true);
    outb(0x40, 5);
    expect(pit.counters[0].out(10)).toBe(false);
    toTick(100);
    expect(pit.counters[0].out(100)).toBe(false);
    outb(0x40, 0);
    toTick(106);
    expect(pit.counters[0].out(106)).toBe(true);
  });

  it('mode 3: a square wave, high for ceil(N/2) and low for floor(N/2) clocks', () => {
    const { outb, pit } = setup();
    outb(0x43, 0x36);
    outb(0x40, 11);
    outb(0x40, 0);
    const wave = Array.from({ length: 22 }, (_, i) => (pit.counters[0].out(1 + i) ? 1 : 0)).join('');
    expect(wave).toBe('1111110000011111100000');
  });

  it('mode 4: a one-clock low strobe N clocks after the load', () => {
    const { outb, edges, toTick, pit } = setup();
    outb(0x43, 0x38);
    outb(0x40, 5);
    outb(0x40, 0);
    const wave = Array.from({ length: 8 }, (_, i) => (pit.counters[0].out(1 + i) ? 1 : 0)).join('');
    expect(wave).toBe('11111011');
    toTick(100);
    expect(edges).toEqual([7]);
  });

  it('modes 1 and 5 on counter 2 wait for a gate trigger from port 0x61', () => {
    const { outb, inb, toTick, pit } = setup();
    outb(0x43, 0xb2); // counter 2, word, mode 1
    outb(0x42, 4);
    outb(0x42, 0);
    toTick(10);
    expect(inb(0x61) & 0x20).toBe(0x20);
    outb(0x61, 0x01); // gate rising edge at clock 10: load at 11
    expect(pit.counters[2].out(11)).toBe(false);
    expect(pit.counters[2].out(14)).toBe(false);
    expect(pit.counters[2].out(15)).toBe(true);
    outb(0x43, 0xba); // mode 5
    outb(0x42, 3);
    outb(0x42, 0);
    outb(0x61, 0x00);
    toTick(20);
    outb(0x61, 0x01);
    const wave = Array.from({ length: 6 }, (_, i) => (pit.counters[2].out(21 + i) ? 1 : 0)).join('');
    expect(wave).toBe('111011');
  });

  it('counts in BCD', () => {
    const { outb, toTick, count } = setup();
    outb(0x43, 0x35); // mode 2, BCD
    outb(0x40, 0x00);
    outb(0x40, 0x10); // 1000
    toTick(2);
    expect(count(0)).toBe(0x0999);
    toTick(1 + 1000 - 1);
    expect(count(0)).toBe(0x0001);
  });

  it('LSB-only and MSB-only access', () => {
    const { outb, inb, toTick } = setup();
    outb(0x43, 0x54); // counter 1, LSB only, mode 2
    outb(0x41, 50);
    toTick(11);
    expect(inb(0x41)).toBe(40);
    outb(0x43, 0x64); // counter 1, MSB only, mode 2: count 0x0200
    outb(0x41, 0x02);
    toTick(12);
    expect(inb(0x41)).toBe(0x02);
  });

  it('keeps separate read and write byte flip-flops (8254: read LSB, write LSB, read MSB, write MSB)', () => {
    const { outb, inb, pit } = setup();
    outb(0x43, 0x34);
    outb(0x40, 0x34);
    outb(0x40, 0x12);
    outb(0x43, 0x00);
    expect(inb(0x40)).toBe(0x34);
    outb(0x40, 0x78);
    expect(inb(0x40)).toBe(0x12);
    outb(0x40, 0x56);
    expect(pit.counters[0].cr).toBe(0x5678);
  });
});

describe('8254 PIT: read-back and status', () => {
  it('reports OUT, NULL COUNT, RW, mode and BCD; NULL COUNT clears when the count is loaded', () => {
    const { outb, toTick, status } = setup();
    toTick(5);
    outb(0x43, 0xb0); // counter 2, word, mode 0
    expect(status(2)).toBe(0x40 | 0x30 | 0x00);
    outb(0x42, 0x10);
    outb(0x42, 0x00);
    expect(status(2) & 0x40).toBe(0x40);
    toTick(6);
    expect(status(2)).toBe(0x30);
    outb(0x43, 0x96); // counter 2, LSB, mode 3
    expect(status(2)).toBe(0x80 | 0x40 | 0x10 | 0x06);
  });

  it('returns the status first and then the count when both are latched', () => {
    const { outb, inb, toTick } = setup();
    outb(0x43, 0x34);
    outb(0x40, 0x00);
    outb(0x40, 0x01); // 256
    toTick(11);
    outb(0x43, 0xc2); // read-back counter 0: count and status
    expect(inb(0x40)).toBe(0x80 | 0x34);
    expect(inb(0x40) | (inb(0x40) << 8)).toBe(246);
  });

  it('reads the control port as floating bus', () => {
    const { inb } = setup();
    expect(inb(0x43)).toBe(0xff);
  });
});

describe('8254 PIT: port 0x61', () => {
  it("shows OUT2 as Linux's pit_calibrate_tsc polls it, stores bits 0-3, toggles refresh every 18 clocks", () => {
    const { outb, inb, toTick } = setup();
    expect(inb(0x61) & 0x0f).toBe(0);
    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 0xff);
    outb(0x42, 0xff);
    let polls = 0;
    let t = 0;
    while ((inb(0x61) & 0x20) === 0) {
      polls++;
      t += 100;
      toTick(t);
    }
    // Loaded at clock 1; OUT2 rises at 1 + 0xffff.
    expect(t).toBe(Math.ceil((1 + 0xffff) / 100) * 100);
    expect(polls).toBe(656);
    outb(0x61, 0xff);
    expect(inb(0x61) & 0x0f).toBe(0x0f);
    toTick(18 * 4000);
    expect(inb(0x61) & 0x10).toBe(0);
    toTick(18 * 4001);
    expect(inb(0x61) & 0x10).toBe(0x10);
    toTick(18 * 4002 - 1);
    expect(inb(0x61) & 0x10).toBe(0x10);
  });

  it('stops counter 2 in mode 0 while its gate is low', () => {
    const { outb, toTick, count } = setup();
    outb(0x61, 0x01);
    outb(0x43, 0xb0);
    outb(0x42, 100);
    outb(0x42, 0);
    toTick(21);
    expect(count(2)).toBe(80);
    outb(0x61, 0x00);
    toTick(500);
    expect(count(2)).toBe(80);
    outb(0x61, 0x01);
    toTick(511);
    expect(count(2)).toBe(70);
  });

  it('resets to unprogrammed counters and port B 0', () => {
    const { outb, inb, edges, pit, toTick } = setup();
    outb(0x43, 0x34);
    outb(0x40, 10);
    outb(0x40, 0);
    outb(0x61, 0x03);
    pit.reset();
    toTick(1000);
    expect(edges).toEqual([]);
    expect(inb(0x61) & 0x0f).toBe(0);
  });
});
