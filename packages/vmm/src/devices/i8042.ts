import type { IrqLine } from '../bus/irq-bus.js';
import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';

/** Data port (read: output buffer, write: to the keyboard or a command's parameter). */
export const I8042_DATA = 0x60;
/** Status register (read) / command register (write). */
export const I8042_COMMAND = 0x64;

// Status register (IBM PC/AT Technical Reference, keyboard controller status byte).
/** Output buffer full. */
export const I8042_STATUS_OBF = 0x01;
/** Input buffer full (never: commands are processed at once). */
export const I8042_STATUS_IBF = 0x02;
/** System flag: set by a passed self-test (command byte bit 2). */
export const I8042_STATUS_SYS = 0x04;
/** Last write went to the command port. */
export const I8042_STATUS_A2 = 0x08;
/** Keyboard not inhibited (the key lock is open). */
export const I8042_STATUS_INH = 0x10;
/** The output buffer holds auxiliary-device (mouse) data. */
export const I8042_STATUS_AUXB = 0x20;
/** Timeout: the last transmission to a device got no answer. */
export const I8042_STATUS_TIMEOUT = 0x40;

// Controller commands (written to port 0x64).
/** Read controller RAM byte 0 (the command byte); 0x21–0x3f read bytes 1–31. */
export const I8042_CMD_READ_CCB = 0x20;
/** Write the command byte with the next data byte; 0x61–0x7f write bytes 1–31. */
export const I8042_CMD_WRITE_CCB = 0x60;
/** Disable the auxiliary interface (command byte bit 5 set). */
export const I8042_CMD_AUX_DISABLE = 0xa7;
/** Enable the auxiliary interface. */
export const I8042_CMD_AUX_ENABLE = 0xa8;
/** Auxiliary interface test: 0x00 = no error. */
export const I8042_CMD_AUX_TEST = 0xa9;
/** Controller self-test: answers 0x55 and sets the system flag. */
export const I8042_CMD_SELF_TEST = 0xaa;
/** Controller self-test pass value. */
export const I8042_SELF_TEST_OK = 0x55;
/** Keyboard interface test: 0x00 = no error. */
export const I8042_CMD_KBD_TEST = 0xab;
/** Disable the keyboard interface (command byte bit 4 set). */
export const I8042_CMD_KBD_DISABLE = 0xad;
/** Enable the keyboard interface. */
export const I8042_CMD_KBD_ENABLE = 0xae;
/** Read the output port into the output buffer. */
export const I8042_CMD_READ_OUTPUT = 0xd0;
/** Write the next data byte to the output port. */
export const I8042_CMD_WRITE_OUTPUT = 0xd1;
/** Put the next data byte in the output buffer as keyboard data. */
export const I8042_CMD_WRITE_KBD_BUFFER = 0xd2;
/** Put the next data byte in the output buffer as auxiliary data (AUX loopback). */
export const I8042_CMD_WRITE_AUX_BUFFER = 0xd3;
/** Send the next data byte to the auxiliary device. */
export const I8042_CMD_WRITE_AUX = 0xd4;
/** Close the A20 gate (output port bit 1 clear). */
export const I8042_CMD_A20_DISABLE = 0xdd;
/** Open the A20 gate (output port bit 1 set). */
export const I8042_CMD_A20_ENABLE = 0xdf;
/** 0xf0–0xff pulse the output-port lines whose bit is 0 in the low nibble; 0xfe pulses reset. */
export const I8042_CMD_PULSE_RESET = 0xfe;

// Command byte (controller RAM byte 0).
/** Command byte: keyboard interrupt (IRQ 1) enable. */
export const CCB_KBD_INT = 0x01;
/** Command byte: auxiliary interrupt (IRQ 12) enable. */
export const CCB_AUX_INT = 0x02;
/** Command byte: system flag (mirrored in status bit 2). */
export const CCB_SYS = 0x04;
/** Command byte: keyboard clock disabled. */
export const CCB_KBD_DISABLE = 0x10;
/** Command byte: auxiliary clock disabled. */
export const CCB_AUX_DISABLE = 0x20;
/** Command byte: translate scan codes to set 1. */
export const CCB_TRANSLATE = 0x40;

