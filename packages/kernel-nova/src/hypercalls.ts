import {
  EcPerm,
  HipFeature,
  NUM_CPU,
  NUM_PRIO,
  ObjType,
  type ObjTypeCode,
  PAGE_SIZE,
  PdPerm,
  PtPerm,
  USER_ADDR,
} from './constants.js';
import type { Cpu } from './cpu.js';
import { CrdType, decodeCrd, encodeCrd, NULL_CRD } from './crd.js';
import { Cont, type Ec } from './ec.js';
import type { NovaKernel } from './kernel.js';
import type { Kobject } from './kobject.js';
import type { MdbNode } from './mdb.js';
import { Mtd } from './mtd.js';
import { Pd } from './pd.js';
import { Pt } from './pt.js';
import { Regs } from './regs.js';
import { revokeRange } from './revocation.js';
import { Sc } from './sc.js';
import { Sm } from './sm.js';
import { Status } from './status.js';
import { fromHiLo, hi32, lo32, toWord } from './word.js';

/** What a hypercall handler returns (the value of `finish`, or undefined after a switch). */
type Done = 'done' | undefined;

/** Hypercall names by number (trace output). */
export const HYPERCALL_NAMES: readonly string[] = [
  'call',
  'reply',
  'create_pd',
  'create_ec',
  'create_sc',
  'create_pt',
  'create_sm',
  'revoke',
  'misc',
  'ec_ctrl',
  'sc_ctrl',
  'pt_ctrl',
  'sm_ctrl',
  'assign_pci',
  'assign_gsi',
  'pd_ctrl',
];

/** `~0` as a register value (the JavaScript number nearest to 2^64 - 1). */
export const WORD_NONE: number = 2 ** 64 - 1;

/** The capability at `sel` if it names an object of `type` with all of `perms`. */
function cap(k: NovaKernel, ec: Ec, sel: number, type: ObjTypeCode, perms = 0): MdbNode | undefined {
  const n = k.objCap(ec.pd, sel);
  if (n === undefined || n.obj === null || n.obj.type !== type || (n.perms & perms) !== perms)
    return undefined;
  return n;
}

function obj<T extends Kobject>(n: MdbNode): T {
  return n.obj as T;
}

/**
 * Execute the hypercall in `ec`'s registers (RDI = sel << 8 | flags << 4 | number, RSI, RDX,
 * RAX, R8; spec/nova.md §2.3), in the G-kernel's check order (§3).
 */
export function dispatchHypercall(k: NovaKernel, cpu: Cpu, ec: Ec): void {
  const r = ec.regs;
  const rdi = toWord(r.rdi);
  const num = rdi % 16;
  if (k.tracer !== null) {
    const rec = {
      kind: 'hypercall' as const,
      time: k.now,
      cpu: cpu.id,
      ec: ec.label,
      name: HYPERCALL_NAMES[num] ?? `hc${num}`,
      args: [Math.floor(rdi / 256), toWord(r.rsi), toWord(r.rdx), toWord(r.rax), toWord(r.r8)],
      status: undefined as number | undefined,
    };
    k.pendingTrace = rec;
    k.trace(rec);
  }
  switch (num) {
    case 0x0:
      sysCall(k, cpu, ec);
      break;
    case 0x1:
      sysReply(k, cpu, ec);
      break;
    case 0x2:
      createPd(k, ec);
      break;
    case 0x3:
      createEc(k, ec);
      break;
    case 0x4:
      createSc(k, ec);
      break;
    case 0x5:
      createPt(k, ec);
      break;
    case 0x6:
      createSm(k, ec);
      break;
    case 0x7:
      revoke(k, ec);
      break;
    case 0x8:
      misc(k, ec);
      break;
    case 0x9:
      ecCtrl(k, cpu, ec);
      break;
    case 0xa:
      scCtrl(k, ec);
      break;
    case 0xb:
      ptCtrl(k, ec);
      break;
    case 0xc:
      smCtrl(k, cpu, ec);
      break;
    case 0xd:
      assignPci(k, ec);
      break;
    case 0xe:
      assignGsi(k, ec);
      break;
    default:
      pdCtrl(k, ec);
      break;
  }
  if (k.pendingTrace !== null) {
    k.pendingTrace = null;
    ec.traceWaiting = true;
  }
}

