import { describe, expect, it } from 'vitest';
import type { HostOperation } from '../bus/host-bus.js';
import { Motherboard } from '../motherboard.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { debugExitDevice } from './debug-exit.js';
import { postPortDevice } from './post-port.js';
import { port92Device } from './system-control-a.js';

function board() {
  const b = new Motherboard({ clock: new VirtualClock() });
  const ops: HostOperation[] = [];
  b.host.handle((m) => {
    ops.push(m);
    return m.op !== 'serial-output';
  });
  return { b, ops };
}

describe('debug exit (QEMU isa-debug-exit)', () => {
  it('asks the host to stop with the written value and QEMU exit status (v << 1) | 1', () => {
    const { b, ops } = board();
    const dev = b.add(debugExitDevice).model;
    b.io.write(0xf4, 1, 0x10);
    expect(ops).toEqual([{ op: 'stop', device: 'debugexit0', value: 0x10, exitStatus: 0x21 }]);
    expect(dev.writes).toEqual([0x10]);
    expect(b.io.read(0xf4, 1)).toBe(0xff);
  });

  it('takes the low byte of a wider write with iosize 1 and the whole value with iosize 4', () => {
    const { b, ops } = board();
    b.add(debugExitDevice);
    b.io.write(0xf4, 4, 0x12345678);
    expect(ops.map((o) => (o.op === 'stop' ? o.value : -1))).toEqual([0x78]);
    const wide = board();
    wide.b.add(debugExitDevice, { base: 0x500, size: '4' });
    wide.b.io.write(0x500, 4, 0x80000001);
    expect(wide.ops).toEqual([
      { op: 'stop', device: 'debugexit0', value: 0x80000001, exitStatus: 0x00000003 },
    ]);
  });
});

describe('POST port 0x80', () => {
  it('accepts writes (I/O delay), keeps the last code and reads 0xff', () => {
    const { b } = board();
    const post = b.add(postPortDevice).model;
    b.io.write(0x80, 1, 0x55);
    b.io.write(0x80, 1, 0xaa);
    expect(post.lastCode).toBe(0xaa);
    expect(post.writes).toBe(2);
    expect(b.io.read(0x80, 1)).toBe(0xff);
    expect(b.io.stats.unclaimed).toBe(0);
  });
});

describe('system control port A (0x92)', () => {
  it('powers up with A20 on, gates A20 with bit 1, resets the system on a rising edge of bit 0', () => {
    const { b, ops } = board();
    b.add(port92Device);
    expect(b.io.read(0x92, 1)).toBe(0x02);
    expect(b.a20).toBe(true);
    b.io.write(0x92, 1, 0x00);
    expect(b.a20).toBe(false);
    b.io.write(0x92, 1, 0x03);
    b.io.write(0x92, 1, 0x03);
    expect(ops).toEqual([
      { op: 'a20', enabled: false },
      { op: 'a20', enabled: true },
      { op: 'reset', device: 'port920', reason: 'port 0x92 fast reset' },
    ]);
    expect(b.io.read(0x92, 1)).toBe(0x03);
  });
});
