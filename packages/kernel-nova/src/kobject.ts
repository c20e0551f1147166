import type { ObjTypeCode } from './constants.js';

/**
 * Base of every kernel object (PD, EC, SC, PT, SM). Liveness follows spec/nova.md §1.1: an
 * object is reachable through its capabilities (counted in `capRefs`, one per mapping-database
 * node naming it) and stays alive while kernel references remain; the kernel decides per type
 * what dropping the last capability means.
 */
export abstract class Kobject {
  /** Object type (PD 0, EC 1, SC 2, PT 3, SM 4). */
  abstract readonly type: ObjTypeCode;
  /** Creation sequence number (stable across runs; used in traces). */
  readonly id: number;
  /** Mapping-database nodes (capabilities) naming this object. */
  capRefs = 0;
  /** Set once the object has been destroyed. */
  destroyed = false;
  /** Id of the PD whose object space received the root capability (-1: the kernel's). */
  createdIn = -1;

  constructor(id: number) {
    this.id = id;
  }
}
