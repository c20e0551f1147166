import type { PortDevice } from '../port-io.js';

/**
 * A minimal 16550-compatible UART for a bare processor: the transmitter is always ready
 * (LSR = THRE | TEMT), received bytes come from a queue, divisor latch and scratch register
 * behave, no interrupts. Enough for polled console I/O of test guests; the VMM has the full model.
 */
export class SimpleUart implements PortDevice {
  private readonly regs = new Uint8Array(8);
  private dll = 1;
  private dlm = 0;
  private readonly rx: number[] = [];
  private readonly base: number;
  private readonly onByte: (byte: number) => void;

  /** `base` is the first port (0x3f8 for COM1); `onByte` receives every transmitted byte. */
  constructor(base: number, onByte: (byte: number) => void) {
    this.base = base;
    this.onByte = onByte;
  }

  /** Queues bytes for the receiver. */
  input(bytes: Iterable<number>): void {
    for (const b of bytes) this.rx.push(b & 0xff);
  }

  read(port: number, _size: 1 | 2 | 4): number {
    const r = (port - this.base) & 7;
    const dlab = (this.regs[3]! & 0x80) !== 0;
    switch (r) {
      case 0:
        if (dlab) return this.dll;
        return this.rx.shift() ?? 0;
      case 1:
        return dlab ? this.dlm : this.regs[1]!;
      case 2:
        return 0x01;
      case 5:
        return 0x60 | (this.rx.length > 0 ? 1 : 0);
      case 6:
        return 0xb0;
      default:
        return this.regs[r]!;
    }
  }

  write(port: number, _size: 1 | 2 | 4, value: number): void {
    const r = (port - this.base) & 7;
    const dlab = (this.regs[3]! & 0x80) !== 0;
    if (r === 0) {
      if (dlab) this.dll = value & 0xff;
      else this.onByte(value & 0xff);
      return;
    }
    if (r === 1 && dlab) {
      this.dlm = value & 0xff;
      return;
    }
    if (r !== 5 && r !== 6) this.regs[r] = value & 0xff;
  }
}
