/**
 * Helpers for the vCPU scenarios with real guest code (x86VcpuEngine): a VMM in the root PD —
 * guest PD, one exit portal per SVM exit at evt + reason in the guest PD, bound to one handler
 * EC — the guest images of `packages/kernel-nova/guests/`, and the STARTUP states the VMMs use.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SvmExit } from '@genode-ts/x86-core';
import { PAGE_SIZE } from '../constants.js';
import { memCrd } from '../crd.js';
import type { NovaKernel, NovaOptions, RunResult } from '../kernel.js';
import type { Blocking } from '../kernel-entry.js';
import { MTD_ALL, Mtd } from '../mtd.js';
import type { Sys } from '../sys.js';
import { ItemKind } from '../typed-item.js';
import type { Segment } from '../vcpu-state.js';
import { SvmCtrl0, SvmCtrl1 } from '../x86/svm-controls.js';
import { type X86VcpuEngine, type X86VcpuEngineOptions, x86VcpuEngine } from '../x86/x86-vcpu-engine.js';
import { boot, delegateObj, mapPhys, ok, PD, utcbAddr } from './harness.js';

/** Root selectors of the VMM's objects. */
export const GUEST = 0x100;
export const HANDLER = 0x40;
export const VCPU = 0x50;
export const VCPU_SC = 0x51;
export const VCPU_SM = 0x52;

/** Every exit the scenarios install a portal for. */
export const EXITS: readonly number[] = [
  SvmExit.EXCP_BASE + 17,
  SvmExit.VINTR,
  SvmExit.CPUID,
  SvmExit.HLT,
  SvmExit.IOIO,
  SvmExit.MSR,
  SvmExit.SHUTDOWN,
  SvmExit.NPT_FAULT,
  SvmExit.INVALID_STATE,
  SvmExit.STARTUP,
  SvmExit.RECALL,
];

const guestDir = join(dirname(fileURLToPath(import.meta.url)), '../../guests');

/** An assembled guest of `packages/kernel-nova/guests/` (`<name>.bin`). */
export function guestImage(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(guestDir, `${name}.bin`)));
}

/** What an exit handler replies: the MTD of the state it wrote back, and an SM to block on. */
export type ExitReply = { mtd: number; sm?: number } | undefined;
/** An exit handler: runs in the portal activation on the handler EC. */
export type ExitHandler = (s: Sys, reason: number) => Blocking<ExitReply>;

/** Options of {@link vmm}. */
export interface VmmOptions {
  /** Create the vCPU's SC at once (default true). */
  readonly sc?: boolean;
  /** MTD of every exit portal (default ALL | QUAL | INJ | STA | TSC). */
  readonly mtd?: number;
  /** Priority and quantum (µs) of the vCPU's SC. */
  readonly prio?: number;
  readonly quantum?: number;
  /** Kernel-memory quota of the guest PD in pages (default 256). */
  readonly quota?: number;
}

/** The portal MTD the scenarios use: everything, with qualifications. */
export const VMM_MTD: number = MTD_ALL | Mtd.QUAL | Mtd.INJ | Mtd.STA | Mtd.TSC;

/**
 * The VMM side in the root PD: guest PD, handler EC, one exit portal per reason (PID = reason)
 * delegated into the guest PD at evt (0) + reason, the pause SM, the vCPU, and its SC.
 */
export function* vmm(sys: Sys, onExit: ExitHandler, o: VmmOptions = {}): Blocking<void> {
  ok(yield* sys.createPd(GUEST, PD, undefined, { upper: o.quota ?? 256 }), 'guest PD');
  ok(yield* sys.createEc(HANDLER, PD, { utcb: utcbAddr(), sp: 0x1000 }), 'handler EC');
  const ip = sys.entry(function* (s) {
    const reason = s.regs.rdi;
    const r = yield* onExit(s, reason);
    s.utcb.mtd = r?.mtd ?? 0;
    yield* s.reply(r?.sm ?? 0);
  });
  for (const reason of EXITS) {
    ok(yield* sys.createPt(0x1000 + reason, PD, HANDLER, o.mtd ?? VMM_MTD, ip), 'exit portal');
    ok(yield* sys.ptCtrl(0x1000 + reason, reason), 'badge');
    ok(yield* delegateObj(sys, PD, GUEST, 0x1000 + reason, reason), 'portal into guest PD');
  }
  ok(yield* sys.createSm(VCPU_SM, PD, 0), 'vCPU pause SM');
  ok(yield* sys.createEc(VCPU, GUEST, { utcb: 0, evt: 0 }), 'vCPU');
  if (o.sc ?? true) {
    const qpd = { prio: o.prio ?? 10, quantum: o.quantum ?? 10_000 };
    ok(yield* sys.createSc(VCPU_SC, PD, VCPU, qpd), 'vCPU SC');
  }
}

const realData = (base = 0): Segment => ({ sel: base >>> 4, ar: 0x93, limit: 0xffff, base });

/**
 * STARTUP reply: the real-mode reset state of Genode's `vmm_x86` test (rip 0xfff0, cs 0xf000
 * with base 0xffff0000, cr0 0x10, rflags 2, ...) and SVM controls: HLT (forced anyway), CPUID
 * when `cpuid`, and VMRUN in ctrl[1] (AMD requires it).
 */
