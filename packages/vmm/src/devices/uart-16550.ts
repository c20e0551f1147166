import type { IrqLine } from '../bus/irq-bus.js';
import { type DeviceDefinition, type DeviceHooks, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';
import type { TimerHandle } from '../time/device-clock.js';
import { utf8Encode } from '../util/utf8.js';

// Register offsets from the base port (PC16550D datasheet, Table II "Register Summary").
/** Receiver Buffer (read) / Transmitter Holding (write) with DLAB = 0; Divisor Latch LS with DLAB = 1. */
export const UART_RBR_THR = 0;
/** Interrupt Enable with DLAB = 0; Divisor Latch MS with DLAB = 1. */
export const UART_IER = 1;
/** Interrupt Identification (read) / FIFO Control (write). */
export const UART_IIR_FCR = 2;
/** Line Control. */
export const UART_LCR = 3;
/** Modem Control. */
export const UART_MCR = 4;
/** Line Status. */
export const UART_LSR = 5;
/** Modem Status. */
export const UART_MSR = 6;
/** Scratch. */
export const UART_SCR = 7;

// Interrupt Enable Register bits (PC16550D "Interrupt Enable Register"; bits 4–7 always read 0).
/** ERBFI: received data available (and, in FIFO mode, character timeout). */
export const IER_RDA = 0x01;
/** ETBEI: transmitter holding register empty. */
export const IER_THRE = 0x02;
/** ELSI: receiver line status. */
export const IER_RLS = 0x04;
/** EDSSI: modem status. */
export const IER_MSR = 0x08;

// Interrupt Identification Register (PC16550D "Interrupt Identification Register", Table IV).
/** Bit 0 set: no interrupt pending. */
export const IIR_NO_INT = 0x01;
/** Receiver line status (OE, PE, FE, BI): priority 1, cleared by reading LSR. */
export const IIR_RLS = 0x06;
/** Received data available (trigger level reached): priority 2, cleared when below the trigger. */
export const IIR_RDA = 0x04;
/** Character timeout (FIFO mode): priority 2 after RDA, cleared by reading RBR. */
export const IIR_TIMEOUT = 0x0c;
/** Transmitter holding register empty: priority 3, cleared by reading IIR (if the source) or writing THR. */
export const IIR_THRE = 0x02;
/** Modem status: priority 4, cleared by reading MSR. */
export const IIR_MSR = 0x00;
/** Bits 7:6 set when the FIFOs are enabled (FCR bit 0). */
export const IIR_FIFO_ENABLED = 0xc0;

// FIFO Control Register (PC16550D "FIFO Control Register").
/** FIFO enable; changing it clears both FIFOs; other bits are only programmed while it is set. */
export const FCR_ENABLE = 0x01;
/** Clear the receiver FIFO (self-clearing). */
export const FCR_RX_RESET = 0x02;
/** Clear the transmitter FIFO (self-clearing). */
export const FCR_TX_RESET = 0x04;
/** DMA mode select (RXRDY/TXRDY pin behaviour only; stored, no effect here). */
export const FCR_DMA = 0x08;
/** Receiver trigger level of FCR bits 7:6: 1, 4, 8 or 14 bytes. */
export const FCR_TRIGGER_LEVELS: readonly number[] = [1, 4, 8, 14];

// Line Control Register (PC16550D "Line Control Register").
/** Word length select: 5 + (LCR & 3) data bits. */
export const LCR_WORD_LENGTH = 0x03;
/** Stop bits: 1, or 1.5 (5-bit words) / 2. */
export const LCR_STOP = 0x04;
/** Parity enable. */
export const LCR_PARITY = 0x08;
/** Set break: the serial output is forced to spacing. */
export const LCR_BREAK = 0x40;
/** Divisor latch access bit. */
export const LCR_DLAB = 0x80;

// Modem Control Register (PC16550D "MODEM Control Register"; bits 5–7 always read 0).
/** Data terminal ready (looped to DSR). */
export const MCR_DTR = 0x01;
/** Request to send (looped to CTS). */
export const MCR_RTS = 0x02;
/** User output 1 (looped to RI). */
export const MCR_OUT1 = 0x04;
/** OUT2: on PC serial cards it enables the IRQ driver (Linux sets it when the port has an IRQ). */
export const MCR_OUT2 = 0x08;
/** Local loopback: TX → RX inside the chip; DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD. */
export const MCR_LOOP = 0x10;

// Line Status Register (PC16550D "Line Status Register").
/** Data ready: at least one character in RBR / the RX FIFO. */
export const LSR_DR = 0x01;
/** Overrun error; cleared by reading LSR. */
export const LSR_OE = 0x02;
/** Parity error of the character at the top of the FIFO; cleared by reading LSR. */
export const LSR_PE = 0x04;
/** Framing error (as PE). */
export const LSR_FE = 0x08;
/** Break interrupt (as PE). */
export const LSR_BI = 0x10;
/** Transmitter holding register (TX FIFO) empty. */
export const LSR_THRE = 0x20;
/** Transmitter empty: THR and the shift register. */
export const LSR_TEMT = 0x40;
/** FIFO mode: at least one PE/FE/BI in the RX FIFO. */
export const LSR_RX_FIFO_ERROR = 0x80;

// Modem Status Register (PC16550D "MODEM Status Register").
/** CTS changed since MSR was last read. */
export const MSR_DCTS = 0x01;
/** DSR changed since MSR was last read. */
export const MSR_DDSR = 0x02;
/** Trailing edge of RI (RI went from on to off). */
export const MSR_TERI = 0x04;
/** DCD changed since MSR was last read. */
export const MSR_DDCD = 0x08;
/** Clear to send. */
export const MSR_CTS = 0x10;
/** Data set ready. */
export const MSR_DSR = 0x20;
/** Ring indicator. */
export const MSR_RI = 0x40;
/** Data carrier detect. */
export const MSR_DCD = 0x80;

/** Depth of the 16550A's receiver and transmitter FIFOs. */
export const UART_FIFO_DEPTH = 16;
/** The crystal of PC serial ports: 1.8432 MHz, i.e. 115200 baud at divisor 1 (× 16 oversampling). */
export const UART_BASE_BAUD = 115200;

/** Options of {@link Uart16550}. */
export interface Uart16550Options {
  /** Instance name (bus owner, `serial-output` device field). */
  readonly name: string;
  /** Base port (COM1 0x3f8, COM2 0x2f8). */
  readonly base: number;
  /** GSI of the interrupt output (COM1 4, COM2 3). */
  readonly irq: number;
}

/** Host-side modem input lines (what the terminal at the other end drives). */
export interface ModemInputs {
  readonly cts: boolean;
  readonly dsr: boolean;
  readonly ri: boolean;
  readonly dcd: boolean;
}

/**
 * A National Semiconductor PC16550D-compatible UART (the "16550A" Linux detects), at ISA ports
 * `base`…`base + 7` with an edge-triggered IRQ.
 *
 * Modelled: DLAB and the divisor latch; IER; IIR with the FIFO bits and the priorities
 * RLS > RDA > character timeout > THRE > modem status; FCR (enable, resets, trigger levels);
 * LCR; MCR with loopback (TX looped to RX, modem outputs looped to inputs, deltas); LSR (DR, OE,
 * PE/FE/BI per FIFO entry, THRE, TEMT, FIFO error); MSR with delta bits; SCR.
 * Transmission is instantaneous: each THR write reaches the host as a `serial-output` operation
 * at once, so THRE and TEMT always read 1, and THRE interrupts re-arm immediately (as a 16550
 * whose line is infinitely fast). Reception is paced at the programmed line rate (one character
 * time per character, from divisor and LCR) into the 16-byte FIFO with host-side flow control:
 * host input is never lost; the character timeout fires after four character times.
 * The IRQ output is `interrupt pending && MCR.OUT2 && !loopback` (PC wiring).
 *
 * Not modelled: the TX FIFO as a queue (transmission is instantaneous), DMA signalling,
 * parity/framing generation on the host side (errors can be injected with {@link receiveNow}),
 * break on the transmit line (bytes written while LCR.BREAK is set are not sent).
 */
export class Uart16550 implements DeviceHooks {
  readonly name: string;
  readonly base: number;
  private readonly board: Motherboard;
  private readonly line: IrqLine;

  private dll = 1;
  private dlm = 0;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fifoEnabled = false;
  private trigger = 1;
  private fcrDma = false;
  /** RX FIFO entries: data byte | error bits (LSR_PE/FE/BI) << 8. In non-FIFO mode at most one. */
  private rx: number[] = [];
  private rbr = 0;
  private overrun = false;
  /** The top entry's PE/FE/BI were reported by an LSR read already. */
  private topErrorsReported = false;
  private thrPending = false;
  private timeoutPending = false;
  private timeoutTimer: TimerHandle | undefined;
  private msrDelta = 0;
  private inputs: ModemInputs = { cts: true, dsr: true, ri: false, dcd: true };
  private hostQueue: number[] = [];
  private hostTimer: TimerHandle | undefined;
  /** Bytes transmitted to the host. */
  transmitted = 0;

  constructor(board: Motherboard, options: Uart16550Options) {
    this.board = board;
    this.name = options.name;
    this.base = options.base;
    board.io.register({
      owner: options.name,
      base: options.base,
      length: 8,
      handler: {
        read: (a) => {
          a.value = this.readRegister(a.offset);
          return true;
        },
        write: (a) => {
          this.writeRegister(a.offset, a.value);
          return true;
        },
      },
    });
    this.line = board.irq.line(options.irq, { owner: options.name, trigger: 'edge' });
  }

  /** The divisor latch (DLM:DLL); 0 counts as 65536. */
  get divisor(): number {
    return (this.dlm << 8) | this.dll || 0x10000;
  }

  /** Line rate in baud. */
  get baud(): number {
    return UART_BASE_BAUD / this.divisor;
  }

  /**
   * Nanoseconds one character takes on the line with the current divisor and LCR: start bit,
   * 5–8 data bits, optional parity, 1 / 1.5 / 2 stop bits.
   */
  get characterTime(): number {
    const data = 5 + (this.lcr & LCR_WORD_LENGTH);
    const parity = this.lcr & LCR_PARITY ? 1 : 0;
    const stopHalves = this.lcr & LCR_STOP ? (data === 5 ? 3 : 4) : 2;
    const halfBits = 2 * (1 + data + parity) + stopHalves;
    return Math.round((halfBits * this.divisor * 1e9) / (2 * UART_BASE_BAUD));
  }

  /** Characters in the RX FIFO (or RBR). */
  get rxCount(): number {
    return this.rx.length;
  }

  /** Host bytes waiting to arrive (flow-controlled). */
  get pendingInput(): number {
    return this.hostQueue.length;
  }

  /** Whether the IRQ output is asserted. */
  get irqAsserted(): boolean {
    return this.line.level;
  }

  /**
   * Queues bytes from the host (a terminal). They arrive at the line rate, one per character
   * time, as long as the RX FIFO has room (flow control: nothing is lost); while loopback is on
   * they wait. Returns the number of bytes queued.
   */
  input(bytes: Iterable<number> | string): number {
    let n = 0;
    const push = (b: number) => {
      this.hostQueue.push(b & 0xff);
      n++;
    };
    if (typeof bytes === 'string') for (const b of utf8Encode(bytes)) push(b);
    else for (const b of bytes) push(b);
    this.scheduleHostArrival();
    return n;
  }

  /**
   * A character arrives at the receiver now, bypassing flow control (a full FIFO overruns), with
   * optional error bits (`LSR_PE | LSR_FE | LSR_BI`). For tests and line-error injection; a break
   * is `receiveNow(0, LSR_BI | LSR_FE)`.
   */
  receiveNow(byte: number, errors = 0): void {
    this.receive(byte, errors & (LSR_PE | LSR_FE | LSR_BI));
    this.update();
  }

  /** Sets the modem input lines driven by the host; changes set the MSR delta bits (not in loopback). */
  setModemInputs(inputs: Partial<ModemInputs>): void {
    const before = this.msrLines();
    this.inputs = { ...this.inputs, ...inputs };
    this.noteMsrChange(before);
    this.update();
  }

  /** Master reset (PC16550D Table III): IER, FCR, LCR, MCR cleared, FIFOs empty; SCR and divisor kept. */
  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.fifoEnabled = false;
    this.trigger = 1;
    this.fcrDma = false;
    this.hostQueue = [];
    this.hostTimer?.cancel();
    this.hostTimer = undefined;
    this.clearRx();
    this.overrun = false;
    this.thrPending = false;
    this.msrDelta = 0;
    this.update();
  }

  /** Register dump for a CLI. */
  describe(): string {
    const h = (n: number) => n.toString(16).padStart(2, '0');
    return (
      `${this.name}: base 0x${this.base.toString(16)} divisor ${this.divisor} (${this.baud} baud) ` +
      `IER ${h(this.ier)} IIR ${h(this.iir())} LCR ${h(this.lcr)} MCR ${h(this.mcr)} ` +
      `LSR ${h(this.lsr())} MSR ${h(this.msrLines() | this.msrDelta)} SCR ${h(this.scr)} ` +
      `FIFO ${this.fifoEnabled ? `on, trigger ${this.trigger}` : 'off'} rx ${this.rx.length} ` +
      `input ${this.hostQueue.length} transmitted ${this.transmitted}`
    );
  }

  /** A guest read of register `offset` (0–7), with its side effects. */
  readRegister(offset: number): number {
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RBR_THR: {
        if (dlab) return this.dll;
        const v = this.popRx();
        this.update();
        return v;
      }
      case UART_IER:
        return dlab ? this.dlm : this.ier;
      case UART_IIR_FCR: {
        const v = this.iir();
        // Reading IIR clears a THRE interrupt only when THRE is the source it reports.
        if ((v & 0x0f) === IIR_THRE) {
          this.thrPending = false;
          this.update();
        }
        return v;
      }
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR: {
        const v = this.lsr();
        this.overrun = false;
        if (this.rx.length > 0) this.topErrorsReported = true;
        this.update();
        return v;
      }
      case UART_MSR: {
        const v = this.msrLines() | this.msrDelta;
        this.msrDelta = 0;
        this.update();
        return v;
      }
      default:
        return this.scr;
    }
  }

  /** A guest write of `value` to register `offset` (0–7). */
  writeRegister(offset: number, value: number): void {
    value &= 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch (offset) {
      case UART_RBR_THR:
        if (dlab) this.dll = value;
        else this.transmit(value);
        break;
      case UART_IER:
        if (dlab) this.dlm = value;
        else {
          const was = this.ier;
          this.ier = value & 0x0f;
          // Enabling ETBEI while THR is empty raises a THRE interrupt even if an earlier one was
          // cleared by reading IIR (Linux's UART_BUG_THRE / TXEN probes rely on it).
          if (this.ier & IER_THRE && !(was & IER_THRE)) this.thrPending = true;
          else if (!(this.ier & IER_THRE)) this.thrPending = false;
        }
        break;
      case UART_IIR_FCR:
        this.writeFcr(value);
        break;
      case UART_LCR:
        this.lcr = value;
        break;
      case UART_MCR: {
        const before = this.msrLines();
        const wasLoop = (this.mcr & MCR_LOOP) !== 0;
        this.mcr = value & 0x1f;
        this.noteMsrChange(before);
        if (wasLoop && !(this.mcr & MCR_LOOP)) this.scheduleHostArrival();
        break;
      }
      case UART_LSR:
      case UART_MSR:
        // Factory-test writes; not modelled.
        break;
      default:
        this.scr = value;
    }
    this.update();
  }

  private iir(): number {
    const fifo = this.fifoEnabled ? IIR_FIFO_ENABLED : 0;
    return fifo | this.interruptId();
  }

  private interruptId(): number {
    const ier = this.ier;
    if (ier & IER_RLS && (this.overrun || this.topErrors() !== 0)) return IIR_RLS;
    if (ier & IER_RDA) {
      if (this.fifoEnabled ? this.rx.length >= this.trigger : this.rx.length > 0) return IIR_RDA;
      if (this.timeoutPending) return IIR_TIMEOUT;
    }
    if (ier & IER_THRE && this.thrPending) return IIR_THRE;
    if (ier & IER_MSR && this.msrDelta !== 0) return IIR_MSR;
    return IIR_NO_INT;
  }

  private topErrors(): number {
    if (this.topErrorsReported || this.rx.length === 0) return 0;
    return (this.rx[0]! >> 8) & (LSR_PE | LSR_FE | LSR_BI);
  }

  private lsr(): number {
    let v = LSR_THRE | LSR_TEMT;
    if (this.rx.length > 0) v |= LSR_DR;
    if (this.overrun) v |= LSR_OE;
    v |= this.topErrors();
    if (this.fifoEnabled) {
      const start = this.topErrorsReported ? 1 : 0;
      for (let i = start; i < this.rx.length; i++) {
        if (this.rx[i]! >> 8) {
          v |= LSR_RX_FIFO_ERROR;
          break;
        }
      }
    }
    return v;
  }

  /** MSR bits 7:4 from the inputs (or, in loopback, from MCR). */
  private msrLines(): number {
    if (this.mcr & MCR_LOOP) {
      const m = this.mcr;
      return (
        (m & MCR_RTS ? MSR_CTS : 0) |
        (m & MCR_DTR ? MSR_DSR : 0) |
        (m & MCR_OUT1 ? MSR_RI : 0) |
        (m & MCR_OUT2 ? MSR_DCD : 0)
      );
    }
    const i = this.inputs;
    return (i.cts ? MSR_CTS : 0) | (i.dsr ? MSR_DSR : 0) | (i.ri ? MSR_RI : 0) | (i.dcd ? MSR_DCD : 0);
  }

  private noteMsrChange(before: number): void {
    const now = this.msrLines();
    const changed = before ^ now;
    if (changed & MSR_CTS) this.msrDelta |= MSR_DCTS;
    if (changed & MSR_DSR) this.msrDelta |= MSR_DDSR;
    if (changed & MSR_DCD) this.msrDelta |= MSR_DDCD;
    if (before & MSR_RI && !(now & MSR_RI)) this.msrDelta |= MSR_TERI;
  }

  private writeFcr(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      this.fifoEnabled = enable;
      this.clearRx();
    }
    if (!enable) return;
    if (value & FCR_RX_RESET) this.clearRx();
    if (value & FCR_TX_RESET) {
      // The (always empty) transmitter FIFO is cleared: THR is empty, THRE re-arms.
      this.thrPending = true;
    }
    this.fcrDma = (value & FCR_DMA) !== 0;
    this.trigger = FCR_TRIGGER_LEVELS[value >> 6]!;
  }

  private clearRx(): void {
    this.rx = [];
    this.topErrorsReported = false;
    this.timeoutPending = false;
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    this.scheduleHostArrival();
  }

  private transmit(value: number): void {
    this.thrPending = false;
    const byte = value & ((1 << (5 + (this.lcr & LCR_WORD_LENGTH))) - 1);
    if (this.mcr & MCR_LOOP) this.receive(byte, this.lcr & LCR_BREAK ? LSR_BI | LSR_FE : 0);
    else if (!(this.lcr & LCR_BREAK)) {
      this.transmitted++;
      this.board.host.send({ op: 'serial-output', device: this.name, byte });
    }
    // The character left at once: THR (and the shift register) are empty again.
    this.thrPending = true;
  }

  private receive(byte: number, errors: number): void {
    const mask = (1 << (5 + (this.lcr & LCR_WORD_LENGTH))) - 1;
    const entry = ((errors & 0xff) << 8) | (errors & LSR_BI ? 0 : byte & mask);
    const capacity = this.fifoEnabled ? UART_FIFO_DEPTH : 1;
    if (this.rx.length >= capacity) {
      this.overrun = true;
      // Non-FIFO mode: the new character overwrites RBR; FIFO mode: it is lost in the shift register.
      if (!this.fifoEnabled) {
        this.rx[0] = entry;
        this.topErrorsReported = false;
      }
    } else {
      this.rx.push(entry);
    }
    this.restartTimeout();
  }

  private popRx(): number {
    const e = this.rx.shift();
    if (e !== undefined) {
      this.rbr = e & 0xff;
      this.topErrorsReported = false;
      this.timeoutPending = false;
      this.restartTimeout();
      this.scheduleHostArrival();
    }
    return this.rbr;
  }

  private restartTimeout(): void {
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    if (!this.fifoEnabled || this.rx.length === 0) return;
    const clock = this.board.clock;
    this.timeoutTimer = clock.schedule(clock.now() + 4 * this.characterTime, () => {
      this.timeoutTimer = undefined;
      if (this.fifoEnabled && this.rx.length > 0) {
        this.timeoutPending = true;
        this.update();
      }
    });
  }

  private scheduleHostArrival(): void {
    if (this.hostTimer !== undefined || this.hostQueue.length === 0) return;
    if (this.mcr & MCR_LOOP) return;
    if (this.rx.length >= (this.fifoEnabled ? UART_FIFO_DEPTH : 1)) return;
    const clock = this.board.clock;
    this.hostTimer = clock.schedule(clock.now() + this.characterTime, () => {
      this.hostTimer = undefined;
      if (this.mcr & MCR_LOOP) return;
      if (this.rx.length >= (this.fifoEnabled ? UART_FIFO_DEPTH : 1)) return;
      const b = this.hostQueue.shift();
      if (b === undefined) return;
      this.receive(b, 0);
      this.update();
      this.scheduleHostArrival();
    });
  }

  private update(): void {
    const pending = this.interruptId() !== IIR_NO_INT;
    this.line.set(pending && (this.mcr & (MCR_OUT2 | MCR_LOOP)) === MCR_OUT2);
  }

  /** @internal FCR DMA bit, for state dumps and tests. */
  get dmaMode(): boolean {
    return this.fcrDma;
  }
}

const UART_PARAMS = {
  base: {
    type: 'number',
    help: 'I/O base port (COM1 0x3f8, COM2 0x2f8)',
    default: 0x3f8,
    hex: true,
    min: 0,
    max: 0xfff8,
  },
  irq: { type: 'number', help: 'GSI of the interrupt line (COM1 4, COM2 3)', default: 4, min: 0, max: 255 },
} as const;

/**
 * The `uart` device: a 16550A at `base` with IRQ `irq`. Its output goes to the host as
 * `serial-output` operations; feed input with `model.input(…)`.
 */
export const uartDevice: DeviceDefinition<typeof UART_PARAMS, Uart16550> = defineDevice({
  name: 'uart',
  summary: '16550A UART (COM port): FIFOs, loopback, modem lines; TX to the host, RX from host input',
  description:
    'Ports base..base+7, edge-triggered IRQ (gated by MCR.OUT2). Transmission is instantaneous; ' +
    'reception is paced at the programmed line rate with flow control.',
  params: UART_PARAMS,
  create: ({ board, name }, p) => new Uart16550(board, { name, base: p.base, irq: p.irq }),
});
