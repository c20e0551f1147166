import { ObjType } from './constants.js';
import type { KernelEntry } from './kernel-entry.js';
import { Kobject } from './kobject.js';
import type { Pd } from './pd.js';
import type { Pt } from './pt.js';
import { Regs } from './regs.js';
import type { Sc } from './sc.js';
import type { Sm } from './sm.js';
import type { Sys } from './sys.js';
import type { Utcb } from './utcb.js';
import type { VcpuBackend, VcpuExit } from './vcpu-engine.js';
import { VcpuState } from './vcpu-state.js';

/** The three EC flavours of spec/nova.md §1.1, plus the kernel's cross-CPU call helper. */
export type EcKind = 'local' | 'global' | 'vcpu' | 'xcpu';

/**
 * Continuations: what the kernel does when an EC next gets the CPU (NOVA's `cont`). The
 * names follow the G-kernel's functions.
 */
export const Cont = {
  /** No continuation: a free local EC (waits for a call), or an EC blocked for ever. */
  NONE: 0,
  /** Return from a hypercall (`ret_user_sysexit`). */
  SYSEXIT: 1,
  /** Return after an event (`ret_user_iret`); a changed RIP starts the code there. */
  IRET: 2,
  /** Continue a computation (`sys.spin`) for `spinLeft` ticks. */
  SPIN: 3,
  /** Start at a portal after a call (`recv_user`). */
  RECV_USER: 4,
  /** Start at a portal after an event (`recv_kern`). */
  RECV_KERN: 5,
  /** (Re)execute the call hypercall in the registers (`sys_call`). */
  CALL: 6,
  /** (Re)deliver the pending event (`send_msg`). */
  SEND_MSG: 7,
  /** Resume guest execution (`ret_user_vmrun`). */
  VMRUN: 8,
  /** Dead (`dead`): running it kills the EC again. */
  DEAD: 9,
  /** Cross-CPU helper finished its call (`xcpu_return`). */
  XCPU_RETURN: 10,
} as const;
/** A continuation code. */
export type ContCode = (typeof Cont)[keyof typeof Cont];

/** The per-vCPU kernel state. */
export interface VcpuRuntime {
  readonly state: VcpuState;
  backend: VcpuBackend | null;
  /** The vCPU has entered guest mode at least once. */
  started: boolean;
  /** Exit produced by the last guest slice, delivered when the slice's time has passed. */
  pendingExit: VcpuExit | null;
  /** Qualifications of the exit being delivered. */
  exitQual0: number;
  exitQual1: number;
  exitInstLen: number;
}

/**
 * An execution context (spec/nova.md §1.1): bound to one PD and one CPU; local ECs serve
 * portals, global ECs get SCs, vCPUs run guest code. Host code of an EC is a generator driven
 * by the kernel's scheduler (docs/execution-model.md).
 */
export class Ec extends Kobject {
  readonly type: typeof ObjType.EC = ObjType.EC;
  readonly kind: EcKind;
  readonly pd: Pd;
  readonly cpu: number;
  readonly evt: number;
  /** Initial stack pointer given to create_ec. */
  readonly sp: number;
  readonly utcbAddr: number;
  /** Frame of the UTCB page (or -1). */
  readonly utcbFrame: number;
  /** The UTCB (null for vCPUs). */
  utcb: Utcb | null;
  readonly regs: Regs = new Regs();
  cont: ContCode;
  /** Continuation that follows an event reply (IRET or VMRUN). */
  msgRet: ContCode = Cont.IRET;
  /** Ticks left of the current `spin`. */
  spinLeft = 0;
  /** Callee while this EC waits in a call (donation chain). */
  partner: Ec | null = null;
  /** Caller this EC currently serves (reply capability). */
  rcap: Ec | null = null;
  /** SM this EC is queued on. */
  waitingOn: Sm | null = null;
  /** Absolute TSC deadline of the current SM wait (0 = none). */
  deadline = 0;
  /** SCs parked on this EC because it was blocked when they selected it. */
  readonly parked: Sc[] = [];
  /** SCs bound to this EC. */
  readonly scs: Set<Sc> = new Set();
  /** Portals bound to this EC. */
  pts = 0;
  /** Running host code, and the RIP it was started at. */
  gen: Generator<KernelEntry, unknown, unknown> | null = null;
  genRip = -1;
  /** Recall pending (hazard). */
  recall = false;
  /** Consumed time in ticks. */
  time = 0;
  /** OOM portal ([G] selector newec+1 at creation). */
  oomPt: Pt | null = null;
  /** vCPU state (vCPUs only). */
  readonly vcpu: VcpuRuntime | null;
  /** Cross-CPU helper: the EC it calls for, and the SM that caller sleeps on. */
  xcpuFor: Ec | null = null;
  xcpuSm: Sm | null = null;
  /** The syscall object handed to this EC's code. */
  sys: Sys | null = null;
  /** Name for traces. */
  label: string;
  /** A traced hypercall of this EC blocked; its status is traced when the EC returns. */
  traceWaiting = false;

  constructor(
    id: number,
    kind: EcKind,
    pd: Pd,
    cpu: number,
    evt: number,
    sp: number,
    utcbAddr: number,
    utcbFrame: number,
    utcb: Utcb | null,
    cont: ContCode,
    label: string,
  ) {
    super(id);
    this.kind = kind;
    this.pd = pd;
    this.cpu = cpu;
    this.evt = evt;
    this.sp = sp;
    this.utcbAddr = utcbAddr;
    this.utcbFrame = utcbFrame;
    this.utcb = utcb;
    this.cont = cont;
    this.label = label;
    this.vcpu =
      kind === 'vcpu'
        ? {
            state: new VcpuState(),
            backend: null,
            started: false,
            pendingExit: null,
            exitQual0: 0,
            exitQual1: 0,
            exitInstLen: 0,
          }
        : null;
    this.regs.rsp = sp;
  }

  /** NOVA `blocked()`: queued on an SM, or without continuation. */
  get blocked(): boolean {
    return this.waitingOn !== null || this.cont === Cont.NONE;
  }

  /** A global EC or vCPU (can own SCs; cannot have portals). */
  get isGlobal(): boolean {
    return this.kind !== 'local';
  }
}
