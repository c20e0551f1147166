import { ObjType } from './constants.js';
import type { Ec } from './ec.js';
import { Kobject } from './kobject.js';

/** Where an SC is with respect to its CPU's scheduler. */
export type ScState = 'idle' | 'ready' | 'current' | 'parked' | 'blocked' | 'gone';

/**
 * A scheduling context (spec/nova.md §1.1, §6.1): bound to one EC and its CPU, with a priority,
 * a quantum and the budget left of it. Time spent by any EC running on it is charged here.
 */
export class Sc extends Kobject {
  readonly type: typeof ObjType.SC = ObjType.SC;
  readonly ec: Ec;
  readonly cpu: number;
  readonly prio: number;
  /** Quantum in ticks. */
  readonly budget: number;
  /** Quantum in µs as given in the QPD. */
  readonly quantumUs: number;
  /** Budget left in ticks. */
  left: number;
  /** Consumed time in ticks. */
  time = 0;
  state: ScState = 'idle';
  /** A CPU's idle SC. */
  readonly idle: boolean;
  /** A cross-CPU call helper's SC. */
  readonly xcpu: boolean;

  constructor(
    id: number,
    ec: Ec,
    cpu: number,
    prio: number,
    quantumUs: number,
    budget: number,
    idle = false,
    xcpu = false,
  ) {
    super(id);
    this.ec = ec;
    this.cpu = cpu;
    this.prio = prio;
    this.quantumUs = quantumUs;
    this.budget = budget;
    this.left = budget;
    this.idle = idle;
    this.xcpu = xcpu;
  }
}
