// Host input reaches a vCPU that waits in HLT for a distant device deadline
// (apps/demo/guests/input-wake/input-wake.asm): the PIT ticks every 54.9 ms, the guest halts with
// IRQ 0 and IRQ 4 unmasked, and the host types one byte while the vCPU sleeps towards the first
// tick. The VMM wakes the halted vCPU at once (`Vmm.input` → the idle wait is a timed semaphore
// down), so the byte arrives by IRQ 4 at the line rate, long before the tick.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startGuest } from '../run-guest.js';

const here = dirname(fileURLToPath(import.meta.url));
const GUEST = readFileSync(join(here, '..', '..', 'guests', 'input-wake', 'input-wake.bin'));
const WAITING = 'waiting in hlt for input\n';

describe('host input wakes a halted vCPU', () => {
  for (const colocated of [true, false]) {
    it(`takes the byte before the next timer tick (${colocated ? 'colocated' : 'separate PD'})`, () => {
      let serial = '';
      const session = startGuest({
        guest: { kind: 'auto', image: GUEST },
        ram: 16 << 20,
        colocated,
        cpus: 1,
        budgetInstructions: 200_000_000,
        onSerial: (b) => {
          serial += String.fromCharCode(b);
        },
      });
      // run until the guest waits in HLT, then 20 ms more of virtual time
      while (!serial.endsWith(WAITING)) expect(session.step()).toBe('time');
      expect(session.step()).toBe('time');
      expect(session.step()).toBe('time');
      const vmm = session.vmm()!;
      expect(vmm.vcpus[0]!.state).toBe('idle');
      const typedAtUs = session.result().virtualUs;
      vmm.input('A');
      while (session.step() === 'time') {}
      const r = session.result();
      expect(serial).toBe(`START\n${WAITING}got 0x41 after 0 timer ticks\nDONE\n`);
      expect(vmm.result()).toEqual({ kind: 'debug-exit', value: 0 });
      // one character time at 115200 baud (86.8 µs) after the byte was typed, plus the printing
      expect(r.virtualUs - typedAtUs).toBeLessThan(1_000);
      expect(r.virtualUs).toBeLessThan(54_925);
    });
  }
});
