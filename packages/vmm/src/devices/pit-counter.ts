// Control word fields (Intel 8254 datasheet, "Control Word Format", Figure 7).
/** RW = 01: read/write least significant byte only. */
export const PIT_RW_LSB = 1;
/** RW = 10: read/write most significant byte only. */
export const PIT_RW_MSB = 2;
/** RW = 11: least significant byte first, then most significant byte. */
export const PIT_RW_WORD = 3;

/**
 * One 8254 counter, computed from input-clock ticks (no per-tick work): the count element, OUT,
 * NULL COUNT, the count register, latches and the read/write byte flip-flops, for modes 0–5
 * (Intel 8254 datasheet, "Mode Definitions"). Time is passed in as the number of input-clock
 * pulses so far (`tick`); the owner converts guest time.
 *
 * Timing follows the datasheet: a count written between pulses w and w+1 is loaded into the
 * count element by pulse w+1 (which does not decrement it), so in mode 0 OUT rises N+1 pulses
 * after the write; a new count in modes 2/3 takes effect at the end of the current period.
 */
export class PitCounter {
  /** Mode 0–5 (6 and 7 are stored as 2 and 3). */
  mode = 0;
  bcd = false;
  /** RW field: 1 LSB, 2 MSB, 3 LSB then MSB. */
  rw: number = PIT_RW_LSB;
  /** The last complete count written (count register), 0–0xffff. */
  cr = 0;
  /** The count the counting is based on, 1–65536 (or 1–10000 in BCD). */
  private n = 0x10000;
  /** Tick at which the count element held `n` (load); undefined: nothing loaded. */
  private load: number | undefined;
  /** Modes 2/3: a count waiting for the end of the current period, and that period's end. */
  private pendingN: number | undefined;
  private pendingAt = 0;
  /** Gate input level. */
  gate = true;
  /** Modes 0/4 paused (gate low or a half-written count in mode 0): elapsed ticks kept. */
  private pausedElapsed: number | undefined;
  /** Modes 1/5: a count was written and waits for a gate trigger. */
  private awaitingTrigger = false;
  private writeLsbNext = true;
  private readLsbNext = true;
  private partialLsb = 0;
  private latchedCount: number | undefined;
  private latchedMsbNext = false;
  private latchedStatus: number | undefined;
  /** OUT right after the last control word, before any count is loaded. */
  private initialOut = true;

  /** A control word for this counter with RW ≠ 0 (Figure 7): resets the counter's logic. */
  control(rw: number, mode: number, bcd: boolean): void {
    this.rw = rw;
    this.mode = mode > 5 ? mode - 4 : mode;
    this.bcd = bcd;
    this.load = undefined;
    this.pendingN = undefined;
    this.pausedElapsed = undefined;
    this.awaitingTrigger = false;
    this.writeLsbNext = true;
    this.readLsbNext = true;
    this.latchedCount = undefined;
    this.latchedStatus = undefined;
    // "OUT goes to a known initial state": low in mode 0, high in every other mode.
    this.initialOut = this.mode !== 0;
  }

  /** Counter latch command: freezes the current count for reading (ignored if already latched). */
  latchCount(tick: number): void {
    if (this.latchedCount !== undefined) return;
    this.latchedCount = this.count(tick);
    this.latchedMsbNext = false;
  }

  /** Read-back status latch (Figure 12): OUT, NULL COUNT, RW, mode, BCD (ignored if already latched). */
  latchStatus(tick: number): void {
    if (this.latchedStatus !== undefined) return;
    this.latchedStatus =
      (this.out(tick) ? 0x80 : 0) |
      (this.nullCount(tick) ? 0x40 : 0) |
      (this.rw << 4) |
      (this.mode << 1) |
      (this.bcd ? 1 : 0);
  }

