import { LoaderError } from '../errors.js';
import { hex, ImageBytes } from './image-bytes.js';

// ELF header fields (System V ABI, "ELF Header"; i386 supplement).
/** e_ident[EI_CLASS] = ELFCLASS32. */
export const ELFCLASS32 = 1;
/** e_ident[EI_DATA] = ELFDATA2LSB. */
export const ELFDATA2LSB = 1;
/** e_type = ET_EXEC. */
export const ET_EXEC = 2;
/** e_machine = EM_386. */
export const EM_386 = 3;
/** p_type = PT_LOAD. */
export const PT_LOAD = 1;
/** Size of an ELF32 header and of a program header entry. */
export const ELF32_EHDR_SIZE = 52;
/** Size of an ELF32 program header entry. */
export const ELF32_PHDR_SIZE = 32;

/** One ELF32 program header. */
export interface Elf32ProgramHeader {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly flags: number;
  readonly align: number;
}

/** The parts of an ELF32 executable a loader needs. */
export interface Elf32Executable {
  readonly entry: number;
  readonly programHeaders: readonly Elf32ProgramHeader[];
}

/** Whether `image` starts with the ELF magic `\x7fELF`. */
export function isElf(image: Uint8Array): boolean {
  return (
    image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46
  );
}

/**
 * Parses the header and program headers of a 32-bit little-endian i386 executable. Throws
 * {@link LoaderError}: `BAD_MAGIC`, `UNSUPPORTED_ELF` (class, byte order, type, machine, version,
 * program header entry size), `TRUNCATED` (headers past the end), `NUMERIC_OVERFLOW`.
 */
export function parseElf32(image: Uint8Array): Elf32Executable {
  const b = new ImageBytes(image, 'ELF image');
  b.need(0, ELF32_EHDR_SIZE, 'the ELF header');
  if (!isElf(image)) throw new LoaderError('BAD_MAGIC', 'not an ELF image (no \\x7fELF magic)');
  const cls = b.u8(4, 'EI_CLASS');
  const data = b.u8(5, 'EI_DATA');
  const identVersion = b.u8(6, 'EI_VERSION');
  const type = b.u16(16, 'e_type');
  const machine = b.u16(18, 'e_machine');
  const version = b.u32(20, 'e_version');
  if (cls !== ELFCLASS32) throw new LoaderError('UNSUPPORTED_ELF', `ELF class ${cls} is not ELFCLASS32 (1)`);
  if (data !== ELFDATA2LSB)
    throw new LoaderError('UNSUPPORTED_ELF', `ELF data encoding ${data} is not little-endian (1)`);
  if (identVersion !== 1 || version !== 1) {
    throw new LoaderError('UNSUPPORTED_ELF', `ELF version ${identVersion}/${version} is not EV_CURRENT (1)`);
  }
  if (type !== ET_EXEC) throw new LoaderError('UNSUPPORTED_ELF', `ELF type ${type} is not ET_EXEC (2)`);
  if (machine !== EM_386)
    throw new LoaderError('UNSUPPORTED_ELF', `ELF machine ${machine} is not EM_386 (3)`);
  const entry = b.u32(24, 'e_entry');
  const phoff = b.u32(28, 'e_phoff');
  const phentsize = b.u16(42, 'e_phentsize');
  const phnum = b.u16(44, 'e_phnum');
  if (phnum === 0) throw new LoaderError('EMPTY_IMAGE', 'ELF image has no program headers');
  if (phentsize < ELF32_PHDR_SIZE) {
    throw new LoaderError(
      'UNSUPPORTED_ELF',
      `e_phentsize ${phentsize} is smaller than an ELF32 program header (32)`,
    );
  }
  b.need(phoff, phnum * phentsize, `${phnum} program headers at ${hex(phoff)}`);
  const programHeaders: Elf32ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    programHeaders.push({
      type: b.u32(o, 'p_type'),
      offset: b.u32(o + 4, 'p_offset'),
      vaddr: b.u32(o + 8, 'p_vaddr'),
      paddr: b.u32(o + 12, 'p_paddr'),
      filesz: b.u32(o + 16, 'p_filesz'),
      memsz: b.u32(o + 20, 'p_memsz'),
      flags: b.u32(o + 24, 'p_flags'),
      align: b.u32(o + 28, 'p_align'),
    });
  }
  return { entry, programHeaders };
}
