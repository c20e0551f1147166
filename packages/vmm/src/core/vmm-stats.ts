/**
 * What a VMM counts while its guest runs (the demo's report). Every count is deterministic: the
 * same guest on the same configuration gives the same numbers.
 */
export class Vmm_stats {
  /** Exits by reason (SVM numbering), all vCPUs. */
  readonly exits: Map<number, number> = new Map();
  /** Exits by reason per vCPU index. */
  readonly exitsPerVcpu: Map<number, number>[] = [];
  /** NPT faults resolved by delegating guest RAM. */
  nptRam = 0;
  /** NPT faults outside RAM, emulated against the MMIO bus. */
  nptMmio = 0;
  /** Delegated blocks by order (log2 of the size) → count. */
  readonly blocks: Map<number, number> = new Map();
  /** Bytes of guest memory delegated in total. */
  bytesDelegated = 0;
  /** VMM page faults the NPT handler's touch raised (resolved by core). */
  vmmFaults = 0;
  /** MMIO accesses performed by the instruction emulator (reads, writes). */
  mmioReads = 0;
  mmioWrites = 0;
  /** Port I/O accesses (including the string instructions' elements). */
  ioReads = 0;
  ioWrites = 0;
  /** String I/O instructions emulated. */
  stringIo = 0;
  /** External interrupts injected. */
  injected = 0;
  /** Interrupt-window requests made. */
  windows = 0;
  /** Recalls the VMM asked for (interrupt delivery, runaway check). */
  recalls = 0;
  /** Virtual µs skipped while the guest waited in HLT. */
  haltedUs = 0;

  /** Counts one exit of vCPU `vcpu`. */
  exit(vcpu: number, reason: number): void {
    this.exits.set(reason, (this.exits.get(reason) ?? 0) + 1);
    let m = this.exitsPerVcpu[vcpu];
    if (m === undefined) {
      m = new Map();
      this.exitsPerVcpu[vcpu] = m;
    }
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }

  /** Counts one delegated block of `2^log2` bytes. */
  block(log2: number): void {
    this.blocks.set(log2, (this.blocks.get(log2) ?? 0) + 1);
    this.bytesDelegated += 2 ** log2;
  }

  /** All exits. */
  totalExits(): number {
    let n = 0;
    for (const v of this.exits.values()) n += v;
    return n;
  }

  /** Exits by reason as a plain sorted record (`{ '0x7b': 1234, … }`), for tests and JSON. */
  exitCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.exits.keys()].sort((a, b) => a - b))
      out[`0x${k.toString(16)}`] = this.exits.get(k)!;
    return out;
  }

  /** Delegated blocks as `{ '4K': n, '2M': n, … }`. */
  blockCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.blocks.keys()].sort((a, b) => a - b))
      out[sizeName(2 ** k)] = this.blocks.get(k)!;
    return out;
  }
}

/** `4K`, `512K`, `2M`, `1G` for a power-of-two size. */
export function sizeName(bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30}G`;
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20}M`;
  if (bytes >= 2 ** 10 && bytes % 2 ** 10 === 0) return `${bytes / 2 ** 10}K`;
  return `${bytes}B`;
}
