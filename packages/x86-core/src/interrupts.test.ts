import { describe, expect, it } from 'vitest';
import { CODE, machine } from '../test/harness.js';
import { RunExit } from './run-exit.js';

const IDT = 0x8000;
const GDT = 0x9000;

/** Protected-mode machine with a GDT (code 0x08, data 0x10) and a 256-entry IDT of interrupt gates to `handler`. */
function pmWithIdt(code: number[], handler: number, handlerCode: number[], trap = false) {
  const m = machine(code);
  m.mem.write32(GDT + 8, 0x0000ffff);
  m.mem.write32(GDT + 12, 0x00cf9a00);
  m.mem.write32(GDT + 16, 0x0000ffff);
  m.mem.write32(GDT + 20, 0x00cf9200);
  m.cpu.gdtBase = GDT;
  m.cpu.gdtLimit = 23;
  for (let v = 0; v < 256; v++) {
    m.mem.write32(IDT + v * 8, (0x08 << 16) | (handler & 0xffff));
    m.mem.write32(IDT + v * 8 + 4, (handler & 0xffff0000) | (trap ? 0x8f00 : 0x8e00));
  }
  m.cpu.idtBase = IDT;
  m.cpu.idtLimit = 256 * 8 - 1;
  m.mem.write(handler, Uint8Array.from(handlerCode));
  return m;
}

describe('external interrupts', () => {
  it('are taken only with IF = 1, acknowledge the vector and push EFLAGS/CS/EIP', () => {
    // cli; nop; sti; nop; nop; hlt
    const m = pmWithIdt([0xfa, 0x90, 0xfb, 0x90, 0x90, 0xf4], 0x4000, [0xf4]);
    let acked = 0;
    m.cpu.interrupts = {
      acknowledge: () => {
        acked++;
        return 0x30;
      },
    };
    m.cpu.setIntr(true);
    m.cpu.run(2);
    expect(acked).toBe(0);
    // STI's shadow: the instruction after STI still runs before the interrupt.
    m.cpu.run(2);
    expect(acked).toBe(0);
    expect(m.cpu.eip).toBe(CODE + 4);
    m.cpu.run(1); // delivers, then runs the handler's HLT
    expect(acked).toBe(1);
    expect(m.cpu.eip).toBe(0x4001);
    // The frame: EIP of the interrupted instruction, CS, EFLAGS with IF.
    const esp = m.cpu.r32[4]!;
    expect(m.mem.read32(esp)).toBe(CODE + 4);
    expect(m.mem.read32(esp + 4)).toBe(0x08);
    expect(m.mem.read32(esp + 8) & 0x200).toBe(0x200);
    // An interrupt gate clears IF.
    expect(m.cpu.getEflags() & 0x200).toBe(0);
  });
  it('wake HLT; HLT without a wake-up ends run() with HLT', () => {
    const m = pmWithIdt([0xfb, 0xf4, 0xf4], 0x4000, [0xcf]);
    m.cpu.interrupts = { acknowledge: () => 0x20 };
    expect(m.cpu.run(100)).toBe(RunExit.HLT);
    expect(m.cpu.eip).toBe(CODE + 2);
    m.cpu.setIntr(true);
    m.cpu.run(1);
    m.cpu.setIntr(false);
    // The handler (IRET) returned past the first HLT; the second HLT halts again.
    expect(m.cpu.run(100)).toBe(RunExit.HLT);
    expect(m.cpu.eip).toBe(CODE + 3);
  });
  it('MOV SS inhibits interrupts for one instruction', () => {
    // sti; nop; mov ss, ax (ax = 0x10); nop; hlt
    const m = pmWithIdt([0xfb, 0x90, 0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd0, 0x90, 0xf4], 0x4000, [0xf4]);
    let at = -1;
    m.cpu.interrupts = {
      acknowledge: () => {
        at = m.cpu.eip;
        return 0x21;
      },
    };
    m.cpu.run(4); // sti, nop, mov ax, mov ss
    m.cpu.setIntr(true);
    m.cpu.run(2);
    expect(at).toBe(CODE + 9);
  });
  it('NMI is delivered with IF = 0 and blocked until IRET', () => {
    const m = pmWithIdt([0xfa, 0x90, 0x90, 0x90, 0xf4], 0x4000, [0x90, 0xcf]);
    let nmis = 0;
    m.cpu.eventInterceptor = (_c, v) => {
      if (v === 2) nmis++;
      return false;
    };
    m.cpu.run(1);
    m.cpu.nmi();
    m.cpu.run(1); // delivered, the handler's NOP runs
    expect(nmis).toBe(1);
    expect(m.cpu.eip).toBe(0x4001);
    m.cpu.nmi(); // latched while the first is being handled
    m.cpu.run(0);
    expect(nmis).toBe(1);
    m.cpu.run(1); // IRET unblocks NMIs
    m.cpu.run(1); // the latched NMI is delivered now
    expect(nmis).toBe(2);
  });
});

describe('exceptions', () => {
  it('push an error code for #GP and point EIP at the faulting instruction', () => {
    // mov ax, 0x1233 (GDT index beyond the limit, RPL 3); mov ds, ax → #GP(0x1230)
    const m = pmWithIdt([0x66, 0xb8, 0x33, 0x12, 0x8e, 0xd8, 0xf4], 0x4000, [0xf4]);
    m.cpu.run(10);
    const esp = m.cpu.r32[4]!;
    expect(m.mem.read32(esp)).toBe(0x1230);
    expect(m.mem.read32(esp + 4)).toBe(CODE + 4);
    expect(m.cpu.eip).toBe(0x4001);
  });
  it('escalate to #DF and then shut down (triple fault)', () => {
    const m = machine([0x0f, 0x0b, 0xf4]); // ud2
    m.cpu.idtBase = 0x8000;
    m.cpu.idtLimit = 0; // every vector is beyond the IDT limit
    expect(m.cpu.run(10)).toBe(RunExit.SHUTDOWN);
    expect(m.cpu.shutdown).toBe(true);
  });
  it('real mode uses the IVT without error codes', () => {
    // int 0x21 in real mode → IVT[0x21] = 0000:0x0500 (hlt)
    const m = machine([0xcd, 0x21, 0xf4], 'real');
    m.mem.write32(0x21 * 4, 0x00000500);
    m.mem.write(0x500, Uint8Array.from([0xf4]));
    m.cpu.run(10);
    expect(m.cpu.eip).toBe(0x501);
    const sp = m.cpu.r16[8]!;
    expect(m.mem.read16(sp)).toBe(CODE + 2);
  });
});
