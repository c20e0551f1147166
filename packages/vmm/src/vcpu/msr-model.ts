/**
 * The MSRs a guest may use under this VMM (the MSR exit, 0x7c): the same set the processor
 * implements bare (x86-core: IA32_TIME_STAMP_COUNTER 0x10, IA32_PLATFORM_ID 0x17,
 * IA32_BIOS_SIGN_ID 0x8b, IA32_SYSENTER_CS/ESP/EIP 0x174–0x176, IA32_MISC_ENABLE 0x1a0; Intel SDM
 * vol. 4). Anything else is #GP(0), which Linux's `rdmsr_safe` expects for an absent MSR.
 * (Seoul treated every MSR exit as an invalid state; answering them keeps guests that probe
 * MSRs alive.)
 */

/** MSR numbers. */
export const MSR = {
  TSC: 0x10,
  PLATFORM_ID: 0x17,
  BIOS_SIGN_ID: 0x8b,
  SYSENTER_CS: 0x174,
  SYSENTER_ESP: 0x175,
  SYSENTER_EIP: 0x176,
  MISC_ENABLE: 0x1a0,
} as const;

/** The vCPU state an MSR access works on (MTD SYS and TSC). */
export interface Msr_context {
  /** The guest's TSC now. */
  readonly tsc: bigint;
  sysenter: { cs: number; esp: number; eip: number };
  /** Per-vCPU IA32_MISC_ENABLE (power-on: fast strings, bit 0). */
  miscEnable: bigint;
}

/** Result of a WRMSR: done (with a TSC delta when the TSC was written), or #GP. */
export type Msr_write_result = { readonly ok: true; readonly tscDelta?: bigint } | { readonly ok: false };

/** RDMSR: the value, or `undefined` for #GP(0). */
export function readMsr(ctx: Msr_context, index: number): bigint | undefined {
  switch (index >>> 0) {
    case MSR.TSC:
      return BigInt.asUintN(64, ctx.tsc);
    case MSR.PLATFORM_ID:
    case MSR.BIOS_SIGN_ID:
      return 0n;
    case MSR.SYSENTER_CS:
      return BigInt(ctx.sysenter.cs >>> 0);
    case MSR.SYSENTER_ESP:
      return BigInt(ctx.sysenter.esp >>> 0);
    case MSR.SYSENTER_EIP:
      return BigInt(ctx.sysenter.eip >>> 0);
    case MSR.MISC_ENABLE:
      return ctx.miscEnable;
    default:
      return undefined;
  }
}

/** WRMSR of `value`. */
export function writeMsr(ctx: Msr_context, index: number, value: bigint): Msr_write_result {
  const v32 = Number(BigInt.asUintN(32, value));
  switch (index >>> 0) {
    case MSR.TSC:
      return { ok: true, tscDelta: BigInt.asIntN(64, value - ctx.tsc) };
    case MSR.BIOS_SIGN_ID:
      return { ok: true };
    case MSR.SYSENTER_CS:
      ctx.sysenter.cs = v32;
      return { ok: true };
    case MSR.SYSENTER_ESP:
      ctx.sysenter.esp = v32;
      return { ok: true };
    case MSR.SYSENTER_EIP:
      ctx.sysenter.eip = v32;
      return { ok: true };
    case MSR.MISC_ENABLE:
      ctx.miscEnable = BigInt.asUintN(64, value);
      return { ok: true };
    default:
      return { ok: false };
  }
}
