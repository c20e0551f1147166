import { Status } from './status.js';

/** CRD types (bits 1:0 of a capability range descriptor), spec/nova.md §1.4. */
export const CrdType = { NULL: 0, MEM: 1, IO: 2, OBJ: 3 } as const;
/** A CRD type. */
export type CrdKind = (typeof CrdType)[keyof typeof CrdType];

/** Memory permission bits inside a CRD's 5-bit permission field. */
export const MemPerm = { R: 1, W: 2, X: 4, RWX: 7 } as const;

/** A decoded capability range descriptor: a naturally aligned range of 2^order selectors. */
export interface Crd {
  readonly type: CrdKind;
  /** Permission mask, 5 bits; meaning depends on the type and, for objects, on the object. */
  readonly perms: number;
  /** log2 of the number of selectors (0..31). */
  readonly order: number;
  /** First selector: page number for memory, port for I/O, object selector. */
  readonly base: number;
}

/** The null CRD (type 0): disables a receive window, and is what lookup returns for a hole. */
export const NULL_CRD: Crd = Object.freeze({ type: CrdType.NULL, perms: 0, order: 0, base: 0 });

const BASE_UNIT = 2 ** 12;
/** Selectors fit in 52 bits of a 64-bit word; JavaScript numbers hold them exactly. */
const MAX_BASE = 2 ** 41 - 1;

/**
 * Build a CRD from its fields. Bases and orders are taken as given; alignment is checked by
 * the kernel when the CRD is used (as NOVA does), not here.
 */
export function crd(type: CrdKind, base: number, order: number, perms: number): Crd {
  return { type, base, order, perms };
}

/** `Obj_crd(base, order, rights = 0x1f)` as Genode writes it. */
export function objCrd(base: number, order: number, perms = 0x1f): Crd {
  return crd(CrdType.OBJ, base, order, perms);
}

/** `Mem_crd(page, order, rwx)` as Genode writes it. */
export function memCrd(page: number, order: number, perms: number = MemPerm.RWX): Crd {
  return crd(CrdType.MEM, page, order, perms);
}

/** `Io_crd(port, order)` as Genode writes it (permission `a`). */
export function ioCrd(port: number, order: number): Crd {
  return crd(CrdType.IO, port, order, 0x1f);
}

/** Encode a CRD into its machine word (a JavaScript number; exact up to base 2^41). */
export function encodeCrd(c: Crd): number {
  return c.base * BASE_UNIT + (c.order & 0x1f) * 0x80 + (c.perms & 0x1f) * 4 + (c.type & 3);
}

/**
 * Decode a machine word into a CRD. The word comes from a guest or a user-level UTCB, so any
 * value is accepted: the fields are masked as the kernel masks them; words that are not
 * non-negative safe integers decode to the null CRD.
 */
export function decodeCrd(word: number): Crd {
  if (!Number.isSafeInteger(word) || word < 0) return NULL_CRD;
  const low = word % BASE_UNIT;
  const base = Math.floor(word / BASE_UNIT);
  if (base > MAX_BASE) return NULL_CRD;
  return { type: (low & 3) as CrdKind, perms: (low >> 2) & 0x1f, order: (low >> 7) & 0x1f, base };
}

/** A decoded quantum-priority descriptor (spec/nova.md §1.5). */
export interface Qpd {
  /** 1..127; 0 is the idle priority. */
  readonly prio: number;
  /** Time slice in µs, > 0. */
  readonly quantum: number;
}

/** Genode's default QPD: quantum 10,000 µs, priority 64. */
export const DEFAULT_QPD: Qpd = Object.freeze({ prio: 64, quantum: 10_000 });

/** Encode a QPD word: priority in bits 7:0, quantum in 63:12. */
export function encodeQpd(q: Qpd): number {
  return q.quantum * BASE_UNIT + (q.prio & 0xff);
}

/** Decode a QPD word; any word is accepted (see {@link checkQpd} for validity). */
export function decodeQpd(word: number): Qpd {
  if (!Number.isSafeInteger(word) || word < 0) return { prio: 0, quantum: 0 };
  return { prio: word % 256, quantum: Math.floor(word / BASE_UNIT) };
}

/** `create_sc`'s QPD check: priority 1..127 and quantum > 0, else BAD_PAR. */
export function checkQpd(q: Qpd): typeof Status.SUCCESS | typeof Status.BAD_PAR {
  return q.prio >= 1 && q.prio <= 127 && q.quantum > 0 ? Status.SUCCESS : Status.BAD_PAR;
}
