import { createVcpuState, Vcpu_state } from '@genode-ts/genode-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { picDevice } from '../devices/pic-8259-pair.js';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import {
  checkIrq,
  decideInjection,
  EFLAGS_IF,
  externalInterrupt,
  hardwareException,
  INJ,
  interruptible,
} from './injection.js';

function state(fields: { flags?: number; intrState?: number; injInfo?: number }): Vcpu_state {
  const s = createVcpuState();
  s.flags = fields.flags ?? 0x202;
  s.intrState = fields.intrState ?? 0;
  s.injInfo = fields.injInfo ?? 0;
  return new Vcpu_state(s);
}

function pins(levels: number[]) {
  let acks = 0;
  return {
    get intr() {
      return acks < levels.length;
    },
    acknowledge() {
      return levels[acks++];
    },
    get acks() {
      return acks;
    },
  };
}

describe('interrupt injection', () => {
  it('injects when INTR is high and the guest is interruptible', () => {
    const s = state({});
    const p = pins([0x20]);
    const t = { window: false };
    expect(checkIrq(s, p, t)).toBe(0x20);
    expect(s.inj_info.value()).toBe(externalInterrupt(0x20));
    expect(s.inj_info.value() >>> 0).toBe(0x8000_0020);
    expect(t.window).toBe(false);
  });

  it('requests the interrupt window when IF = 0 or an STI / MOV SS shadow blocks', () => {
    for (const f of [{ flags: 0x2 }, { intrState: 1 }, { intrState: 2 }]) {
      const s = state(f);
      const p = pins([0x21]);
      const t = { window: false };
      expect(checkIrq(s, p, t)).toBeUndefined();
      expect(p.acks).toBe(0);
      expect(s.inj_info.value()).toBe(INJ.WINDOW);
      expect(t.window).toBe(true);
    }
  });

  it('keeps a pending event (re-injection) and asks for the window for the next one', () => {
    const pending = hardwareException(14, 2);
    const s = state({ injInfo: pending });
    const p = pins([0x20]);
    const t = { window: false };
    expect(checkIrq(s, p, t)).toBeUndefined();
    expect(p.acks).toBe(0);
    expect(s.inj_info.value()).toBe((pending | INJ.WINDOW) >>> 0);
    // pending and nothing else: the event is written back unchanged
    const s2 = state({ injInfo: pending });
    checkIrq(s2, pins([]), { window: false });
    expect(s2.inj_info.charged()).toBe(true);
    expect(s2.inj_info.value()).toBe(pending);
  });

  it('injects one and requests the window while a second interrupt waits', () => {
    const s = state({});
    const p = pins([0x20, 0x24]);
    const t = { window: false };
    expect(checkIrq(s, p, t)).toBe(0x20);
    expect(s.inj_info.value()).toBe((externalInterrupt(0x20) | INJ.WINDOW) >>> 0);
    expect(t.window).toBe(true);
  });

  it('writes nothing when nothing changes, and withdraws a window request when INTR fell', () => {
    const s = state({});
    checkIrq(s, pins([]), { window: false });
    expect(s.inj_info.charged()).toBe(false);
    const s2 = state({});
    const t = { window: true };
    checkIrq(s2, pins([]), t);
    expect(s2.inj_info.value()).toBe(0);
    expect(s2.inj_info.charged()).toBe(true);
    expect(t.window).toBe(false);
  });

  it('decides exactly as the definition says (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0x3fffff }),
        fc.integer({ min: 0, max: 0xf }),
        fc.boolean(),
        (injInfo, flags, intrState, intr) => {
          const d = decideInjection({ injInfo, flags, intrState, intr });
          const pending = injInfo >= 0x8000_0000;
          expect(d.pending).toBe(pending);
          expect(d.inject).toBe(!pending && intr && (flags & EFLAGS_IF) !== 0 && (intrState & 3) === 0);
          expect(interruptible(flags, intrState)).toBe((flags & EFLAGS_IF) !== 0 && (intrState & 3) === 0);
        },
      ),
      { seed: 1, numRuns: 1000 },
    );
  });

  it('drives the real PIC: IRQ 0 → INTR → INTA → vector 0x20 in service', () => {
    const board = new Motherboard({ clock: new VirtualClock() });
    const pic = board.add(picDevice).model;
    // ICW1-4 for the master (vector base 0x20), unmask IRQ 0
    for (const [port, v] of [
      [0x20, 0x11],
      [0x21, 0x20],
      [0x21, 0x04],
      [0x21, 0x01],
      [0x21, 0xfe],
    ] as const) {
      board.io.write(port, 1, v);
    }
    const line = board.irq.line(0, { owner: 'test', trigger: 'edge' });
    line.pulse();
    expect(board.pins.intr).toBe(true);
    const s = state({});
    const t = { window: false };
    expect(checkIrq(s, board.pins, t)).toBe(0x20);
    expect(board.pins.intr).toBe(false);
    board.io.write(0x20, 1, 0x0b); // OCW3: read ISR
    expect(board.io.read(0x20, 1)).toBe(0x01);
    expect(pic).toBeDefined();
  });
});
