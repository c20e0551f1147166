import { describe, expect, it } from 'vitest';
import type { HostOperation } from '../bus/host-bus.js';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { type I8042, i8042Device } from './i8042.js';

function setup() {
  const board = new Motherboard({ clock: new VirtualClock() });
  const ops: HostOperation[] = [];
  board.host.handle((m) => {
    ops.push(m);
    return true;
  });
  const kbc: I8042 = board.add(i8042Device).model;
  const irqs: string[] = [];
  board.irq.connect('probe', 0, 16, (g, l) => irqs.push(`${g}:${l ? 1 : 0}`));
  const status = () => board.io.read(0x64, 1);
  const data = () => board.io.read(0x60, 1);
  const cmd = (v: number) => board.io.write(0x64, 1, v);
  const put = (v: number) => board.io.write(0x60, 1, v);
  return { board, kbc, ops, irqs, status, data, cmd, put };
}

describe('i8042 keyboard controller', () => {
  it('passes the controller self-test (0xaa → 0x55) and the interface tests', () => {
    const { status, data, cmd } = setup();
    expect(status() & 0x01).toBe(0);
    cmd(0xaa);
    expect(status() & 0x0d).toBe(0x0d); // OBF, SYS, last write was a command
    expect(data()).toBe(0x55);
    cmd(0xab);
    expect(data()).toBe(0x00);
    cmd(0xa9);
    expect(data()).toBe(0x00);
    expect(status() & 0x01).toBe(0);
  });

  it('reads and writes the command byte (Linux i8042_controller_init)', () => {
    const { data, cmd, put, kbc } = setup();
    cmd(0x20);
    expect(data()).toBe(0x45);
    cmd(0x60);
    put(0x47);
    expect(kbc.commandByte).toBe(0x47);
    cmd(0xad);
    cmd(0x20);
    expect(data()).toBe(0x57);
  });

  it('echoes the AUX loopback (0xd3) as aux data and times out writes to the absent mouse', () => {
    const { status, data, cmd, put, irqs } = setup();
    cmd(0x60);
    put(0x47); // keyboard and aux interrupts on
    cmd(0xd3);
    put(0x5a);
    expect(status() & 0x21).toBe(0x21);
    expect(irqs).toContain('12:1');
    expect(data()).toBe(0x5a);
    cmd(0xd4);
    put(0xff);
    expect(status() & 0x61).toBe(0x61);
    expect(data()).toBe(0xfe);
    expect(status() & 0x40).toBe(0);
  });

  it('resets and identifies the keyboard with one IRQ 1 edge per byte', () => {
    const { data, put, irqs } = setup();
    put(0xff);
    expect(irqs).toEqual(['1:1']);
    expect(data()).toBe(0xfa);
    expect(irqs).toEqual(['1:1', '1:0', '1:1']);
    expect(data()).toBe(0xaa);
    put(0xf2);
    expect([data(), data(), data()]).toEqual([0xfa, 0xab, 0x41]);
    put(0xed);
    put(0x07);
    expect([data(), data()]).toEqual([0xfa, 0xfa]);
    put(0xee);
    expect(data()).toBe(0xee);
    put(0x12);
    expect(data()).toBe(0xfe);
  });

  it('requests a system reset for the pulse command 0xfe and for output-port bit 0 cleared', () => {
    const { cmd, put, ops, board } = setup();
    cmd(0xfe);
    cmd(0xff); // pulses nothing
    cmd(0xd1);
    put(0x01); // A20 off, reset line high
    cmd(0xd1);
    put(0x02);
    expect(ops).toEqual([
      { op: 'reset', device: 'i80420', reason: 'i8042 pulse output port (0xfe)' },
      { op: 'a20', enabled: false },
      { op: 'a20', enabled: true },
      { op: 'reset', device: 'i80420', reason: 'i8042 output port reset line' },
    ]);
    expect(board.a20).toBe(true);
  });

  it('reports the output port and switches A20 with 0xdd/0xdf', () => {
    const { data, cmd, board } = setup();
    cmd(0xd0);
    expect(data()).toBe(0x03);
    cmd(0xdd);
    expect(board.a20).toBe(false);
    cmd(0xdf);
    expect(board.a20).toBe(true);
  });

  it('queues host scan codes only while the keyboard is enabled and scanning', () => {
    const { kbc, data, put, cmd } = setup();
    expect(kbc.pressScancodes([0x1e, 0x9e])).toBe(2);
    expect([data(), data()]).toEqual([0x1e, 0x9e]);
    put(0xf5);
    data();
    expect(kbc.pressScancodes([0x1e])).toBe(0);
    put(0xf4);
    data();
    cmd(0xad);
    expect(kbc.pressScancodes([0x1e])).toBe(0);
  });
});
