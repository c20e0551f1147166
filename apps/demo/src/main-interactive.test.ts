// mainInteractive: host input (the CLI's stdin) reaches COM1 while the guest runs, a guest that
// halts with nothing armed waits for it, the end of input turns that wait into the `idle` stop,
// and the quit key stops the VM. The host here is a fake: input comes from a timer callback, so
// when it arrives does not matter — the guest waits for it in every run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type Host_input, mainInteractive } from './main.js';

vi.setConfig({ testTimeout: 60_000 });

// A flat real-mode guest (at 0x7c00): LCR = 8N1, STI, then `while (!(LSR & DR)) HLT`; reads the
// received byte and writes it to the debug-exit port. With IF = 1 and nothing armed its HLT waits
// for host input (no interrupt source is enabled, so only the end of input or a stop ends it).
const WAIT_FOR_BYTE = Uint8Array.of(
  0xba,
  0xfb,
  0x03, //       mov dx, 0x3fb
  0xb0,
  0x03, //             mov al, 3
  0xee, //                   out dx, al
  0xfb, //                   sti
  0xba,
  0xfd,
  0x03, // 7:    mov dx, 0x3fd
  0xec, //                   in al, dx
  0xa8,
  0x01, //             test al, 1
  0x75,
  0x03, //             jnz 18
  0xf4, //                   hlt
  0xeb,
  0xf5, //             jmp 7
  0xba,
  0xf8,
  0x03, // 18:   mov dx, 0x3f8
  0xec, //                   in al, dx
  0xba,
  0xf4,
  0x00, //       mov dx, 0xf4
  0xee, //                   out dx, al
  0xf4, //                   hlt
);

// The same, polling LSR without HLT (a 65,535-iteration LOOP between polls keeps the exits few):
// it reads a byte whenever it arrives.
const POLL_FOR_BYTE = Uint8Array.of(
  ...WAIT_FOR_BYTE.subarray(0, 13), // LCR, STI, mov dx, 0x3fd / in al, dx / test al, 1
  0x75,
  0x07, //             jnz 22
  0xb9,
  0xff,
  0xff, //       mov cx, 0xffff
  0xe2,
  0xfe, //             loop $
  0xeb,
  0xf1, //             jmp 7
  ...WAIT_FOR_BYTE.subarray(18), // 22: read the byte, debug exit
);

const dir = mkdtempSync(join(tmpdir(), 'demo-interactive-'));
const waiting = join(dir, 'wait-for-byte.bin');
const polling = join(dir, 'poll-for-byte.bin');
writeFileSync(waiting, WAIT_FOR_BYTE);
writeFileSync(polling, POLL_FOR_BYTE);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Handlers = Parameters<Host_input['start']>[0];

async function run(guest: string, act: (h: Handlers) => void) {
  let err = '';
  let stopped = false;
  const input: Host_input = {
    start(h) {
      setTimeout(() => act(h), 20);
    },
    stop() {
      stopped = true;
    },
  };
  const status = await mainInteractive(
    ['--guest', guest, '--memory', '2'],
    () => {},
    (s) => {
      err += typeof s === 'string' ? s : Buffer.from(s).toString('latin1');
    },
    {
      readFile: (p) => readFileSync(p),
      now: () => 0,
      input,
      sleep: () => new Promise((r) => setImmediate(r)),
    },
  );
  return { status, err, stopped };
}

describe('genode-ts-demo with host input', () => {
  it('host input arrives on COM1 while the guest runs', async () => {
    const r = await run(polling, (h) => h.data(Uint8Array.of(0x41)));
    expect(r.err).toContain('VM stopped: the guest wrote 65 to the debug-exit port (0xf4)');
    expect(r.status).toBe(1);
    expect(r.stopped).toBe(true); // the host input was released
  });

  it('a guest halted with nothing armed waits for input; at its end it stops as idle', async () => {
    const r = await run(waiting, (h) => h.end());
    expect(r.err).toMatch(
      /VM stopped: vCPU 0 halted with interrupts enabled, but no timer is armed and no input can come/,
    );
    expect(r.status).toBe(1);
  });

  it('the quit key stops the VM', async () => {
    const r = await run(waiting, (h) => h.quit());
    expect(r.err).toContain('VM stopped: stopped by the host');
    expect(r.status).toBe(1);
  });
});