  /** A read of the counter's port: a latched status, a latched count, or the live count. */
  read(tick: number): number {
    if (this.latchedStatus !== undefined) {
      const s = this.latchedStatus;
      this.latchedStatus = undefined;
      return s;
    }
    if (this.latchedCount !== undefined) {
      const c = this.latchedCount;
      switch (this.rw) {
        case PIT_RW_LSB:
          this.latchedCount = undefined;
          return c & 0xff;
        case PIT_RW_MSB:
          this.latchedCount = undefined;
          return c >> 8;
        default:
          if (!this.latchedMsbNext) {
            this.latchedMsbNext = true;
            return c & 0xff;
          }
          this.latchedCount = undefined;
          return c >> 8;
      }
    }
    const c = this.count(tick);
    switch (this.rw) {
      case PIT_RW_LSB:
        return c & 0xff;
      case PIT_RW_MSB:
        return c >> 8;
      default:
        this.readLsbNext = !this.readLsbNext;
        return this.readLsbNext ? c >> 8 : c & 0xff;
    }
  }

  /** A write of the counter's port (a count byte) at input-clock tick `tick`. */
  write(tick: number, value: number): void {
    value &= 0xff;
    let count: number;
    switch (this.rw) {
      case PIT_RW_LSB:
        count = value;
        break;
      case PIT_RW_MSB:
        count = value << 8;
        break;
      default:
        if (this.writeLsbNext) {
          this.writeLsbNext = false;
          this.partialLsb = value;
          // Mode 0: writing the first byte disables counting and sets OUT low at once
          // (datasheet, Mode 0); the count element keeps no meaningful value until the MSB.
          if (this.mode === 0) {
            this.load = undefined;
            this.pausedElapsed = undefined;
            this.initialOut = false;
          }
          return;
        }
        this.writeLsbNext = true;
        count = this.partialLsb | (value << 8);
    }
    this.newCount(tick, count);
  }

  /** Sets the gate input at tick `tick` (a rising edge triggers modes 1, 2, 3, 5). */
  setGate(tick: number, level: boolean): void {
    if (level === this.gate) return;
    const m = this.mode;
    if (!level) {
      if ((m === 0 || m === 4) && this.load !== undefined && this.pausedElapsed === undefined) {
        this.pausedElapsed = this.elapsed(tick);
      }
      if ((m === 2 || m === 3) && this.load !== undefined) {
        // Counting stops; the pending count (if any) is what the next trigger loads.
        if (this.pendingN !== undefined) {
          this.n = this.pendingN;
          this.pendingN = undefined;
        }
      }
      this.gate = false;
      return;
    }
    this.gate = true;
    if (m === 0 || m === 4) {
      if (this.pausedElapsed !== undefined && this.writeLsbNext) {
        this.load = tick + 1 - this.pausedElapsed;
        this.pausedElapsed = undefined;
      }
    } else if (this.load !== undefined || this.awaitingTrigger) {
      // Modes 1, 5: trigger; modes 2, 3: reload. The count is loaded on the next pulse.
      if (this.pendingN !== undefined) {
        this.n = this.pendingN;
        this.pendingN = undefined;
      }
      if (m === 1 || m === 5) this.n = this.decode(this.cr);
      this.load = tick + 1;
      this.awaitingTrigger = false;
    }
  }

  /** OUT at tick `tick`. */
  out(tick: number): boolean {
    this.settle(tick);
    const e = this.elapsed(tick);
    const n = this.n;
    switch (this.mode) {
      case 0:
        return e === undefined || e < 0 ? (this.load === undefined ? this.initialOut : false) : e >= n;
      case 1:
        return e === undefined || e < 0 ? true : e >= n;
      case 2:
        if (e === undefined || e < 0 || !this.gate || n < 2) return true;
        return e % n !== n - 1;
      case 3:
        if (e === undefined || e < 0 || !this.gate) return true;
        return e % n < Math.ceil(n / 2);
      default:
        // Modes 4 and 5: a one-clock low strobe when the count reaches zero.
        return e === undefined || e < 0 ? true : e !== n;
    }
  }

