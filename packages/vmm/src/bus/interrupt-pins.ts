import type { RegistrationJournal } from './registration-journal.js';

/**
 * What the VMM core provides to receive the interrupt controller's output: the CPU's INTR pin
 * (level, active high). The core injects an external interrupt when INTR is high and the guest
 * can take it (or opens an interrupt window), then calls {@link InterruptPins.acknowledge} for the
 * vector.
 */
export interface InterruptSink {
  /** INTR changed to `asserted`. Called only on changes. */
  setIntr(asserted: boolean): void;
}

/**
 * The interrupt controller as the CPU sees it: the INTA cycle. Implemented by the PIC pair.
 */
export interface InterruptController {
  /**
   * The interrupt-acknowledge cycle: returns the vector of the highest-priority pending request
   * and moves it to in-service (a spurious vector when the request has gone).
   */
  acknowledge(): number;
}

/**
 * The CPU-facing interrupt pins of the motherboard: INTR out, INTA in, and the NMI mask that the
 * RTC index port controls. One interrupt controller drives INTR.
 */
export class InterruptPins {
  /** @internal Set by `Motherboard.add` while a device is created. */
  journal: RegistrationJournal | undefined;
  private controller: InterruptController | undefined;
  private controllerOwner = '';
  private intrLevel = false;
  private nmiMaskedState = false;
  private sink: InterruptSink | undefined;

  constructor(sink?: InterruptSink) {
    this.sink = sink;
  }

  /** Whether INTR is asserted now (for a core that polls instead of taking callbacks). */
  get intr(): boolean {
    return this.intrLevel;
  }

  /** Whether NMIs are masked (port 0x70 bit 7). */
  get nmiMasked(): boolean {
    return this.nmiMaskedState;
  }

  /** Connects the VMM core's sink; it is told the current INTR level at once if it is high. */
  connectSink(sink: InterruptSink): void {
    this.sink = sink;
    if (this.intrLevel) sink.setIntr(true);
  }

  /**
   * Makes `controller` the one that drives INTR and answers INTA. A second controller is refused
   * (returns `false`) — the owner of the first stays.
   */
  attachController(owner: string, controller: InterruptController): boolean {
    if (this.controller !== undefined) return false;
    this.controller = controller;
    this.controllerOwner = owner;
    this.journal?.record(() => {
      this.controller = undefined;
      this.controllerOwner = '';
    });
    return true;
  }

  /** The name of the device that answers INTA, or `undefined`. */
  get controllerName(): string | undefined {
    return this.controller === undefined ? undefined : this.controllerOwner;
  }

  /** Called by the interrupt controller when its INT output changes. */
  setIntr(asserted: boolean): void {
    if (this.intrLevel === asserted) return;
    this.intrLevel = asserted;
    this.sink?.setIntr(asserted);
  }

  /**
   * The CPU's INTA cycle: the vector, or `undefined` when no interrupt controller is attached.
   * Call it only while INTR is high; otherwise the PIC answers with its spurious vector.
   */
  acknowledge(): number | undefined {
    return this.controller?.acknowledge();
  }

  /** Sets the NMI mask (the RTC index port's bit 7). */
  setNmiMasked(masked: boolean): void {
    this.nmiMaskedState = masked;
  }
}
