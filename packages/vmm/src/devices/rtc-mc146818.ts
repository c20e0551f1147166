import type { IrqLine } from '../bus/irq-bus.js';
import { type DeviceDefinition, defineDevice } from '../device-api/define-device.js';
import type { Motherboard } from '../motherboard.js';
import type { TimerHandle } from '../time/device-clock.js';
import { type RtcCalendar, rtcAdvance, rtcCalendarFromUnix } from './rtc-calendar.js';

/** Index port (bits 6–0 register, bit 7 NMI disable) and data port of the PC/AT CMOS RTC. */
export const RTC_BASE = 0x70;
/** Port 0x70 bit 7: NMI disabled while set (PC/AT). */
export const RTC_NMI_DISABLE = 0x80;

// Register indices (MC146818A datasheet, Figure "Address Map").
/** Seconds. */
export const RTC_SECONDS = 0x00;
/** Seconds alarm. */
export const RTC_SECONDS_ALARM = 0x01;
/** Minutes. */
export const RTC_MINUTES = 0x02;
/** Minutes alarm. */
export const RTC_MINUTES_ALARM = 0x03;
/** Hours (bit 7 = PM in 12-hour mode). */
export const RTC_HOURS = 0x04;
/** Hours alarm. */
export const RTC_HOURS_ALARM = 0x05;
/** Day of the week, 1–7 (Sunday = 1). */
export const RTC_WEEKDAY = 0x06;
/** Date of the month. */
export const RTC_DAY = 0x07;
/** Month. */
export const RTC_MONTH = 0x08;
/** Year, 0–99. */
export const RTC_YEAR = 0x09;
/** Register A. */
export const RTC_REG_A = 0x0a;
/** Register B. */
export const RTC_REG_B = 0x0b;
/** Register C (flags, cleared by reading). */
export const RTC_REG_C = 0x0c;
/** Register D (VRT). */
export const RTC_REG_D = 0x0d;
/** IBM PC/AT CMOS: century (BCD or binary as register B says), kept in step with the year here. */
export const CMOS_CENTURY = 0x32;
/** PC/AT CMOS: base memory in KiB (low, high). */
export const CMOS_BASE_MEMORY = 0x15;
/** PC/AT CMOS: extended memory above 1 MiB in KiB (low, high), capped at 0xffff. */
export const CMOS_EXTENDED_MEMORY = 0x17;
/** PC/AT CMOS: extended memory as found by POST (same value as 0x17/0x18). */
export const CMOS_EXTENDED_MEMORY_POST = 0x30;
/** PC/AT CMOS (AMI/Award/SeaBIOS convention): memory between 16 MiB and 4 GiB in 64 KiB units. */
export const CMOS_MEMORY_ABOVE_16M = 0x34;
/** PC/AT CMOS: equipment byte (bit 1: coprocessor present). */
export const CMOS_EQUIPMENT = 0x14;
/** PC/AT CMOS: checksum of 0x10–0x2d, big-endian at 0x2e/0x2f. */
export const CMOS_CHECKSUM = 0x2e;

// Register A (MC146818A "Register A").
/** UIP: an update cycle is in progress or will start within 244 µs (read only). */
export const REG_A_UIP = 0x80;
/** DV2–DV0 (bits 6–4): 010 = 32.768 kHz time base running; 11x = divider chain reset. */
export const REG_A_DV = 0x70;
/** DV = 010. */
export const REG_A_DV_32K = 0x20;
/** RS3–RS0: periodic interrupt rate select. */
export const REG_A_RS = 0x0f;

// Register B (MC146818A "Register B").
/** SET: updates inhibited; the guest may initialise the time. Setting it clears UIE. */
export const REG_B_SET = 0x80;
/** PIE: periodic interrupt enable. */
export const REG_B_PIE = 0x40;
/** AIE: alarm interrupt enable. */
export const REG_B_AIE = 0x20;
/** UIE: update-ended interrupt enable. */
export const REG_B_UIE = 0x10;
/** SQWE: square-wave output enable (no pin here; stored). */
export const REG_B_SQWE = 0x08;
/** DM: binary (1) or BCD (0) data mode. */
export const REG_B_DM = 0x04;
/** 24/12: 24-hour mode (1) or 12-hour mode with bit 7 = PM (0). */
export const REG_B_24H = 0x02;
/** DSE: daylight saving enable (stored, not modelled). */
export const REG_B_DSE = 0x01;

