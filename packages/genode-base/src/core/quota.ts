/**
 * Genode's quota bookkeeping (spec/genode.md §2.3): a `Quota_guard` per resource unit (RAM bytes,
 * capabilities) and core's `Account`, which links guards into the tree of reference accounts.
 */

/** The two resource units Genode accounts. */
export type Quota_unit = 'RAM' | 'caps';

/**
 * `Genode::Quota_guard`: a limit and the amount used. Amounts are non-negative integers.
 */
export class Quota_guard {
  #limit: number;
  #used = 0;
  /** Which unit the guard counts (for diagnostics). */
  readonly unit: Quota_unit;

  constructor(unit: Quota_unit, limit: number) {
    this.unit = unit;
    this.#limit = checkAmount(limit);
  }

  /** The limit. */
  get limit(): number {
    return this.#limit;
  }

  /** The amount in use. */
  get used(): number {
    return this.#used;
  }

  /** `limit - used`, never negative. */
  get avail(): number {
    return this.#limit > this.#used ? this.#limit - this.#used : 0;
  }

  /** Raise the limit (clamped at `Number.MAX_SAFE_INTEGER` on overflow). */
  upgrade(amount: number): void {
    this.#limit = Math.min(Number.MAX_SAFE_INTEGER, this.#limit + checkAmount(amount));
  }

  /** Lower the limit iff `avail >= amount`. */
  try_downgrade(amount: number): boolean {
    if (checkAmount(amount) > this.avail) return false;
    this.#limit -= amount;
    return true;
  }

  /** Raise `used` iff `amount <= avail`. */
  try_withdraw(amount: number): boolean {
    if (checkAmount(amount) > this.avail) return false;
    this.#used += amount;
    return true;
  }

  /** Lower `used` (clamped at 0). */
  replenish(amount: number): void {
    this.#used = Math.max(0, this.#used - checkAmount(amount));
  }

  /** Genode's print format: `used=…, limit=…`. */
  toString(): string {
    return `used=${this.#used}, limit=${this.#limit}`;
  }
}

function checkAmount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a quota amount: ${n}`);
  return n;
}

/** Result of {@link Account.transfer_quota}. */
export type Transfer_result = 'OK' | 'EXCEEDED' | 'INVALID';

/**
 * Core's `Account<UNIT>`: a quota guard placed in the tree of reference accounts.
 *
 * It remembers the limit and usage it had when it was created (the session's initial donation);
 * only quota above the initial limit can be transferred away, and transfers are only permitted
 * between an account and its reference account, in either direction.
 */
export class Account {
  readonly guard: Quota_guard;
  readonly label: string;
  readonly initial_limit: number;
  readonly initial_used: number;
  #ref: Account | null;
  readonly #members = new Set<Account>();

  /** Create an account; `ref` null makes it a root account (core's). */
  constructor(guard: Quota_guard, label: string, ref: Account | null, initialLimit?: number) {
    this.guard = guard;
    this.label = label;
    this.initial_limit = initialLimit ?? guard.limit;
    this.initial_used = guard.used;
    this.#ref = ref;
    if (ref !== null) ref.#members.add(this);
  }

  /** The reference account, null for the root. */
  get ref(): Account | null {
    return this.#ref;
  }

  /** Quota that may leave this account: `limit - initial_limit`, bounded by `avail`. */
  transferable(): number {
    const above = this.guard.limit - this.initial_limit;
    return above > 0 ? Math.min(above, this.guard.avail) : 0;
  }

  /**
   * Move `amount` to `other`: INVALID unless one is the other's reference account; EXCEEDED if
   * the amount would drain this account below its initial limit or below its usage.
   */
  transfer_quota(other: Account, amount: number): Transfer_result {
    if (this.#ref !== other && other.#ref !== this) return 'INVALID';
    if (amount > this.guard.limit - this.initial_limit) return 'EXCEEDED';
    if (!this.guard.try_downgrade(amount)) return 'EXCEEDED';
    other.guard.upgrade(amount);
    return 'OK';
  }

  /**
   * Tear the account down (session close): release dangling usage, hand the quota above the
   * initial limit to the reference account, and let the reference account adopt the members.
   * Returns the dangling amount (non-zero means something leaked).
   */
  destroy(): number {
    const dangling = Math.max(0, this.guard.used - this.initial_used);
    if (dangling > 0) this.guard.replenish(dangling);
    const ref = this.#ref;
    if (ref !== null) {
      const above = this.guard.limit - this.initial_limit;
      if (above > 0 && this.guard.try_downgrade(above)) ref.guard.upgrade(above);
      ref.#members.delete(this);
      for (const m of this.#members) {
        m.#ref = ref;
        ref.#members.add(m);
      }
    }
    this.#members.clear();
    this.#ref = null;
    return dangling;
  }
}
