import type { IrqLine } from '../bus/irq-bus.js';
import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';
import type { TimerHandle } from '../time/device-clock.js';
import { PitCounter } from './pit-counter.js';
import { pitTicksAt, pitTickTime } from './pit-time.js';

/** Counter 0–2 data ports and the control word port (PC/AT: 0x40–0x43). */
export const PIT_BASE = 0x40;
/** Offset of the control word register (Intel 8254, A1 A0 = 11). */
export const PIT_CONTROL = 3;
/** System control port B (PC/AT, 8255 PPI port B / chipset NMI status and control register). */
export const PORT_B = 0x61;
/** Port B bit 0: timer 2 gate (read/write). */
export const PORT_B_GATE2 = 0x01;
/** Port B bit 1: speaker data enable (read/write). */
export const PORT_B_SPEAKER = 0x02;
/** Port B bits 2–3: parity / I/O channel check enables (read/write, stored). */
export const PORT_B_CHECK_ENABLES = 0x0c;
/** Port B bit 4: refresh request toggle (read only; flips every 15.085 µs, 18 PIT clocks). */
export const PORT_B_REFRESH = 0x10;
/** Port B bit 5: timer 2 OUT (read only). */
export const PORT_B_OUT2 = 0x20;
/** PIT clocks per DRAM refresh request (counter 1 as the PC/AT BIOS programs it). */
export const REFRESH_TICKS = 18;

/** Options of {@link Pit8254}. */
export interface Pit8254Options {
  readonly name: string;
  /** Base port (0x40). */
  readonly base: number;
  /** GSI that counter 0's OUT drives (0). */
  readonly irq: number;
  /** Decode port 0x61 (default true). */
  readonly portB?: boolean;
}

/**
 * An Intel 8254 programmable interval timer clocked at 1.193182 MHz, as on the PC/AT: counter 0
 * drives IRQ 0, counter 1 is free (its gate is high), counter 2's gate and OUT are on port 0x61
 * together with the speaker enable and the refresh toggle.
 *
 * Everything is computed from the virtual clock when the guest reads; the only scheduled event is
 * the next rising edge of counter 0's OUT, which pulses the IRQ line (an edge-triggered ISA line:
 * ELCR cannot make IRQ 0 level-triggered). Modelled: modes 0–5, binary and BCD, LSB/MSB/word
 * access with separate read and write flip-flops, the counter-latch and read-back commands, the
 * status byte (OUT, NULL COUNT, RW, mode, BCD), gates. Not modelled: sound; a control word that
 * raises OUT delivers no interrupt (only counting does); count 1 in mode 2 (illegal) gives none.
 */
export class Pit8254 {
  readonly name: string;
  readonly counters: readonly [PitCounter, PitCounter, PitCounter] = [
    new PitCounter(),
    new PitCounter(),
    new PitCounter(),
  ];
  private readonly board: Motherboard;
  private readonly line: IrqLine;
  private timer: TimerHandle | undefined;
  private portB = 0;
  /** Interrupts (rising edges of counter 0's OUT) delivered to the IRQ line. */
  interrupts = 0;

  constructor(board: Motherboard, options: Pit8254Options) {
    this.board = board;
    this.name = options.name;
    this.line = board.irq.line(options.irq, { owner: options.name, trigger: 'edge' });
    // Port B powers up as 0: counter 2's gate is low.
    this.counters[2].setGate(this.tick(), false);
    board.io.register({
      owner: options.name,
      base: options.base,
      length: 4,
      handler: {
        read: (a) => {
          a.value = a.offset === PIT_CONTROL ? 0xff : this.counters[a.offset]!.read(this.tick());
          return a.offset !== PIT_CONTROL;
        },
        write: (a) => {
          if (a.offset === PIT_CONTROL) this.writeControl(a.value);
          else {
            this.counters[a.offset]!.write(this.tick(), a.value);
            if (a.offset === 0) this.channel0Changed();
          }
          return true;
        },
      },
    });
    if (options.portB !== false) {
      board.io.register({
        owner: options.name,
        base: PORT_B,
        length: 1,
        handler: {
          read: (a) => {
            a.value = this.readPortB();
            return true;
          },
          write: (a) => {
            this.writePortB(a.value);
            return true;
          },
        },
      });
    }
  }

  /** PIT input-clock pulses since power-on. */
  tick(): number {
    return pitTicksAt(this.board.clock.now());
  }