// Register C (MC146818A "Register C"), read only, cleared by reading.
/** IRQF: an enabled flag is set (the IRQ output is active). */
export const REG_C_IRQF = 0x80;
/** PF: a periodic tick happened. */
export const REG_C_PF = 0x40;
/** AF: the alarm matched. */
export const REG_C_AF = 0x20;
/** UF: an update cycle ended. */
export const REG_C_UF = 0x10;
/** Register D bit 7: VRT, valid RAM and time (the battery is fine). */
export const REG_D_VRT = 0x80;

/** 2000-01-01 00:00:00 UTC: the default start time (deterministic; no wall clock). */
export const RTC_DEFAULT_START = 946_684_800;

const NS = 1_000_000_000;
/** UIP is high for tBUC + tUC = 244 µs + 1984 µs before the registers change (MC146818A AC timing). */
const UIP_WINDOW_NS = 2_228_000;
/** Leaving divider reset: the first update comes 500 ms later (MC146818A "Register A", DV bits). */
const FIRST_UPDATE_AFTER_RESET_NS = 500_000_000;

/** Periodic interrupt period in 32.768 kHz cycles for RS = 1–15 (MC146818A, periodic rate table). */
export function rtcPeriodCycles(rs: number): number {
  if (rs === 0) return 0;
  if (rs === 1) return 128;
  if (rs === 2) return 256;
  return 1 << (rs - 1);
}

/** 32.768 kHz cycles in `ns` nanoseconds (floor), exact for any `ns` below 2⁵³. */
function cyclesIn(ns: number): number {
  const s = Math.floor(ns / NS);
  return s * 32768 + Math.floor(((ns - s * NS) * 32768) / NS);
}

/** The first time (ns) by which `cycles` 32.768 kHz cycles have passed. */
function cyclesTime(cycles: number): number {
  const s = Math.floor(cycles / 32768);
  return s * NS + Math.ceil((cycles - s * 32768) * (NS / 32768));
}

/** Options of {@link RtcMc146818}. */
export interface RtcOptions {
  readonly name: string;
  /** Index port (data port is `base + 1`). */
  readonly base: number;
  /** GSI of the interrupt output (8). */
  readonly irq: number;
  /** Unix time (seconds) the clock shows at guest time 0. */
  readonly startTime: number;
}

/**
 * A Motorola MC146818A real-time clock with the PC/AT's 128-byte CMOS RAM at ports 0x70/0x71.
 *
 * The time runs on the virtual clock (never the wall clock) from a configured start time. Modelled:
 * seconds/minutes/hours/weekday/date/month/year in BCD or binary, 12- or 24-hour mode, the alarm
 * registers with don't-care values (0xc0–0xff), register A (UIP, divider reset, periodic rate),
 * register B (SET, PIE/AIE/UIE, DM, 24/12), register C flags (set whether or not enabled, cleared
 * on reading C) and IRQF on IRQ 8, register D (VRT), the NMI-disable bit of port 0x70, CMOS RAM
 * 0x0e–0x7f with the memory-size fields filled from the `memory-size` host operation, the
 * equipment byte and checksum, and the century byte 0x32.
 *
 * Not modelled: daylight saving (DSE is stored), the square-wave pin, time bases other than
 * 32.768 kHz (DV ≠ 010 stops the clock). A change of DM or 24/12 is presented in the new format
 * at once (the silicon keeps the old bytes and miscounts).
 */
export class RtcMc146818 {
  readonly name: string;
  /** CMOS RAM; bytes 0x00–0x0d are not used (the clock registers live in {@link calendar}). */
  readonly cmos: Uint8Array = new Uint8Array(128);
  private readonly board: Motherboard;
  private readonly line: IrqLine;
  private index = 0;
  private regA = REG_A_DV_32K | 0x06;
  private regB = REG_B_24H;
  private flags = 0;
  private readonly alarm = [0, 0, 0];
  private readonly cal: RtcCalendar;
  /** Guest time up to which update cycles have been applied to {@link cal}. */
  private calNs = 0;
  /** Guest time up to which flags have been accumulated. */
  private flagsNs = 0;
  /** Origin of the divider chain: update cycles complete at phase + k seconds. */
  private phaseNs = 0;
  private timer: TimerHandle | undefined;
  private ramReady = false;