function sel(ec: Ec): number {
  return Math.floor(toWord(ec.regs.rdi) / 256);
}

function flags(ec: Ec): number {
  return Math.floor(toWord(ec.regs.rdi) / 16) % 16;
}

// ------------------------------------------------------------------ IPC

/** call (0x0): spec/nova.md §3.1. Also the continuation of a caller that retries after helping. */
export function sysCall(k: NovaKernel, cpu: Cpu, ec: Ec): void {
  const node = cap(k, ec, sel(ec), ObjType.PT);
  if (node === undefined) {
    k.finish(ec, Status.BAD_CAP);
    return;
  }
  // [G] The CALL permission is not checked (only the object type).
  const pt = obj<Pt>(node);
  if (ec.pd.quota.hitLimit()) {
    k.finish(ec, Status.QUO_OOM);
    return;
  }
  const callee = pt.ec;
  if (callee.cpu !== ec.cpu) {
    if ((node.perms & PtPerm.XCPU) === 0 || ec.kind === 'xcpu') k.finish(ec, Status.BAD_CPU);
    else k.xcpuCall(cpu, ec, pt);
    return;
  }
  if (k.rendezvous(cpu, ec, callee, pt, ec.xcpuSm !== null ? Cont.XCPU_RETURN : Cont.SYSEXIT, Cont.RECV_USER))
    return;
  if (flags(ec) & 1) {
    k.finish(ec, Status.TIMEOUT);
    return;
  }
  if (!k.help(cpu, ec, callee, Cont.CALL)) k.finish(ec, Status.TIMEOUT);
}

/** reply (0x1): spec/nova.md §3.2, with the G-kernel's reply-and-block. */
function sysReply(k: NovaKernel, cpu: Cpu, ec: Ec): void {
  const caller = ec.rcap;
  let sm: Sm | null = null;
  if (caller !== null) {
    const s = sel(ec);
    if (s !== 0) {
      const n = cap(k, ec, s, ObjType.SM, 0x2);
      if (n !== undefined) sm = obj<Sm>(n);
    }
    if (sm !== null) {
      if (caller.cont === Cont.SYSEXIT) caller.cont = Cont.CALL;
      else if (caller.cont === Cont.XCPU_RETURN) caller.regs.rdi = Status.BAD_HYP;
    }
    const utcb = ec.utcb!;
    const user = caller.cont === Cont.SYSEXIT || caller.cont === Cont.XCPU_RETURN;
    const t = utcb.t;
    if (t > 0) {
      const xlt = user && caller.utcb !== null ? caller.utcb.xlt : NULL_CRD;
      const fault = caller.cont === Cont.IRET ? caller.regs.cr2 : caller.regs.nstFault;
      const del =
        user && caller.utcb !== null
          ? caller.utcb.del
          : { type: CrdType.MEM, base: Math.floor(toWord(fault) / PAGE_SIZE), order: 31, perms: 0x1f };
      k.transferItems(ec.pd, caller.pd, xlt, del, utcb, user ? caller.utcb : null, t);
    }
    if (user) {
      caller.utcb?.copyMessageFrom(utcb);
      // The G-kernel leaves the caller's RDI (with its flag nibble) alone on success; the
      // model returns SUCCESS (spec/nova.md §3.1, step 6).
      if (sm === null) caller.regs.rdi = Status.SUCCESS;
    } else if (caller.cont === Cont.IRET) utcb.saveExc(caller.regs);
    else if (caller.cont === Cont.VMRUN && caller.vcpu !== null) {
      const mtd = utcb.mtd;
      utcb.saveVcpu(caller.vcpu.state, mtd);
      caller.vcpu.backend?.store(caller.vcpu.state, mtd);
    }
  }
  k.pendingTrace = null;
  k.doReply(cpu, ec, Cont.NONE, sm);
}

