import { type Crd, encodeCrd, encodeQpd, NULL_CRD, type Qpd } from '../crd.js';
import type { Ec } from '../ec.js';
import { Hypercall } from '../hypercall.js';
import type { NovaKernel, SyncHypercallResult } from '../kernel.js';
import type { StatusCode } from '../status.js';
import { fromHiLo, toWord } from '../word.js';

/** RDI of a hypercall: `sel << 8 | flags << 4 | number` (spec/nova.md §2.3). */
function rdi(num: number, sel: number, flags = 0): number {
  return toWord(sel) * 256 + (flags & 0xf) * 16 + num;
}

/**
 * The hypercalls Genode's core issues from its own ECs while it runs an RPC function or its
 * pager — code that completes inside one kernel step. Each method is one real hypercall through
 * {@link NovaKernel.hypercallNow} with the register ABI of spec/nova.md §2.3, on behalf of the EC
 * given; results are the kernel's status codes.
 */
export class NovaCalls {
  readonly #k: NovaKernel;

  constructor(k: NovaKernel) {
    this.#k = k;
  }

  /** The raw entry. */
  raw(ec: Ec, num: number, sel: number, flags = 0, rsi = 0, rdx = 0, rax = 0, r8 = 0): SyncHypercallResult {
    return this.#k.hypercallNow(ec, rdi(num, sel, flags), rsi, rdx, rax, r8);
  }

  /** create_pd with a kernel-memory quota of `upper` pages (no initial capabilities). */
  createPd(ec: Ec, sel: number, owner: number, upper: number): StatusCode {
    return this.raw(ec, Hypercall.CREATE_PD, sel, 0, owner, encodeCrd(NULL_CRD), fromHiLo(upper, 0)).status;
  }

  /** create_ec: local (portals) or global (SCs); `utcb` = 0 creates a vCPU. */
  createEc(
    ec: Ec,
    sel: number,
    owner: number,
    o: { cpu: number; utcb: number; sp: number; evt: number; global: boolean },
  ): StatusCode {
    const rdx = toWord(o.utcb) + (o.cpu & 0xfff);
    return this.raw(ec, Hypercall.CREATE_EC, sel, o.global ? 1 : 0, owner, rdx, o.sp, o.evt).status;
  }

  /** create_sc for EC `target` with quantum and priority. */
  createSc(ec: Ec, sel: number, owner: number, target: number, qpd: Qpd): StatusCode {
    return this.raw(ec, Hypercall.CREATE_SC, sel, 0, owner, target, encodeQpd(qpd)).status;
  }

  /** create_pt bound to local EC `target`. */
  createPt(ec: Ec, sel: number, owner: number, target: number, mtd: number, ip: number): StatusCode {
    return this.raw(ec, Hypercall.CREATE_PT, sel, 0, owner, target, mtd >>> 0, ip).status;
  }

  /** create_sm; with `chain` ≠ 0 a signal SM whose value is `counter` (G-kernel). */
  createSm(ec: Ec, sel: number, owner: number, counter: number, chain = 0): StatusCode {
    return this.raw(ec, Hypercall.CREATE_SM, sel, 0, owner, counter, chain).status;
  }

  /** revoke `crd` in the caller's PD (or, with `remote`, in the PD named by that selector). */
  revoke(ec: Ec, crd: Crd, o: { self?: boolean; remote?: number } = {}): StatusCode {
    const f = ((o.self ?? true) ? 1 : 0) | (o.remote !== undefined ? 2 : 0);
    return this.raw(ec, Hypercall.REVOKE, 0, f, encodeCrd(crd), o.remote ?? 0).status;
  }

  /** misc op 1 "delegate": the typed items in `ec`'s UTCB from PD `src` into PD `dst` through `window`. */
  delegate(ec: Ec, src: number, dst: number, window: Crd): StatusCode {
    return this.raw(ec, Hypercall.MISC, src, 1, encodeCrd(window), dst).status;
  }

  /** pt_ctrl: the portal id delivered in RDI. */
  ptCtrl(ec: Ec, pt: number, pid: number): StatusCode {
    return this.raw(ec, Hypercall.PT_CTRL, pt, 0, pid).status;
  }

  /** sm_ctrl up. */
  smUp(ec: Ec, sm: number): StatusCode {
    return this.raw(ec, Hypercall.SM_CTRL, sm, 0).status;
  }

  /** ec_ctrl op 0: recall. */
  recall(ec: Ec, target: number): StatusCode {
    return this.raw(ec, Hypercall.EC_CTRL, target, 0, 0).status;
  }

  /** ec_ctrl op 7: write the vCPU state selected by the UTCB's `mtd` (keep a pending recall). */
  setVcpuState(ec: Ec, vcpu: number): StatusCode {
    return this.raw(ec, Hypercall.EC_CTRL, vcpu, 7, 1).status;
  }

  /** pd_ctrl op 0: move `pages` of kernel-memory quota from PD `src` to PD `dst`. */
  quotaTransfer(ec: Ec, src: number, dst: number, pages: number): StatusCode {
    return this.raw(ec, Hypercall.PD_CTRL, src, 0, dst, pages).status;
  }
}