  constructor(board: Motherboard, options: RtcOptions) {
    this.board = board;
    this.name = options.name;
    this.cal = rtcCalendarFromUnix(options.startTime);
    this.line = board.irq.line(options.irq, { owner: options.name, trigger: 'edge' });
    board.io.register({
      owner: options.name,
      base: options.base,
      length: 2,
      handler: {
        read: (a) => {
          if (a.offset === 0) return false;
          a.value = this.readRegister(this.index);
          return true;
        },
        write: (a) => {
          if (a.offset === 0) {
            this.index = a.value & 0x7f;
            board.pins.setNmiMasked((a.value & RTC_NMI_DISABLE) !== 0);
          } else {
            this.writeRegister(this.index, a.value);
          }
          return true;
        },
      },
    });
  }

  /** The current time and calendar (binary), after applying the update cycles due by now. */
  get calendar(): Readonly<RtcCalendar> {
    this.sync();
    return { ...this.cal };
  }

  /** Whether the IRQ output is asserted (IRQF). */
  get irqAsserted(): boolean {
    return this.line.level;
  }

  /** A read of CMOS register `index` (0–0x7f) with its side effects (reading C clears it). */
  readRegister(index: number): number {
    this.sync();
    const now = this.board.clock.now();
    switch (index) {
      case RTC_SECONDS:
        return this.encode(this.cal.second);
      case RTC_MINUTES:
        return this.encode(this.cal.minute);
      case RTC_HOURS:
        return this.encodeHour(this.cal.hour);
      case RTC_SECONDS_ALARM:
        return this.alarm[0]!;
      case RTC_MINUTES_ALARM:
        return this.alarm[1]!;
      case RTC_HOURS_ALARM:
        return this.alarm[2]!;
      case RTC_WEEKDAY:
        return this.encode(this.cal.weekday);
      case RTC_DAY:
        return this.encode(this.cal.day);
      case RTC_MONTH:
        return this.encode(this.cal.month);
      case RTC_YEAR:
        return this.encode(this.cal.year);
      case RTC_REG_A:
        return this.regA | (this.updateInProgress(now) ? REG_A_UIP : 0);
      case RTC_REG_B:
        return this.regB;
      case RTC_REG_C: {
        const v = this.flags | (this.irqf() ? REG_C_IRQF : 0);
        this.flags = 0;
        this.updateLine();
        return v;
      }
      case RTC_REG_D:
        return REG_D_VRT;
      case CMOS_CENTURY:
        return this.encode(this.cal.century % 100);
      default:
        this.fillMemoryFields();
        return this.cmos[index & 0x7f]!;
    }
  }

  /** A write of CMOS register `index` (0–0x7f). */
  writeRegister(index: number, value: number): void {
    value &= 0xff;
    this.sync();
    switch (index) {
      case RTC_SECONDS:
        this.cal.second = this.decode(value);
        break;
      case RTC_MINUTES:
        this.cal.minute = this.decode(value);
        break;
      case RTC_HOURS:
        this.cal.hour = this.decodeHour(value);
        break;
      case RTC_SECONDS_ALARM:
      case RTC_MINUTES_ALARM:
      case RTC_HOURS_ALARM:
        this.alarm[(index - 1) >> 1] = value;
        break;
      case RTC_WEEKDAY:
        this.cal.weekday = this.decode(value);
        break;
      case RTC_DAY:
        this.cal.day = this.decode(value);
        break;
      case RTC_MONTH:
        this.cal.month = this.decode(value);
        break;
      case RTC_YEAR:
        this.cal.year = this.decode(value);
        break;
      case RTC_REG_A: {
        const wasRunning = this.dividerRunning();
        this.regA = value & ~REG_A_UIP;
        if (!wasRunning && this.dividerRunning()) {
          // Leaving divider reset: the first update cycle completes 500 ms later.
          const now = this.board.clock.now();
          this.phaseNs = now + FIRST_UPDATE_AFTER_RESET_NS - NS;
        }
        break;
      }
      case RTC_REG_B:
        // Setting SET aborts updates and clears UIE (MC146818A, Register B).
        this.regB = value & REG_B_SET ? value & ~REG_B_UIE : value;
        break;
      case RTC_REG_C:
      case RTC_REG_D:
        break;
      case CMOS_CENTURY:
        this.cal.century = this.decode(value);
        break;
      default:
        this.fillMemoryFields();
        this.cmos[index & 0x7f] = value;
    }
    this.updateLine();
    this.schedule();
  }