// ------------------------------------------------------------------ object creation

/** create_pd (0x2): spec/nova.md §3.3 with [G] quota limits. */
function createPd(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(0)) return k.finish(ec, Status.QUO_OOM);
  const ownerNode = cap(k, ec, toWord(r.rsi), ObjType.PD, PdPerm.PD);
  if (ownerNode === undefined) return k.finish(ec, Status.BAD_CAP);
  const owner = obj<Pd>(ownerNode);
  const limits = toWord(r.rax);
  const lower = lo32(limits);
  const upper = hi32(limits);
  if (lower > upper) return k.finish(ec, Status.BAD_PAR);
  if (owner.quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const pd = new Pd(k.newId(), ec.pd, false, '');
  pd.label = `pd${pd.id}`;
  // [G] the quota transfer (BAD_PAR) comes before the selector check (BAD_CAP).
  if (!owner.quota.transferTo(pd.quota, upper)) return k.finish(ec, Status.BAD_PAR);
  const s = sel(ec);
  if (k.objCap(ec.pd, s) !== undefined) {
    pd.quota.transferTo(owner.quota, pd.quota.limit, false);
    return k.finish(ec, Status.BAD_CAP);
  }
  pd.quota.reserve = lower;
  ec.pd.quota.chargeSlab('PD');
  k.pds.add(pd);
  k.insertRoot(ec.pd, s, pd, ownerNode.perms);
  const caps = decodeCrd(toWord(r.rdx));
  if (caps.type !== CrdType.NULL) {
    const res = k.delegateOne(ec.pd, pd, { type: CrdType.OBJ, base: 0, order: 31, perms: 0x1f }, caps);
    if (res.oom) {
      k.revokeSelector(ec.pd, s);
      return k.finish(ec, Status.QUO_OOM);
    }
  }
  k.finish(ec, Status.SUCCESS);
}

/** create_ec (0x3): spec/nova.md §3.4, G check order. */
function createEc(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(0)) return k.finish(ec, Status.QUO_OOM);
  const rdx = toWord(r.rdx);
  const cpu = rdx % 4096;
  const utcb = rdx - cpu;
  if (cpu >= k.cpus.length) return k.finish(ec, Status.BAD_CPU);
  if (utcb === 0 && (k.features & (HipFeature.VMX | HipFeature.SVM)) === 0)
    return k.finish(ec, Status.BAD_FTR);
  const ownerNode = cap(k, ec, toWord(r.rsi), ObjType.PD, PdPerm.EC);
  if (ownerNode === undefined) return k.finish(ec, Status.BAD_CAP);
  const owner = obj<Pd>(ownerNode);
  if (owner.quota.hitLimit(7)) return k.finish(ec, Status.QUO_OOM);
  // [spec] the UTCB page must be free in the owner's memory space (the model keeps the MDB and
  // the page tables consistent; the G-kernel tracks this for the root PD only).
  if (utcb >= USER_ADDR || (utcb !== 0 && owner.mem.find(utcb / PAGE_SIZE) !== undefined)) {
    return k.finish(ec, Status.BAD_PAR);
  }
  const s = sel(ec);
  if (k.objCap(ec.pd, s) !== undefined) return k.finish(ec, Status.BAD_CAP);
  let frame = -1;
  if (utcb !== 0) {
    const f = k.allocUtcb(owner);
    if (f === undefined) return k.finish(ec, Status.QUO_OOM);
    frame = f;
  } else owner.quota.chargePages(1);
  const global = (flags(ec) & 1) !== 0;
  const kind = utcb === 0 ? 'vcpu' : global ? 'global' : 'local';
  const sp = toWord(r.rax);
  const evt = toWord(r.r8) % 2 ** 32;
  const nec = k.newEc(kind, owner, cpu, evt, sp, utcb, frame);
  owner.quota.chargeSlab('EC');
  const oom = k.objCap(ec.pd, s + 1);
  if (oom?.obj?.type === ObjType.PT) nec.oomPt = oom.obj as Pt;
  k.insertRoot(ec.pd, s, nec, EcPerm.DEFAULT);
  k.finish(ec, Status.SUCCESS);
}

