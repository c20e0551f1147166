/**
 * Why {@link Cpu.run} returned. Guest-mode (SVM) runs return {@link RunExit.VMEXIT} and leave
 * the SVM exit code and its qualifications in the guest state block.
 */
export const RunExit = {
  /** The instruction budget given to `run` is used up. */
  BUDGET: 0,
  /** The processor executed HLT and no interrupt can wake it. */
  HLT: 1,
  /** Triple fault (or a fault the processor cannot deliver): the processor shut down. */
  SHUTDOWN: 2,
  /** {@link Cpu.requestStop} was called (by a device handler, another thread, the kernel). */
  STOPPED: 3,
  /** Guest mode only: an intercepted event ended the guest run (see the exit code). */
  VMEXIT: 4,
} as const;

/** One of the {@link RunExit} codes. */
export type RunExitCode = (typeof RunExit)[keyof typeof RunExit];

/** A readable name of a {@link RunExit} code. */
export function runExitName(code: number): string {
  for (const [k, v] of Object.entries(RunExit)) if (v === code) return k;
  return `UNKNOWN(${code})`;
}