  /** The RESET pin (system reset): PIE, AIE, UIE, SQWE and all flags cleared; time and RAM kept. */
  reset(): void {
    this.sync();
    this.regB &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    this.flags = 0;
    this.updateLine();
    this.schedule();
  }

  /** Time, registers and flags. */
  describe(): string {
    const c = this.calendar;
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return (
      `${this.name}: ${p(c.century)}${p(c.year)}-${p(c.month)}-${p(c.day)} ${p(c.hour)}:${p(c.minute)}:${p(c.second)} ` +
      `weekday ${c.weekday} A 0x${this.regA.toString(16)} B 0x${this.regB.toString(16)} C 0x${this.flags.toString(16)}`
    );
  }

  private dividerRunning(): boolean {
    return (this.regA & REG_A_DV) === REG_A_DV_32K;
  }

  private clockRunning(): boolean {
    return this.dividerRunning() && !(this.regB & REG_B_SET);
  }

  /** Update cycles (second boundaries of the divider) in (from, to]. */
  private boundaries(from: number, to: number): number {
    if (to <= from) return 0;
    const k = (t: number) => Math.floor((t - this.phaseNs) / NS);
    return Math.max(0, k(to) - k(from));
  }

  private updateInProgress(now: number): boolean {
    if (!this.clockRunning()) return false;
    const next = this.phaseNs + (Math.floor((now - this.phaseNs) / NS) + 1) * NS;
    return next - now <= UIP_WINDOW_NS;
  }

  /** Applies the update cycles and periodic ticks due by now to the calendar and the flags. */
  private sync(): void {
    const now = this.board.clock.now();
    if (now <= this.calNs && now <= this.flagsNs) return;
    if (this.clockRunning()) {
      const n = this.boundaries(this.calNs, now);
      if (n > 0) {
        this.flags |= REG_C_UF;
        if (this.alarmMatchedDuring(n)) this.flags |= REG_C_AF;
      }
    }
    this.calNs = now;
    const period = rtcPeriodCycles(this.regA & REG_A_RS);
    if (period > 0 && this.dividerRunning()) {
      const k = (t: number) => Math.floor(cyclesIn(Math.max(0, t - this.phaseNs)) / period);
      if (k(now) > k(this.flagsNs)) this.flags |= REG_C_PF;
    }
    this.flagsNs = now;
  }

  /**
   * Advances the calendar by `n` update cycles, checking the alarm after each (or, for a gap of a
   * day or more, whether the alarm can match at all: every valid alarm matches once a day).
   */
  private alarmMatchedDuring(n: number): boolean {
    if (n >= 86400) {
      const matchable =
        this.alarmFieldMatchable(this.alarm[0]!, 60, false) &&
        this.alarmFieldMatchable(this.alarm[1]!, 60, false) &&
        this.alarmFieldMatchable(this.alarm[2]!, 24, true);
      rtcAdvance(this.cal, n);
      return matchable;
    }
    let hit = false;
    for (let i = 0; i < n; i++) {
      rtcAdvance(this.cal, 1);
      if (this.alarmMatches()) hit = true;
    }
    return hit;
  }

  private alarmFieldMatchable(raw: number, limit: number, hour: boolean): boolean {
    if ((raw & 0xc0) === 0xc0) return true;
    for (let v = 0; v < limit; v++) if ((hour ? this.encodeHour(v) : this.encode(v)) === raw) return true;
    return false;
  }

  private alarmMatches(): boolean {
    const field = (raw: number, value: number) => (raw & 0xc0) === 0xc0 || raw === value;
    return (
      field(this.alarm[0]!, this.encode(this.cal.second)) &&
      field(this.alarm[1]!, this.encode(this.cal.minute)) &&
      field(this.alarm[2]!, this.encodeHour(this.cal.hour))
    );
  }

  private irqf(): boolean {
    const b = this.regB;
    return (
      (b & REG_B_PIE && this.flags & REG_C_PF) !== 0 ||
      (b & REG_B_AIE && this.flags & REG_C_AF) !== 0 ||
      (b & REG_B_UIE && this.flags & REG_C_UF) !== 0
    );
  }