// Output port (command 0xd0/0xd1).
/** Output port bit 0: system reset line (0 asserts reset). */
export const OUTPUT_PORT_RESET = 0x01;
/** Output port bit 1: A20 gate. */
export const OUTPUT_PORT_A20 = 0x02;

// Keyboard replies.
/** Keyboard acknowledge. */
export const KBD_ACK = 0xfa;
/** Keyboard resend / error (also what a timed-out device write returns). */
export const KBD_RESEND = 0xfe;
/** Keyboard basic assurance test passed (after reset). */
export const KBD_BAT_OK = 0xaa;
/** Answer to the echo command. */
export const KBD_ECHO = 0xee;

interface OutByte {
  readonly byte: number;
  readonly aux: boolean;
}

/**
 * A minimal Intel 8042 keyboard controller with an MF2 keyboard and no mouse, at 0x60/0x64,
 * keyboard IRQ 1 and auxiliary IRQ 12 (edge-triggered ISA lines).
 *
 * Modelled: the status register, the command byte and controller RAM (0x20–0x3f / 0x60–0x7f),
 * self-test (0xaa → 0x55), interface tests, keyboard/aux enable and disable, the output port
 * (0xd0/0xd1: bit 0 = reset, bit 1 = A20), output-buffer writes (0xd2/0xd3, so Linux's AUX
 * loopback probe passes), A20 on/off (0xdd/0xdf), pulse commands 0xf0–0xff (0xfe = system reset,
 * a `reset` host operation); the keyboard's reset (0xff → 0xfa 0xaa), identify, echo, LEDs,
 * scan-code set and typematic commands; scan codes from the host ({@link pressScancodes}).
 * Writes to the (absent) auxiliary device time out: 0xfe as aux data with the timeout bit, as a
 * controller with nothing plugged into the mouse port answers.
 *
 * Not modelled: a mouse, scan-code translation of host input (the host sends final codes),
 * parity errors, the input port.
 */
export class I8042 {
  readonly name: string;
  private readonly board: Motherboard;
  private readonly kbdLine: IrqLine;
  private readonly auxLine: IrqLine;
  private readonly ram = new Uint8Array(32);
  private out: OutByte[] = [];
  private last = 0;
  private status = I8042_STATUS_INH;
  private outputPort = OUTPUT_PORT_RESET | OUTPUT_PORT_A20;
  private pendingCommand: number | undefined;
  private kbdPending: number | undefined;
  private scanning = true;
  private scancodeSet = 2;
  /** Keyboard LED state (last 0xed parameter). */
  leds = 0;

  constructor(
    board: Motherboard,
    options: { readonly name: string; readonly kbdIrq: number; readonly auxIrq: number },
  ) {
    this.board = board;
    this.name = options.name;
    this.ram[0] = CCB_KBD_INT | CCB_SYS | CCB_TRANSLATE;
    this.kbdLine = board.irq.line(options.kbdIrq, { owner: options.name, trigger: 'edge' });
    this.auxLine = board.irq.line(options.auxIrq, { owner: `${options.name}-aux`, trigger: 'edge' });
    board.setA20(options.name, true);
    board.io.register({
      owner: options.name,
      base: I8042_DATA,
      length: 1,
      handler: {
        read: (a) => {
          a.value = this.readData();
          return true;
        },
        write: (a) => {
          this.writeData(a.value);
          return true;
        },
      },
    });
    board.io.register({
      owner: options.name,
      base: I8042_COMMAND,
      length: 1,
      handler: {
        read: (a) => {
          a.value = this.readStatus();
          return true;
        },
        write: (a) => {
          this.writeCommand(a.value);
          return true;
        },
      },
    });
  }

  /** The command byte. */
  get commandByte(): number {
    return this.ram[0]!;
  }

  /** Bytes waiting in the output buffer (the head is what port 0x60 returns next). */
  get pendingOutput(): number {
    return this.out.length;
  }

  /** The status register (port 0x64 read). */
  readStatus(): number {
    let s = this.status & (I8042_STATUS_A2 | I8042_STATUS_INH | I8042_STATUS_TIMEOUT);
    if (this.ram[0]! & CCB_SYS) s |= I8042_STATUS_SYS;
    const head = this.out[0];
    if (head !== undefined) s |= I8042_STATUS_OBF | (head.aux ? I8042_STATUS_AUXB : 0);
    return s;
  }