  /** A write of the control word register (Figure 7, and the read-back command, Figure 11). */
  writeControl(value: number): void {
    const tick = this.tick();
    const sc = value >> 6;
    if (sc === 3) {
      // Read-back: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 3–1 select counters.
      for (let i = 0; i < 3; i++) {
        if (!(value & (2 << i))) continue;
        const c = this.counters[i]!;
        if (!(value & 0x10)) c.latchStatus(tick);
        if (!(value & 0x20)) c.latchCount(tick);
      }
      return;
    }
    const rw = (value >> 4) & 3;
    const c = this.counters[sc]!;
    if (rw === 0) {
      c.latchCount(tick);
      return;
    }
    c.control(rw, (value >> 1) & 7, (value & 1) !== 0);
    if (sc === 0) this.channel0Changed();
  }

  /** Port 0x61 as read: gate 2, speaker, check enables, refresh toggle, OUT2. */
  readPortB(): number {
    const tick = this.tick();
    return (
      (this.portB & (PORT_B_GATE2 | PORT_B_SPEAKER | PORT_B_CHECK_ENABLES)) |
      (Math.floor(tick / REFRESH_TICKS) % 2 === 1 ? PORT_B_REFRESH : 0) |
      (this.counters[2].out(tick) ? PORT_B_OUT2 : 0)
    );
  }

  /** Port 0x61 as written: bits 0–3; bit 0 drives counter 2's gate. */
  writePortB(value: number): void {
    this.portB = value & 0x0f;
    this.counters[2].setGate(this.tick(), (value & PORT_B_GATE2) !== 0);
  }

  /** Power-on state: counters unprogrammed, port B zero (gate 2 low), no pending interrupt. */
  reset(): void {
    for (const c of this.counters) c.control(1, 0, false);
    this.counters[2].setGate(this.tick(), false);
    this.portB = 0;
    this.timer?.cancel();
    this.timer = undefined;
    this.line.lower();
  }

  /** Counter modes, counts and OUT levels. */
  describe(): string {
    const tick = this.tick();
    const parts = this.counters.map(
      (c, i) =>
        `ch${i} mode ${c.mode}${c.bcd ? ' bcd' : ''} rw ${c.rw} cr 0x${c.cr.toString(16)} count 0x${c
          .count(tick)
          .toString(16)} out ${c.out(tick) ? 1 : 0} gate ${c.gate ? 1 : 0}`,
    );
    return `${this.name}: ${parts.join('; ')}; port61 0x${this.readPortB().toString(16)}; irqs ${this.interrupts}`;
  }

  /**
   * Counter 0 was reprogrammed: OUT going low (mode 0) is put on the line at once; OUT rising
   * because of a control word is not delivered as an interrupt — interrupts come only from the
   * counting (the next rising edge is scheduled).
   */
  private channel0Changed(): void {
    const tick = this.tick();
    if (!this.counters[0].out(tick)) this.line.lower();
    this.schedule(tick);
  }

  private schedule(tick: number): void {
    this.timer?.cancel();
    this.timer = undefined;
    const edge = this.counters[0].nextRisingEdge(tick);
    if (edge === undefined) return;
    this.timer = this.board.clock.schedule(pitTickTime(edge), () => {
      this.timer = undefined;
      this.interrupts++;
      this.line.lower();
      this.line.raise();
      this.schedule(pitTicksAt(this.board.clock.now()));
    });
  }
}

const PIT_PARAMS = {
  base: {
    type: 'number',
    help: 'I/O base port of the counters',
    default: 0x40,
    hex: true,
    min: 0,
    max: 0xfffc,
  },
  irq: { type: 'number', help: 'GSI driven by counter 0', default: 0, min: 0, max: 255 },
  port61: { type: 'boolean', help: 'decode port 0x61 (gate and OUT of counter 2, speaker)', default: true },
} as const;

/** The `pit` device: the 8254 at 0x40–0x43, counter 0 on IRQ 0, port 0x61. */
export const pitDevice: DeviceDefinition<typeof PIT_PARAMS, Pit8254> = defineDevice({
  name: 'pit',
  summary: '8254 PIT at 1.193182 MHz (0x40-0x43), counter 0 -> IRQ 0, counter 2 gate/OUT on port 0x61',
  params: PIT_PARAMS,
  create: ({ board, name }, p) => new Pit8254(board, { name, base: p.base, irq: p.irq, portB: p.port61 }),
});
