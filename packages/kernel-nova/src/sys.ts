import { Event, PAGE_SIZE, PfErr, USER_ADDR } from './constants.js';
import { type Crd, decodeCrd, encodeCrd, encodeQpd, NULL_CRD, type Qpd } from './crd.js';
import type { Ec } from './ec.js';
import { KernelNovaError } from './errors.js';
import { Hypercall } from './hypercall.js';
import type { EntryFn, NovaKernel } from './kernel.js';
import { type Blocking, ENTRY_EXCEPTION, ENTRY_SPIN, ENTRY_SYSCALL } from './kernel-entry.js';
import type { Regs } from './regs.js';
import type { StatusCode } from './status.js';
import type { Utcb } from './utcb.js';
import { bitOr, fromHiLo, toWord } from './word.js';

/** Options of {@link Sys.createEc}. */
export interface CreateEcOptions {
  /** CPU the EC is bound to (default 0). */
  readonly cpu?: number;
  /** Page-aligned user address of the UTCB; 0 creates a vCPU. */
  readonly utcb: number;
  /** Initial stack pointer (local EC: SP of every portal activation; global: in STARTUP). */
  readonly sp?: number;
  /** Event selector base. */
  readonly evt?: number;
  /** Global EC (can own SCs) instead of a local one. */
  readonly global?: boolean;
}

/** Options of {@link Sys.revoke}. */
export interface RevokeOptions {
  /** Also revoke the caller's own capabilities (default true, as Genode's `revoke(crd, self = true)`). */
  readonly self?: boolean;
  /** [G] Revoke in the PD named by this PD selector instead of the caller's. */
  readonly remote?: number;
  /** [G] Keep-in-MDB: unlink nodes that have children, keeping the children working. */
  readonly keep?: boolean;
  /** [G] SM selector to `up` once the revocation is complete. */
  readonly notifySm?: number;
}

/** Result of a down on a semaphore. */
export interface SmDownResult {
  readonly status: StatusCode;
  /** RSI after the call: a signal SM's value when one was delivered (else the timeout's high word). */
  readonly value: number;
  /** RDX after the call: the signal count when one was delivered (else the timeout's low word). */
  readonly count: number;
}

/** Result of sc_ctrl. */
export interface ScTime {
  readonly status: StatusCode;
  /** Consumed time in µs. */
  readonly us: number;
  /** op 3: the EC's consumed time in µs. */
  readonly ecUs: number;
}

/** Raw hypercall registers. */
export interface HypercallRegs {
  readonly rdi: number;
  readonly rsi: number;
  readonly rdx: number;
  readonly rax: number;
  readonly r8: number;
}

/** Port-I/O access width in bytes. */
export type IoSize = 1 | 2 | 4;

function hc(num: number, sel: number, flags = 0): number {
  return toWord(sel) * 256 + (flags & 0xf) * 16 + num;
}

/**
 * The system-call interface handed to an EC's code: every hypercall of spec/nova.md §2–3 as a
 * generator method (`yield* sys.call(pt)` — a kernel entry), plus what user-mode code does
 * without the kernel until it faults: memory and port accesses through the PD's spaces, and
 * computation (`spin`). Arguments travel in the registers of the x86-64 ABI (§2.3); results
 * are read back from them.
 */
export class Sys {
  private readonly k: NovaKernel;
  private readonly ec: Ec;

  constructor(k: NovaKernel, ec: Ec) {
    this.k = k;
    this.ec = ec;
  }

  /** The EC's UTCB (absent for vCPUs, which have no host code). */
  get utcb(): Utcb {
    const u = this.ec.utcb;
    if (u === null) throw new KernelNovaError('NOT_CURRENT', `${this.ec.label} has no UTCB`);
    return u;
  }

  /** The EC's registers (RDI holds the portal id at a portal entry, the CPU number at boot). */
  get regs(): Regs {
    return this.ec.regs;
  }

  /** The CPU this EC is bound to. */
  get cpu(): number {
    return this.ec.cpu;
  }

  /** The EC's name in traces. */
  get label(): string {
    return this.ec.label;
  }
  set label(v: string) {
    this.ec.label = v;
  }

  /** The kernel (for registering entry points and reading the HIP address). */
  get kernel(): NovaKernel {
    return this.k;
  }