export function resetState(s: Sys, o: { cpuid?: boolean; ctrl1?: number } = {}): { mtd: number } {
  const u = s.utcb;
  u.rip = 0xfff0;
  u.set('rflags', 2);
  u.set('cr0', 0x10);
  u.set('cr2', 0);
  u.set('cr3', 0);
  u.set('cr4', 0);
  u.set('rdx', 0x600);
  u.setSegment('cs', { sel: 0xf000, ar: 0x93, limit: 0xffff, base: 0xffff0000 });
  for (const n of ['ss', 'ds', 'es', 'fs', 'gs'] as const) u.setSegment(n, realData());
  u.setSegment('tr', { sel: 0, ar: 0x8b, limit: 0xffff, base: 0 });
  u.setSegment('ldtr', { sel: 0, ar: 0x82, limit: 0xffff, base: 0 });
  u.setSegment('gdtr', { sel: 0, ar: 0, limit: 0xffff, base: 0 });
  u.setSegment('idtr', { sel: 0, ar: 0, limit: 0xffff, base: 0 });
  u.set('dr7', 0x400);
  u.set('ctrl0', SvmCtrl0.HLT | (o.cpuid === false ? 0 : SvmCtrl0.CPUID));
  u.set('ctrl1', o.ctrl1 ?? SvmCtrl1.VMRUN);
  const segs = Mtd.CSSS | Mtd.ESDS | Mtd.FSGS | Mtd.TR | Mtd.LDTR | Mtd.GDTR | Mtd.IDTR;
  return { mtd: Mtd.EIP | Mtd.EFL | Mtd.CR | Mtd.ACDB | Mtd.DR | Mtd.CTRL | segs };
}

/**
 * STARTUP reply for the 32-bit flat guests: protected mode, flat 4 GiB code (0x08) and data
 * (0x10) segments, EIP = `eip`, the given general registers, and the same SVM controls.
 */
export function flatState(
  s: Sys,
  eip: number,
  regs: {
    eax?: number;
    ebx?: number;
    ecx?: number;
    edx?: number;
    esi?: number;
    edi?: number;
    esp?: number;
  } = {},
): { mtd: number } {
  const u = s.utcb;
  u.rip = eip;
  u.set('rflags', 2);
  u.set('cr0', 0x11);
  u.set('cr3', 0);
  u.set('cr4', 0);
  u.set('rax', regs.eax ?? 0);
  u.set('rbx', regs.ebx ?? 0);
  u.set('rcx', regs.ecx ?? 0);
  u.set('rdx', regs.edx ?? 0);
  u.set('rsi', regs.esi ?? 0);
  u.set('rdi', regs.edi ?? 0);
  u.set('rbp', 0);
  u.set('rsp', regs.esp ?? 0x8000);
  u.setSegment('cs', { sel: 0x08, ar: 0xc9b, limit: 0xffffffff, base: 0 });
  for (const n of ['ss', 'ds', 'es', 'fs', 'gs'] as const)
    u.setSegment(n, { sel: 0x10, ar: 0xc93, limit: 0xffffffff, base: 0 });
  u.setSegment('tr', { sel: 0, ar: 0x8b, limit: 0xffff, base: 0 });
  u.setSegment('ldtr', { sel: 0, ar: 0x82, limit: 0xffff, base: 0 });
  u.set('ctrl0', SvmCtrl0.HLT);
  u.set('ctrl1', SvmCtrl1.VMRUN);
  const segs = Mtd.CSSS | Mtd.ESDS | Mtd.FSGS | Mtd.TR | Mtd.LDTR;
  return { mtd: Mtd.EIP | Mtd.EFL | Mtd.CR | Mtd.ACDB | Mtd.EBSD | Mtd.ESP | Mtd.CTRL | segs };
}

/**
 * Reply item of an NPT exit: delegate the VMM's page `vmmPage` (root PD) with G into the guest
 * at guest-physical page `gpaPage` (the implicit window at the fault, hotspot = the page).
 */
export function mapReply(s: Sys, vmmPage: number, gpaPage: number, perms = 7): void {
  s.utcb.setMsg(0, 1);
  s.utcb.setItem(0, memCrd(vmmPage, 0, perms), { kind: ItemKind.DELEGATE, g: true, hotspot: gpaPage });
}

/**
 * Map `pages` physical frames from `frame` into the root (the VMM) at page `vmmPage`, and
 * copy `image` to the start (host code writes through the kernel).
 */
export function* vmmPages(
  sys: Sys,
  frame: number,
  vmmPage: number,
  pages = 1,
  image?: Uint8Array,
): Blocking<void> {
  for (let i = 0; i < pages; i++) ok(yield* mapPhys(sys, PD, frame + i, vmmPage + i, 0), 'VMM page');
  if (image !== undefined) yield* sys.writeBytes(vmmPage * PAGE_SIZE, image);
}

/** Boot a machine with the x86 engine and run it until quiescent (or `maxTime` ticks). */
export function runX86(
  root: (sys: Sys) => Blocking<void>,
  o: Omit<NovaOptions, 'root' | 'vcpuEngine'> & { engine?: X86VcpuEngineOptions; maxTime?: number } = {},
): { k: NovaKernel; engine: X86VcpuEngine; r: RunResult } {
  const { engine: eo, maxTime, ...kernel } = o;
  const engine = x86VcpuEngine(eo ?? {});
  const k = boot(root, { ...kernel, vcpuEngine: engine });
  const r = k.run({ maxTime: maxTime ?? 50_000_000, maxSteps: 2_000_000 });
  return { k, engine, r };
}

/** `0x1234` → `'1234'`: exit reasons and addresses in logs. */
export const hex = (v: number): string => v.toString(16);
