import { BusError } from '../errors.js';

// Command-port writes (Intel 8259A datasheet, "Programming the 8259A": ICW1 has D4 = 1; with
// D4 = 0, D3 tells OCW3 (1) from OCW2 (0)).
/** ICW1 marker bit (A0 = 0, D4 = 1). */
export const ICW1_INIT = 0x10;
/** ICW1 LTIM: level-triggered mode for all inputs. */
export const ICW1_LTIM = 0x08;
/** ICW1 ADI: call address interval 4 (MCS-80/85 only; stored). */
export const ICW1_ADI = 0x04;
/** ICW1 SNGL: single 8259A, no ICW3. */
export const ICW1_SNGL = 0x02;
/** ICW1 IC4: ICW4 follows. */
export const ICW1_IC4 = 0x01;
/** ICW4 µPM: 8086/8088 mode (this model always produces 8086-style vectors). */
export const ICW4_UPM = 0x01;
/** ICW4 AEOI: automatic end of interrupt. */
export const ICW4_AEOI = 0x02;
/** ICW4 M/S: master (1) / slave (0) in buffered mode (stored). */
export const ICW4_MS = 0x04;
/** ICW4 BUF: buffered mode (stored). */
export const ICW4_BUF = 0x08;
/** ICW4 SFNM: special fully nested mode. */
export const ICW4_SFNM = 0x10;
/** OCW3 marker bit (with D4 = 0). */
export const OCW3_SELECT = 0x08;
/** OCW3 P: poll command; the next read of the command port is the poll word. */
export const OCW3_POLL = 0x04;
/** OCW3 RR: act on RIS. */
export const OCW3_RR = 0x02;
/** OCW3 RIS: read ISR (1) or IRR (0) on the command port. */
export const OCW3_RIS = 0x01;
/** OCW3 ESMM: act on SMM. */
export const OCW3_ESMM = 0x40;
/** OCW3 SMM: special mask mode on/off. */
export const OCW3_SMM = 0x20;

// OCW2 commands, bits R SL EOI (D7–D5) (8259A datasheet, "Operation Command Word 2").
/** Rotate in automatic EOI mode: clear. */
export const OCW2_ROTATE_AEOI_CLEAR = 0;
/** Non-specific EOI. */
export const OCW2_EOI = 1;
/** No operation. */
export const OCW2_NOP = 2;
/** Specific EOI (level in D2–D0). */
export const OCW2_SPECIFIC_EOI = 3;
/** Rotate in automatic EOI mode: set. */
export const OCW2_ROTATE_AEOI_SET = 4;
/** Rotate on non-specific EOI. */
export const OCW2_ROTATE_EOI = 5;
/** Set priority: D2–D0 becomes the lowest-priority level. */
export const OCW2_SET_PRIORITY = 6;
/** Rotate on specific EOI. */
export const OCW2_ROTATE_SPECIFIC_EOI = 7;

/**
 * One Intel 8259A programmable interrupt controller: IRR, ISR and IMR, the ICW sequence, OCW1–3,
 * fixed and rotating priority, specific / non-specific / automatic EOI, special mask mode, special
 * fully nested mode, edge and level triggering (LTIM or the PIIX ELCR), poll mode and the INTA
 * cycle. {@link Pic8259Pair} wires two of them as on the PC/AT.
 *
 * Edge-triggered requests are latched in IRR on the rising edge and stay latched until INTA even
 * if the input falls first (as QEMU does; on the silicon such a request becomes a default
 * IR7 — 8259A datasheet, "Edge and Level Triggered Modes"). Vectors are always produced the
 * 8086 way (ICW2 T7–T3 plus the level), even if ICW4 selects MCS-80/85 mode.
 */
