/**
 * System tests: every guest of the corpus (guests/guests.json; small benchmark kernels and the
 * self-checking system kernels) boots on the bare machine. Where guests/expected/<name>.json
 * records the agreed reference result, the serial output must match byte for byte, the debug
 * exit value must match, and — when v86 recorded one — the retired-instruction count must equal
 * v86's exactly. Guests without a recorded result must print no FAIL line, print DONE and exit 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BareMachine } from '../machine/bare-machine.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../guests');

interface GuestEntry {
  readonly name: string;
  readonly binary: string;
  readonly kind: string;
}

interface Expected {
  readonly serial: string;
  readonly memoryMiB: number;
  readonly input: string | null;
  readonly exit: { readonly kind: string; readonly value: number | null };
  readonly instructions: number | null;
  readonly references?: {
    readonly v86?: { readonly instructions?: number | null; readonly agrees?: boolean };
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'guests.json'), 'utf8')) as {
  guests: GuestEntry[];
};
const guests = manifest.guests.filter((g) => g.kind === 'bench-small' || g.kind === 'system');

function expectedFor(name: string): Expected | undefined {
  const file = path.join(root, 'expected', `${name.replace('/', '--')}.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Expected) : undefined;
}

function boot(
  g: GuestEntry,
  exp: Expected | undefined,
): { serial: string; exitValue: number | null; instructions: number; reason: string } {
  const out: number[] = [];
  const m = new BareMachine({ memoryBytes: (exp?.memoryMiB ?? 32) << 20, onSerial: (b) => out.push(b) });
  m.load(new Uint8Array(fs.readFileSync(path.join(root, g.binary))));
  if (exp?.input) m.uart.input(Buffer.from(exp.input));
  const r = m.run(100_000_000);
  return {
    serial: Buffer.from(out).toString('latin1'),
    exitValue: r.exitValue,
    instructions: r.instructions,
    reason: r.reason,
  };
}

describe('guest corpus on the bare machine', () => {
  it('has the corpus', () => {
    expect(guests.length).toBeGreaterThanOrEqual(12);
  });

  for (const g of guests) {
    it(`${g.name}`, () => {
      const exp = expectedFor(g.name);
      const r = boot(g, exp);
      expect(r.serial.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(r.reason).toBe('debug-exit');
      if (exp !== undefined) {
        expect(r.serial).toBe(exp.serial);
        expect(r.exitValue).toBe(exp.exit.value);
        const v86Count = exp.instructions ?? null;
        if (v86Count !== null) expect(r.instructions).toBe(v86Count);
      } else {
        expect(r.serial.startsWith('START\n')).toBe(true);
        expect(r.serial.endsWith('DONE\n')).toBe(true);
        expect(r.exitValue).toBe(0);
      }
    }, 60_000);
  }
});
