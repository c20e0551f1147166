import { describe, expect, it } from 'vitest';
import { BusError } from '../errors.js';
import { IrqBus } from './irq-bus.js';

describe('IrqBus', () => {
  it('delivers level changes of a line to the receiver of its GSI, once per change', () => {
    const irq = new IrqBus();
    const seen: string[] = [];
    irq.connect('pic', 0, 16, (g, l) => seen.push(`${g}:${l ? 1 : 0}`));
    const line = irq.line(4, { owner: 'uart0', trigger: 'edge' });
    line.raise();
    line.raise();
    line.lower();
    line.pulse();
    expect(seen).toEqual(['4:1', '4:0', '4:1', '4:0']);
    expect(irq.risingEdges(4)).toBe(2);
  });

  it('remembers levels for a receiver that connects later', () => {
    const irq = new IrqBus();
    irq.line(8, { owner: 'rtc', trigger: 'edge' }).raise();
    const seen: number[] = [];
    irq.connect('pic', 0, 16, (g) => seen.push(g));
    expect(seen).toEqual([8]);
    expect(irq.level(8)).toBe(true);
  });

  it('wire-ORs level-triggered sources on a shared line', () => {
    const irq = new IrqBus();
    const seen: boolean[] = [];
    irq.connect('ioapic', 16, 8, (_g, l) => seen.push(l));
    const a = irq.line(20, { owner: 'a', trigger: 'level' });
    const b = irq.line(20, { owner: 'b', trigger: 'level' });
    a.raise();
    b.raise();
    a.lower();
    expect(irq.level(20)).toBe(true);
    b.lower();
    expect(seen).toEqual([true, false]);
    expect(irq.sourcesOf(20).map((s) => s.owner)).toEqual(['a', 'b']);
  });

  it('refuses a second source on an edge-triggered line, GSIs out of range and overlapping receivers', () => {
    const irq = new IrqBus();
    irq.line(4, { owner: 'uart0', trigger: 'edge' });
    expect(() => irq.line(4, { owner: 'uart1', trigger: 'edge' })).toThrow(
      "IRQ line 4 of 'uart1' (edge) is already driven by 'uart0' (edge)",
    );
    expect(() => irq.line(4, { owner: 'pci', trigger: 'level' })).toThrow(BusError);
    expect(() => irq.line(256, { owner: 'x', trigger: 'edge' })).toThrow(/outside GSIs 0-255/);
    irq.connect('pic', 0, 16, () => {});
    expect(() => irq.connect('pic2', 8, 8, () => {})).toThrow(
      "GSIs 8-15 of 'pic2' overlap GSIs 0-15 of 'pic'",
    );
  });
});
