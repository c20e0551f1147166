import { describe, expect, it } from 'vitest';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import {
  IER_MSR,
  IER_RDA,
  IER_RLS,
  IER_THRE,
  LSR_BI,
  LSR_DR,
  LSR_FE,
  LSR_OE,
  LSR_PE,
  LSR_RX_FIFO_ERROR,
  LSR_TEMT,
  LSR_THRE,
  MCR_LOOP,
  MCR_OUT2,
  MSR_CTS,
  MSR_DCD,
  MSR_DDCD,
  MSR_DSR,
  MSR_TERI,
  type Uart16550,
  uartDevice,
} from './uart-16550.js';

const COM1 = 0x3f8;
const RBR = COM1;
const IER = COM1 + 1;
const IIR = COM1 + 2;
const FCR = COM1 + 2;
const LCR = COM1 + 3;
const MCR = COM1 + 4;
const LSR = COM1 + 5;
const MSR = COM1 + 6;
const SCR = COM1 + 7;

function setup(lcr = 0x03) {
  const clock = new VirtualClock();
  const board = new Motherboard({ clock });
  const out: number[] = [];
  board.host.handle((m) => {
    if (m.op !== 'serial-output') return false;
    out.push(m.byte);
    return true;
  });
  const irq: boolean[] = [];
  board.irq.connect('probe', 0, 16, (g, l) => g === 4 && irq.push(l));
  const uart: Uart16550 = board.add(uartDevice).model;
  const inb = (p: number) => board.io.read(p, 1);
  const outb = (p: number, v: number) => board.io.write(p, 1, v);
  // 8N1 as every driver programs it (LCR powers up as 0: 5-bit words).
  if (lcr !== 0) outb(LCR, lcr);
  return { clock, board, out, irq, uart, inb, outb };
}

describe('16550A UART: registers', () => {
  it('powers up with IER 0, IIR 01, LCR 0, MCR 0, LSR 60 and the modem inputs of a connected terminal', () => {
    const { inb } = setup(0);
    expect([inb(IER), inb(IIR), inb(LCR), inb(MCR), inb(LSR), inb(MSR), inb(SCR)]).toEqual([
      0x00,
      0x01,
      0x00,
      0x00,
      LSR_THRE | LSR_TEMT,
      MSR_CTS | MSR_DSR | MSR_DCD,
      0x00,
    ]);
  });

  it('maps the divisor latch over RBR/IER while DLAB is set and computes the line rate', () => {
    const { inb, outb, uart } = setup();
    outb(IER, 0x05);
    outb(LCR, 0x83);
    outb(RBR, 0x0c);
    outb(IER, 0x00);
    expect([inb(RBR), inb(IER)]).toEqual([0x0c, 0x00]);
    outb(LCR, 0x03);
    expect(inb(IER)).toBe(0x05);
    expect(uart.divisor).toBe(12);
    expect(uart.baud).toBe(9600);
    // 8N1: start + 8 data + stop = 10 bits at 9600 baud.
    expect(uart.characterTime).toBe(Math.round(10e9 / 9600));
    outb(LCR, 0x0c | 0x00); // 5 bits, 1.5 stop bits, parity: 1 + 5 + 1 + 1.5 = 8.5 bits
    expect(uart.characterTime).toBe(Math.round(8.5e9 / 9600));
  });

  it('keeps IER bits 4-7 and MCR bits 5-7 at zero, SCR as written', () => {
    const { inb, outb } = setup();
    outb(IER, 0xff);
    outb(MCR, 0xff & ~MCR_LOOP);
    outb(SCR, 0x5a);
    expect([inb(IER), inb(MCR), inb(SCR)]).toEqual([0x0f, 0x0f, 0x5a]);
  });

  it('sends each THR byte to the host at once, masked to the word length; THRE and TEMT stay set', () => {
    const { inb, outb, out, uart } = setup();
    outb(LCR, 0x03);
    outb(RBR, 0x48);
    outb(RBR, 0xe9);
    outb(LCR, 0x02); // 7 data bits
    outb(RBR, 0xe9);
    expect(out).toEqual([0x48, 0xe9, 0x69]);
    expect(inb(LSR) & (LSR_THRE | LSR_TEMT)).toBe(LSR_THRE | LSR_TEMT);
    expect(uart.transmitted).toBe(3);
    outb(LCR, 0x43); // set break: the line is held at spacing
    outb(RBR, 0x41);
    expect(out).toHaveLength(3);
  });
});

