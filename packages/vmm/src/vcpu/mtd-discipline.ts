import { MTD, type Vcpu_state } from '@genode-ts/genode-base';

/**
 * The MTD group of every register of `Genode::Vcpu_state` (spec/nova.md §5.2): an exit handler
 * may read only what its portal's MTD delivered and write only what a reply with that MTD can
 * carry. `qual_*` are read-only, `ctrl_*` write-only (NOVA).
 */
export const REGISTER_MTD: Readonly<Record<string, number>> = {
  ax: MTD.ACDB,
  cx: MTD.ACDB,
  dx: MTD.ACDB,
  bx: MTD.ACDB,
  bp: MTD.EBSD,
  si: MTD.EBSD,
  di: MTD.EBSD,
  sp: MTD.ESP,
  ip: MTD.EIP,
  ip_len: MTD.EIP,
  flags: MTD.EFL,
  r8: MTD.R8_R15,
  r9: MTD.R8_R15,
  r10: MTD.R8_R15,
  r11: MTD.R8_R15,
  r12: MTD.R8_R15,
  r13: MTD.R8_R15,
  r14: MTD.R8_R15,
  r15: MTD.R8_R15,
  es: MTD.ESDS,
  ds: MTD.ESDS,
  fs: MTD.FSGS,
  gs: MTD.FSGS,
  cs: MTD.CSSS,
  ss: MTD.CSSS,
  tr: MTD.TR,
  ldtr: MTD.LDTR,
  gdtr: MTD.GDTR,
  idtr: MTD.IDTR,
  cr0: MTD.CR,
  cr2: MTD.CR,
  cr3: MTD.CR,
  cr4: MTD.CR,
  dr7: MTD.DR,
  sysenter_cs: MTD.SYS,
  sysenter_sp: MTD.SYS,
  sysenter_ip: MTD.SYS,
  qual_primary: MTD.QUAL,
  qual_secondary: MTD.QUAL,
  ctrl_primary: MTD.CTRL,
  ctrl_secondary: MTD.CTRL,
  inj_info: MTD.INJ,
  inj_error: MTD.INJ,
  intr_state: MTD.STA,
  actv_state: MTD.STA,
  tsc: MTD.TSC,
  tsc_offset: MTD.TSC,
  tsc_aux: MTD.TSC_AUX,
  efer: MTD.EFER,
  pdpte_0: MTD.PDPTE,
  pdpte_1: MTD.PDPTE,
  pdpte_2: MTD.PDPTE,
  pdpte_3: MTD.PDPTE,
  star: MTD.SYSCALL_SWAPGS,
  lstar: MTD.SYSCALL_SWAPGS,
  cstar: MTD.SYSCALL_SWAPGS,
  fmask: MTD.SYSCALL_SWAPGS,
  kernel_gs_base: MTD.SYSCALL_SWAPGS,
  tpr: MTD.TPR,
  tpr_threshold: MTD.TPR,
  xcr0: MTD.XSAVE,
  xss: MTD.XSAVE,
};

/** One access of a handler to a register. */
export interface Register_access {
  readonly register: string;
  readonly kind: 'read' | 'write';
  /** The register's MTD group. */
  readonly group: number;
  /** Whether the exit's MTD covers it (reads: delivered; writes: `QUAL` is never writable). */
  readonly allowed: boolean;
}

interface Register_like {
  value(): unknown;
  charge(v: unknown): void;
  charged(): boolean;
}

/**
 * A view of `state` for one exit handler that reports every register access to `observe`, with
 * whether the exit's `mtd` allows it: reads need the group in `mtd`; writes need it too and may
 * not touch `QUAL` (read-only); `CTRL` is write-only and always writable (a reply may set it).
 * The view is a proxy: the state itself is untouched, so nothing needs to be undone before the
 * state is written back.
 *
 * @example
 * ```ts
 * const view = watchVcpuState(state, exitMtd, (a) => { if (!a.allowed) violations.push(a) });
 * handler(view);
 * ```
 */
export function watchVcpuState(
  state: Vcpu_state,
  mtd: number,
  observe: (a: Register_access) => void,
): Vcpu_state {
  const wrappers = new Map<string, Register_like>();
  return new Proxy(state, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string') return value;
      const group = REGISTER_MTD[prop];
      if (group === undefined) return value;
      let w = wrappers.get(prop);
      if (w !== undefined) return w;
      const reg = value as Register_like;
      const readable = (mtd & group) !== 0 && group !== MTD.CTRL;
      const writable = group === MTD.CTRL || ((mtd & group) !== 0 && group !== MTD.QUAL);
      w = {
        value: () => {
          observe({ register: prop, kind: 'read', group, allowed: readable });
          return reg.value();
        },
        charge: (v) => {
          observe({ register: prop, kind: 'write', group, allowed: writable });
          reg.charge(v);
        },
        charged: () => reg.charged(),
      };
      wrappers.set(prop, w);
      return w;
    },
  });
}
