import { describe, expect, it } from 'vitest';
import { BusError } from '../errors.js';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { type Pic8259Pair, picDevice } from './pic-8259-pair.js';

function setup(options: { linuxInit?: boolean } = {}) {
  const intr: boolean[] = [];
  const board = new Motherboard({
    clock: new VirtualClock(),
    interrupts: { setIntr: (on) => intr.push(on) },
  });
  const pic: Pic8259Pair = board.add(picDevice).model;
  const outb = (p: number, v: number) => board.io.write(p, 1, v);
  const inb = (p: number) => board.io.read(p, 1);
  const lines = new Map<number, ReturnType<Motherboard['irq']['line']>>();
  const line = (gsi: number, trigger: 'edge' | 'level' = 'edge') => {
    let l = lines.get(gsi);
    if (l === undefined) {
      l = board.irq.line(gsi, { owner: `dev${gsi}`, trigger });
      lines.set(gsi, l);
    }
    return l;
  };
  if (options.linuxInit !== false) {
    // Linux's init_8259A (arch/x86/kernel/i8259.c): mask all, ICW1-4 on both chips, vectors 0x30/0x38.
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
    outb(0x21, 0x00);
    outb(0xa1, 0x00);
  }
  const readIrr = (base: number) => {
    outb(base, 0x0a);
    return inb(base);
  };
  const readIsr = (base: number) => {
    outb(base, 0x0b);
    return inb(base);
  };
  return { board, pic, outb, inb, line, intr, readIrr, readIsr };
}

describe('8259A PIC pair: initialization', () => {
  it("completes Linux's ICW sequence on both chips and keeps IMR readable (probe_8259A)", () => {
    const { pic, outb, inb } = setup();
    expect(pic.master.initialized && pic.slave.initialized).toBe(true);
    expect(pic.master.vectorBase).toBe(0x30);
    expect(pic.slave.vectorBase).toBe(0x38);
    expect(pic.master.icw3).toBe(0x04);
    expect(pic.slave.icw3).toBe(0x02);
    expect(pic.master.upm).toBe(true);
    outb(0x21, 0xa5);
    expect(inb(0x21)).toBe(0xa5);
    outb(0xa1, 0x5a);
    expect(inb(0xa1)).toBe(0x5a);
  });

  it('clears IMR, ISR and edge state on ICW1; a line already high needs a new rising edge', () => {
    const { pic, outb, line, board } = setup();
    line(3).raise();
    expect(board.pins.acknowledge()).toBe(0x33);
    outb(0x20, 0x11);
    outb(0x21, 0x30);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    expect(pic.master.isr).toBe(0);
    expect(pic.master.imr).toBe(0);
    expect(pic.intr).toBe(false);
    line(3).lower();
    line(3).raise();
    expect(pic.intr).toBe(true);
  });
});

describe('8259A PIC pair: delivery, priority and EOI', () => {
  it('raises INTR for an edge, answers INTA with the vector, sets ISR, and drops INTR until EOI', () => {
    const { board, line, intr, readIrr, readIsr, outb } = setup();
    line(4).raise();
    expect(intr).toEqual([true]);
    expect(readIrr(0x20)).toBe(0x10);
    expect(board.pins.acknowledge()).toBe(0x34);
    expect(intr).toEqual([true, false]);
    expect(readIrr(0x20)).toBe(0x00);
    expect(readIsr(0x20)).toBe(0x10);
    outb(0x20, 0x20);
    expect(readIsr(0x20)).toBe(0x00);
  });

  it('serves fixed priority IR0 > IR7, nests higher-priority requests and holds lower ones until EOI', () => {
    const { board, pic, line, outb } = setup();
    line(5).raise();
    line(3).raise();
    expect(board.pins.acknowledge()).toBe(0x33);
    expect(pic.intr).toBe(false);
    line(1).raise();
    expect(pic.intr).toBe(true);
    expect(board.pins.acknowledge()).toBe(0x31);
    outb(0x20, 0x20); // non-specific EOI ends IR1 (highest in service)
    expect(pic.master.isr).toBe(0x08);
    outb(0x20, 0x63); // specific EOI for IR3
    expect(board.pins.acknowledge()).toBe(0x35);
  });

  it('respects IMR but still latches the request in IRR', () => {
    const { pic, line, outb, readIrr } = setup();
    outb(0x21, 0x40);
    line(6).raise();
    expect(pic.intr).toBe(false);
    expect(readIrr(0x20)).toBe(0x40);
    outb(0x21, 0x00);
    expect(pic.intr).toBe(true);
  });

  it('does not retrigger an edge line held high; a new low-to-high edge does', () => {
    const { board, pic, line, outb } = setup();
    line(7).raise();
    board.pins.acknowledge();
    outb(0x20, 0x20);
    expect(pic.intr).toBe(false);
    line(7).lower();
    line(7).raise();
    expect(pic.intr).toBe(true);
  });

  it('delivers slave interrupts through the cascade with ISR bits on both chips', () => {
    const { board, line, readIsr, outb, pic } = setup();
    line(12).raise();
    expect(pic.intr).toBe(true);
    expect(board.pins.acknowledge()).toBe(0x3c);
    expect(readIsr(0x20)).toBe(0x04);
    expect(readIsr(0xa0)).toBe(0x10);
    // Linux: specific EOI to the slave, then to the master's cascade input.
    outb(0xa0, 0x64);
    outb(0x20, 0x62);
    expect(pic.master.isr | pic.slave.isr).toBe(0);
  });

  it('answers INTA without a request with the master IR7 vector and no ISR bit (spurious)', () => {
    const { board, pic } = setup();
    expect(board.pins.acknowledge()).toBe(0x37);
    expect(pic.master.isr).toBe(0);
    expect(pic.spurious).toBe(1);
  });

  it('gives the slave IR7 vector with the master IR2 in service when the slave request was masked meanwhile', () => {
    const { board, pic, line, outb } = setup();
    line(9).raise();
    outb(0xa1, 0x02);
    expect(pic.intr).toBe(true); // master IR2 latched the edge
    expect(board.pins.acknowledge()).toBe(0x3f);
    expect(pic.master.isr).toBe(0x04);
    expect(pic.slave.isr).toBe(0x00);
  });
});