/** create_sc (0x4): spec/nova.md §3.5. */
function createSc(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(0)) return k.finish(ec, Status.QUO_OOM);
  const ownerNode = cap(k, ec, toWord(r.rsi), ObjType.PD, PdPerm.SC);
  if (ownerNode === undefined) return k.finish(ec, Status.BAD_CAP);
  if (obj<Pd>(ownerNode).quota.hitLimit(2)) return k.finish(ec, Status.QUO_OOM);
  const ecNode = cap(k, ec, toWord(r.rdx), ObjType.EC, EcPerm.SC);
  if (ecNode === undefined) return k.finish(ec, Status.BAD_CAP);
  const target = obj<Ec>(ecNode);
  if (!target.isGlobal) return k.finish(ec, Status.BAD_CAP);
  const qpd = toWord(r.rax);
  const prio = qpd % 256;
  const quantum = Math.floor(qpd / 4096);
  if (prio === 0 || prio >= NUM_PRIO || quantum === 0) return k.finish(ec, Status.BAD_PAR);
  const s = sel(ec);
  if (k.objCap(ec.pd, s) !== undefined) return k.finish(ec, Status.BAD_CAP);
  const sc = new Sc(k.newId(), target, target.cpu, prio, quantum, Math.max(1, k.usToTicks(quantum)));
  target.pd.quota.chargeSlab('SC');
  target.scs.add(sc);
  k.insertRoot(ec.pd, s, sc, 0x01);
  k.enqueueSc(sc);
  k.finish(ec, Status.SUCCESS);
}

/** create_pt (0x5): spec/nova.md §3.6. */
function createPt(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(0)) return k.finish(ec, Status.QUO_OOM);
  const ip = toWord(r.r8);
  if (ip >= USER_ADDR) return k.finish(ec, Status.BAD_PAR);
  const ownerNode = cap(k, ec, toWord(r.rsi), ObjType.PD, PdPerm.PT);
  if (ownerNode === undefined) return k.finish(ec, Status.BAD_CAP);
  if (obj<Pd>(ownerNode).quota.hitLimit(2)) return k.finish(ec, Status.QUO_OOM);
  const ecNode = cap(k, ec, toWord(r.rdx), ObjType.EC, EcPerm.PT);
  if (ecNode === undefined) return k.finish(ec, Status.BAD_CAP);
  const target = obj<Ec>(ecNode);
  if (target.isGlobal) return k.finish(ec, Status.BAD_CAP);
  const s = sel(ec);
  if (k.objCap(ec.pd, s) !== undefined) return k.finish(ec, Status.BAD_CAP);
  const pt = new Pt(k.newId(), target, lo32(toWord(r.rax)), ip);
  target.pts++;
  target.pd.quota.chargeSlab('PT');
  k.insertRoot(ec.pd, s, pt, PtPerm.DEFAULT);
  k.finish(ec, Status.SUCCESS);
}

