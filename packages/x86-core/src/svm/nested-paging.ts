/**
 * Nested paging: the host owns a table that maps guest-physical pages to host-physical pages with
 * rights (what NOVA's guest space / AMD's nested page table is). The core consults it on TLB
 * misses only — the TLB caches complete guest-virtual → host-physical translations — and turns a
 * miss or a permission violation into a nested-page-fault exit with the NPF error code and the
 * faulting guest-physical address (AMD APM vol. 2, §15.25.6).
 */
import type { Cpu, NestedTranslator } from '../cpu.js';
import { raiseVmExit } from '../fault.js';
import { ACC_FETCH, ACC_WRITE, NPT_WRITABLE } from '../paging.js';
import { SvmExit } from '../svm-exit.js';

/** Rights bits of a {@link NestedPageTable} entry. */
export const NptRights = {
  READ: 0x1,
  WRITE: 0x2,
  EXEC: 0x4,
} as const;

/**
 * The host's nested page table, as the core sees it. `lookup` returns the host-physical page
 * base | rights ({@link NptRights}) for a guest-physical page base, or -1 when nothing is mapped.
 * The host must call {@link SvmVcpu.invalidate} (or `Cpu.flushTlb`) after removing a mapping or
 * reducing its rights: cached translations are not re-checked.
 */
export interface NestedPageTable {
  lookup(gpaPage: number): number;
}

/** NPF error-code bits in EXITINFO1 (AMD APM vol. 2, §15.25.6). */
export const NpfError = {
  /** The page was present (a permission violation rather than a miss). */
  P: 0x1,
  /** The access was a write. */
  W: 0x2,
  /** User access (always set for guest accesses, as on AMD hardware). */
  U: 0x4,
  /** The access was an instruction fetch. */
  ID: 0x10,
  /** The fault happened translating the final guest-physical address (EXITINFO1 bit 32). */
  FINAL: 0x100000000,
  /** The fault happened during the guest's page walk (EXITINFO1 bit 33). */
  WALK: 0x200000000,
} as const;

/** Makes the core translate guest-physical addresses through `table`. */
export class NestedTranslation implements NestedTranslator {
  readonly table: NestedPageTable;
  /** Guest-physical pages at or above this limit fault (the guest's physical address width). */
  readonly limit: number;

  constructor(table: NestedPageTable, limit: number = 0x100000000) {
    this.table = table;
    this.limit = limit;
  }

  translate(c: Cpu, gpa: number, acc: number, walk: boolean): number {
    const page = (gpa & ~0xfff) >>> 0;
    const e = page < this.limit ? this.table.lookup(page) : -1;
    const write = (acc & ACC_WRITE) !== 0;
    const fetch = (acc & ACC_FETCH) !== 0;
    let ok = e !== -1 && (e & NptRights.READ) !== 0;
    if (ok && write && (e & NptRights.WRITE) === 0) ok = false;
    if (ok && fetch && (e & NptRights.EXEC) === 0) ok = false;
    if (!ok) {
      const err =
        (e !== -1 ? NpfError.P : 0) | (write ? NpfError.W : 0) | NpfError.U | (fetch ? NpfError.ID : 0);
      raiseVmExit(c, SvmExit.NPT_FAULT, err + (walk ? NpfError.WALK : NpfError.FINAL), gpa >>> 0);
    }
    return (e & ~0xfff) | ((e & NptRights.WRITE) !== 0 ? NPT_WRITABLE : 0);
  }
}