describe('16550A UART: THRE interrupt as Linux probes it', () => {
  it('raises THRE when ETBEI is enabled with THR empty, clears it by reading IIR, re-arms on re-enable (UART_BUG_THRE test)', () => {
    const { inb, outb } = setup();
    outb(IER, IER_THRE);
    const iir1 = inb(IIR);
    outb(IER, 0);
    outb(IER, IER_THRE);
    const iir2 = inb(IIR);
    outb(IER, 0);
    expect(iir1).toBe(0x02);
    expect(iir2).toBe(0x02);
    expect(inb(IIR)).toBe(0x01);
  });

  it('shows THRE with TEMT after enabling the TX interrupt (UART_BUG_TXEN test), with FIFO bits when enabled', () => {
    const { inb, outb } = setup();
    outb(FCR, 0x01);
    outb(IER, IER_THRE);
    const lsr = inb(LSR);
    const iir = inb(IIR);
    expect(lsr & LSR_TEMT).toBe(LSR_TEMT);
    expect(iir).toBe(0xc2);
  });

  it('does not clear THRE by reading IIR while a higher-priority source is reported', () => {
    const { inb, outb, uart } = setup();
    outb(IER, IER_THRE | IER_RDA);
    uart.receiveNow(0x41);
    expect(inb(IIR)).toBe(0x04);
    expect(inb(RBR)).toBe(0x41);
    expect(inb(IIR)).toBe(0x02);
    expect(inb(IIR)).toBe(0x01);
  });

  it('re-arms THRE after each THR write (the character left at once)', () => {
    const { inb, outb } = setup();
    outb(IER, IER_THRE);
    expect(inb(IIR)).toBe(0x02);
    expect(inb(IIR)).toBe(0x01);
    outb(RBR, 0x20);
    expect(inb(IIR)).toBe(0x02);
  });
});

describe('16550A UART: IRQ output', () => {
  it('drives the IRQ line only with MCR.OUT2 set and not in loopback', () => {
    const { outb, irq, uart } = setup();
    outb(IER, IER_THRE);
    expect(uart.irqAsserted).toBe(false);
    outb(MCR, MCR_OUT2);
    expect(uart.irqAsserted).toBe(true);
    outb(MCR, MCR_OUT2 | MCR_LOOP);
    expect(uart.irqAsserted).toBe(false);
    outb(MCR, MCR_OUT2);
    outb(IER, 0);
    expect(irq).toEqual([true, false, true, false]);
  });
});

describe('16550A UART: loopback and modem status', () => {
  it('loops MCR outputs to MSR inputs (Linux autoconfig: MCR 0x1a gives MSR 0x90) and TX to RX', () => {
    const { inb, outb, out } = setup();
    outb(MCR, 0x1a);
    expect(inb(MSR) & 0xf0).toBe(0x90);
    outb(MCR, 0x1f);
    expect(inb(MSR) & 0xf0).toBe(0xf0);
    outb(RBR, 0x5a);
    expect(out).toEqual([]);
    expect(inb(LSR) & LSR_DR).toBe(LSR_DR);
    expect(inb(RBR)).toBe(0x5a);
    expect(inb(LSR) & LSR_DR).toBe(0);
  });

  it('sets delta bits on input changes, TERI only on RI trailing edge, clears them on reading MSR', () => {
    const { inb, outb, uart } = setup();
    inb(MSR);
    uart.setModemInputs({ dcd: false, ri: true });
    expect(inb(MSR)).toBe(MSR_CTS | MSR_DSR | 0x40 | MSR_DDCD);
    expect(inb(MSR) & 0x0f).toBe(0);
    uart.setModemInputs({ ri: false });
    expect(inb(MSR) & 0x0f).toBe(MSR_TERI);
    outb(IER, IER_MSR);
    uart.setModemInputs({ cts: false });
    expect(inb(IIR)).toBe(0x00);
    inb(MSR);
    expect(inb(IIR)).toBe(0x01);
  });
});