/** create_sm (0x6): spec/nova.md §3.7, [G] signal semaphores. */
function createSm(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(0)) return k.finish(ec, Status.QUO_OOM);
  const ownerNode = cap(k, ec, toWord(r.rsi), ObjType.PD, PdPerm.SM);
  if (ownerNode === undefined) return k.finish(ec, Status.BAD_CAP);
  if (obj<Pd>(ownerNode).quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const chainSel = toWord(r.rax);
  let chain: Sm | null = null;
  if (chainSel !== 0) {
    const n = cap(k, ec, chainSel, ObjType.SM);
    if (n === undefined) return k.finish(ec, Status.BAD_CAP);
    chain = obj<Sm>(n);
    if (chain.isSignal) return k.finish(ec, Status.BAD_CAP);
  }
  const s = sel(ec);
  if (k.objCap(ec.pd, s) !== undefined) return k.finish(ec, Status.BAD_CAP);
  const value = toWord(r.rdx);
  const sm =
    chain === null ? new Sm(k.newId(), value, null, 0, null) : new Sm(k.newId(), 0, chain, value, null);
  sm.owner = ec.pd;
  ec.pd.quota.chargeSlab('SM');
  k.insertRoot(ec.pd, s, sm, 0x03);
  k.finish(ec, Status.SUCCESS);
}

// ------------------------------------------------------------------ revoke, misc

/** revoke (0x7): spec/nova.md §3.8 / §4.5 with [G] remote, keep and notify. */
function revoke(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  const f = flags(ec);
  let pd = ec.pd;
  if (f & 2) {
    const n = cap(k, ec, toWord(r.rdx), ObjType.PD);
    if (n === undefined) return k.finish(ec, Status.BAD_CAP);
    pd = obj<Pd>(n);
  }
  const crd = decodeCrd(toWord(r.rsi));
  if (crd.type !== CrdType.NULL) {
    revokeRange(k, pd, crd.type, crd.base, crd.order, crd.perms, (f & 1) !== 0, (f & 4) !== 0);
  }
  const smSel = sel(ec);
  if (smSel !== 0) {
    const n = cap(k, ec, smSel, ObjType.SM, 0x1);
    if (n !== undefined) k.smUp(obj<Sm>(n), null);
  }
  k.finish(ec, Status.SUCCESS);
}

/** misc (0x8): op 0 lookup, op 1 delegate, op 2 ACPI suspend. */
function misc(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(2)) return k.finish(ec, Status.QUO_OOM);
  switch (flags(ec)) {
    case 0: {
      const crd = decodeCrd(toWord(r.rsi));
      const space = ec.pd.space(crd.type);
      const base = crd.type === CrdType.OBJ ? crd.base % 2 ** 26 : crd.base;
      const n = space?.find(base);
      r.rsi =
        n === undefined
          ? encodeCrd(NULL_CRD)
          : encodeCrd({ type: crd.type, base: n.base, order: n.order, perms: n.perms });
      return k.finish(ec, Status.SUCCESS);
    }
    case 1: {
      const dst = cap(k, ec, toWord(r.rdx), ObjType.PD);
      if (dst === undefined) return k.finish(ec, Status.BAD_CAP);
      const src = cap(k, ec, sel(ec), ObjType.PD);
      if (src === undefined) return k.finish(ec, Status.BAD_CAP);
      const utcb = ec.utcb;
      if (utcb === null) return k.finish(ec, Status.BAD_PAR);
      const ok = k.transferItems(
        obj<Pd>(src),
        obj<Pd>(dst),
        NULL_CRD,
        decodeCrd(toWord(r.rsi)),
        utcb,
        null,
        utcb.t,
      );
      return k.finish(ec, ok ? Status.SUCCESS : Status.QUO_OOM);
    }
    case 2: {
      const n = k.objCap(ec.pd, sel(ec));
      if (n?.obj === undefined || n.obj !== k.suspendSm) return k.finish(ec, Status.BAD_CAP);
      // The machine has no ACPI sleep states: suspend fails like a failed Acpi::suspend.
      return k.finish(ec, Status.BAD_PAR);
    }
    default:
      return k.finish(ec, Status.BAD_PAR);
  }
}

// ------------------------------------------------------------------ ctrl

const EXC_STATE_MTD = Mtd.ACDB | Mtd.EBSD | Mtd.R8_R15 | Mtd.ESP | Mtd.EIP | Mtd.EFL | Mtd.QUAL;

