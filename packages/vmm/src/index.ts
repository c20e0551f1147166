export {
  type AccessPiece,
  type AccessSize,
  type AccessSizes,
  ANY_ACCESS,
  allOnes,
  BYTE_ACCESS,
  checkAccessSizes,
  isValidAccess,
  planAccess,
} from './bus/access-sizes.js';
export {
  AddressBus,
  type BusAccess,
  type BusHandler,
  type BusStats,
  type Region,
  type RegionSpec,
  type UnhandledReason,
} from './bus/address-bus.js';
export {
  HostBus,
  type HostHandler,
  type HostOperation,
  type HostOperationName,
} from './bus/host-bus.js';
export { type InterruptController, InterruptPins, type InterruptSink } from './bus/interrupt-pins.js';
export { GSI_COUNT, IrqBus, type IrqLine, type IrqReceiver, type Trigger } from './bus/irq-bus.js';
export { MMIO_SPACE_LIMIT, MmioBus } from './bus/mmio-bus.js';
export { PORT_SPACE_SIZE, PortIoBus } from './bus/port-io-bus.js';
export {
  EXIT_HANDLERS,
  EXIT_MTD,
  type Vcpu_context,
  type Vmm_result,
  type Vmm_services,
  vmmExitDispatcher,
} from './core/exit-handlers.js';
export { exitName } from './core/exit-names.js';
export { Guest_emulator, type Guest_emulator_env } from './core/guest-emulator.js';
export {
  detectGuestFormat,
  FLAT_DEFAULT_ADDRESS,
  type Guest_image,
  type Guest_plan,
  planGuest,
} from './core/guest-image.js';
export {
  GUEST_WINDOW_SIZE,
  Guest_memory,
  type Guest_memory_options,
  type Guest_region,
  type Guest_region_kind,
} from './core/guest-memory.js';
export { formatSnapshot, type State_snapshot, snapshotState } from './core/state-snapshot.js';
export { Virtual_reservation } from './core/virtual-reservation.js';
export {
  DEFAULT_RUNAWAY_US,
  type Vcpu_run_state,
  VMM_TIMER_PRIORITY,
  Vmm,
  type Vmm_options,
  type Vmm_trace,
  Vmm_vcpu,
} from './core/vmm.js';
export { sizeName, Vmm_stats } from './core/vmm-stats.js';
export {
  type BooleanParamSpec,
  type DeviceContext,
  type DeviceDefinition,
  type DeviceHooks,
  type DeviceInstance,
  defineDevice,
  type EnumParamSpec,
  type NumberParamSpec,
  type ParamSpec,
  type ParamSpecs,
  type ParamValue,
  type ParamValues,
  type StringParamSpec,
} from './device-api/define-device.js';
export { DeviceRegistry } from './device-api/device-registry.js';
export { type DeviceSpecText, parseMachineConfig } from './device-api/machine-config.js';
export { DebugExit, debugExitDevice } from './devices/debug-exit.js';
export { I8042, i8042Device } from './devices/i8042.js';
export { Pic8259 } from './devices/pic-8259.js';
export { Pic8259Pair, picDevice } from './devices/pic-8259-pair.js';
export { Pit8254, pitDevice } from './devices/pit-8254.js';
export { PitCounter } from './devices/pit-counter.js';
export { PIT_HZ, pitTicksAt, pitTickTime } from './devices/pit-time.js';
export { PostPort, postPortDevice } from './devices/post-port.js';
export { type RtcCalendar, rtcCalendarFromUnix } from './devices/rtc-calendar.js';
export { RTC_DEFAULT_START, RtcMc146818, rtcDevice } from './devices/rtc-mc146818.js';
export { PC_MACHINE_CONFIG, standardDevices } from './devices/standard-devices.js';
export { port92Device, SystemControlPortA } from './devices/system-control-a.js';
export { type ModemInputs, Uart16550, uartDevice } from './devices/uart-16550.js';
export {
  BusError,
  type BusErrorCode,
  CodedError,
  DeviceConfigError,
  type DeviceConfigErrorCode,
  GuestMemoryError,
  type GuestMemoryErrorCode,
  LoaderError,
  type LoaderErrorCode,
  VmmError,
  type VmmErrorCode,
} from './errors.js';
export { type LinuxSetupHeader, parseLinuxSetupHeader } from './loaders/bzimage.js';
export {
  BOOT_CS,
  BOOT_DS,
  type BzImageLoad,
  type BzImageOptions,
  E820_ENTRIES,
  E820_MAX_ENTRIES,
  E820_TABLE,
  isBzImage,
  LINUX_CMDLINE_ADDRESS,
  LINUX_GDT_ADDRESS,
  LINUX_HEAP_END,
  LINUX_LOADER_TYPE,
  LINUX_STACK_TOP,
  LINUX_ZERO_PAGE_ADDRESS,
  loadBzImage,
  planBzImage,
  ZERO_PAGE_SIZE,
} from './loaders/bzimage-loader.js';
export {
  flatProtectedModeState,
  type InitialCpuState,
  realModeState,
  type SegmentState,
  type TableRegister,
} from './loaders/cpu-state.js';
export { type Elf32Executable, type Elf32ProgramHeader, parseElf32 } from './loaders/elf32.js';
export { type FlatBinaryOptions, type FlatBinaryResult, loadFlatBinary } from './loaders/flat-loader.js';
export type { LoadChunk } from './loaders/load-plan.js';
export {
  findMultibootHeader,
  MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_HEADER_MAGIC,
  type MultibootHeader,
} from './loaders/multiboot-header.js';
export type { MultibootInfoArea } from './loaders/multiboot-info.js';
export {
  type LoadedModule,
  loadMultiboot,
  MULTIBOOT_INFO_ADDRESS,
  type MultibootLoad,
  type MultibootModule,
  type MultibootOptions,
  planMultiboot,
} from './loaders/multiboot-loader.js';
export { ArrayGuestMemory } from './memory/array-guest-memory.js';
export {
  checkMemoryMap,
  type GuestMemory,
  isInRam,
  type MemoryMapEntry,
  type MemoryType,
  ramRegions,
} from './memory/guest-memory.js';
export { pcMemoryMap } from './memory/pc-memory-map.js';
export { Motherboard, type MotherboardOptions } from './motherboard.js';
export {
  type Backed_region,
  chooseNptBlock,
  type Local_mapping,
  type Npt_block,
  type Npt_block_input,
} from './npt/npt-block.js';
export type { DeviceClock, TimerHandle } from './time/device-clock.js';
export { VirtualClock } from './time/virtual-clock.js';
export { GENODE_VMM_PAGE_SIZE_SLIP, PAGE_SIZE, PAGE_SIZE_LOG2 } from './types.js';
export { Cpuid_model, type Cpuid_result } from './vcpu/cpuid-model.js';
export { Exit_dispatcher, type Exit_dispatcher_options, type Exit_handler } from './vcpu/exit-dispatcher.js';
export {
  checkIrq,
  decideInjection,
  EFLAGS_IF,
  externalInterrupt,
  hardwareException,
  INJ,
  INTR_STATE_BLOCKING,
  type Injection_decision,
  type Injection_input,
  type Injection_state,
  type Injection_tracker,
  type Intr_pins,
  injectionWord,
  interruptible,
} from './vcpu/injection.js';
export { decodeIoio, encodeIoio, IOIO, type Io_access } from './vcpu/ioio.js';
export { MSR, type Msr_context, type Msr_write_result, readMsr, writeMsr } from './vcpu/msr-model.js';
export { REGISTER_MTD, type Register_access, watchVcpuState } from './vcpu/mtd-discipline.js';
export {
  chargeGuestState,
  chargeInitialState,
  cloneGuestState,
  EMULATION_MTD,
  toGuestState,
} from './vcpu/state-convert.js';