describe('16550A UART: receiver', () => {
  it('overruns in character mode: RBR keeps the newest byte, OE until LSR is read; RLS has priority over RDA', () => {
    const { inb, outb, uart } = setup();
    outb(IER, IER_RDA | IER_RLS);
    uart.receiveNow(0x31);
    uart.receiveNow(0x32);
    expect(inb(IIR)).toBe(0x06);
    expect(inb(LSR) & (LSR_OE | LSR_DR)).toBe(LSR_OE | LSR_DR);
    expect(inb(LSR) & LSR_OE).toBe(0);
    expect(inb(IIR)).toBe(0x04);
    expect(inb(RBR)).toBe(0x32);
    expect(inb(IIR)).toBe(0x01);
  });

  it('holds 16 bytes in FIFO mode, loses the 17th with OE, and interrupts at the trigger level', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, 0x81); // FIFO on, trigger 8
    outb(IER, IER_RDA);
    for (let i = 0; i < 7; i++) uart.receiveNow(0x40 + i);
    expect(inb(IIR)).toBe(0xc1);
    uart.receiveNow(0x47);
    expect(inb(IIR)).toBe(0xc4);
    for (let i = 8; i < 17; i++) uart.receiveNow(0x40 + i);
    expect(uart.rxCount).toBe(16);
    expect(inb(LSR) & LSR_OE).toBe(LSR_OE);
    const got: number[] = [];
    while (inb(LSR) & LSR_DR) got.push(inb(RBR));
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => 0x40 + i));
    expect(inb(IIR)).toBe(0xc1);
  });

  it('reports PE/FE/BI when the character reaches the top of the FIFO, and bit 7 while errors are queued', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, 0x01);
    uart.receiveNow(0x41);
    uart.receiveNow(0x42, LSR_PE);
    uart.receiveNow(0x00, LSR_BI | LSR_FE);
    let lsr = inb(LSR);
    expect(lsr & (LSR_PE | LSR_FE | LSR_BI)).toBe(0);
    expect(lsr & LSR_RX_FIFO_ERROR).toBe(LSR_RX_FIFO_ERROR);
    expect(inb(RBR)).toBe(0x41);
    expect(inb(LSR) & (LSR_PE | LSR_RX_FIFO_ERROR)).toBe(LSR_PE | LSR_RX_FIFO_ERROR);
    // Reading LSR cleared PE for the top character.
    expect(inb(LSR) & LSR_PE).toBe(0);
    expect(inb(RBR)).toBe(0x42);
    lsr = inb(LSR);
    expect(lsr & (LSR_BI | LSR_FE)).toBe(LSR_BI | LSR_FE);
    expect(inb(RBR)).toBe(0x00);
    expect(inb(LSR) & (LSR_RX_FIFO_ERROR | LSR_DR)).toBe(0);
  });

  it('signals a character timeout after four character times below the trigger level, cleared by reading RBR', () => {
    const { clock, inb, outb, uart } = setup();
    outb(FCR, 0xc1); // trigger 14
    outb(IER, IER_RDA);
    uart.receiveNow(0x61);
    const four = 4 * uart.characterTime;
    clock.advanceBy(four - 1);
    expect(inb(IIR)).toBe(0xc1);
    clock.advanceBy(1);
    expect(inb(IIR)).toBe(0xcc);
    expect(inb(RBR)).toBe(0x61);
    expect(inb(IIR)).toBe(0xc1);
  });

  it('masks received characters to the word length (5 bits after power-on)', () => {
    const { inb, uart } = setup(0);
    uart.receiveNow(0x41);
    expect(inb(RBR)).toBe(0x01);
  });

  it('clears the FIFO on FCR RX reset and when the FIFO enable changes', () => {
    const { inb, outb, uart } = setup();
    outb(FCR, 0x01);
    uart.receiveNow(1);
    uart.receiveNow(2);
    outb(FCR, 0x03);
    expect(uart.rxCount).toBe(0);
    uart.receiveNow(3);
    outb(FCR, 0x00);
    expect(uart.rxCount).toBe(0);
    expect(inb(IIR)).toBe(0x01);
  });

  it('paces host input at the line rate with flow control: nothing is lost, the timeout flushes the tail', () => {
    const { clock, inb, outb, uart } = setup();
    outb(FCR, 0x81);
    outb(IER, IER_RDA);
    expect(uart.input('0123456789abcdefghij')).toBe(20);
    const t = uart.characterTime;
    clock.advanceBy(t - 1);
    expect(uart.rxCount).toBe(0);
    clock.advanceBy(1);
    expect(uart.rxCount).toBe(1);
    clock.advanceBy(7 * t);
    expect(uart.rxCount).toBe(8);
    expect(inb(IIR)).toBe(0xc4);
    clock.advanceBy(100 * t);
    expect(uart.rxCount).toBe(16);
    expect(uart.pendingInput).toBe(4);
    expect(inb(LSR) & LSR_OE).toBe(0);
    let got = '';
    while (got.length < 20) {
      while (inb(LSR) & LSR_DR) got += String.fromCharCode(inb(RBR));
      clock.advanceBy(t);
    }
    expect(got).toBe('0123456789abcdefghij');
  });

  it('holds host input while loopback is on and delivers it afterwards', () => {
    const { clock, inb, outb, uart } = setup();
    outb(MCR, MCR_LOOP);
    uart.input([0x7a]);
    clock.advanceBy(10 * uart.characterTime);
    expect(inb(LSR) & LSR_DR).toBe(0);
    outb(MCR, 0);
    clock.advanceBy(uart.characterTime);
    expect(inb(RBR)).toBe(0x7a);
  });

  it('returns to the master-reset state but keeps SCR and the divisor', () => {
    const { inb, outb, uart } = setup();
    outb(LCR, 0x80);
    outb(RBR, 3);
    outb(LCR, 0x03);
    outb(IER, 0x0f);
    outb(SCR, 0x77);
    outb(FCR, 0x01);
    uart.receiveNow(1);
    uart.reset();
    expect([inb(IER), inb(IIR), inb(LCR), inb(MCR), inb(LSR), inb(SCR)]).toEqual([0, 1, 0, 0, 0x60, 0x77]);
    expect(uart.divisor).toBe(3);
  });
});
