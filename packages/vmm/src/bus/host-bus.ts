/**
 * Requests from device models to the host (the VMM core or the application), Seoul's
 * `MessageHostOp`: plain objects with an `op` tag; queries carry a `reply` field the handler
 * fills in.
 */
export type HostOperation =
  | {
      /** A guest byte left a serial port's transmitter (`device` is the instance name). */
      readonly op: 'serial-output';
      readonly device: string;
      readonly byte: number;
    }
  | {
      /**
       * The guest asked the VMM to stop (isa-debug-exit). `value` is what the guest wrote;
       * `exitStatus` is QEMU's process exit status for it, `(value << 1) | 1`.
       */
      readonly op: 'stop';
      readonly device: string;
      readonly value: number;
      readonly exitStatus: number;
    }
  | {
      /** The guest requested a system reset (i8042 pulse, port 0x92 fast reset). */
      readonly op: 'reset';
      readonly device: string;
      readonly reason: string;
    }
  | {
      /** The A20 gate changed (the combined state of all A20 sources). */
      readonly op: 'a20';
      readonly enabled: boolean;
    }
  | {
      /** Query: bytes of guest RAM, for firmware-style tables (CMOS memory size fields). */
      readonly op: 'memory-size';
      reply?: number;
    };

/** The `op` tags of {@link HostOperation}. */
export type HostOperationName = HostOperation['op'];

/** A host-side handler; returns whether it handled (claimed) the operation. */
export type HostHandler = (msg: HostOperation) => boolean;

/**
 * The host-operation bus. Handlers are tried in registration order until one claims the message
 * (Seoul's `bus_hostop`). A message nobody claims is counted and otherwise ignored: a device must
 * cope (the RTC then reports no memory, a reset request does nothing).
 */
export class HostBus {
  private readonly handlers: HostHandler[] = [];
  private readonly unclaimedCounts = new Map<HostOperationName, number>();

  /** Adds a handler; returns a function that removes it again. */
  handle(handler: HostHandler): () => void {
    this.handlers.push(handler);
    return () => {
      const i = this.handlers.indexOf(handler);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** Sends `msg` to the handlers; returns whether one claimed it. */
  send(msg: HostOperation): boolean {
    for (const h of this.handlers) if (h(msg)) return true;
    this.unclaimedCounts.set(msg.op, (this.unclaimedCounts.get(msg.op) ?? 0) + 1);
    return false;
  }

  /** How many messages of kind `op` nobody claimed. */
  unclaimed(op: HostOperationName): number {
    return this.unclaimedCounts.get(op) ?? 0;
  }
}
