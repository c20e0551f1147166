import type { VcpuState } from '../kernel/vcpu-state.js';

/**
 * One step of a scripted guest (the test kernel's fake vCPU executes no x86 code; a script says
 * what the guest does, and the fake turns each step into the exits real hardware would raise).
 */
export type Guest_op =
  | { readonly op: 'read'; readonly gpa: number; readonly size: 1 | 2 | 4 }
  | { readonly op: 'write'; readonly gpa: number; readonly size: 1 | 2 | 4; readonly value: number }
  | { readonly op: 'fetch'; readonly gpa: number }
  | { readonly op: 'hlt' }
  | { readonly op: 'cpuid'; readonly leaf: number }
  | { readonly op: 'in'; readonly port: number; readonly size: 1 | 2 | 4 }
  | { readonly op: 'out'; readonly port: number; readonly size: 1 | 2 | 4; readonly value: number }
  | { readonly op: 'spin'; readonly us: number };

/** Results the script receives: reads/in → number, cpuid → the four registers, else undefined. */
export type Guest_result = number | { eax: number; ebx: number; ecx: number; edx: number } | undefined;

/** What a guest script sees. */
export interface Guest_context {
  readonly vcpu: number;
  /** The vCPU's architectural state (read-only for scripts by convention). */
  readonly state: VcpuState;
}

/** A guest script: a generator of operations receiving their results. */
export type Guest_script = (ctx: Guest_context) => Generator<Guest_op, void, Guest_result>;

/** Instruction lengths the fake reports (`instLen`) per operation. */
export const GUEST_INST_LEN: Readonly<Record<Guest_op['op'], number>> = {
  read: 2,
  write: 2,
  fetch: 1,
  hlt: 1,
  cpuid: 2,
  in: 1,
  out: 1,
  spin: 0,
};
