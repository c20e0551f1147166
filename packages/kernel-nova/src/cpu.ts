import { NUM_PRIO } from './constants.js';
import type { Ec } from './ec.js';
import type { Sc } from './sc.js';

/** What a CPU is doing at the current virtual time. */
export type CpuMode = 'run' | 'busy' | 'idle';

/** What a busy period models. */
export type BusyKind = 'user' | 'guest' | 'kernel';

/**
 * Per-CPU scheduler state (spec/nova.md §6.1): 128 round-robin ready queues, the current SC and
 * the current EC (the end of the SC's donation chain, or a helped EC), and the CPU's position
 * on the virtual clock.
 */
export class Cpu {
  readonly id: number;
  readonly queues: Sc[][] = [];
  /** Current SC (the idle SC when nothing is ready). */
  sc: Sc;
  readonly idleSc: Sc;
  /** Current EC; null while idle. */
  ec: Ec | null = null;
  mode: CpuMode = 'idle';
  /** Busy period: kind, start and end tick. */
  busyKind: BusyKind = 'user';
  busyStart = 0;
  busyEnd = 0;
  /** Reschedule at the next kernel exit (NOVA HZD_SCHED). */
  needResched = false;
  /** Partner links between the current SC's EC and the current EC (NOVA `Sc::ctr_link`). */
  ctrLink = 0;
  /** Helping iterations since the last schedule (NOVA `Sc::ctr_loop`). */
  ctrLoop = 0;
  /** Tick at which the CPU last went idle. */
  idleSince = 0;
  /** Accumulated times (ticks) reported through sc_ctrl on the idle SC. */
  crossTime = 0;
  killedScTime = 0;
  killedEcTime = 0;

  constructor(id: number, idleSc: Sc) {
    this.id = id;
    this.idleSc = idleSc;
    this.sc = idleSc;
    for (let i = 0; i < NUM_PRIO; i++) this.queues.push([]);
  }

  /** Highest priority with a ready SC, or -1. */
  topPrio(): number {
    for (let p = NUM_PRIO - 1; p > 0; p--) if ((this.queues[p]?.length ?? 0) > 0) return p;
    return -1;
  }

  /** Insert `sc` into its ready queue, at the head or the tail. */
  enqueue(sc: Sc, head: boolean): void {
    const q = this.queues[sc.prio]!;
    if (head) q.unshift(sc);
    else q.push(sc);
    sc.state = 'ready';
  }

  /** Remove `sc` from its ready queue if it is there. */
  dequeue(sc: Sc): boolean {
    const q = this.queues[sc.prio]!;
    const i = q.indexOf(sc);
    if (i < 0) return false;
    q.splice(i, 1);
    return true;
  }

  /** Ready SCs in scheduling order (highest priority first), for inspection. */
  ready(): Sc[] {
    const out: Sc[] = [];
    for (let p = NUM_PRIO - 1; p > 0; p--) out.push(...(this.queues[p] ?? []));
    return out;
  }
}
