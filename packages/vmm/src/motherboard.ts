import { HostBus } from './bus/host-bus.js';
import { InterruptPins, type InterruptSink } from './bus/interrupt-pins.js';
import { IrqBus } from './bus/irq-bus.js';
import { MmioBus } from './bus/mmio-bus.js';
import { PortIoBus } from './bus/port-io-bus.js';
import { RegistrationJournal } from './bus/registration-journal.js';
import type {
  DeviceDefinition,
  DeviceHooks,
  DeviceInstance,
  ParamSpecs,
  ParamValues,
} from './device-api/define-device.js';
import { resolveParams } from './device-api/params.js';
import { DeviceConfigError } from './errors.js';
import type { DeviceClock } from './time/device-clock.js';
import { VirtualClock } from './time/virtual-clock.js';

/** Options of {@link Motherboard}. */
export interface MotherboardOptions {
  /** The virtual clock with timers (default: a fresh {@link VirtualClock} at 0 ns). */
  readonly clock?: DeviceClock;
  /** Receives the interrupt controller's INTR output (may also be connected later). */
  readonly interrupts?: InterruptSink;
}

/**
 * The machine's wiring (Seoul's `Motherboard`): typed buses that device models attach to and the
 * VMM core drives.
 *
 * - `io` — port I/O (`in`/`out` exits), `mmio` — MMIO (emulated accesses outside RAM);
 * - `irq` — interrupt lines by GSI, `pins` — INTR/INTA between the interrupt controller and CPU;
 * - `clock` — guest time and timers; `host` — requests to the VMM (serial output, stop, reset).
 *
 * Devices are added with {@link add} (or from a textual configuration with
 * `DeviceRegistry.build`); each registers what it decodes, and the buses refuse overlapping
 * ranges.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const board = new Motherboard({ clock, interrupts: { setIntr: (on) => core.setIntr(on) } });
 * board.add(picDevice);
 * const uart = board.add(uartDevice, { base: 0x3f8, irq: 4 }).model;
 * board.host.handle((m) => m.op === 'serial-output' && (out.push(m.byte), true));
 * board.io.write(0x3f8, 1, 0x41); // 'A' reaches the host
 * ```
 */
export class Motherboard {
  readonly io: PortIoBus = new PortIoBus();
  readonly mmio: MmioBus = new MmioBus();
  readonly irq: IrqBus = new IrqBus();
  readonly host: HostBus = new HostBus();
  readonly pins: InterruptPins;
  readonly clock: DeviceClock;
  private readonly attached: DeviceInstance[] = [];
  private a20Sources = new Map<string, boolean>();
  private journal: RegistrationJournal | undefined;
  private a20State = true;

  constructor(options: MotherboardOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.pins = new InterruptPins(options.interrupts);
  }

  /** Devices added with {@link add}, in order. */
  get devices(): readonly DeviceInstance[] {
    return this.attached;
  }

  /**
   * Creates a device from its definition and attaches it: parameters are checked and defaults
   * filled in, `create` registers the device on the buses (all or nothing: if `create` throws,
   * what it registered so far is taken back), and the instance is named
   * `<definition><n>` (`uart0`, `uart1`) unless `options.name` says otherwise. Throws
   * {@link DeviceConfigError} for a bad parameter or a taken name and the bus's error for a
   * conflicting range.
   */
  add<P extends ParamSpecs, D extends DeviceHooks>(
    definition: DeviceDefinition<P, D>,
    params: { readonly [K in keyof P]?: ParamValues<P>[K] } = {},
    options: { readonly name?: string } = {},
  ): DeviceInstance<D> {
    const resolved = resolveParams(definition as DeviceDefinition<ParamSpecs, DeviceHooks>, params);
    let name = options.name;
    if (name === undefined) {
      let n = 0;
      while (this.device(`${definition.name}${n}`) !== undefined) n++;
      name = `${definition.name}${n}`;
    } else if (this.device(name) !== undefined) {
      throw new DeviceConfigError('DUPLICATE_DEVICE', `a device named '${name}' is already attached`);
    }
    const journal = new RegistrationJournal();
    this.setJournal(journal);
    let model: D;
    try {
      model = definition.create({ board: this, name }, resolved as ParamValues<P>);
    } catch (e) {
      journal.rollback();
      throw e;
    } finally {
      this.setJournal(undefined);
    }
    const instance: DeviceInstance<D> = {
      name,
      definition,
      params: resolved,
      model,
      reset: () => model.reset?.(),
      describe: () => model.describe?.() ?? '',
    };
    this.attached.push(instance);
    return instance;
  }

  private setJournal(journal: RegistrationJournal | undefined): void {
    this.io.journal = journal;
    this.mmio.journal = journal;
    this.irq.journal = journal;
    this.pins.journal = journal;
    this.journal = journal;
  }

  /** The attached device called `name`, or `undefined`. */
  device(name: string): DeviceInstance | undefined {
    return this.attached.find((d) => d.name === name);
  }

  /** The models of all attached instances of `definition`, in order. */
  modelsOf<D extends DeviceHooks>(
    // biome-ignore lint/suspicious/noExplicitAny: any parameter set
    definition: DeviceDefinition<any, D>,
  ): D[] {
    return this.attached.filter((d) => d.definition === definition).map((d) => d.model as D);
  }

  /** A system reset: every attached device's `reset` hook, in attachment order. */
  reset(): void {
    for (const d of this.attached) d.reset();
  }

  /**
   * Whether the A20 gate is open: the OR of all sources (i8042 output port bit 1, port 0x92
   * bit 1), open when no source has spoken. Changes go to the host as an `a20` operation.
   */
  get a20(): boolean {
    return this.a20State;
  }

  /** A device sets its A20 source; the host hears about changes of the combined gate. */
  setA20(source: string, enabled: boolean): void {
    if (!this.a20Sources.has(source)) {
      this.journal?.record(() => {
        this.a20Sources.delete(source);
        this.updateA20();
      });
    }
    this.a20Sources.set(source, enabled);
    this.updateA20();
  }

  private updateA20(): void {
    let any = this.a20Sources.size === 0;
    for (const v of this.a20Sources.values()) any ||= v;
    if (any !== this.a20State) {
      this.a20State = any;
      this.host.send({ op: 'a20', enabled: any });
    }
  }
}