  /** Port 0x60 read: the output buffer's head (the last byte again when empty). */
  readData(): number {
    const head = this.out.shift();
    if (head !== undefined) {
      this.last = head.byte;
      this.status &= ~I8042_STATUS_TIMEOUT;
      // OBF drops when the buffer is read; the next byte refills it with a new interrupt edge.
      this.kbdLine.lower();
      this.auxLine.lower();
    }
    this.update();
    return this.last;
  }

  /** Port 0x64 write: a controller command. */
  writeCommand(cmd: number): void {
    this.status |= I8042_STATUS_A2;
    this.pendingCommand = undefined;
    if (cmd >= 0x20 && cmd <= 0x3f) this.queue(this.ram[cmd & 0x1f]!, false);
    else if (cmd >= 0x60 && cmd <= 0x7f) this.pendingCommand = cmd;
    else if (cmd >= 0xf0) {
      // Pulse the output-port lines selected by 0 bits; bit 0 is the CPU reset line.
      if (!(cmd & 0x01)) this.requestReset(`i8042 pulse output port (0x${cmd.toString(16)})`);
    } else {
      switch (cmd) {
        case I8042_CMD_AUX_DISABLE:
          this.ram[0]! |= CCB_AUX_DISABLE;
          break;
        case I8042_CMD_AUX_ENABLE:
          this.ram[0]! &= ~CCB_AUX_DISABLE;
          break;
        case I8042_CMD_AUX_TEST:
        case I8042_CMD_KBD_TEST:
          this.queue(0x00, false);
          break;
        case I8042_CMD_SELF_TEST:
          this.ram[0]! |= CCB_SYS;
          this.queue(I8042_SELF_TEST_OK, false);
          break;
        case I8042_CMD_KBD_DISABLE:
          this.ram[0]! |= CCB_KBD_DISABLE;
          break;
        case I8042_CMD_KBD_ENABLE:
          this.ram[0]! &= ~CCB_KBD_DISABLE;
          break;
        case I8042_CMD_READ_OUTPUT: {
          const head = this.out[0];
          const obf = head === undefined ? 0 : head.aux ? 0x20 : 0x10;
          this.queue((this.outputPort & 0xcf) | obf, false);
          break;
        }
        case I8042_CMD_WRITE_OUTPUT:
        case I8042_CMD_WRITE_KBD_BUFFER:
        case I8042_CMD_WRITE_AUX_BUFFER:
        case I8042_CMD_WRITE_AUX:
          this.pendingCommand = cmd;
          break;
        case I8042_CMD_A20_DISABLE:
          this.setOutputPort(this.outputPort & ~OUTPUT_PORT_A20);
          break;
        case I8042_CMD_A20_ENABLE:
          this.setOutputPort(this.outputPort | OUTPUT_PORT_A20);
          break;
        default:
          // Unknown commands are ignored.
          break;
      }
    }
    this.update();
  }

  /** Port 0x60 write: a pending command's parameter, else a byte for the keyboard. */
  writeData(value: number): void {
    value &= 0xff;
    this.status &= ~I8042_STATUS_A2;
    const cmd = this.pendingCommand;
    this.pendingCommand = undefined;
    if (cmd !== undefined && cmd >= 0x60 && cmd <= 0x7f) this.ram[cmd & 0x1f] = value;
    else if (cmd === I8042_CMD_WRITE_OUTPUT) this.setOutputPort(value);
    else if (cmd === I8042_CMD_WRITE_KBD_BUFFER) this.queue(value, false);
    else if (cmd === I8042_CMD_WRITE_AUX_BUFFER) this.queue(value, true);
    else if (cmd === I8042_CMD_WRITE_AUX) {
      // Nothing on the auxiliary port: the transmission times out.
      this.status |= I8042_STATUS_TIMEOUT;
      this.queue(KBD_RESEND, true);
    } else this.keyboard(value);
    this.update();
  }

  /**
   * Scan codes from the host keyboard, queued for the guest when the keyboard is enabled and
   * scanning (dropped otherwise, as keys pressed on a disabled keyboard). Returns bytes queued.
   */
  pressScancodes(codes: Iterable<number>): number {
    if (this.ram[0]! & CCB_KBD_DISABLE || !this.scanning) return 0;
    let n = 0;
    for (const c of codes) {
      this.queue(c & 0xff, false);
      n++;
    }
    this.update();
    return n;
  }