export class Pic8259 {
  /** Interrupt request register. */
  irr = 0;
  /** In-service register. */
  isr = 0;
  /** Interrupt mask register (OCW1). */
  imr = 0;
  /** Current input levels. */
  private levels = 0;
  /** Levels the edge detector has seen (bit set = input seen high since it was last low). */
  private seen = 0;
  /** Edge/level control register (PIIX ELCR): level mode per input. */
  elcr = 0;
  /** Which ELCR bits exist. */
  readonly elcrMask: number;
  /** ICW2 T7–T3. */
  vectorBase = 0;
  /** ICW3: master — inputs with a slave; slave — its cascade identity. */
  icw3 = 0;
  /** Next expected ICW: 0 none (operational), 2, 3 or 4. */
  private expect = 0;
  private ltim = false;
  private single = false;
  private needIcw4 = false;
  private adi = false;
  upm = false;
  autoEoi = false;
  buffered = false;
  masterMode = false;
  specialFullyNested = false;
  specialMask = false;
  rotateOnAutoEoi = false;
  readIsr = false;
  private poll = false;
  /** The lowest-priority level (7 after ICW1: fixed priority IR0 > … > IR7). */
  lowest = 7;
  /** Whether this chip is the master of a cascade (for SFNM). */
  readonly isMaster: boolean;
  /** Called after any change that may move the INT output. */
  onChange: () => void = () => {};

  constructor(isMaster: boolean, elcrMask: number) {
    this.isMaster = isMaster;
    this.elcrMask = elcrMask;
  }

  /** Drives input `irq` (0–7). */
  setInput(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (level) this.levels |= bit;
    else this.levels &= ~bit;
    if (this.isLevelMode(bit)) {
      if (level) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (level) {
      if (!(this.seen & bit)) this.irr |= bit;
      this.seen |= bit;
    } else {
      this.seen &= ~bit;
    }
    this.onChange();
  }

  /** Whether the INT output is high: a request that the priority logic lets through. */
  get int(): boolean {
    return this.pending() >= 0;
  }

  /** Priority rank of `irq` (0 = highest) under the current rotation. */
  rank(irq: number): number {
    return (irq - this.lowest - 1) & 7;
  }

  /** The highest-priority level set in `bits`, or -1. */
  highest(bits: number): number {
    if ((bits & 0xff) === 0) return -1;
    for (let r = 0; r < 8; r++) {
      const irq = (r + this.lowest + 1) & 7;
      if (bits & (1 << irq)) return irq;
    }
    return -1;
  }

  /**
   * The level the chip would deliver now, or -1: the highest unmasked request of higher priority
   * than everything in service (in special mask mode, masked ISR bits do not block; in special
   * fully nested mode a master lets a slave input through while that input is in service).
   */
  pending(): number {
    const req = this.highest(this.irr & ~this.imr);
    if (req < 0) return -1;
    const inService = this.specialMask ? this.isr & ~this.imr : this.isr;
    const cur = this.highest(inService);
    if (cur < 0 || this.rank(req) < this.rank(cur)) return req;
    if (this.specialFullyNested && this.isMaster && req === cur && this.icw3 & (1 << req)) return req;
    return -1;
  }

  /**
   * First half of INTA for level `irq`: IRR bit cleared (a level-mode input that is still high
   * sets it again), ISR bit set unless in automatic EOI mode (then, with rotation on, the level
   * becomes the lowest priority).
   */
  acknowledge(irq: number): void {
    const bit = 1 << irq;
    this.irr &= ~bit;
    if (this.isLevelMode(bit) && this.levels & bit) this.irr |= bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowest = irq;
    } else {
      this.isr |= bit;
    }
    this.onChange();
  }

  /** A write to the command port (A0 = 0): ICW1, OCW2 or OCW3. */
  writeCommand(value: number): void {
    if (value & ICW1_INIT) {
      // ICW1 (8259A datasheet, "Initialization Command Words"): edge sense reset (a high input
      // needs a new low-to-high transition), IMR cleared, IR7 lowest, special mask cleared,
      // status read set to IRR; without IC4 all ICW4 functions are zero.
      this.ltim = (value & ICW1_LTIM) !== 0;
      this.adi = (value & ICW1_ADI) !== 0;
      this.single = (value & ICW1_SNGL) !== 0;
      this.needIcw4 = (value & ICW1_IC4) !== 0;
      this.seen = this.levels;
      this.irr = this.levels & (this.ltim ? 0xff : this.elcr);
      this.isr = 0;
      this.imr = 0;
      this.lowest = 7;
      this.specialMask = false;
      this.readIsr = false;
      this.poll = false;
      this.rotateOnAutoEoi = false;
      if (!this.needIcw4) {
        this.upm = false;
        this.autoEoi = false;
        this.buffered = false;
        this.masterMode = false;
        this.specialFullyNested = false;
      }
      this.expect = 2;
    } else if (value & OCW3_SELECT) {
      if (value & OCW3_POLL) this.poll = true;
      if (value & OCW3_RR) this.readIsr = (value & OCW3_RIS) !== 0;
      if (value & OCW3_ESMM) this.specialMask = (value & OCW3_SMM) !== 0;
    } else {
      const level = value & 7;
      switch (value >> 5) {
        case OCW2_ROTATE_AEOI_CLEAR:
          this.rotateOnAutoEoi = false;
          break;
        case OCW2_ROTATE_AEOI_SET:
          this.rotateOnAutoEoi = true;
          break;
        case OCW2_EOI:
        case OCW2_ROTATE_EOI: {
          const irq = this.highest(this.isr);
          if (irq >= 0) {
            this.isr &= ~(1 << irq);
            if (value >> 5 === OCW2_ROTATE_EOI) this.lowest = irq;
          }
          break;
        }
        case OCW2_SPECIFIC_EOI:
          this.isr &= ~(1 << level);
          break;
        case OCW2_ROTATE_SPECIFIC_EOI:
          this.isr &= ~(1 << level);
          this.lowest = level;
          break;
        case OCW2_SET_PRIORITY:
          this.lowest = level;
          break;
        default:
          break;
      }
    }
    this.onChange();
  }