function isExceptionVector(v: number): boolean {
  return v <= 0x01 || (v >= 0x03 && v <= 0x07) || (v >= 0x0a && v <= 0x0d) || (v >= 0x10 && v <= 0x13);
}

/** ec_ctrl (0x9): [G] ops 0..8. */
function ecCtrl(k: NovaKernel, cpu: Cpu, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const s = sel(ec);
  switch (flags(ec)) {
    case 0: {
      const n = cap(k, ec, s, ObjType.EC, EcPerm.CTRL);
      if (n === undefined) return k.finish(ec, Status.BAD_CAP);
      const target = obj<Ec>(n);
      const state = toWord(r.rsi) === 1;
      if (!target.recall) {
        target.recall = true;
        const tc = k.cpus[target.cpu]!;
        if (target.cpu !== ec.cpu && tc.ec === target && tc.mode !== 'idle') {
          k.interrupt(tc);
          if (state) return k.finish(ec, Status.TIMEOUT);
        }
      }
      if (state && ec.kind !== 'vcpu' && ec.utcb !== null) {
        const regs = new Regs();
        Object.assign(regs, target.regs);
        // [G] "inside an exception handler call": the handler has been entered but not yet run.
        const inExc =
          target.cont === Cont.IRET &&
          target.partner !== null &&
          target.partner.cont === Cont.RECV_KERN &&
          isExceptionVector(target.regs.dstPortal);
        regs.err = inExc ? 1 : 0;
        ec.utcb.loadExc(regs, EXC_STATE_MTD);
      }
      return k.finish(ec, Status.SUCCESS);
    }
    case 1:
      k.finish(ec, Status.SUCCESS);
      k.schedule(cpu, false, false, 'yield');
      return;
    case 2: {
      const n = cap(k, ec, s, ObjType.EC);
      if (n === undefined) return k.finish(ec, Status.BAD_CAP);
      const target = obj<Ec>(n);
      if (target.cpu !== ec.cpu) return k.finish(ec, Status.BAD_CPU);
      if (
        target.kind === 'vcpu' ||
        target.blocked ||
        target.partner !== null ||
        target.pd !== ec.pd ||
        target.utcb === null ||
        toWord(r.rsi) !== target.utcb.tls
      ) {
        return k.finish(ec, Status.BAD_PAR);
      }
      k.finish(ec, Status.SUCCESS);
      k.makeCurrent(cpu, target);
      return;
    }
    case 3:
      k.finish(ec, Status.SUCCESS);
      k.schedule(cpu, false, true, 'reschedule');
      return;
    case 5: {
      const n = cap(k, ec, s, ObjType.EC);
      if (n === undefined) return k.finish(ec, Status.BAD_CAP);
      const us = k.ticksToUs(k.ecTimeNow(obj<Ec>(n)));
      r.rsi = hi32(us);
      r.rdx = lo32(us);
      return k.finish(ec, Status.SUCCESS);
    }
    case 6:
    case 7: {
      const n = cap(k, ec, s, ObjType.EC, EcPerm.CTRL);
      if (n === undefined) return k.finish(ec, Status.BAD_CAP);
      const target = obj<Ec>(n);
      if (target.cpu !== ec.cpu) return k.finish(ec, Status.BAD_CPU);
      const op = flags(ec);
      if (op === 6) target.recall = true;
      if (target.vcpu === null || ec.utcb === null) return k.finish(ec, Status.BAD_CAP);
      const v = target.vcpu;
      if (op === 6) {
        const mtd = lo32(toWord(r.rsi));
        v.backend?.load(v.state, mtd);
        v.state.tscVal = k.now;
        ec.utcb.loadVcpu(v.state, mtd, target.regs.dstPortal);
      } else {
        const mtd = ec.utcb.mtd;
        ec.utcb.saveVcpu(v.state, mtd);
        v.backend?.store(v.state, mtd);
        if (toWord(r.rsi) !== 1) target.recall = false;
        target.regs.dstPortal = 0xff;
      }
      return k.finish(ec, Status.SUCCESS);
    }
    case 8: {
      // [G] guarded host-MSR access (alex-ab/NOVA `sys_ec_ctrl`, MSR op): a UTCB is needed first,
      // then the MSR-access authority SM; the requests are served on the caller's CPU.
      if (ec.utcb === null) return k.finish(ec, Status.BAD_PAR);
      const n = k.objCap(ec.pd, s);
      if (n?.obj === undefined || n.obj !== k.msrSm) return k.finish(ec, Status.BAD_CAP);
      k.hostMsrs[ec.cpu]!.userAccess(ec.utcb, k.now);
      return k.finish(ec, Status.SUCCESS);
    }
    default:
      // op 4 (migrate) is not part of the model; the G-kernel answers invalid migrations with BAD_PAR.
      return k.finish(ec, Status.BAD_PAR);
  }
}

