export { Cr0, Cr4, Flag, PfErr, Reg, Seg, Vector } from './constants.js';
export { Cpu, type CpuOptions, type InterruptAcknowledge, type NestedTranslator } from './cpu.js';
export { type CpuidConfig, CpuidEdx, defaultCpuidConfig } from './cpuid.js';
export { X86Error, type X86ErrorCode } from './errors.js';
export type { MmioHandler, MmioRegion } from './mmio.js';
export { type CodePageListener, PhysicalMemory, type PhysicalMemoryOptions } from './physical-memory.js';
export { PortBus, type PortDevice, type PortIo } from './port-io.js';
export { RunExit, type RunExitCode, runExitName } from './run-exit.js';
export { MOO_REGS, type MooFile, type MooState, type MooTest, parseMoo } from './sst/moo.js';
export {
  metaFor,
  opcodeOf,
  SkipReason,
  type SstFormResult,
  type SstMetadata,
  type SstOpcodeMeta,
  SstRunner,
} from './sst/sst-runner.js';
export { SvmExit, type SvmExitCode, svmExitName } from './svm-exit.js';
