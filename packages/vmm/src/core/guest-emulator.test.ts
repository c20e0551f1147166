import { createVcpuState, type Segment, Vcpu_state } from '@genode-ts/genode-base';
import { describe, expect, it } from 'vitest';
import { Motherboard } from '../motherboard.js';
import { runComponent } from '../scenarios/harness.js';
import { VirtualClock } from '../time/virtual-clock.js';
import { Guest_emulator } from './guest-emulator.js';
import { Guest_memory } from './guest-memory.js';
import { Vmm_stats } from './vmm-stats.js';

const FLAT_CODE: Segment = { sel: 0x8, ar: 0xc9b, limit: 0xffffffff, base: 0 };
const FLAT_DATA: Segment = { sel: 0x10, ar: 0xc93, limit: 0xffffffff, base: 0 };

function state(eip: number, regs: { esi?: number; edi?: number; ecx?: number; edx?: number; eax?: number }) {
  const s = createVcpuState();
  Object.assign(s, {
    ip: eip,
    flags: 0x2,
    cr0: 0x11,
    cs: { ...FLAT_CODE },
    ds: { ...FLAT_DATA },
    es: { ...FLAT_DATA },
    ss: { ...FLAT_DATA },
    fs: { ...FLAT_DATA },
    gs: { ...FLAT_DATA },
    tr: { sel: 0, ar: 0x8b, limit: 0x67, base: 0 },
    ldtr: { sel: 0, ar: 0x82, limit: 0, base: 0 },
    si: regs.esi ?? 0,
    di: regs.edi ?? 0,
    cx: regs.ecx ?? 0,
    dx: regs.edx ?? 0,
    ax: regs.eax ?? 0,
  });
  return new Vcpu_state(s);
}

describe('Guest_emulator (MMIO and string I/O against the device buses)', () => {
  it('emulates `movsd` from MMIO into RAM the VMM has not mapped yet: the device sees one read', () => {
    runComponent(function* (env) {
      const mem = new Guest_memory(env, { ram: 16 << 20 });
      // a second dataspace: the VMM's first touch of RAM does not map it
      mem.attach_region('scratch', 0x2000000, 0x10000, 'memory');
      yield* mem.write(0x100000, Uint8Array.of(0xa5)); // movsd
      const board = new Motherboard({ clock: new VirtualClock() });
      let reads = 0;
      board.mmio.register({
        owner: 'probe',
        base: 0xe0000000,
        length: 0x1000,
        handler: {
          read: (a) => {
            reads++;
            a.value = 0x11223344;
            return true;
          },
          write: () => true,
        },
      });
      const stats = new Vmm_stats();
      let touches = 0;
      const emu = new Guest_emulator({
        memory: mem,
        board,
        stats,
        *touch(gpa, write) {
          touches++;
          const local = mem.local(gpa);
          if (write) yield* env.rm().local.write8(local, yield* env.rm().local.read8(local));
          else yield* env.rm().local.read8(local);
        },
      });
      expect(mem.read_now(0x2000000, 4)).toBeUndefined();
      const s = state(0x100000, { esi: 0xe0000000, edi: 0x2000000 });
      const r = yield* emu.step(s);
      expect(r).toEqual({ status: 'done', instLen: 1 });
      expect(reads).toBe(1); // the aborted attempt's read was replayed, not repeated
      expect(touches).toBe(1);
      expect(mem.read_now(0x2000000, 4)).toBe(0x11223344);
      expect([s.ip.value(), s.si.value(), s.di.value()]).toEqual([0x100001, 0xe0000004, 0x2000004]);
      expect(s.ip.charged() && s.si.charged() && s.di.charged()).toBe(true);
      expect(s.cr0.charged()).toBe(false); // only what changed is written back
      expect(stats.mmioReads).toBe(1);
    });
  });

  it('reads all ones from unclaimed MMIO and drops writes; string I/O reaches the port bus', () => {
    runComponent(function* (env) {
      const mem = new Guest_memory(env, { ram: 16 << 20 });
      // mov eax, [0xe0000000]; mov [0xe0000010], eax; rep outsb; rep insb
      yield* mem.write(
        0x100000,
        Uint8Array.of(0xa1, 0, 0, 0, 0xe0, 0xa3, 0x10, 0, 0, 0xe0, 0xf3, 0x6e, 0xf3, 0x6c),
      );
      yield* mem.write(0x200000, new TextEncoder().encode('hey'));
      const board = new Motherboard({ clock: new VirtualClock() });
      const bytes: number[] = [];
      board.io.register({
        owner: 'sink',
        base: 0x80,
        length: 1,
        handler: {
          read: () => false,
          write: (a) => {
            bytes.push(a.value);
            return true;
          },
        },
      });
      const stats = new Vmm_stats();
      const emu = new Guest_emulator({ memory: mem, board, stats, *touch() {} });
      const s = state(0x100000, { eax: 0x12345678 });
      expect((yield* emu.step(s)).status).toBe('done');
      expect(s.ax.value()).toBe(0xffffffff);
      const s2 = state(0x100005, { eax: 0x12345678 });
      yield* emu.step(s2);
      expect(board.mmio.stats.unclaimed).toBe(2);
      const s3 = state(0x10000a, { esi: 0x200000, ecx: 3, edx: 0x80 });
      yield* emu.step(s3);
      expect(bytes).toEqual([0x68, 0x65, 0x79]);
      expect([s3.cx.value(), s3.si.value(), s3.ip.value()]).toEqual([0, 0x200003, 0x10000c]);
      const s4 = state(0x10000c, { edi: 0x300000, ecx: 2, edx: 0x2f0 });
      yield* emu.step(s4);
      expect(mem.read_now(0x300000, 2)).toBe(0xffff);
      expect(stats.ioReads).toBe(2);
      expect(stats.ioWrites).toBe(3);
    });
  });

  it('reports an exception without changing the state', () => {
    runComponent(function* (env) {
      const mem = new Guest_memory(env, { ram: 16 << 20 });
      yield* mem.write(0x100000, Uint8Array.of(0x0f, 0x0b)); // ud2
      const emu = new Guest_emulator({
        memory: mem,
        board: new Motherboard({ clock: new VirtualClock() }),
        stats: new Vmm_stats(),
        *touch() {},
      });
      const s = state(0x100000, {});
      const r = yield* emu.step(s);
      expect(r).toMatchObject({ status: 'exception', vector: 6 });
      expect(s.charged_mtd()).toBe(0);
    });
  });
});
