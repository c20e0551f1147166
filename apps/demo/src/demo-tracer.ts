import { type GenodeTraceRecord, type GenodeTracer, nptChains } from '@genode-ts/kernel-nova';

/** Page faults core resolved for one PD, and how much it mapped. */
export interface Core_fault_count {
  faults: number;
  /** Mappings core installed (H delegations into the PD), by log2 size. */
  readonly mapped: Map<number, number>;
}

/**
 * The demo's view of kernel-nova's Genode-level trace: counts the page faults core resolved per
 * PD (the VMM's page faults behind the seed's chain), and keeps the records of the first
 * `keepChains` NPT-fault chains for `--trace npt` (nothing else is kept, so a long run does not
 * accumulate records).
 */
export class Demo_tracer implements GenodeTracer {
  readonly faults: Map<string, Core_fault_count> = new Map();
  readonly #keep: number;
  readonly #records: GenodeTraceRecord[] = [];
  #chains = 0;
  #open = false;
  #lastPd = '';

  readonly #onChainRecord: ((r: GenodeTraceRecord) => void) | undefined;

  /** `onChainRecord` sees every kept record as it happens (the demo prints the chain live). */
  constructor(keepChains: number, onChainRecord?: (r: GenodeTraceRecord) => void) {
    this.#keep = keepChains;
    this.#onChainRecord = onChainRecord;
  }

  /** NPT-fault chains seen (kept or not). */
  nptExits = 0;

  record(r: GenodeTraceRecord): void {
    if (r.kind === 'page-fault') {
      let c = this.faults.get(r.pd);
      if (c === undefined) {
        c = { faults: 0, mapped: new Map() };
        this.faults.set(r.pd, c);
      }
      c.faults++;
      this.#lastPd = r.pd;
    } else if (r.kind === 'map' && !r.guest && r.from.startsWith('H') && this.#lastPd === r.pd) {
      const c = this.faults.get(r.pd);
      if (c !== undefined) c.mapped.set(r.log2, (c.mapped.get(r.log2) ?? 0) + 1);
    }
    if (r.kind === 'vcpu-exit' && r.reason === 0xfc) this.nptExits++;
    if (this.#chains >= this.#keep) return;
    if (r.kind === 'vcpu-exit' && r.reason === 0xfc) this.#open = true;
    if (!this.#open) return;
    this.#records.push(r);
    this.#onChainRecord?.(r);
    if (r.kind === 'exit-reply') {
      this.#open = false;
      this.#chains++;
    }
  }

  /** The kept NPT-fault chains (kernel-nova's `nptChains` over the kept records). */
  chains(): GenodeTraceRecord[][] {
    return nptChains(this.#records);
  }
}
