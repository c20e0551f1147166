import { statusName } from './status.js';

/** One record of the kernel's trace (opt-in, see {@link Tracer}). */
export type TraceRecord =
  | {
      readonly kind: 'hypercall';
      readonly time: number;
      readonly cpu: number;
      readonly ec: string;
      readonly name: string;
      /** Decoded arguments in ABI order (selector, RSI, RDX, RAX, R8). */
      readonly args: readonly number[];
      /** Status when the hypercall finished at once; `undefined` while it blocks. */
      status: number | undefined;
    }
  | {
      readonly kind: 'return';
      readonly time: number;
      readonly cpu: number;
      readonly ec: string;
      readonly status: number;
    }
  | {
      readonly kind: 'sched';
      readonly time: number;
      readonly cpu: number;
      readonly sc: string;
      readonly ec: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'event';
      readonly time: number;
      readonly cpu: number;
      readonly ec: string;
      readonly event: number;
      readonly handler: string;
    }
  | {
      readonly kind: 'kill';
      readonly time: number;
      readonly cpu: number;
      readonly ec: string;
      readonly reason: string;
    }
  | { readonly kind: 'note'; readonly time: number; readonly cpu: number; readonly text: string };

/**
 * Receiver of trace records. Pass one as `trace` at boot; with none the kernel builds no records
 * at all (each trace point is a single null check).
 */
export interface Tracer {
  record(r: TraceRecord): void;
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/** Render one record as a log line. */
export function formatTrace(r: TraceRecord): string {
  const head = `[${r.time}] cpu${r.cpu}`;
  switch (r.kind) {
    case 'hypercall':
      return `${head} ${r.ec} ${r.name}(${r.args.map(hex).join(', ')}) -> ${
        r.status === undefined ? 'blocked' : statusName(r.status)
      }`;
    case 'return':
      return `${head} ${r.ec} returns ${statusName(r.status)}`;
    case 'sched':
      return `${head} schedule ${r.sc} -> ${r.ec} (${r.reason})`;
    case 'event':
      return `${head} ${r.ec} event ${hex(r.event)} -> ${r.handler}`;
    case 'kill':
      return `${head} ${r.ec} killed (${r.reason})`;
    case 'note':
      return `${head} ${r.text}`;
  }
}

/**
 * A tracer that keeps every record in memory, optionally bounded, and renders them. What the
 * demo prints.
 */
export class TraceLog implements Tracer {
  readonly records: TraceRecord[] = [];
  private readonly limit: number;

  constructor(limit: number = Number.POSITIVE_INFINITY) {
    this.limit = limit;
  }

  record(r: TraceRecord): void {
    if (this.records.length >= this.limit) this.records.shift();
    this.records.push(r);
  }

  /** All records as log lines. */
  lines(): string[] {
    return this.records.map(formatTrace);
  }
}