  /** Read the virtual TSC (`rdtsc`, no kernel entry). */
  now(): number {
    return this.k.now;
  }

  /** Register `fn` as code and return its instruction pointer. */
  entry(fn: EntryFn): number {
    return this.k.defineEntry(fn);
  }

  private check(): void {
    const c = this.k.executing;
    if (c === null || c.ec !== this.ec) {
      throw new KernelNovaError('NOT_CURRENT', `${this.ec.label}: sys used while the EC is not running`);
    }
  }

  private *enter(rdi: number, rsi = 0, rdx = 0, rax = 0, r8 = 0): Blocking<StatusCode> {
    this.check();
    const r = this.ec.regs;
    r.rdi = rdi;
    r.rsi = rsi;
    r.rdx = rdx;
    r.rax = rax;
    r.r8 = r8;
    yield ENTRY_SYSCALL;
    return (toWord(r.rdi) % 256) as StatusCode;
  }

  /** A hypercall from raw registers; returns the registers afterwards. */
  *hypercall(rdi: number, rsi = 0, rdx = 0, rax = 0, r8 = 0): Blocking<HypercallRegs> {
    yield* this.enter(rdi, rsi, rdx, rax, r8);
    const r = this.ec.regs;
    return { rdi: r.rdi, rsi: r.rsi, rdx: r.rdx, rax: r.rax, r8: r.r8 };
  }

  // ------------------------------------------------------------ IPC

