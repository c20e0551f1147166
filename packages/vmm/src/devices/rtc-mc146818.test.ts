import { describe, expect, it } from 'vitest';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import {
  REG_A_UIP,
  REG_B_24H,
  REG_B_AIE,
  REG_B_DM,
  REG_B_PIE,
  REG_B_SET,
  REG_B_UIE,
  REG_C_AF,
  REG_C_IRQF,
  REG_C_PF,
  REG_C_UF,
  type RtcMc146818,
  rtcDevice,
} from './rtc-mc146818.js';

const S = 1_000_000_000;

function setup(options: { time?: number; memory?: number } = {}) {
  const clock = new VirtualClock();
  const board = new Motherboard({ clock });
  if (options.memory !== undefined) {
    const bytes = options.memory;
    board.host.handle((m) => {
      if (m.op !== 'memory-size') return false;
      m.reply = bytes;
      return true;
    });
  }
  const rtc: RtcMc146818 = board.add(
    rtcDevice,
    options.time === undefined ? {} : { time: options.time },
  ).model;
  const read = (i: number) => {
    board.io.write(0x70, 1, i);
    return board.io.read(0x71, 1);
  };
  const write = (i: number, v: number) => {
    board.io.write(0x70, 1, i);
    board.io.write(0x71, 1, v);
  };
  const time = () => [9, 8, 7, 4, 2, 0].map(read);
  const edges: number[] = [];
  board.irq.connect('probe', 0, 16, (g, l) => g === 8 && l && edges.push(clock.now()));
  return { clock, board, rtc, read, write, time, edges };
}

describe('MC146818 RTC: time', () => {
  it('starts at the configured time (default 2000-01-01 00:00:00, a Saturday) in BCD, 24-hour mode', () => {
    const { read, time } = setup();
    expect(time()).toEqual([0x00, 0x01, 0x01, 0x00, 0x00, 0x00]);
    expect(read(6)).toBe(7);
    expect(read(0x32)).toBe(0x20);
    expect(read(0x0b)).toBe(REG_B_24H);
    expect(read(0x0d)).toBe(0x80);
  });

  it('runs on the virtual clock: one update per second, carrying into minutes, hours and days', () => {
    const { clock, time, read } = setup({ time: Date.UTC(2023, 11, 31, 23, 59, 58) / 1000 });
    expect(time()).toEqual([0x23, 0x12, 0x31, 0x23, 0x59, 0x58]);
    clock.advanceTo(S - 1);
    expect(read(0)).toBe(0x58);
    clock.advanceTo(S);
    expect(read(0)).toBe(0x59);
    clock.advanceTo(2 * S);
    expect(time()).toEqual([0x24, 0x01, 0x01, 0x00, 0x00, 0x00]);
    expect(read(6)).toBe(2); // Monday
    clock.advanceTo((2 + 59 * 86400) * S);
    expect(time()).toEqual([0x24, 0x02, 0x29, 0x00, 0x00, 0x00]);
  });

  it('presents binary and 12-hour formats per register B and reads guest writes in the current format', () => {
    const { read, write, time } = setup({ time: Date.UTC(2000, 0, 1, 13, 5, 9) / 1000 });
    expect(read(4)).toBe(0x13);
    write(0x0b, REG_B_DM | REG_B_24H);
    expect(time()).toEqual([0, 1, 1, 13, 5, 9]);
    write(0x0b, 0);
    expect(read(4)).toBe(0x81);
    write(0x0b, REG_B_DM);
    expect(read(4)).toBe(0x81);
    write(4, 0x8c); // 12 PM binary = noon
    write(0x0b, REG_B_24H);
    expect(read(4)).toBe(0x12);
  });

  it('holds the time while SET is set, takes guest-written values and clears UIE; resumes on the same second grid', () => {
    const { clock, read, write, time } = setup();
    write(0x0b, REG_B_24H | REG_B_UIE);
    clock.advanceTo(S / 2);
    write(0x0b, REG_B_24H | REG_B_SET | REG_B_UIE);
    expect(read(0x0b)).toBe(REG_B_24H | REG_B_SET);
    write(9, 0x99);
    write(0x32, 0x19);
    write(8, 0x12);
    write(7, 0x31);
    write(4, 0x23);
    write(2, 0x59);
    write(0, 0x59);
    clock.advanceTo(5 * S + S / 2);
    expect(time()).toEqual([0x99, 0x12, 0x31, 0x23, 0x59, 0x59]);
    write(0x0b, REG_B_24H);
    clock.advanceTo(6 * S);
    expect(time()).toEqual([0x00, 0x01, 0x01, 0x00, 0x00, 0x00]);
    expect(read(0x32)).toBe(0x20);
  });

  it('sets UIP during the 2228 µs before each update', () => {
    const { clock, read } = setup();
    clock.advanceTo(S - 2_229_000);
    expect(read(0x0a) & REG_A_UIP).toBe(0);
    clock.advanceTo(S - 2_228_000);
    expect(read(0x0a) & REG_A_UIP).toBe(REG_A_UIP);
    clock.advanceTo(S);
    expect(read(0x0a) & REG_A_UIP).toBe(0);
    expect(read(0x0a) & 0x7f).toBe(0x26);
  });

  it('stops in divider reset and makes the first update 500 ms after leaving it', () => {
    const { clock, read, write } = setup();
    write(0x0a, 0x70);
    clock.advanceTo(10 * S + 123);
    expect(read(0)).toBe(0x00);
    write(0x0a, 0x26);
    clock.advanceTo(10 * S + 123 + S / 2 - 1);
    expect(read(0)).toBe(0x00);
    clock.advanceTo(10 * S + 123 + S / 2);
    expect(read(0)).toBe(0x01);
  });
});