  private updateLine(): void {
    this.line.set(this.irqf());
  }

  /** Schedules the next event an enabled interrupt needs (periodic tick or update cycle). */
  private schedule(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const now = this.board.clock.now();
    let next = Number.POSITIVE_INFINITY;
    const period = rtcPeriodCycles(this.regA & REG_A_RS);
    if (this.regB & REG_B_PIE && period > 0 && this.dividerRunning()) {
      const since = Math.max(0, now - this.phaseNs);
      const k = Math.floor(cyclesIn(since) / period) + 1;
      next = Math.min(next, this.phaseNs + cyclesTime(k * period));
    }
    if (this.regB & (REG_B_UIE | REG_B_AIE) && this.clockRunning()) {
      next = Math.min(next, this.phaseNs + (Math.floor((now - this.phaseNs) / NS) + 1) * NS);
    }
    if (!Number.isFinite(next)) return;
    this.timer = this.board.clock.schedule(next, () => {
      this.timer = undefined;
      this.sync();
      this.updateLine();
      this.schedule();
    });
  }

  private encode(v: number): number {
    if (this.regB & REG_B_DM) return v & 0xff;
    return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
  }

  private decode(v: number): number {
    if (this.regB & REG_B_DM) return v;
    return (v >> 4) * 10 + (v & 0x0f);
  }

  private encodeHour(h: number): number {
    if (this.regB & REG_B_24H) return this.encode(h);
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.encode(h12) | (h >= 12 ? 0x80 : 0);
  }

  private decodeHour(v: number): number {
    if (this.regB & REG_B_24H) return this.decode(v);
    const pm = (v & 0x80) !== 0;
    return (this.decode(v & 0x7f) % 12) + (pm ? 12 : 0);
  }

  /**
   * Memory size fields, equipment byte and checksum, from the host's `memory-size` answer; done
   * at the first access to CMOS RAM, so the host handler may be installed after the device.
   */
  private fillMemoryFields(): void {
    if (this.ramReady) return;
    this.ramReady = true;
    const msg: { op: 'memory-size'; reply?: number } = { op: 'memory-size' };
    this.board.host.send(msg);
    const bytes = msg.reply ?? 0;
    const kib = Math.floor(bytes / 1024);
    const put16 = (at: number, v: number) => {
      this.cmos[at] = v & 0xff;
      this.cmos[at + 1] = (v >> 8) & 0xff;
    };
    put16(CMOS_BASE_MEMORY, Math.min(640, kib));
    const ext = Math.min(0xffff, Math.max(0, kib - 1024));
    put16(CMOS_EXTENDED_MEMORY, ext);
    put16(CMOS_EXTENDED_MEMORY_POST, ext);
    const below4g = Math.min(bytes, 2 ** 32);
    put16(CMOS_MEMORY_ABOVE_16M, Math.min(0xffff, Math.max(0, Math.floor((below4g - 16 * 2 ** 20) / 65536))));
    this.cmos[CMOS_EQUIPMENT] = 0x02;
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.cmos[i]!;
    this.cmos[CMOS_CHECKSUM] = (sum >> 8) & 0xff;
    this.cmos[CMOS_CHECKSUM + 1] = sum & 0xff;
  }
}

const RTC_PARAMS = {
  base: {
    type: 'number',
    help: 'index port (data port is base+1)',
    default: 0x70,
    hex: true,
    min: 0,
    max: 0xfffe,
  },
  irq: { type: 'number', help: 'GSI of the interrupt line', default: 8, min: 0, max: 255 },
  time: {
    type: 'number',
    help: 'Unix time (s) the clock shows at guest time 0 (default 2000-01-01 00:00:00)',
    default: 946_684_800,
    min: 0,
    max: 4_102_444_799,
  },
} as const;

/** The `rtc` device: MC146818A RTC + CMOS RAM at 0x70/0x71, IRQ 8. */
export const rtcDevice: DeviceDefinition<typeof RTC_PARAMS, RtcMc146818> = defineDevice({
  name: 'rtc',
  summary: 'MC146818A RTC and CMOS RAM (0x70/0x71), IRQ 8; time from the virtual clock',
  params: RTC_PARAMS,
  create: ({ board, name }, p) =>
    new RtcMc146818(board, { name, base: p.base, irq: p.irq, startTime: p.time }),
});
