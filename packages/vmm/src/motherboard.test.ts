import { describe, expect, it } from 'vitest';
import { defineDevice } from './device-api/define-device.js';
import { Motherboard } from './motherboard.js';
import { VirtualClock } from './time/virtual-clock.js';

const order: string[] = [];
const probe = defineDevice({
  name: 'probe',
  summary: 'records resets',
  params: {},
  create: ({ name }) => ({ reset: () => order.push(name) }),
});

describe('Motherboard', () => {
  it('creates a virtual clock by default and uses a given one', () => {
    expect(new Motherboard().clock.now()).toBe(0);
    const clock = new VirtualClock(5);
    expect(new Motherboard({ clock }).clock).toBe(clock);
  });

  it('resets attached devices in attachment order and finds them by name', () => {
    order.length = 0;
    const board = new Motherboard();
    board.add(probe);
    board.add(probe, {}, { name: 'custom' });
    board.add(probe);
    board.reset();
    expect(order).toEqual(['probe0', 'custom', 'probe1']);
    expect(board.device('custom')?.definition).toBe(probe);
    expect(board.device('nope')).toBeUndefined();
  });

  it('opens A20 when any source opens it and reports changes to the host once', () => {
    const board = new Motherboard();
    const seen: boolean[] = [];
    board.host.handle((m) => {
      if (m.op !== 'a20') return false;
      seen.push(m.enabled);
      return true;
    });
    expect(board.a20).toBe(true);
    board.setA20('kbc', true);
    board.setA20('port92', false);
    board.setA20('kbc', false);
    board.setA20('port92', true);
    board.setA20('port92', true);
    expect(seen).toEqual([false, true]);
  });
});

describe('Motherboard.add is all or nothing', () => {
  it('takes back what a failing create registered (ports, MMIO, IRQ sources and receivers, INTA, A20)', () => {
    const board = new Motherboard();
    board.io.register({ owner: 'taken', base: 0x100, length: 1, handler: {} });
    const broken = defineDevice({
      name: 'broken',
      summary: 'fails after registering things',
      params: {},
      create: ({ board: b, name }) => {
        b.io.register({ owner: name, base: 0x200, length: 4, handler: {} });
        b.mmio.register({ owner: name, base: 0xfee00000, length: 0x1000, handler: {} });
        b.irq.line(5, { owner: name, trigger: 'edge' });
        b.irq.connect(name, 16, 8, () => {});
        b.pins.attachController(name, { acknowledge: () => 0x20 });
        b.setA20(name, false);
        b.io.register({ owner: name, base: 0x100, length: 1, handler: {} });
        return {};
      },
    });
    expect(() => board.add(broken)).toThrow(
      "port I/O range 0x100-0x100 of 'broken0' overlaps 0x100-0x100 of 'taken'",
    );
    expect(board.devices).toHaveLength(0);
    expect(board.io.regions().map((r) => r.owner)).toEqual(['taken']);
    expect(board.mmio.regions()).toHaveLength(0);
    expect(board.irq.sourcesOf(5)).toHaveLength(0);
    expect(board.pins.controllerName).toBeUndefined();
    expect(board.a20).toBe(true);
    // Everything it held is free again.
    board.irq.line(5, { owner: 'uart', trigger: 'edge' });
    board.irq.connect('pic', 0, 24, () => {});
    board.setA20('kbc', true);
    expect(board.a20).toBe(true);
    expect(board.pins.attachController('pic', { acknowledge: () => 0x30 })).toBe(true);
  });
});
