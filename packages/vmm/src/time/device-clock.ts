/** A pending timer; cancel it when the device no longer wants the callback. */
export interface TimerHandle {
  /** The virtual time (ns) at which it fires. */
  readonly deadline: number;
  /** Whether it is still pending (not fired, not cancelled). */
  readonly pending: boolean;
  /** Drops the timer; harmless after it fired. */
  cancel(): void;
}

/**
 * The virtual clock with timers that device models use — what the VMM core must provide (or use
 * {@link VirtualClock}). Time is an integer number of nanoseconds of guest time since power-on;
 * it never reads the wall clock. Devices compute their state from `now()` and schedule only the
 * next event that must reach the guest (an interrupt), never a per-tick callback.
 */
export interface DeviceClock {
  /** Guest time in nanoseconds (an integer ≥ 0 that never decreases). */
  now(): number;
  /**
   * Calls `fire` once when guest time reaches `deadline` (ns). A deadline in the past counts as
   * now: it fires at the next advance, after the timers already due now. `fire` sees `now()` equal
   * to the (clamped) deadline.
   */
  schedule(deadline: number, fire: () => void): TimerHandle;
}
