import type { DeviceClock, TimerHandle } from './device-clock.js';

class Timer implements TimerHandle {
  pending = true;
  constructor(
    readonly deadline: number,
    readonly seq: number,
    readonly fire: () => void,
    private readonly owner: VirtualClock,
  ) {}

  cancel(): void {
    if (!this.pending) return;
    this.pending = false;
    this.owner.cancelled();
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * A deterministic virtual clock with a deadline-ordered timer queue: the reference
 * {@link DeviceClock}. The VMM advances it by guest time ({@link advanceTo}); when the guest is
 * idle it skips to {@link nextDeadline}. Timers with equal deadlines fire in the order they were
 * scheduled; a timer scheduled by a callback for a time not after the advance target fires within
 * the same advance.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.schedule(1_000, () => console.log('1 µs', clock.now()));
 * clock.advanceTo(5_000); // prints "1 µs 1000"; now() === 5000 afterwards
 * ```
 */
export class VirtualClock implements DeviceClock {
  private time: number;
  private heap: Timer[] = [];
  private seq = 0;
  private dead = 0;
  /** Timer callbacks run since construction. */
  fired = 0;

  /** Starts at `start` ns (default 0). */
  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(deadline: number, fire: () => void): TimerHandle {
    // A deadline in the past is due now: it queues behind timers already due at this instant.
    const t = new Timer(Math.max(this.time, Math.ceil(deadline)), this.seq++, fire, this);
    this.push(t);
    return t;
  }

  /** The earliest pending deadline, or `undefined` when no timer is pending. */
  nextDeadline(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.deadline;
  }

  /** Number of pending timers. */
  get pendingCount(): number {
    return this.heap.length - this.dead;
  }

  /**
   * Advances guest time to `target` (ns), firing every timer due on the way in deadline order
   * with `now()` at its deadline. A target in the past is ignored (time never runs backwards).
   * Returns the number of callbacks run.
   */
  advanceTo(target: number): number {
    let n = 0;
    for (;;) {
      this.dropCancelled();
      const t = this.heap[0];
      if (t === undefined || t.deadline > target) break;
      this.pop();
      t.pending = false;
      if (t.deadline > this.time) this.time = t.deadline;
      n++;
      this.fired++;
      t.fire();
    }
    if (target > this.time) this.time = target;
    return n;
  }

  /** `advanceTo(now() + delta)`. */
  advanceBy(delta: number): number {
    return this.advanceTo(this.time + delta);
  }

  /**
   * Skips to the next deadline and fires what is due there (idle skipping). Returns `false`
   * when no timer is pending.
   */
  skipToNext(): boolean {
    const d = this.nextDeadline();
    if (d === undefined) return false;
    this.advanceTo(Math.max(d, this.time));
    return true;
  }

  /** @internal Called by a timer's `cancel()`. */
  cancelled(): void {
    this.dead++;
    if (this.dead > 64 && this.dead * 2 > this.heap.length) {
      this.heap = this.heap.filter((t) => t.pending);
      this.dead = 0;
      for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.heap[0]!.pending) {
      this.pop();
      this.dead--;
    }
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
