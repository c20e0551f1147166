import type { AccessSize } from '../bus/access-sizes.js';
import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';

/** QEMU's default isa-debug-exit port. */
export const DEBUG_EXIT_PORT = 0xf4;

/** Options of {@link DebugExit}. */
export interface DebugExitOptions {
  readonly name: string;
  readonly base: number;
  /** Port width in bytes (QEMU's `iosize`, default 1): an `out` of this width carries the whole value. */
  readonly size: AccessSize;
}

/**
 * QEMU's `isa-debug-exit`: a guest write of `value` to the port asks the VMM to stop. The device
 * sends a `stop` host operation with `value` and QEMU's exit status for it, `(value << 1) | 1`
 * (so a guest cannot make QEMU report success 0). The VMM core stops the VM with that value.
 * Reads are not decoded (all-ones). A write wider than `size` is split by the bus and only the
 * part inside the port reaches the device, as in QEMU.
 */
export class DebugExit {
  readonly name: string;
  /** The values written, in order. */
  readonly writes: number[] = [];

  constructor(board: Motherboard, options: DebugExitOptions) {
    this.name = options.name;
    board.io.register({
      owner: options.name,
      base: options.base,
      length: options.size,
      impl: { min: options.size, max: options.size },
      handler: {
        write: (a) => {
          const value = (a.value & a.mask) >>> 0;
          this.writes.push(value);
          board.host.send({
            op: 'stop',
            device: options.name,
            value,
            exitStatus: ((value << 1) | 1) >>> 0,
          });
          return true;
        },
      },
    });
  }

  /** The values written so far. */
  describe(): string {
    return `${this.name}: ${this.writes.length} write(s)${this.writes.length > 0 ? `, last 0x${this.writes[this.writes.length - 1]!.toString(16)}` : ''}`;
  }
}

const DEBUG_EXIT_PARAMS = {
  base: { type: 'number', help: 'I/O port', default: 0xf4, hex: true, min: 0, max: 0xfffc },
  size: { type: 'enum', help: 'port width in bytes (QEMU iosize)', values: ['1', '2', '4'], default: '1' },
} as const;

/** The `debugexit` device: QEMU isa-debug-exit semantics at port 0xf4. */
export const debugExitDevice: DeviceDefinition<typeof DEBUG_EXIT_PARAMS, DebugExit> = defineDevice({
  name: 'debugexit',
  summary: 'QEMU isa-debug-exit (0xf4): a write stops the VMM with the value (exit status (v<<1)|1)',
  params: DEBUG_EXIT_PARAMS,
  create: ({ board, name }, p) =>
    new DebugExit(board, { name, base: p.base, size: Number(p.size) as AccessSize }),
});