  /** Power-on state. */
  reset(): void {
    this.ram.fill(0);
    this.ram[0] = CCB_KBD_INT | CCB_SYS | CCB_TRANSLATE;
    this.out = [];
    this.status = I8042_STATUS_INH;
    this.pendingCommand = undefined;
    this.kbdPending = undefined;
    this.scanning = true;
    this.scancodeSet = 2;
    this.leds = 0;
    this.outputPort = OUTPUT_PORT_RESET | OUTPUT_PORT_A20;
    this.board.setA20(this.name, true);
    this.update();
  }

  /** Status, command byte, output port. */
  describe(): string {
    return (
      `${this.name}: status 0x${this.readStatus().toString(16)} ccb 0x${this.ram[0]!.toString(16)} ` +
      `output port 0x${this.outputPort.toString(16)} queued ${this.out.length} set ${this.scancodeSet}`
    );
  }

  private keyboard(value: number): void {
    const pending = this.kbdPending;
    this.kbdPending = undefined;
    if (pending !== undefined) {
      if (pending === 0xed) this.leds = value & 7;
      else if (pending === 0xf0) {
        if (value === 0) {
          this.queue(KBD_ACK, false);
          this.queue(
            this.ram[0]! & CCB_TRANSLATE ? [0x43, 0x41, 0x3f][this.scancodeSet - 1]! : this.scancodeSet,
            false,
          );
          return;
        }
        if (value >= 1 && value <= 3) this.scancodeSet = value;
      }
      this.queue(KBD_ACK, false);
      return;
    }
    switch (value) {
      case 0xff:
        this.scanning = true;
        this.scancodeSet = 2;
        this.queue(KBD_ACK, false);
        this.queue(KBD_BAT_OK, false);
        break;
      case 0xf6:
        this.scancodeSet = 2;
        this.queue(KBD_ACK, false);
        break;
      case 0xf5:
        this.scanning = false;
        this.queue(KBD_ACK, false);
        break;
      case 0xf4:
        this.scanning = true;
        this.queue(KBD_ACK, false);
        break;
      case 0xf2:
        this.queue(KBD_ACK, false);
        this.queue(0xab, false);
        this.queue(this.ram[0]! & CCB_TRANSLATE ? 0x41 : 0x83, false);
        break;
      case 0xee:
        this.queue(KBD_ECHO, false);
        break;
      case 0xed:
      case 0xf0:
      case 0xf3:
        this.kbdPending = value;
        this.queue(KBD_ACK, false);
        break;
      case 0xfe:
        this.queue(this.last, false);
        break;
      default:
        this.queue(KBD_RESEND, false);
    }
  }

  private setOutputPort(value: number): void {
    this.outputPort = value & 0xff;
    this.board.setA20(this.name, (value & OUTPUT_PORT_A20) !== 0);
    if (!(value & OUTPUT_PORT_RESET)) this.requestReset('i8042 output port reset line');
  }

  private requestReset(reason: string): void {
    this.board.host.send({ op: 'reset', device: this.name, reason });
  }

  private queue(byte: number, aux: boolean): void {
    this.out.push({ byte, aux });
  }

  private update(): void {
    const head = this.out[0];
    const ccb = this.ram[0]!;
    this.kbdLine.set(head !== undefined && !head.aux && (ccb & CCB_KBD_INT) !== 0);
    this.auxLine.set(head?.aux === true && (ccb & CCB_AUX_INT) !== 0);
  }
}

const I8042_PARAMS = {
  kbdirq: { type: 'number', help: 'GSI of the keyboard interrupt', default: 1, min: 0, max: 255 },
  auxirq: { type: 'number', help: 'GSI of the auxiliary (mouse) interrupt', default: 12, min: 0, max: 255 },
} as const;

/** The `i8042` device: keyboard controller at 0x60/0x64 (self-test, A20, reset via 0xfe). */
export const i8042Device: DeviceDefinition<typeof I8042_PARAMS, I8042> = defineDevice({
  name: 'i8042',
  summary: 'i8042 keyboard controller (0x60/0x64), IRQ 1/12: self-test, A20, reset via 0xfe; no mouse',
  params: I8042_PARAMS,
  create: ({ board, name }, p) => new I8042(board, { name, kbdIrq: p.kbdirq, auxIrq: p.auxirq }),
});