  /** A write to the data port (A0 = 1): ICW2–4 during initialization, else OCW1 (IMR). */
  writeData(value: number): void {
    switch (this.expect) {
      case 2:
        this.vectorBase = value & 0xf8;
        this.expect = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        break;
      case 3:
        this.icw3 = value;
        this.expect = this.needIcw4 ? 4 : 0;
        break;
      case 4:
        this.upm = (value & ICW4_UPM) !== 0;
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.masterMode = (value & ICW4_MS) !== 0;
        this.buffered = (value & ICW4_BUF) !== 0;
        this.specialFullyNested = (value & ICW4_SFNM) !== 0;
        this.expect = 0;
        break;
      default:
        this.imr = value;
    }
    this.onChange();
  }

  /**
   * A read of the command port: the poll word after a poll command (bit 7 = request, bits 2–0
   * = level; the request is acknowledged as by INTA), else IRR or ISR as OCW3 selected.
   */
  readCommand(): number {
    if (this.poll) {
      this.poll = false;
      const irq = this.pending();
      if (irq < 0) return 0;
      this.acknowledge(irq);
      return 0x80 | irq;
    }
    return this.readIsr ? this.isr : this.irr;
  }

  /** A read of the data port: IMR. */
  readData(): number {
    return this.imr;
  }

  /** Sets ELCR (only the bits that exist); inputs switched to level mode follow their level. */
  writeElcr(value: number): void {
    const old = this.elcr;
    this.elcr = value & this.elcrMask;
    const toLevel = this.elcr & ~old;
    this.irr = (this.irr & ~toLevel) | (this.levels & toLevel);
    const toEdge = old & ~this.elcr;
    this.seen = (this.seen & ~toEdge) | (this.levels & toEdge);
    this.onChange();
  }

  /** Whether the initialization sequence is complete. */
  get initialized(): boolean {
    return this.expect === 0;
  }

  /** Power-on state (all registers zero, fixed priority, edge mode). */
  reset(): void {
    this.irr = 0;
    this.isr = 0;
    this.imr = 0;
    this.elcr = 0;
    this.seen = this.levels;
    this.vectorBase = 0;
    this.icw3 = 0;
    this.expect = 0;
    this.ltim = false;
    this.single = false;
    this.needIcw4 = false;
    this.adi = false;
    this.upm = false;
    this.autoEoi = false;
    this.buffered = false;
    this.masterMode = false;
    this.specialFullyNested = false;
    this.specialMask = false;
    this.rotateOnAutoEoi = false;
    this.readIsr = false;
    this.poll = false;
    this.lowest = 7;
    this.onChange();
  }

  /** Whether ICW1 selected call address interval 4 (stored only). */
  get addressInterval4(): boolean {
    return this.adi;
  }

  private isLevelMode(bit: number): boolean {
    return this.ltim || (this.elcr & bit) !== 0;
  }
}

/** Throws if a second interrupt controller tries to drive INTR. */
export function interruptControllerTaken(owner: string, existing: string): BusError {
  return new BusError(
    'IRQ_CONFLICT',
    `interrupt controller '${owner}' cannot drive INTR: '${existing}' already does`,
  );
}