describe('8259A PIC pair: modes', () => {
  it('follows the level in level-triggered mode (ELCR): re-interrupts after EOI while high, not after it drops', () => {
    const { board, pic, line, outb, inb } = setup();
    outb(0x4d1, 0x04); // IRQ 10 level
    expect(inb(0x4d1)).toBe(0x04);
    const l = line(10, 'level');
    l.raise();
    expect(board.pins.acknowledge()).toBe(0x3a);
    outb(0xa0, 0x62);
    outb(0x20, 0x62);
    expect(pic.intr).toBe(true);
    expect(board.pins.acknowledge()).toBe(0x3a);
    l.lower();
    outb(0xa0, 0x62);
    outb(0x20, 0x62);
    expect(pic.intr).toBe(false);
    expect(pic.slave.irr).toBe(0);
  });

  it('keeps the ELCR bits of IRQ 0, 1, 2, 8 and 13 at zero (PIIX)', () => {
    const { outb, inb } = setup();
    outb(0x4d0, 0xff);
    outb(0x4d1, 0xff);
    expect([inb(0x4d0), inb(0x4d1)]).toEqual([0xf8, 0xde]);
  });

  it('treats all inputs as level-triggered with ICW1.LTIM', () => {
    const { pic, outb, line } = setup({ linuxInit: false });
    outb(0x20, 0x19);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    line(3).raise();
    expect(pic.intr).toBe(true);
    line(3).lower();
    expect(pic.intr).toBe(false);
  });

  it('does not set ISR in automatic EOI mode', () => {
    const { board, pic, outb, line } = setup({ linuxInit: false });
    outb(0x20, 0x13); // single, IC4
    outb(0x21, 0x20);
    outb(0x21, 0x03); // 8086, AEOI
    line(1).raise();
    expect(board.pins.acknowledge()).toBe(0x21);
    expect(pic.master.isr).toBe(0);
  });

  it('rotates priorities on non-specific EOI, by set-priority and on specific EOI', () => {
    const { board, pic, outb, line } = setup();
    line(3).raise();
    board.pins.acknowledge();
    outb(0x20, 0xa0); // rotate on non-specific EOI: IR3 becomes lowest
    expect(pic.master.lowest).toBe(3);
    line(1).raise();
    line(5).raise();
    expect(board.pins.acknowledge()).toBe(0x35); // order is now 4,5,6,7,0,1,2,3
    outb(0x20, 0xc4); // set priority: IR4 lowest → IR5 highest
    expect(pic.master.lowest).toBe(4);
    outb(0x20, 0xe5); // rotate on specific EOI for IR5: IR5 lowest
    expect(pic.master.lowest).toBe(5);
    expect(board.pins.acknowledge()).toBe(0x31);
  });

  it('lets lower-priority requests through while a masked level is in service in special mask mode', () => {
    const { board, pic, outb, line } = setup();
    line(5).raise();
    board.pins.acknowledge();
    line(6).raise();
    expect(pic.intr).toBe(false);
    outb(0x21, 0x20); // mask IR5
    outb(0x20, 0x68); // OCW3: set special mask mode
    expect(pic.master.specialMask).toBe(true);
    expect(pic.intr).toBe(true);
    expect(board.pins.acknowledge()).toBe(0x36);
    outb(0x20, 0x48); // reset special mask mode
    expect(pic.master.specialMask).toBe(false);
  });

  it('answers a poll command with 0x80 | level and acknowledges it', () => {
    const { pic, outb, inb, line } = setup();
    outb(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x00);
    line(2 + 4).raise();
    outb(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x86);
    expect(pic.master.isr).toBe(0x40);
    expect(inb(0x20)).toBe(0x00); // back to reading IRR
  });

  it('lets a higher-priority slave request nest through an in-service cascade only in special fully nested mode', () => {
    for (const sfnm of [false, true]) {
      const { board, pic, outb, line } = setup({ linuxInit: false });
      outb(0x20, 0x11);
      outb(0x21, 0x30);
      outb(0x21, 0x04);
      outb(0x21, sfnm ? 0x11 : 0x01);
      outb(0xa0, 0x11);
      outb(0xa1, 0x38);
      outb(0xa1, 0x02);
      outb(0xa1, 0x01);
      line(9).raise();
      expect(board.pins.acknowledge()).toBe(0x39);
      line(8).raise();
      expect(pic.intr).toBe(sfnm);
      if (sfnm) {
        expect(board.pins.acknowledge()).toBe(0x38);
        expect(pic.slave.isr).toBe(0x03);
      }
    }
  });

  it('refuses a second interrupt controller and resets to power-on state', () => {
    const { board, pic, line } = setup();
    expect(() => board.add(picDevice, { elcr: false })).toThrow(BusError);
    line(1).raise();
    pic.reset();
    expect(pic.master.vectorBase).toBe(0);
    expect(pic.master.irr).toBe(0);
    expect(pic.intr).toBe(false);
  });
});
