import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';

/** System control port A (PS/2 "port 0x92"). */
export const PORT_A = 0x92;
/** Bit 0: fast reset — a 0 → 1 transition resets the system. */
export const PORT_A_RESET = 0x01;
/** Bit 1: fast A20 gate (1 = A20 enabled). */
export const PORT_A_A20 = 0x02;

/**
 * System control port A at 0x92 (IBM PS/2 and every PC chipset since): bit 1 is the fast A20
 * gate (combined with the i8042's A20 line on the motherboard), a rising edge of bit 0 requests a
 * system reset (a `reset` host operation). Bits 2–7 are stored (password lock, activity LEDs).
 * Reads return the stored value. Powers up with A20 enabled (bit 1 set), as the machine is
 * handed to a kernel loader with A20 on.
 */
export class SystemControlPortA {
  readonly name: string;
  private value = PORT_A_A20;
  private readonly board: Motherboard;

  constructor(board: Motherboard, options: { readonly name: string; readonly base: number }) {
    this.name = options.name;
    this.board = board;
    board.setA20(options.name, true);
    board.io.register({
      owner: options.name,
      base: options.base,
      length: 1,
      handler: {
        read: (a) => {
          a.value = this.value;
          return true;
        },
        write: (a) => {
          this.write(a.value);
          return true;
        },
      },
    });
  }

  /** The register as the guest reads it. */
  get register(): number {
    return this.value;
  }

  /** A guest write. */
  write(v: number): void {
    const rising = v & PORT_A_RESET && !(this.value & PORT_A_RESET);
    this.value = v & 0xff;
    this.board.setA20(this.name, (v & PORT_A_A20) !== 0);
    if (rising) this.board.host.send({ op: 'reset', device: this.name, reason: 'port 0x92 fast reset' });
  }

  /** Power-on state: A20 enabled, reset bit clear. */
  reset(): void {
    this.value = PORT_A_A20;
    this.board.setA20(this.name, true);
  }
}

const PORT_A_PARAMS = {
  base: { type: 'number', help: 'I/O port', default: 0x92, hex: true, min: 0, max: 0xffff },
} as const;

/** The `port92` device: fast A20 and fast reset. */
export const port92Device: DeviceDefinition<typeof PORT_A_PARAMS, SystemControlPortA> = defineDevice({
  name: 'port92',
  summary: 'system control port A (0x92): fast A20 gate (bit 1), fast reset (bit 0 rising edge)',
  params: PORT_A_PARAMS,
  create: ({ board, name }, p) => new SystemControlPortA(board, { name, base: p.base }),
});
