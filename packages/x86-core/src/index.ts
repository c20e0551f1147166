export { Cr0, Cr4, Flag, PfErr, Reg, Seg, Vector } from './constants.js';
export { Cpu, type CpuOptions, type InterruptAcknowledge, type NestedTranslator } from './cpu.js';
export { type CpuidConfig, CpuidEdx, defaultCpuidConfig } from './cpuid.js';
export {
  createIcedDisassembler,
  type Disassembler,
  type Disassembly,
  peekCode,
  traceInstructions,
} from './disassembler.js';
export { X86Error, type X86ErrorCode } from './errors.js';
export {
  abridgedTagWord,
  FXSAVE_IMAGE_BYTES,
  FXSAVE_MXCSR,
  FXSAVE_MXCSR_MASK,
  FxsaveOffset,
  fullTagWord,
  fxsaveImage,
  readFxsaveImage,
  writeFxsaveImage,
} from './fpu-image.js';
export {
  enterMultiboot,
  enterReal,
  findMultibootHeader,
  isElf,
  type LoadedImage,
  loadElf,
  loadFlat,
  loadMultiboot,
  MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_INFO_ADDR,
  MULTIBOOT_MAGIC,
  writeMultibootInfo,
} from './loaders/multiboot.js';
export {
  BareMachine,
  type BareMachineOptions,
  type BareRunResult,
  type BareStopReason,
  DEBUG_EXIT_PORT,
} from './machine/bare-machine.js';
export { SimpleUart } from './machine/simple-uart.js';
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
export {
  type GuestState,
  loadGuestState,
  resetGuestState,
  type SegmentRegister,
  saveGuestState,
  type TableRegister,
} from './svm/guest-state.js';
export {
  type EmulationResult,
  type GuestPhysicalAccess,
  InstructionEmulator,
  type InstructionEmulatorOptions,
} from './svm/instruction-emulator.js';
export { type NestedPageTable, NestedTranslation, NpfError, NptRights } from './svm/nested-paging.js';
export {
  defaultIntercepts,
  EventType,
  type InjectedEvent,
  type SvmIntercepts,
  SvmVcpu,
  type SvmVcpuOptions,
  type VmExit,
} from './svm/svm-vcpu.js';
export { SvmExit, type SvmExitCode, svmExitName } from './svm-exit.js';
