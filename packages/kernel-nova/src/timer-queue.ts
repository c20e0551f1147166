/** A pending timer: fires `fire` at tick `at` unless cancelled. Ties fire in arming order. */
export interface Timer {
  readonly at: number;
  readonly seq: number;
  cancelled: boolean;
  readonly fire: () => void;
}

/**
 * A binary min-heap of timers ordered by (deadline, arming order): SM timeouts and machine
 * events share one deterministic queue on the virtual clock.
 */
export class TimerQueue {
  private readonly heap: Timer[] = [];
  private seq = 0;

  /** Number of queued (possibly cancelled) timers. */
  get size(): number {
    return this.heap.length;
  }

  /** Arm a timer. */
  add(at: number, fire: () => void): Timer {
    const t: Timer = { at, seq: this.seq++, cancelled: false, fire };
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    return t;
  }

  /** Deadline of the earliest live timer, or Infinity. */
  next(): number {
    this.prune();
    return this.heap.length > 0 ? this.heap[0]!.at : Number.POSITIVE_INFINITY;
  }

  /** Remove and return the earliest live timer due at or before `now`. */
  pop(now: number): Timer | undefined {
    this.prune();
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.removeTop();
    return top;
  }

  private prune(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