  /** The count element at tick `tick`, as the guest reads it (BCD-encoded in BCD mode). */
  count(tick: number): number {
    this.settle(tick);
    const e = this.elapsed(tick);
    const n = this.n;
    let v: number;
    if (e === undefined || e < 0)
      v = this.load === undefined && !this.awaitingTrigger ? this.decode(this.cr) : n;
    else {
      switch (this.mode) {
        case 2:
          v = n - (e % n);
          break;
        case 3: {
          const p = e % n;
          const high = Math.ceil(n / 2);
          const base = n % 2 === 0 ? n : n - 1;
          v = p < high ? base - 2 * p : base - 2 * (p - high);
          if (v < 0) v = 0;
          break;
        }
        default: {
          const span = this.bcd ? 10000 : 0x10000;
          v = (((n - e) % span) + span) % span;
        }
      }
    }
    return this.encode(v);
  }

  /** Whether the count register holds a count not yet loaded into the count element. */
  nullCount(tick: number): boolean {
    this.settle(tick);
    if (this.load === undefined || this.pendingN !== undefined || this.awaitingTrigger) return true;
    return tick < this.load;
  }

  /**
   * The next tick after `tick` at which OUT has a rising edge (an interrupt on an edge-triggered
   * line), or undefined if none is due without new programming.
   */
  nextRisingEdge(tick: number): number | undefined {
    this.settle(tick);
    if (this.load === undefined || this.pausedElapsed !== undefined) return undefined;
    const l = this.load;
    const n = this.n;
    const e = tick - l;
    switch (this.mode) {
      case 0:
      case 1:
        return e < n ? l + n : undefined;
      case 2:
      case 3: {
        if (!this.gate || n < 2) return undefined;
        const next = e < 0 ? l + n : l + (Math.floor(e / n) + 1) * n;
        return this.pendingN !== undefined ? Math.min(next, this.pendingAt) : next;
      }
      default:
        return e < n + 1 ? l + n + 1 : undefined;
    }
  }

  private newCount(tick: number, raw: number): void {
    this.cr = raw & 0xffff;
    const n = this.decode(this.cr);
    const m = this.mode;
    if (m === 1 || m === 5) {
      // Loaded on the next trigger; a running one-shot is not disturbed.
      this.awaitingTrigger = true;
      return;
    }
    if ((m === 2 || m === 3) && this.load !== undefined && this.gate) {
      this.settle(tick);
      const e = tick - this.load;
      if (e >= 0) {
        this.pendingN = n;
        this.pendingAt = this.load + (Math.floor(e / this.n) + 1) * this.n;
        return;
      }
    }
    this.n = n;
    this.pendingN = undefined;
    this.load = tick + 1;
    this.pausedElapsed = (m === 0 || m === 4) && !this.gate ? 0 : undefined;
  }

  /** Applies a pending modes-2/3 reload whose period has ended by `tick`. */
  private settle(tick: number): void {
    if (this.pendingN !== undefined && tick >= this.pendingAt) {
      this.n = this.pendingN;
      this.load = this.pendingAt;
      this.pendingN = undefined;
    }
  }

  /** Counting ticks since the load (negative before it), or undefined when nothing is loaded. */
  private elapsed(tick: number): number | undefined {
    if (this.pausedElapsed !== undefined) return this.pausedElapsed;
    if (this.load === undefined) return undefined;
    if ((this.mode === 2 || this.mode === 3) && !this.gate) return undefined;
    return tick - this.load;
  }

  /** The count a written value means: 0 is the maximum (65536 binary, 10000 BCD). */
  private decode(raw: number): number {
    if (!this.bcd) return raw === 0 ? 0x10000 : raw;
    const v = ((raw >> 12) & 0xf) * 1000 + ((raw >> 8) & 0xf) * 100 + ((raw >> 4) & 0xf) * 10 + (raw & 0xf);
    return v === 0 ? 10000 : v;
  }

  private encode(v: number): number {
    if (!this.bcd) return v & 0xffff;
    v %= 10000;
    return (
      (Math.floor(v / 1000) << 12) |
      ((Math.floor(v / 100) % 10) << 8) |
      ((Math.floor(v / 10) % 10) << 4) |
      (v % 10)
    );
  }
}
