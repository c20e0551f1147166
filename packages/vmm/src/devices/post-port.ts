import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';

/** The POST diagnostic port; Linux's `outb_p` writes it as an I/O delay. */
export const POST_PORT = 0x80;

/**
 * The POST-code port 0x80: writes are accepted and ignored (the last value is kept for
 * diagnostics), reads return all-ones (QEMU's ioport80 behaviour). Claiming the port keeps
 * Linux's `io_delay` writes out of the unclaimed-port counters.
 */
export class PostPort {
  readonly name: string;
  /** The last POST code written. */
  lastCode = 0xff;
  /** Writes seen. */
  writes = 0;

  constructor(board: Motherboard, options: { readonly name: string; readonly base: number }) {
    this.name = options.name;
    board.io.register({
      owner: options.name,
      base: options.base,
      length: 1,
      handler: {
        read: (a) => {
          a.value = 0xff;
          return true;
        },
        write: (a) => {
          this.lastCode = a.value;
          this.writes++;
          return true;
        },
      },
    });
  }

  /** Last POST code and write count. */
  describe(): string {
    return `${this.name}: last code 0x${this.lastCode.toString(16)}, ${this.writes} write(s)`;
  }
}

const POST_PARAMS = {
  base: { type: 'number', help: 'I/O port', default: 0x80, hex: true, min: 0, max: 0xffff },
} as const;

/** The `post` device: port 0x80, writes ignored (I/O delay), reads 0xff. */
export const postPortDevice: DeviceDefinition<typeof POST_PARAMS, PostPort> = defineDevice({
  name: 'post',
  summary: 'POST code port (0x80): writes ignored (used as I/O delay), reads 0xff',
  params: POST_PARAMS,
  create: ({ board, name }, p) => new PostPort(board, { name, base: p.base }),
});