/** sc_ctrl (0xa): consumed time in µs; [G] ops 1..3 on idle SCs. */
function scCtrl(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const n = cap(k, ec, sel(ec), ObjType.SC, 0x1);
  if (n === undefined) return k.finish(ec, Status.BAD_CAP);
  const sc = obj<Sc>(n);
  const op = flags(ec) & 3;
  let scTime = k.scTimeNow(sc);
  let ecTime = 0;
  if (op !== 0 && sc.idle) {
    const c = k.cpus[sc.cpu]!;
    if (op === 1) scTime = c.crossTime;
    else if (op === 2) scTime = c.killedScTime;
    else {
      scTime = c.killedScTime;
      ecTime = c.killedEcTime;
    }
  }
  if (op === 3) {
    if (ecTime === 0) {
      const e = k.objCap(ec.pd, toWord(r.rsi));
      if (e?.obj?.type === ObjType.EC) ecTime = k.ecTimeNow(e.obj as Ec);
    }
    const sus = k.ticksToUs(scTime);
    const eus = k.ticksToUs(ecTime);
    r.rsi = hi32(sus);
    r.rdx = lo32(sus);
    r.rax = hi32(eus);
    r.r8 = lo32(eus);
    return k.finish(ec, Status.SUCCESS);
  }
  const us = k.ticksToUs(scTime);
  r.rsi = hi32(us);
  r.rdx = lo32(us);
  k.finish(ec, Status.SUCCESS);
}

