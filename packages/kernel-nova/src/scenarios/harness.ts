/**
 * Helpers for the acceptance scenarios: what a root task written against spec/nova.md does over
 * and over (start a global EC through a STARTUP portal, delegate a capability with misc
 * delegate, map memory from the kernel space with H items).
 */
import { RootSel } from '../constants.js';
import { type Crd, memCrd, objCrd } from '../crd.js';
import { checkInvariants } from '../invariants.js';
import { type EntryFn, NovaKernel, type NovaOptions } from '../kernel.js';
import type { Blocking } from '../kernel-entry.js';
import { Mtd } from '../mtd.js';
import { Status, type StatusCode } from '../status.js';
import type { Sys } from '../sys.js';
import { ItemKind, type ItemOptions } from '../typed-item.js';

export const PD = RootSel.PD;

let utcbCounter = 0;

/** Boot with `root` as the root task. */
export function boot(root: EntryFn, o: Omit<NovaOptions, 'root'> = {}): NovaKernel {
  utcbCounter = 0;
  const k = NovaKernel.boot({ ...o, root });
  booted.push(k);
  return k;
}

const booted: NovaKernel[] = [];

/** Invariant violations of every machine booted since the last call (for an afterEach hook). */
export function violations(): string[] {
  const out = booted.flatMap((k) => checkInvariants(k));
  booted.length = 0;
  return out;
}

/** Fail loudly inside host code when a hypercall does not succeed. */
export function ok(s: number, what: string): void {
  if (s !== Status.SUCCESS) throw new Error(`${what} failed with status ${s}`);
}

/** A fresh UTCB address (distinct per call; the kernel rejects pages already in use). */
export function utcbAddr(): number {
  utcbCounter++;
  return 0x7f0000000000 - utcbCounter * 0x1000;
}

/** Startup handler: the PID of each startup portal is the entry IP of its thread. */
function* startupHandler(s: Sys): Blocking<void> {
  s.utcb.mtd = Mtd.EIP;
  s.utcb.rip = s.regs.rdi;
  yield* s.reply();
}

/** Selector of the root's startup-handler EC for CPU `cpu`. */
export const STARTUP_EC = (cpu: number): number => 0x8000 + cpu;

/** Create the root's startup-handler local EC for `cpu` once. */
export function* ensureStartupHandler(sys: Sys, cpu: number): Blocking<void> {
  const k = sys.kernel;
  if (k.objCap(k.root, STARTUP_EC(cpu)) !== undefined) return;
  ok(yield* sys.createEc(STARTUP_EC(cpu), PD, { cpu, utcb: utcbAddr(), sp: 0x1000 }), 'startup EC');
}

/** Delegate object capability `src` of PD `srcPd` to `dst` of PD `dstPd` with `perms` (misc delegate). */
export function* delegateObj(
  sys: Sys,
  srcPd: number,
  dstPd: number,
  src: number,
  dst: number,
  perms = 0x1f,
): Blocking<StatusCode> {
  return yield* delegateItem(sys, srcPd, dstPd, objCrd(src, 0, perms), objCrd(dst, 0), {
    kind: ItemKind.DELEGATE,
  });
}

/** Send one typed item with misc delegate from `srcPd` to `dstPd` through `window`. */
export function* delegateItem(
  sys: Sys,
  srcPd: number,
  dstPd: number,
  item: Crd,
  window: Crd,
  o: ItemOptions,
): Blocking<StatusCode> {
  const u = sys.utcb;
  u.setMsg(0, 1);
  u.setItem(0, item, o);
  const s = yield* sys.delegate(srcPd, dstPd, window);
  u.setMsg(0, 0);
  return s;
}

/** Map 2^order physical pages at `phys` (page number) to page `virt` of PD `dstPd` (H item from root). */
export function* mapPhys(
  sys: Sys,
  dstPd: number,
  phys: number,
  virt: number,
  order: number,
  perms = 7,
): Blocking<StatusCode> {
  return yield* delegateItem(sys, PD, dstPd, memCrd(phys, order, perms), memCrd(virt, order, perms), {
    kind: ItemKind.DELEGATE,
    h: true,
  });
}

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** PD selector in the root's space (32 = the root PD itself). */
  readonly pd: number;
  /** Root selector for the EC cap, and the next three for the SC and the startup portal. */
  readonly sel: number;
  readonly evt: number;
  readonly code: EntryFn;
  readonly cpu?: number;
  readonly prio?: number;
  readonly quantumUs?: number;
  readonly sp?: number;
  /** Create the EC without an SC (the caller binds one later). */
  readonly noSc?: boolean;
}

/**
 * Start a global EC in PD `o.pd` running `o.code`: a startup portal (PID = entry IP) at
 * evt + 0x1e of that PD, bound to the root's startup handler, then create_ec + create_sc.
 * Root selectors used: sel (EC), sel + 1 (SC), sel + 2 (startup portal).
 */
export function* spawn(sys: Sys, o: SpawnOptions): Blocking<void> {
  const cpu = o.cpu ?? 0;
  yield* ensureStartupHandler(sys, cpu);
  const ip = sys.entry(o.code);
  if (o.pd === PD) {
    ok(yield* sys.createPt(o.evt + 0x1e, PD, STARTUP_EC(cpu), Mtd.EIP, startupHandler), 'startup pt');
    ok(yield* sys.ptCtrl(o.evt + 0x1e, ip), 'startup pid');
  } else {
    ok(yield* sys.createPt(o.sel + 2, PD, STARTUP_EC(cpu), Mtd.EIP, startupHandler), 'startup pt');
    ok(yield* sys.ptCtrl(o.sel + 2, ip), 'startup pid');
    ok(yield* delegateObj(sys, PD, o.pd, o.sel + 2, o.evt + 0x1e), 'startup delegation');
  }
  ok(
    yield* sys.createEc(o.sel, o.pd, { cpu, utcb: utcbAddr(), sp: o.sp ?? 0x8000, evt: o.evt, global: true }),
    'create_ec',
  );
  if (o.noSc) return;
  ok(
    yield* sys.createSc(o.sel + 1, o.pd, o.sel, { prio: o.prio ?? 10, quantum: o.quantumUs ?? 10_000 }),
    'create_sc',
  );
}

/** A child PD at `sel` with its own PD capability at `selfSel` of its space (perms `perms`). */
export function* childPd(sys: Sys, sel: number, selfSel = 0x20, perms = 0x1f, upper = 256): Blocking<void> {
  ok(yield* sys.createPd(sel, PD, undefined, { upper }), 'create_pd');
  ok(yield* delegateObj(sys, PD, sel, sel, selfSel, perms), 'own PD cap');
}
