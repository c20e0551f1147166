/**
 * Model-specific registers: the few a P6-class Linux kernel touches. Reading or writing any other
 * MSR raises #GP(0), which Linux's `rdmsr_safe`/`wrmsr_safe` expect for absent MSRs.
 */
import type { Cpu } from './cpu.js';

/** MSR numbers the core implements (SDM vol. 4). */
export const Msr = {
  /** IA32_TIME_STAMP_COUNTER: read = TSC, write sets the TSC offset. */
  TSC: 0x10,
  /** IA32_PLATFORM_ID (read-only, 0). */
  PLATFORM_ID: 0x17,
  /** IA32_BIOS_SIGN_ID: microcode revision (reads 0; writes ignored). */
  BIOS_SIGN_ID: 0x8b,
  /** IA32_SYSENTER_CS/ESP/EIP: stored (SYSENTER itself is not advertised). */
  SYSENTER_CS: 0x174,
  SYSENTER_ESP: 0x175,
  SYSENTER_EIP: 0x176,
  /** IA32_MISC_ENABLE: fast strings enabled (bit 0); writes of the documented bits kept. */
  MISC_ENABLE: 0x1a0,
} as const;

/** Reads MSR `index`; returns undefined for an MSR the core does not implement (#GP). */
export function readMsr(c: Cpu, index: number): bigint | undefined {
  switch (index >>> 0) {
    case Msr.TSC:
      return BigInt(c.tscNumber(c.exactRetired));
    case Msr.PLATFORM_ID:
      return 0n;
    case Msr.BIOS_SIGN_ID:
      return 0n;
    case Msr.SYSENTER_CS:
    case Msr.SYSENTER_ESP:
    case Msr.SYSENTER_EIP:
      return c.msrs.get(index >>> 0) ?? 0n;
    case Msr.MISC_ENABLE:
      return c.msrs.get(Msr.MISC_ENABLE) ?? 1n;
    default:
      return undefined;
  }
}

/** Writes MSR `index`; returns false for an MSR the core does not implement (#GP). */
export function writeMsr(c: Cpu, index: number, value: bigint): boolean {
  switch (index >>> 0) {
    case Msr.TSC: {
      // TSC = retired × rate + offset: adjust the offset so that the TSC reads `value` now.
      const now = BigInt(Math.floor(c.exactRetired * c.tscPerInstruction));
      c.tscOffset = Number(BigInt.asIntN(64, value - now));
      return true;
    }
    case Msr.BIOS_SIGN_ID:
      return true;
    case Msr.SYSENTER_CS:
    case Msr.SYSENTER_ESP:
    case Msr.SYSENTER_EIP:
      c.msrs.set(index >>> 0, BigInt.asUintN(32, value));
      return true;
    case Msr.MISC_ENABLE:
      c.msrs.set(Msr.MISC_ENABLE, BigInt.asUintN(64, value));
      return true;
    default:
      return false;
  }
}