/** pt_ctrl (0xb): set the portal id. */
function ptCtrl(k: NovaKernel, ec: Ec): Done {
  if (ec.pd.quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const n = cap(k, ec, sel(ec), ObjType.PT, PtPerm.CTRL);
  if (n === undefined) return k.finish(ec, Status.BAD_CAP);
  obj<Pt>(n).pid = toWord(ec.regs.rsi);
  k.finish(ec, Status.SUCCESS);
}

/** sm_ctrl (0xc): up / down (ZC, absolute timeout); GSI unmask; signal SMs. */
function smCtrl(k: NovaKernel, cpu: Cpu, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const f = flags(ec);
  const op = f & 1;
  const n = cap(k, ec, sel(ec), ObjType.SM, 1 << op);
  if (n === undefined) return k.finish(ec, Status.BAD_CAP);
  const sm = obj<Sm>(n);
  if (op === 0) {
    k.smSubmit(sm);
    return k.finish(ec, Status.SUCCESS);
  }
  if (sm.gsi !== null) {
    k.unmaskGsi(sm.gsi);
    if (sm.gsiChain !== null) return k.finish(ec, Status.SUCCESS);
  }
  if (sm.isSignal) return k.finish(ec, Status.BAD_CAP);
  const deadline = fromHiLo(lo32(toWord(r.rsi)), lo32(toWord(r.rdx)));
  // Released later with SUCCESS (up), TIMEOUT or BAD_CAP (SM destroyed).
  r.rdi = Status.SUCCESS;
  ec.cont = ec.xcpuSm !== null ? Cont.XCPU_RETURN : Cont.SYSEXIT;
  if (!k.smDown(cpu, sm, ec, (f & 2) !== 0, deadline, true)) k.finish(ec, Status.SUCCESS);
}

/** assign_pci (0xd): the model has no PCI devices behind an IOMMU. */
function assignPci(k: NovaKernel, ec: Ec): Done {
  if (ec.pd.quota.hitLimit(4)) return k.finish(ec, Status.QUO_OOM);
  const n = cap(k, ec, sel(ec), ObjType.PD);
  if (n === undefined) return k.finish(ec, Status.BAD_CAP);
  // No DMA domain without an IOMMU; with one, no page of the caller is a PCI config space.
  if ((k.features & HipFeature.IOMMU) === 0) return k.finish(ec, Status.BAD_DEV);
  if (obj<Pd>(n).quota.hitLimit(4)) return k.finish(ec, Status.QUO_OOM);
  k.finish(ec, Status.BAD_DEV);
}

/** assign_gsi (0xe): route a GSI; [G] chain its semaphore to a signal SM. */
function assignGsi(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(2)) return k.finish(ec, Status.QUO_OOM);
  const cpu = lo32(toWord(r.rdx));
  if (cpu >= k.cpus.length || cpu >= NUM_CPU) return k.finish(ec, Status.BAD_CPU);
  const n = cap(k, ec, sel(ec), ObjType.SM);
  if (n === undefined) return k.finish(ec, Status.BAD_CAP);
  const sm = obj<Sm>(n);
  if (sm.gsi === null) return k.finish(ec, Status.BAD_CAP);
  // ~0 (as a number: 2^64, or -1) means "no signal SM".
  const none = r.rax >= WORD_NONE || r.rax === -1;
  const si = toWord(r.rax);
  if (!none) {
    const sn = cap(k, ec, si, ObjType.SM);
    if (sn === undefined) return k.finish(ec, Status.BAD_CAP);
    const target = obj<Sm>(sn);
    if (target === sm) {
      sm.gsiChain = null;
      return k.finish(ec, Status.SUCCESS);
    }
    if (target.gsi !== null) return k.finish(ec, Status.BAD_CAP);
    sm.gsiChain = target;
    const pending = sm.counter;
    sm.counter = 0;
    for (let i = 0; i < pending; i++) k.smSubmit(sm);
  }
  const dev = toWord(r.rsi);
  const ioapic = sm.gsi < k.ioapicPins;
  if (ioapic && dev !== 0) return k.finish(ec, Status.BAD_DEV);
  // MSI GSIs need a PCI config space or HPET page; the model has neither.
  if (!ioapic) return k.finish(ec, Status.BAD_DEV);
  r.rsi = 0xfee00000 + cpu * 0x1000;
  r.rdx = 0x20 + sm.gsi;
  k.finish(ec, Status.SUCCESS);
}

/** pd_ctrl (0xf, G-kernel): quota transfer (op 0) and query (op 2). */
function pdCtrl(k: NovaKernel, ec: Ec): Done {
  const r = ec.regs;
  if (ec.pd.quota.hitLimit(1)) return k.finish(ec, Status.QUO_OOM);
  const sn = cap(k, ec, sel(ec), ObjType.PD);
  if (sn === undefined) return k.finish(ec, Status.BAD_CAP);
  const src = obj<Pd>(sn);
  if (flags(ec) & 2) {
    r.rsi = src.quota.target().limit;
    r.rdx = src.quota.target().used;
    return k.finish(ec, Status.SUCCESS);
  }
  const dn = cap(k, ec, toWord(r.rsi), ObjType.PD);
  if (dn === undefined) return k.finish(ec, Status.BAD_CAP);
  if (!src.quota.transferTo(obj<Pd>(dn).quota, toWord(r.rdx))) return k.finish(ec, Status.BAD_PAR);
  k.finish(ec, Status.SUCCESS);
}
