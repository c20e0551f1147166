import { describe, expect, it } from 'vitest';
import { HostBus, type HostOperation } from './host-bus.js';
import { InterruptPins } from './interrupt-pins.js';

describe('HostBus', () => {
  it('offers a message to handlers in order until one claims it; queries get their reply field filled', () => {
    const host = new HostBus();
    const seen: string[] = [];
    host.handle((m) => {
      seen.push(`a:${m.op}`);
      return false;
    });
    const remove = host.handle((m) => {
      seen.push(`b:${m.op}`);
      if (m.op === 'memory-size') {
        m.reply = 64 << 20;
        return true;
      }
      return false;
    });
    const q: HostOperation & { op: 'memory-size' } = { op: 'memory-size' };
    expect(host.send(q)).toBe(true);
    expect(q.reply).toBe(64 << 20);
    expect(host.send({ op: 'reset', device: 'i8042', reason: 'test' })).toBe(false);
    expect(host.unclaimed('reset')).toBe(1);
    remove();
    expect(host.send({ op: 'memory-size' })).toBe(false);
    expect(seen).toEqual(['a:memory-size', 'b:memory-size', 'a:reset', 'b:reset', 'a:memory-size']);
  });
});

describe('InterruptPins', () => {
  it('forwards INTR changes to the sink and INTA to the one attached controller', () => {
    const changes: boolean[] = [];
    const pins = new InterruptPins({ setIntr: (on) => changes.push(on) });
    expect(pins.acknowledge()).toBeUndefined();
    expect(pins.attachController('pic', { acknowledge: () => 0x30 })).toBe(true);
    expect(pins.attachController('other', { acknowledge: () => 0x40 })).toBe(false);
    expect(pins.controllerName).toBe('pic');
    pins.setIntr(true);
    pins.setIntr(true);
    pins.setIntr(false);
    expect(changes).toEqual([true, false]);
    expect(pins.acknowledge()).toBe(0x30);
  });

  it('tells a late sink that INTR is already high', () => {
    const pins = new InterruptPins();
    pins.setIntr(true);
    const changes: boolean[] = [];
    pins.connectSink({ setIntr: (on) => changes.push(on) });
    expect(changes).toEqual([true]);
    pins.setNmiMasked(true);
    expect(pins.nmiMasked).toBe(true);
  });
});
