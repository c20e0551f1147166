/**
 * External-interrupt injection through the vCPU's injection state (NOVA UTCB `intr_info`,
 * spec/nova.md §5.2): bits 7:0 vector, 10:8 type, 11 error code valid, 12 request an interrupt
 * window, 13 request an NMI window, 31 valid. What Seoul's VCpu model does after every exit
 * that carries `Mtd::IRQ` (CHECK_IRQ, then CALC_IRQWINDOW).
 */

/** Bits of the injection word. */
export const INJ = {
  VECTOR_MASK: 0xff,
  TYPE_SHIFT: 8,
  /** Type 0: external interrupt. */
  TYPE_EXTERNAL: 0,
  /** Type 3: hardware exception. */
  TYPE_EXCEPTION: 3,
  ERROR_VALID: 0x800,
  /** Request an exit (VINTR, 0x64) as soon as the guest can take an interrupt. */
  WINDOW: 0x1000,
  NMI_WINDOW: 0x2000,
  VALID: 0x8000_0000,
} as const;

/** EFLAGS.IF. */
export const EFLAGS_IF = 0x200;
/** Interruptibility state: blocking by STI (bit 0) and by MOV SS / POP SS (bit 1). */
export const INTR_STATE_BLOCKING = 0x3;

/** What the injection logic looks at. */
export interface Injection_input {
  /** `intr_info` as the exit delivered it (an event still pending there has bit 31 set). */
  readonly injInfo: number;
  readonly flags: number;
  readonly intrState: number;
  /** Whether the interrupt controller's INTR output is high. */
  readonly intr: boolean;
}

/** The decision: acknowledge and inject now, and/or (re)request the interrupt window. */
export interface Injection_decision {
  /** Run the INTA cycle now and inject the vector as an external interrupt. */
  readonly inject: boolean;
  /** Whether an event is already pending in `injInfo` (it is kept, nothing new goes in). */
  readonly pending: boolean;
}

/** Whether the guest accepts an external interrupt now: IF = 1 and no STI / MOV SS shadow. */
export function interruptible(flags: number, intrState: number): boolean {
  return (flags & EFLAGS_IF) !== 0 && (intrState & INTR_STATE_BLOCKING) === 0;
}

/**
 * Decides whether to inject: an event that is still pending (a re-injection after an exit in
 * the middle of its delivery, or one not yet taken) wins; otherwise INTR high and an
 * interruptible guest mean "inject now".
 */
export function decideInjection(i: Injection_input): Injection_decision {
  const pending = (i.injInfo & INJ.VALID) !== 0;
  return { inject: !pending && i.intr && interruptible(i.flags, i.intrState), pending };
}

/** The injection word for an external interrupt with `vector`. */
export function externalInterrupt(vector: number): number {
  return (INJ.VALID | (INJ.TYPE_EXTERNAL << INJ.TYPE_SHIFT) | (vector & INJ.VECTOR_MASK)) >>> 0;
}

/** The injection word for a hardware exception (`errorCode` ≥ 0 pushes one). */
export function hardwareException(vector: number, errorCode = -1): number {
  return (
    (INJ.VALID |
      (INJ.TYPE_EXCEPTION << INJ.TYPE_SHIFT) |
      (errorCode >= 0 ? INJ.ERROR_VALID : 0) |
      (vector & INJ.VECTOR_MASK)) >>>
    0
  );
}

/**
 * The word to write back after the decision: the pending or newly injected event (without a
 * window bit), plus the window request when INTR stays high (another interrupt waits).
 */
export function injectionWord(event: number, window: boolean): number {
  return ((event & ~INJ.WINDOW) | (window ? INJ.WINDOW : 0)) >>> 0;
}

/** The interrupt controller's pins as the injection logic uses them (`Motherboard.pins`). */
export interface Intr_pins {
  readonly intr: boolean;
  acknowledge(): number | undefined;
}

/** Per-vCPU memory of what the VMM asked for last (the window request persists in the vCPU). */
export interface Injection_tracker {
  window: boolean;
}

/** The registers {@link checkIrq} reads and writes (`Mtd::IRQ` = EFL | STA | INJ | TSC). */
export interface Injection_state {
  readonly inj_info: { value(): number; charge(v: number): void };
  readonly flags: { value(): number };
  readonly intr_state: { value(): number };
}

/**
 * Seoul's CHECK_IRQ + CALC_IRQWINDOW on an exit whose MTD includes `Mtd::IRQ`: keeps an event
 * that is still pending (re-injection), otherwise acknowledges and injects the PIC's vector when
 * INTR is high and the guest is interruptible, and requests the interrupt window while INTR stays
 * high. Writes `inj_info` only when it changes something. Returns the injected vector, if any.
 */
export function checkIrq(
  state: Injection_state,
  pins: Intr_pins,
  track: Injection_tracker,
): number | undefined {
  const info = state.inj_info.value() >>> 0;
  const d = decideInjection({
    injInfo: info,
    flags: state.flags.value(),
    intrState: state.intr_state.value(),
    intr: pins.intr,
  });
  let event = d.pending ? (info & ~INJ.WINDOW) >>> 0 : 0;
  let vector: number | undefined;
  if (d.inject) {
    vector = pins.acknowledge();
    if (vector !== undefined) event = externalInterrupt(vector);
  }
  const window = pins.intr;
  if (d.pending || vector !== undefined || window !== track.window) {
    state.inj_info.charge(injectionWord(event, window));
    track.window = window;
  }
  return vector;
}
