import { ObjType } from './constants.js';
import type { Ec } from './ec.js';
import { Kobject } from './kobject.js';
import type { Pd } from './pd.js';

/**
 * A semaphore: a counter and a FIFO of blocked ECs (spec/nova.md §3.14, §6.3). G-kernel
 * extensions: a *signal* SM is chained to a plain SM and queues itself there on `up`
 * (§6.4); a kernel GSI SM may be chained to a signal SM (assign_gsi).
 */
export class Sm extends Kobject {
  readonly type: typeof ObjType.SM = ObjType.SM;
  counter: number;
  readonly waiters: Ec[] = [];
  /** Signal SM: the plain SM it is chained to. */
  readonly chain: Sm | null;
  /** Signal SM: the value delivered to the waiter. */
  readonly value: number;
  /** Plain SM: signal SMs queued here, in order. */
  readonly signals: Sm[] = [];
  /** Signal SM: currently queued on its chain. */
  queued = false;
  /** Kernel GSI semaphore: the GSI number. */
  readonly gsi: number | null;
  /** Kernel GSI semaphore: signal SM it forwards to (assign_gsi chaining). */
  gsiChain: Sm | null = null;
  /** Internal SM (cross-CPU call); never has capabilities. */
  readonly internal: boolean;
  /** PD whose quota pays for the object (G: the creating PD). */
  owner: Pd | null = null;

  constructor(
    id: number,
    counter: number,
    chain: Sm | null,
    value: number,
    gsi: number | null,
    internal = false,
  ) {
    super(id);
    this.counter = counter;
    this.chain = chain;
    this.value = value;
    this.gsi = gsi;
    this.internal = internal;
  }

  /** A signal SM (created with a chain). */
  get isSignal(): boolean {
    return this.chain !== null;
  }
}
