import { BusError } from '../errors.js';
import type { RegistrationJournal } from './registration-journal.js';

/** Number of global system interrupts (GSIs) the IRQ bus carries: 0–255. */
export const GSI_COUNT = 256;

/**
 * How a source signals: `edge` (an ISA device: a rising edge is one interrupt; the line cannot be
 * shared) or `level` (asserted while the condition holds; level sources may share a line, which
 * is then the wired OR of all of them, as on PCI).
 */
export type Trigger = 'edge' | 'level';

/**
 * A device's output onto one GSI (Seoul's `MessageIrq` / rust-vmm's `Interrupt`). Obtain it
 * from {@link IrqBus.line}.
 */
export interface IrqLine {
  readonly gsi: number;
  readonly owner: string;
  readonly trigger: Trigger;
  /** This source's current output level. */
  readonly level: boolean;
  /** Drives this source's output; the GSI's receiver sees changes of the wired-OR level. */
  set(level: boolean): void;
  /** `set(true)`. */
  raise(): void;
  /** `set(false)`. */
  lower(): void;
  /** A rising then a falling edge (`qemu_irq_pulse`): one edge-triggered interrupt. */
  pulse(): void;
}

/**
 * The interrupt controller's input side: called with the wired-OR level of a GSI whenever it
 * changes (and once per GSI at connection time, for lines that are already high).
 */
export type IrqReceiver = (gsi: number, level: boolean) => void;

interface Source {
  owner: string;
  trigger: Trigger;
  level: boolean;
}

interface Receiver {
  owner: string;
  first: number;
  count: number;
  fn: IrqReceiver;
}

/**
 * Interrupt lines numbered by GSI, from device models to interrupt controllers (the PIC pair
 * connects to GSIs 0–15). Sources are declared with their trigger mode; receivers connect to a
 * GSI range and ranges never overlap. The bus remembers levels, so the order in which devices
 * and controllers are created does not matter.
 *
 * @example
 * ```ts
 * const irq = new IrqBus();
 * const line = irq.line(4, { owner: 'uart0', trigger: 'edge' });
 * irq.connect('pic', 0, 16, (gsi, level) => console.log(gsi, level));
 * line.raise(); // → 4 true
 * ```
 */
export class IrqBus {
  private readonly sources: Source[][] = Array.from({ length: GSI_COUNT }, () => []);
  private readonly levels = new Uint8Array(GSI_COUNT);
  private readonly edges = new Float64Array(GSI_COUNT);
  private readonly receivers: Receiver[] = [];
  private readonly routed: (Receiver | undefined)[] = new Array(GSI_COUNT).fill(undefined);
  /** @internal Set by `Motherboard.add` while a device is created. */
  journal: RegistrationJournal | undefined;

  /**
   * Declares a source on `gsi`. Throws {@link BusError} `BAD_RANGE` for a GSI outside 0–255 and
   * `IRQ_CONFLICT` if the line already has a source and either is edge-triggered.
   */
  line(gsi: number, options: { owner: string; trigger: Trigger }): IrqLine {
    checkGsi(gsi, options.owner);
    const list = this.sources[gsi]!;
    const clash = list.find((s) => s.trigger === 'edge' || options.trigger === 'edge');
    if (clash !== undefined) {
      throw new BusError(
        'IRQ_CONFLICT',
        `IRQ line ${gsi} of '${options.owner}' (${options.trigger}) is already driven by '${clash.owner}' (${clash.trigger}); only level-triggered sources can share a line`,
      );
    }
    const src: Source = { owner: options.owner, trigger: options.trigger, level: false };
    list.push(src);
    this.journal?.record(() => {
      list.splice(list.indexOf(src), 1);
      this.update(gsi);
    });
    const set = (level: boolean): void => {
      if (src.level === level) return;
      src.level = level;
      this.update(gsi);
    };
    return {
      gsi,
      owner: options.owner,
      trigger: options.trigger,
      get level() {
        return src.level;
      },
      set,
      raise: () => set(true),
      lower: () => set(false),
      pulse: () => {
        set(true);
        set(false);
      },
    };
  }

  /**
   * Routes GSIs `first` … `first + count - 1` to `receiver` (an interrupt controller's inputs).
   * Throws `BUS_OVERLAP` if another receiver has any of them.
   */
  connect(owner: string, first: number, count: number, receiver: IrqReceiver): void {
    checkGsi(first, owner);
    checkGsi(first + count - 1, owner);
    for (const r of this.receivers) {
      if (first < r.first + r.count && r.first < first + count) {
        throw new BusError(
          'BUS_OVERLAP',
          `GSIs ${first}-${first + count - 1} of '${owner}' overlap GSIs ${r.first}-${r.first + r.count - 1} of '${r.owner}'`,
        );
      }
    }
    const rec: Receiver = { owner, first, count, fn: receiver };
    this.receivers.push(rec);
    this.journal?.record(() => {
      this.receivers.splice(this.receivers.indexOf(rec), 1);
      for (let g = first; g < first + count; g++) this.routed[g] = undefined;
    });
    for (let g = first; g < first + count; g++) {
      this.routed[g] = rec;
      if (this.levels[g]) receiver(g, true);
    }
  }

  /** The wired-OR level of `gsi` now. */
  level(gsi: number): boolean {
    return this.levels[gsi] === 1;
  }

  /** Rising edges seen on `gsi` since construction (for reports, like `/proc/interrupts`). */
  risingEdges(gsi: number): number {
    return this.edges[gsi] ?? 0;
  }

  /** The sources declared on `gsi` (owner and trigger), for listings. */
  sourcesOf(gsi: number): readonly { readonly owner: string; readonly trigger: Trigger }[] {
    return this.sources[gsi] ?? [];
  }

  private update(gsi: number): void {
    const level = this.sources[gsi]!.some((s) => s.level) ? 1 : 0;
    if (this.levels[gsi] === level) return;
    this.levels[gsi] = level;
    if (level) this.edges[gsi]!++;
    this.routed[gsi]?.fn(gsi, level === 1);
  }
}

function checkGsi(gsi: number, owner: string): void {
  if (!Number.isInteger(gsi) || gsi < 0 || gsi >= GSI_COUNT) {
    throw new BusError(
      'BAD_RANGE',
      `IRQ line ${String(gsi)} of '${owner}' is outside GSIs 0-${GSI_COUNT - 1}`,
    );
  }
}
