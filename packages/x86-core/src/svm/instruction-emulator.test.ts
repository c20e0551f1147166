import { describe, expect, it } from 'vitest';
import { resetGuestState } from './guest-state.js';
import { type GuestPhysicalAccess, InstructionEmulator } from './instruction-emulator.js';

/** Guest RAM of 64 KiB plus a device at 0xfee00000 that logs its accesses. */
function world() {
  const ram = new Uint8Array(0x10000);
  const dv = new DataView(ram.buffer);
  const log: string[] = [];
  const access: GuestPhysicalAccess = {
    read(gpa, size) {
      if (gpa >= 0xfee00000) {
        log.push(`r${size} ${gpa.toString(16)}`);
        return 0xcafe;
      }
      return size === 1 ? ram[gpa]! : size === 2 ? dv.getUint16(gpa, true) : dv.getInt32(gpa, true);
    },
    write(gpa, size, value) {
      if (gpa >= 0xfee00000) {
        log.push(`w${size} ${gpa.toString(16)}=${(value >>> 0).toString(16)}`);
        return;
      }
      if (size === 1) ram[gpa] = value;
      else if (size === 2) dv.setUint16(gpa, value, true);
      else dv.setInt32(gpa, value, true);
    },
  };
  const state = resetGuestState();
  state.cr0 = 0x11;
  state.cs = { sel: 8, attr: 0xc9b, limit: 0xffffffff, base: 0 };
  for (const s of ['ds', 'es', 'ss'] as const)
    state[s] = { sel: 0x10, attr: 0xc93, limit: 0xffffffff, base: 0 };
  state.eip = 0x1000;
  return { ram, dv, log, access, state };
}

describe('InstructionEmulator (MMIO exits)', () => {
  it('performs an MMIO write through the callbacks and advances EIP', () => {
    const w = world();
    // mov [0xfee00020], eax
    w.ram.set([0xa3, 0x20, 0x00, 0xe0, 0xfe], 0x1000);
    w.state.eax = 0x12345678;
    const em = new InstructionEmulator();
    expect(em.step(w.state, w.access)).toEqual({ status: 'done', instLen: 5 });
    expect(w.log).toEqual(['w4 fee00020=12345678']);
    expect(w.state.eip).toBe(0x1005);
  });
  it('performs an MMIO read-modify-write with flags', () => {
    const w = world();
    // add eax, [ebx] with ebx = 0xfee00030
    w.ram.set([0x03, 0x03], 0x1000);
    w.state.ebx = 0xfee00030;
    w.state.eax = 2;
    const em = new InstructionEmulator();
    em.step(w.state, w.access);
    expect(w.state.eax).toBe(0xcafe + 2);
    expect(w.log).toEqual(['r4 fee00030']);
  });
  it('walks the guest page tables through the callbacks', () => {
    const w = world();
    // Guest paging: CR3 = 0x4000, PDE 0 → PT 0x5000; virtual page 0x7000 → physical 0xfee00000.
    w.dv.setInt32(0x4000, 0x5000 | 3, true);
    for (let k = 0; k < 16; k++) w.dv.setInt32(0x5000 + 4 * k, (k << 12) | 3, true);
    w.dv.setInt32(0x5000 + 7 * 4, 0xfee00000 | 3, true);
    w.ram.set([0x8b, 0x05, 0x04, 0x70, 0x00, 0x00], 0x1000); // mov eax, [0x7004]
    w.state.cr3 = 0x4000;
    w.state.cr0 = 0x80000011;
    const em = new InstructionEmulator();
    expect(em.step(w.state, w.access).status).toBe('done');
    expect(w.log).toEqual(['r4 fee00004']);
    expect(w.state.eax).toBe(0xcafe);
    // The walk set the accessed bits in guest memory.
    expect(w.dv.getInt32(0x5000 + 7 * 4, true) & 0x20).toBe(0x20);
  });
  it('reports an exception without changing the state', () => {
    const w = world();
    w.ram.set([0x0f, 0x0b], 0x1000);
    const em = new InstructionEmulator();
    expect(em.step(w.state, w.access)).toMatchObject({ status: 'exception', vector: 6 });
    expect(w.state.eip).toBe(0x1000);
  });
});