  /** call (0x0): call portal `pt` with the message in the UTCB; `dontBlock` = DB flag. */
  *call(pt: number, opts: { readonly dontBlock?: boolean } = {}): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.CALL, pt, opts.dontBlock ? 1 : 0));
  }

  /**
   * reply (0x1): answer the current caller with the UTCB's message; never returns. [G] With
   * `sm` (an SM selector with `down`), the caller is blocked on that semaphore instead.
   */
  *reply(sm = 0): Generator<never, never, unknown> {
    yield* this.enter(hc(Hypercall.REPLY, sm)) as Generator<never, StatusCode, unknown>;
    throw new KernelNovaError('INTERNAL', 'reply returned');
  }

  // ------------------------------------------------------------ creation

  /** create_pd (0x2): new PD at `sel`, owner PD cap `owner`, initial object caps `caps`, [G] quota pages. */
  *createPd(
    sel: number,
    owner: number,
    caps: Crd = NULL_CRD,
    quota: { readonly lower?: number; readonly upper?: number } = {},
  ): Blocking<StatusCode> {
    const limits = fromHiLo(quota.upper ?? 64, quota.lower ?? 0);
    return yield* this.enter(hc(Hypercall.CREATE_PD, sel), owner, encodeCrd(caps), limits);
  }

  /** create_ec (0x3). */
  *createEc(sel: number, owner: number, o: CreateEcOptions): Blocking<StatusCode> {
    const rdx = bitOr(toWord(o.utcb), (o.cpu ?? 0) & 0xfff);
    return yield* this.enter(
      hc(Hypercall.CREATE_EC, sel, o.global ? 1 : 0),
      owner,
      rdx,
      o.sp ?? 0,
      o.evt ?? 0,
    );
  }

  /** create_sc (0x4): SC for the global EC / vCPU `ec` with priority and quantum. */
  *createSc(sel: number, owner: number, ec: number, qpd: Qpd | number): Blocking<StatusCode> {
    const q = typeof qpd === 'number' ? qpd : encodeQpd(qpd);
    return yield* this.enter(hc(Hypercall.CREATE_SC, sel), owner, ec, q);
  }

  /** create_pt (0x5): portal to local EC `ec` at `ip` (an address or code to register) with `mtd`. */
  *createPt(sel: number, owner: number, ec: number, mtd: number, ip: number | EntryFn): Blocking<StatusCode> {
    const addr = typeof ip === 'number' ? ip : this.k.defineEntry(ip);
    return yield* this.enter(hc(Hypercall.CREATE_PT, sel), owner, ec, mtd >>> 0, addr);
  }

  /** create_sm (0x6): semaphore with `counter`; [G] with `chain` a signal SM whose value is `counter`. */
  *createSm(sel: number, owner: number, counter = 0, chain = 0): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.CREATE_SM, sel), owner, counter, chain);
  }

  // ------------------------------------------------------------ revoke, misc

  /** revoke (0x7): remove `crd.perms` from the capabilities in `crd` (and what was derived from them). */
  *revoke(crd: Crd, o: RevokeOptions = {}): Blocking<StatusCode> {
    const f = ((o.self ?? true) ? 1 : 0) | (o.remote !== undefined ? 2 : 0) | (o.keep ? 4 : 0);
    return yield* this.enter(hc(Hypercall.REVOKE, o.notifySm ?? 0, f), encodeCrd(crd), o.remote ?? 0);
  }

  /**
   * lookup (misc op 0): the capability node covering `crd.base` in the space of `crd.type`, or
   * the null CRD. [G] misc checks the caller's quota first; a lookup refused with QUO_OOM also
   * yields the null CRD (use {@link Sys.hypercall} to see the status).
   */
  *lookup(crd: Crd): Blocking<Crd> {
    const s = yield* this.enter(hc(Hypercall.MISC, 0, 0), encodeCrd(crd));
    return s === 0 ? decodeCrd(this.ec.regs.rsi) : NULL_CRD;
  }

  /** [G] delegate (misc op 1): the UTCB's typed items from PD `src` into PD `dst` through `window`. */
  *delegate(src: number, dst: number, window: Crd): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.MISC, src, 1), encodeCrd(window), dst);
  }

  /** [G] ACPI suspend (misc op 2) with the authority SM. */
  *acpiSuspend(sm: number, typeA: number, typeB: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.MISC, sm, 2), typeA, typeB);
  }

  // ------------------------------------------------------------ ec_ctrl

  /** ec_ctrl op 0: recall `ec`; [G] `state` copies its registers into the UTCB (TIMEOUT if it runs remotely). */
  *recall(ec: number, state = false): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, ec, 0), state ? 1 : 0);
  }

  /** ec_ctrl op 1: put the current SC behind its peers. */
  *yieldSc(): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, 0, 1));
  }

  /** ec_ctrl op 2: switch to EC `ec` of this PD on the current SC (its UTCB TLS word must be `tls`). */
  *donateSc(ec: number, tls: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, ec, 2), tls);
  }

  /** ec_ctrl op 3: reschedule, keeping the head position if budget is left. */
  *reschedule(): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, 0, 3));
  }

  /** ec_ctrl op 5: consumed time of `ec` in µs. */
  *ecTime(ec: number): Blocking<{ status: StatusCode; us: number }> {
    const status = yield* this.enter(hc(Hypercall.EC_CTRL, ec, 5));
    return { status, us: fromHiLo(this.ec.regs.rsi, this.ec.regs.rdx) };
  }

  /**
   * [G] ec_ctrl op 8: guarded host-MSR access with the MSR-access authority SM `sm` (root: 36).
   * The requests are the UTCB's untyped words (an MSR index to read, or index | 1 << 29 followed
   * by a value to write); on SUCCESS each answered word holds its value and the items word is the
   * bitmap of the words that succeeded (see `HostMsrs.userAccess`).
   */
  *msrAccess(sm: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, sm, 8));
  }

  /** ec_ctrl op 6: copy the vCPU state selected by `mtd` into this EC's UTCB (and pend a recall). */
  *getVcpuState(vcpu: number, mtd: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, vcpu, 6), mtd >>> 0);
  }

  /** ec_ctrl op 7: write the vCPU state selected by the UTCB's `mtd`; `keepRecall` keeps a pending recall. */
  *setVcpuState(vcpu: number, keepRecall = false): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.EC_CTRL, vcpu, 7), keepRecall ? 1 : 0);
  }

  // ------------------------------------------------------------ sc, pt, sm

  /** sc_ctrl: consumed time of `sc`; [G] ops 1..3 on idle SCs (op 3 also the time of EC `ec`). */
  *scCtrl(sc: number, op = 0, ec = 0): Blocking<ScTime> {
    const status = yield* this.enter(hc(Hypercall.SC_CTRL, sc, op & 3), ec);
    const r = this.ec.regs;
    return { status, us: fromHiLo(r.rsi, r.rdx), ecUs: op === 3 ? fromHiLo(r.rax, r.r8) : 0 };
  }

  /** pt_ctrl: set the portal id delivered in RDI. */
  *ptCtrl(pt: number, pid: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.PT_CTRL, pt), pid);
  }

  /** sm_ctrl up. */
  *smUp(sm: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.SM_CTRL, sm, 0));
  }

  /** sm_ctrl down: `zc` zeroes the counter; `timeout` is an absolute TSC value (0 = none). */
  *smDown(sm: number, o: { readonly zc?: boolean; readonly timeout?: number } = {}): Blocking<SmDownResult> {
    const t = toWord(o.timeout ?? 0);
    const status = yield* this.enter(
      hc(Hypercall.SM_CTRL, sm, 1 | (o.zc ? 2 : 0)),
      Math.floor(t / 4294967296) % 4294967296,
      t % 4294967296,
    );
    return { status, value: this.ec.regs.rsi, count: this.ec.regs.rdx };
  }

  // ------------------------------------------------------------ devices, quota

  /** assign_pci. */
  *assignPci(pd: number, dev: number, rid = 0): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.ASSIGN_PCI, pd), dev, rid);
  }

  /** assign_gsi: route the GSI of kernel semaphore `sm`; [G] `signal` chains it to a signal SM. */
  *assignGsi(
    sm: number,
    o: {
      readonly dev?: number;
      readonly cpu?: number;
      readonly signal?: number;
      readonly level?: boolean;
      readonly activeLow?: boolean;
    } = {},
  ): Blocking<{ status: StatusCode; msiAddr: number; msiData: number }> {
    const cfg = o.level !== undefined || o.activeLow !== undefined;
    const f = (cfg ? 4 : 0) | (o.level ? 2 : 0) | (o.activeLow ? 1 : 0);
    const status = yield* this.enter(
      hc(Hypercall.ASSIGN_GSI, sm, f),
      o.dev ?? 0,
      o.cpu ?? 0,
      o.signal ?? 2 ** 64 - 1,
    );
    return { status, msiAddr: this.ec.regs.rsi, msiData: this.ec.regs.rdx };
  }

  /** [G] pd_ctrl op 0: move `pages` of kernel-memory quota from PD `src` to PD `dst`. */
  *quotaTransfer(src: number, dst: number, pages: number): Blocking<StatusCode> {
    return yield* this.enter(hc(Hypercall.PD_CTRL, src, 0), dst, pages);
  }

  /** [G] pd_ctrl op 2: limit and usage (pages) of PD `pd`'s quota. */
  *quotaQuery(pd: number): Blocking<{ status: StatusCode; limit: number; usage: number }> {
    const status = yield* this.enter(hc(Hypercall.PD_CTRL, pd, 2));
    return { status, limit: this.ec.regs.rsi, usage: this.ec.regs.rdx };
  }

  // ------------------------------------------------------------ user mode

  /**
   * Model `us` microseconds of computation: consumes the SC's budget; quantum preemption and
   * higher-priority preemption happen here.
   */
  *spin(us: number): Blocking<void> {
    yield* this.spinTicks(this.k.usToTicks(us));
  }

  /** Like {@link Sys.spin} in TSC ticks. */
  *spinTicks(ticks: number): Blocking<void> {
    this.check();
    if (!(ticks > 0)) return;
    this.ec.spinLeft = Math.ceil(ticks);
    yield ENTRY_SPIN;
  }

  /**
   * Execute an instruction that raises CPU exception `vector` (e.g. 0x06 for `ud2`, 0x03 for
   * `int3`); returns once a handler replied without moving RIP.
   */
  *exception(vector: number, errorCode = 0): Blocking<void> {
    this.check();
    const r = this.ec.regs;
    r.err = errorCode;
    r.dstPortal = vector & 0x1f;
    yield ENTRY_EXCEPTION;
  }

  private *access(addr: number, size: 1 | 2 | 4 | 8, write: boolean, value: number): Blocking<number> {
    this.check();
    for (;;) {
      const v = this.k.userAccess(this.ec, addr, size, write, value);
      if (v !== undefined) return v;
      yield ENTRY_EXCEPTION;
    }
  }

  /** Load a byte through the PD's memory space (a page fault goes to the pager portal). */
  *read8(addr: number): Blocking<number> {
    return yield* this.access(addr, 1, false, 0);
  }
  /** Load 16 bits. */
  *read16(addr: number): Blocking<number> {
    return yield* this.access(addr, 2, false, 0);
  }
  /** Load 32 bits. */
  *read32(addr: number): Blocking<number> {
    return yield* this.access(addr, 4, false, 0);
  }
  /** Load 64 bits (exact below 2^53). */
  *read64(addr: number): Blocking<number> {
    return yield* this.access(addr, 8, false, 0);
  }
  /** Store a byte. */
  *write8(addr: number, v: number): Blocking<void> {
    yield* this.access(addr, 1, true, v);
  }
  /** Store 16 bits. */
  *write16(addr: number, v: number): Blocking<void> {
    yield* this.access(addr, 2, true, v);
  }
  /** Store 32 bits. */
  *write32(addr: number, v: number): Blocking<void> {
    yield* this.access(addr, 4, true, v);
  }
  /** Store 64 bits. */
  *write64(addr: number, v: number): Blocking<void> {
    yield* this.access(addr, 8, true, v);
  }

  /** Copy `len` bytes from user memory. */
  *readBytes(addr: number, len: number): Blocking<Uint8Array> {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = yield* this.read8(addr + i);
    return out;
  }

  /** Copy bytes into user memory. */
  *writeBytes(addr: number, bytes: Uint8Array): Blocking<void> {
    for (let i = 0; i < bytes.length; i++) yield* this.write8(addr + i, bytes[i] ?? 0);
  }

  /**
   * Touch the page holding `addr` for `access` without moving data — what an instruction that
   * reads, writes or fetches there does to the MMU. While the PD's host page table does not permit
   * the access, a page fault (vector 0x0e) goes to the pager portal with the x86 error code
   * (P if the page is present, W for a write, U, I for a fetch) and CR2 = `addr`; it returns once
   * the access is permitted. `ip` is the instruction pointer the fault reports (host code has no
   * instruction of its own; default: the EC's RIP); a reply that moves RIP abandons the code.
   */
  *touch(addr: number, access: 'read' | 'write' | 'exec', ip?: number): Blocking<void> {
    this.check();
    const ec = this.ec;
    for (;;) {
      if (this.k.accessible(ec, addr, access)) return;
      const r = ec.regs;
      const ok = Number.isSafeInteger(addr) && addr >= 0;
      const present =
        ok && addr < USER_ADDR && ec.pd.host.translate(Math.floor(addr / PAGE_SIZE)) !== undefined;
      r.cr2 = ok ? addr : 0;
      r.err =
        (present ? PfErr.P : 0) |
        (access === 'write' ? PfErr.W : 0) |
        PfErr.U |
        (access === 'exec' ? PfErr.I : 0);
      r.dstPortal = Event.PF;
      const useIp = ip !== undefined && Number.isSafeInteger(ip) && ip >= 0 && ip < USER_ADDR;
      const rip = r.rip;
      const genRip = ec.genRip;
      if (useIp) {
        r.rip = ip;
        ec.genRip = ip;
      }
      yield ENTRY_EXCEPTION;
      if (useIp && r.rip === ip && ec.genRip === ip) {
        r.rip = rip;
        ec.genRip = genRip;
      }
    }
  }

  /** `in` from an I/O port: needs the port in the PD's I/O space, else #GP. */
  *in(port: number, size: IoSize = 1): Blocking<number> {
    this.check();
    for (;;) {
      const v = this.k.userIo(this.ec, port, size, false, 0);
      if (v !== undefined) return v;
      yield ENTRY_EXCEPTION;
    }
  }

  /** `out` to an I/O port. */
  *out(port: number, value: number, size: IoSize = 1): Blocking<void> {
    this.check();
    for (;;) {
      const v = this.k.userIo(this.ec, port, size, true, value);
      if (v !== undefined) return;
      yield ENTRY_EXCEPTION;
    }
  }
}

/** Page-fault error code for a user access (spec/nova.md §5.6). */
export function pfError(present: boolean, write: boolean): number {
  return (present ? PfErr.P : 0) | (write ? PfErr.W : 0) | PfErr.U;
}

/** Page of a byte address. */
export function pageOf(addr: number): number {
  return Math.floor(addr / PAGE_SIZE);
}

/** The page-fault event number, re-exported for handlers. */
export const PAGE_FAULT: number = Event.PF;
