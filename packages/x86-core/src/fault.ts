/**
 * Guest faults inside an instruction. A handler that detects an architectural exception records
 * it on the CPU and throws the one preallocated {@link FAULT} value (no allocation, no stack
 * trace); the run loop catches it, restores EIP to the faulting instruction and delivers the
 * exception. Nothing else is ever thrown for guest behaviour.
 */
import type { Cpu } from './cpu.js';

/** The value thrown for a guest fault. Compare by identity. */
export const FAULT: { readonly guestFault: true } = Object.freeze({ guestFault: true as const });

/**
 * The value thrown when guest mode intercepts an instruction or an access (a VM exit): like a
 * fault it ends the instruction before it commits anything, but the run returns to the host.
 */
export const VMEXIT: { readonly vmExit: true } = Object.freeze({ vmExit: true as const });

/** Ends the current instruction with a VM exit (code in SVM numbering, two qualifications). Never returns. */
export function raiseVmExit(c: Cpu, code: number, info1: number, info2: number): never {
  c.exitCode = code;
  c.exitInfo1 = info1;
  c.exitInfo2 = info2;
  throw VMEXIT;
}

/** No error code is pushed for this exception. */
export const NO_ERROR = -1;

/** Raises exception `vector` (with `code`, or {@link NO_ERROR}). Never returns. */
export function raiseFault(c: Cpu, vector: number, code: number = NO_ERROR): never {
  c.excVector = vector;
  c.excCode = code;
  throw FAULT;
}

/** Raises #GP with an error code (0 unless a selector is to blame). */
export function raiseGp(c: Cpu, code = 0): never {
  return raiseFault(c, 13, code);
}

/** Raises #UD. */
export function raiseUd(c: Cpu): never {
  return raiseFault(c, 6);
}

/** Raises #PF for linear address `lin` with error code `err` (CR2 is written at delivery). */
export function raisePf(c: Cpu, lin: number, err: number): never {
  c.excAddr = lin;
  return raiseFault(c, 14, err);
}