describe('MC146818 RTC: flags and interrupts', () => {
  it('sets UF at each update whether or not it is enabled, clears register C on read, interrupts only with UIE', () => {
    const { clock, read, write, edges, rtc } = setup();
    clock.advanceTo(S);
    expect(read(0x0c)).toBe(REG_C_UF | REG_C_PF);
    expect(read(0x0c)).toBe(0);
    expect(edges).toEqual([]);
    write(0x0b, REG_B_24H | REG_B_UIE);
    clock.advanceTo(3 * S);
    expect(edges).toEqual([2 * S]);
    expect(rtc.irqAsserted).toBe(true);
    expect(read(0x0c) & (REG_C_IRQF | REG_C_UF)).toBe(REG_C_IRQF | REG_C_UF);
    expect(rtc.irqAsserted).toBe(false);
    clock.advanceTo(4 * S);
    expect(edges).toEqual([2 * S, 4 * S]);
  });

  it('delivers periodic interrupts at the RS rate (1024 Hz) to a handler that reads register C', () => {
    const { clock, read, write, rtc } = setup();
    let count = 0;
    write(0x0b, REG_B_24H | REG_B_PIE);
    const seen: number[] = [];
    const probe = () => {
      if (rtc.irqAsserted) {
        count++;
        seen.push(clock.now());
        read(0x0c);
      }
    };
    for (let t = 0; t <= S; t += 100_000) {
      clock.advanceTo(t);
      probe();
    }
    expect(count).toBe(1024);
    expect(seen[0]).toBe(1_000_000); // first poll after 976.5625 µs
    write(0x0a, 0x2f); // 2 Hz
    read(0x0c);
    count = 0;
    for (let t = S; t <= 3 * S; t += 1_000_000) {
      clock.advanceTo(t);
      probe();
    }
    expect(count).toBe(4);
  });

  it("matches the alarm at the update, honouring don't-care values", () => {
    const { clock, read, write, edges } = setup();
    write(1, 0x05);
    write(3, 0x00);
    write(5, 0x00);
    write(0x0b, REG_B_24H | REG_B_AIE);
    clock.advanceTo(4 * S);
    expect(edges).toEqual([]);
    clock.advanceTo(5 * S);
    expect(edges).toEqual([5 * S]);
    expect(read(0x0c) & REG_C_AF).toBe(REG_C_AF);
    write(1, 0x30);
    write(3, 0xff);
    write(5, 0xc0);
    clock.advanceTo(200 * S);
    expect(edges).toEqual([5 * S, 30 * S]);
    read(0x0c);
    clock.advanceTo(200 * S + 1);
    expect(edges).toEqual([5 * S, 30 * S]);
    clock.advanceTo(210 * S);
    expect(edges).toEqual([5 * S, 30 * S, 210 * S]);
  });

  it('reports an alarm that matched during a long gap without polling', () => {
    const { clock, read, write } = setup();
    write(1, 0x00);
    write(3, 0x00);
    write(5, 0x12);
    read(0x0c);
    clock.advanceTo(2 * 86400 * S);
    expect(read(0x0c) & REG_C_AF).toBe(REG_C_AF);
    write(5, 0x25); // never a valid hour
    read(0x0c);
    clock.advanceTo(5 * 86400 * S);
    expect(read(0x0c) & REG_C_AF).toBe(0);
  });

  it('clears the interrupt enables and flags on the RESET pin but keeps time and RAM', () => {
    const { clock, rtc, read, write } = setup();
    write(0x0b, REG_B_24H | REG_B_PIE | REG_B_AIE | REG_B_UIE);
    write(0x40, 0x99);
    clock.advanceTo(3 * S);
    rtc.reset();
    expect(read(0x0b)).toBe(REG_B_24H);
    expect(read(0x0c)).toBe(0);
    expect(read(0)).toBe(0x03);
    expect(read(0x40)).toBe(0x99);
    expect(rtc.irqAsserted).toBe(false);
  });
});

describe('MC146818 RTC: CMOS RAM and port 0x70', () => {
  it('fills the memory-size fields, equipment byte and checksum from the host (128 MiB)', () => {
    const { read } = setup({ memory: 128 << 20 });
    const word = (i: number) => read(i) | (read(i + 1) << 8);
    expect(word(0x15)).toBe(640);
    expect(word(0x17)).toBe(0xffff);
    expect(word(0x30)).toBe(0xffff);
    expect(word(0x34)).toBe((112 << 20) / 65536);
    expect(read(0x14)).toBe(0x02);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += read(i);
    expect((read(0x2e) << 8) | read(0x2f)).toBe(sum);
  });

  it('reports extended memory in KiB below 64 MiB (32 MiB) and nothing when the host does not answer', () => {
    const { read } = setup({ memory: 32 << 20 });
    expect(read(0x17) | (read(0x18) << 8)).toBe(31 * 1024);
    expect(read(0x34) | (read(0x35) << 8)).toBe(256);
    const none = setup();
    expect(none.read(0x15) | (none.read(0x16) << 8)).toBe(0);
    expect(none.board.host.unclaimed('memory-size')).toBe(1);
  });

  it('keeps RAM bytes, masks the index to 7 bits, controls the NMI mask with bit 7 and floats on reads of 0x70', () => {
    const { board, read, write } = setup();
    write(0x50, 0xab);
    expect(read(0x50)).toBe(0xab);
    expect(read(0xd0)).toBe(0xab);
    expect(board.pins.nmiMasked).toBe(true);
    board.io.write(0x70, 1, 0x0d);
    expect(board.pins.nmiMasked).toBe(false);
    expect(board.io.read(0x70, 1)).toBe(0xff);
  });
});
