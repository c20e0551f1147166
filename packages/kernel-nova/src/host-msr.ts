import type { Utcb } from './utcb.js';

/**
 * [G] Guarded host-MSR access (`ec_ctrl` op 8 with the MSR-access authority SM, root selector
 * 36; spec/nova.md §3.11). Follows alex-ab/NOVA's `Msr::user_access` and `Utcb::for_each_word`
 * (2023, the kernel side of Genode's `nova_msr.h`): the untyped words of the caller's UTCB are
 * requests — an MSR index to read, or an index with bit 29 set followed by the value to write —
 * each answered in place; the items word is replaced by a bitmap of the words that succeeded
 * (a read sets its bit, a write the bits of both of its words). At most 63 words are looked at.
 *
 * The modelled host is an AMD processor (the vCPUs use SVM) with the two features that make
 * NOVA's AMD list non-empty: hardware coordination feedback (APERF/MPERF, read-only) and
 * P-states (limit and status read-only, control writable with the low four bits). Everything
 * else is refused, as the kernel refuses it.
 */
export const HostMsr = {
  /** IA32_MPERF: counts at the TSC rate while the CPU runs (here: the virtual TSC). */
  MPERF: 0xe7,
  /** IA32_APERF: counts at the actual clock (here equal to MPERF: the model never throttles). */
  APERF: 0xe8,
  /** AMD P-state current limit (bits 6:4 PstateMaxVal, bits 2:0 CurPstateLimit). */
  PSTATE_LIMIT: 0xc001_0061,
  /** AMD P-state control (bits 3:0 PstateCmd). */
  PSTATE_CTRL: 0xc001_0062,
  /** AMD P-state status (bits 3:0 CurPstate). */
  PSTATE_STATUS: 0xc001_0063,
} as const;

/** The highest P-state of the modelled host (P0..P2). */
export const HOST_PSTATE_MAX = 2;

const WRITE = 2 ** 29;
const MAX_WORDS = 63;

/** One CPU's host MSRs that guarded access reaches. */
export class HostMsrs {
  /** PstateCmd last written (0 = P0 at boot). */
  pstateCmd = 0;

  /** Value of a readable MSR at TSC `tsc`, or undefined when access is refused. */
  read(msr: number, tsc: number): number | undefined {
    switch (msr) {
      case HostMsr.MPERF:
      case HostMsr.APERF:
        return tsc;
      case HostMsr.PSTATE_LIMIT:
        return HOST_PSTATE_MAX << 4;
      case HostMsr.PSTATE_CTRL:
        return this.pstateCmd;
      case HostMsr.PSTATE_STATUS:
        // a request beyond the highest P-state is clamped to it; transitions are instant
        return Math.min(this.pstateCmd, HOST_PSTATE_MAX);
      default:
        return undefined;
    }
  }

  /** Write a writable MSR; false when access is refused. */
  write(msr: number, value: number): boolean {
    if (msr !== HostMsr.PSTATE_CTRL) return false;
    this.pstateCmd = value % 16;
    return true;
  }

  /** Serve the requests in `utcb` (see {@link HostMsr}) at TSC `tsc`. */
  userAccess(utcb: Utcb, tsc: number): void {
    const max = Math.min(utcb.u, MAX_WORDS);
    let success = 0n;
    for (let i = 0; i < max; i++) {
      const w = utcb.mr(i);
      if (Math.floor(w / WRITE) % 2 === 1) {
        if (i + 1 >= max) break;
        if (this.write(w - WRITE, utcb.mr(i + 1))) success |= 3n << BigInt(i);
        i += 1;
      } else {
        const v = this.read(w, tsc);
        if (v !== undefined) {
          utcb.setMr(i, v);
          success |= 1n << BigInt(i);
        }
      }
    }
    utcb.view.setBigUint64(utcb.base, success, true);
  }
}
