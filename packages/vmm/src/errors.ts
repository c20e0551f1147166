/**
 * Errors of `@genode-ts/vmm`. Configuration and programmer errors are exceptions (a device range
 * that overlaps another, an unknown device name in a machine configuration, a guest image that
 * cannot be loaded); expected outcomes of guest actions are values (a bus access that nobody
 * claimed reads all-ones, a register write the device ignores).
 */

/**
 * The common shape of the package's errors: a `name` for logs and a `code` from the class's own
 * string-literal union (CONVENTIONS.md, "Errors"); `cause` is passed through.
 */
export abstract class CodedError<C extends string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Codes of {@link BusError}. */
export type BusErrorCode =
  /** An address-decoded range overlaps a range another device already claims. */
  | 'BUS_OVERLAP'
  /** A range is empty, negative, not an integer, or leaves the bus's address space. */
  | 'BAD_RANGE'
  /** Access-size declarations are inconsistent (min > max, not 1/2/4, misaligned region). */
  | 'BAD_ACCESS_SIZES'
  /** Two sources drive one interrupt line in a way ISA cannot wire (an edge source shared). */
  | 'IRQ_CONFLICT'
  /** A handle or line that was never registered (or already removed) was used. */
  | 'NOT_REGISTERED';

/**
 * A device tried to register something the bus cannot accept (rust-vmm `Bus::insert` refusing an
 * overlap). The message names both parties and both ranges.
 */
export class BusError extends CodedError<BusErrorCode> {
  override readonly name: string = 'BusError';
}

/** Codes of {@link DeviceConfigError}. */
export type DeviceConfigErrorCode =
  /** The configuration names a device model the registry does not know. */
  | 'UNKNOWN_DEVICE'
  /** A named parameter (`key=value`) the device does not declare. */
  | 'UNKNOWN_PARAMETER'
  /** A parameter value that does not parse or is out of range. */
  | 'BAD_PARAMETER'
  /** A required parameter without a value. */
  | 'MISSING_PARAMETER'
  /** More positional values than the device declares parameters. */
  | 'TOO_MANY_PARAMETERS'
  /** One parameter given twice (positionally and by name, or twice by name). */
  | 'DUPLICATE_PARAMETER'
  /** Two device definitions or two instances with one name. */
  | 'DUPLICATE_DEVICE'
  /** The configuration text is malformed. */
  | 'SYNTAX';

/**
 * A machine configuration (`uart:0x3f8,4 pic pit`) or a device definition is wrong. The message
 * names the device, the parameter and the offending text.
 */
export class DeviceConfigError extends CodedError<DeviceConfigErrorCode> {
  override readonly name: string = 'DeviceConfigError';
}

/** Codes of {@link LoaderError}. */
export type LoaderErrorCode =
  /** The image ends before a structure it declares (a header, a segment, a setup area). */
  | 'TRUNCATED'
  /** A magic number is wrong (ELF ident, bzImage boot flag or `HdrS`, Multiboot magic). */
  | 'BAD_MAGIC'
  /** The Multiboot header checksum does not make magic + flags + checksum zero. */
  | 'BAD_CHECKSUM'
  /** No Multiboot header in the first 8192 bytes (the message says if one lies further in). */
  | 'NO_HEADER'
  /** Multiboot header flags ask for something this loader cannot provide (video, bits 3–15). */
  | 'UNSUPPORTED_FLAGS'
  /** An ELF file that is not a 32-bit little-endian i386 executable. */
  | 'UNSUPPORTED_ELF'
  /** A Linux boot protocol older than 2.03. */
  | 'UNSUPPORTED_PROTOCOL'
  /** A header field has an impossible value (an alignment that is not a power of two, …). */
  | 'BAD_HEADER'
  /** Two loaded pieces (segments, modules, boot information) overlap. */
  | 'OVERLAP'
  /** A piece would be written outside guest RAM. */
  | 'OUTSIDE_RAM'
  /** The entry point does not lie in RAM or not in the loaded image. */
  | 'ENTRY_OUTSIDE_IMAGE'
  /** An ELF segment has p_memsz < p_filesz. */
  | 'MEMSZ_LT_FILESZ'
  /** a.out kludge: load_end_addr < load_addr, bss_end_addr < load_end_addr, header_addr < load_addr. */
  | 'BAD_ADDRESSES'
  /** An address or size computation leaves the 32-bit physical address space. */
  | 'NUMERIC_OVERFLOW'
  /** The image has nothing to load. */
  | 'EMPTY_IMAGE'
  /** A caller-supplied option is invalid (an unaligned info address, a bad command line). */
  | 'BAD_OPTION';

/**
 * A guest image was rejected before anything was written to guest memory. `code` says why; the
 * message gives the offending field, its value and the limit it broke.
 */
export class LoaderError extends CodedError<LoaderErrorCode> {
  override readonly name: string = 'LoaderError';
}

/** Codes of {@link GuestMemoryError}. */
export type GuestMemoryErrorCode =
  /** An access outside the RAM regions of the guest-physical memory. */
  | 'OUTSIDE_RAM'
  /** A memory map whose entries overlap, are unsorted or have bad sizes. */
  | 'BAD_MAP';

/** A guest-physical memory access or memory map that the memory model refuses. */
export class GuestMemoryError extends CodedError<GuestMemoryErrorCode> {
  override readonly name: string = 'GuestMemoryError';
}

/** Codes of {@link VmmError}. */
export type VmmErrorCode =
  /** A colocated VM's guest-physical range cannot be reserved in the VMM's address space. */
  | 'RESERVATION_CONFLICT'
  /** A VMM option is out of range (vCPU count, RAM size, a machine without a UART for input). */
  | 'BAD_CONFIG';

/** The VMM cannot be built as configured (before the VM runs). */
export class VmmError extends CodedError<VmmErrorCode> {
  override readonly name: string = 'VmmError';
}
