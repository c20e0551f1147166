import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';
import { interruptControllerTaken, Pic8259 } from './pic-8259.js';

/** Master command/data ports (PC/AT). */
export const PIC_MASTER_BASE = 0x20;
/** Slave command/data ports (PC/AT). */
export const PIC_SLAVE_BASE = 0xa0;
/** ELCR1 (IRQ 0–7) and ELCR2 (IRQ 8–15) of the PIIX/ICH (Intel 82371 PIIX datasheet, "ELCR"). */
export const PIC_ELCR_BASE = 0x4d0;
/** The master input the slave's INT drives (PC/AT wiring). */
export const PIC_CASCADE_IRQ = 2;
/** ELCR1 bits that exist: IRQ 0, 1 and 2 are always edge (PIIX datasheet, ELCR1). */
export const ELCR1_MASK = 0xf8;
/** ELCR2 bits that exist: IRQ 8 and 13 are always edge (PIIX datasheet, ELCR2). */
export const ELCR2_MASK = 0xde;

/** Options of {@link Pic8259Pair}. */
export interface Pic8259PairOptions {
  readonly name: string;
  /** Decode the ELCR ports 0x4d0/0x4d1 (default true). */
  readonly elcr?: boolean;
}

/**
 * The PC/AT interrupt controller: a master 8259A at 0x20/0x21 and a slave at 0xa0/0xa1 whose INT
 * drives master input 2, optional PIIX ELCR registers at 0x4d0/0x4d1, inputs GSI 0–15 from the
 * IRQ bus (GSI 2 is the cascade: nothing else may use it; the ISA IRQ2 pin is IRQ 9), the
 * master's INT on the CPU's INTR pin, and the INTA cycle that yields the vector.
 *
 * Spurious interrupts: an INTA without a serviceable request returns the master's IR7 vector
 * without setting ISR; one whose slave request vanished returns the slave's IR7 vector with the
 * master's IR2 in service (so the guest must EOI the master, as Linux does).
 */
export class Pic8259Pair {
  readonly name: string;
  readonly master: Pic8259 = new Pic8259(true, ELCR1_MASK);
  readonly slave: Pic8259 = new Pic8259(false, ELCR2_MASK);
  /** INTA cycles answered, spurious ones included. */
  acknowledged = 0;
  /** Spurious vectors delivered (master IR7 without request, slave IR7 without request). */
  spurious = 0;
  private readonly board: Motherboard;
  private updating = false;

  constructor(board: Motherboard, options: Pic8259PairOptions) {
    this.board = board;
    this.name = options.name;
    const existing = board.pins.controllerName;
    if (existing !== undefined) throw interruptControllerTaken(options.name, existing);
    const chip = (pic: Pic8259) => ({
      read: (a: { offset: number; value: number }) => {
        a.value = a.offset === 0 ? pic.readCommand() : pic.readData();
        return true;
      },
      write: (a: { offset: number; value: number }) => {
        if (a.offset === 0) pic.writeCommand(a.value);
        else pic.writeData(a.value);
        return true;
      },
    });
    board.io.register({ owner: options.name, base: PIC_MASTER_BASE, length: 2, handler: chip(this.master) });
    board.io.register({ owner: options.name, base: PIC_SLAVE_BASE, length: 2, handler: chip(this.slave) });
    if (options.elcr !== false) {
      board.io.register({
        owner: options.name,
        base: PIC_ELCR_BASE,
        length: 2,
        handler: {
          read: (a) => {
            a.value = a.offset === 0 ? this.master.elcr : this.slave.elcr;
            return true;
          },
          write: (a) => {
            (a.offset === 0 ? this.master : this.slave).writeElcr(a.value);
            return true;
          },
        },
      });
    }
    this.master.onChange = () => this.update();
    this.slave.onChange = () => this.update();
    board.irq.connect(options.name, 0, 16, (gsi, level) => {
      if (gsi === PIC_CASCADE_IRQ) return;
      if (gsi < 8) this.master.setInput(gsi, level);
      else this.slave.setInput(gsi - 8, level);
    });
    board.pins.attachController(options.name, { acknowledge: () => this.acknowledge() });
  }

  /**
   * The CPU's INTA cycle: the vector of the highest-priority serviceable request (through the
   * slave when the master picks the cascade input), or a spurious IR7 vector.
   */
  acknowledge(): number {
    this.acknowledged++;
    const irq = this.master.pending();
    if (irq < 0) {
      this.spurious++;
      return this.master.vectorBase | 7;
    }
    this.updating = true;
    let vector: number;
    try {
      this.master.acknowledge(irq);
      if (irq === PIC_CASCADE_IRQ) {
        const sirq = this.slave.pending();
        if (sirq < 0) {
          this.spurious++;
          vector = this.slave.vectorBase | 7;
        } else {
          this.slave.acknowledge(sirq);
          vector = this.slave.vectorBase + sirq;
        }
      } else {
        vector = this.master.vectorBase + irq;
      }
    } finally {
      this.updating = false;
    }
    this.update();
    return vector;
  }

  /** Whether the master's INT (the CPU's INTR) is high. */
  get intr(): boolean {
    return this.master.int;
  }

  /** Power-on state of both chips. */
  reset(): void {
    this.master.reset();
    this.slave.reset();
  }

  /** IRR/ISR/IMR of both chips. */
  describe(): string {
    const h = (n: number) => n.toString(16).padStart(2, '0');
    const one = (label: string, p: Pic8259) =>
      `${label} IRR ${h(p.irr)} ISR ${h(p.isr)} IMR ${h(p.imr)} ELCR ${h(p.elcr)} base ${h(p.vectorBase)}` +
      `${p.autoEoi ? ' AEOI' : ''}${p.specialMask ? ' SMM' : ''}${p.specialFullyNested ? ' SFNM' : ''}` +
      ` lowest ${p.lowest}`;
    return `${this.name}: ${one('master', this.master)}; ${one('slave', this.slave)}; INTR ${this.intr ? 1 : 0}`;
  }

  private update(): void {
    if (this.updating) return;
    this.updating = true;
    try {
      this.master.setInput(PIC_CASCADE_IRQ, this.slave.int);
    } finally {
      this.updating = false;
    }
    this.board.pins.setIntr(this.master.int);
  }
}

const PIC_PARAMS = {
  elcr: { type: 'boolean', help: 'decode the PIIX ELCR ports 0x4d0/0x4d1', default: true },
} as const;

/** The `pic` device: the 8259A master/slave pair, the machine's interrupt controller. */
export const picDevice: DeviceDefinition<typeof PIC_PARAMS, Pic8259Pair> = defineDevice({
  name: 'pic',
  summary: '8259A master/slave PIC pair (0x20, 0xa0, ELCR 0x4d0), GSI 0-15 to the CPU INTR pin',
  params: PIC_PARAMS,
  create: ({ board, name }, p) => new Pic8259Pair(board, { name, elcr: p.elcr }),
});
