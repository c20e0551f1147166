// A guest in the Linux bzImage format (apps/demo/guests/bzimage/boot-info.asm) booted end to end
// through the VMM's bzImage loader, on NOVA, on x86-core: its 32-bit entry reads boot_params
// (ESI) and prints the entry state, the loader's header fields, the command line, the e820
// table, ramdisk_image/size and the first bytes of the initrd. The serial output is exact.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../main.js';
import { runGuest } from '../run-guest.js';

vi.setConfig({ testTimeout: 120_000 });

const here = dirname(fileURLToPath(import.meta.url));
const GUEST = join(here, '..', '..', 'guests', 'bzimage', 'boot-info.bin');
const INITRD = new TextEncoder().encode('070701-initrd-bytes-for-the-guest');
const MIB = 1 << 20;

/** What the guest prints for `cmdline`, an initrd of `initrd` bytes at `ramdisk`, and `ram` bytes of RAM. */
function expectedSerial(cmdline: string, ram: number, ramdisk: number, initrd: Uint8Array): string {
  const h = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const first = [...initrd.subarray(0, 16)].map((b) => ` ${h(b, 2)}`).join('');
  return [
    'BZIMAGE boot-info',
    // ESI = boot_params, __BOOT_CS / __BOOT_DS, the boot GDT (4 descriptors), IF = 0, PE + ET
    'entry: esi=00007000 cs=0010 ds=0018 ss=0018 gdtr=00001000/001F if=00 cr0=00000011',
    // type_of_loader 0xff, LOADED_HIGH | CAN_USE_HEAP, heap_end_ptr 0xe000 - 0x200
    'type_of_loader=FF loadflags=81 heap_end_ptr=DE00',
    `cmdline@00020000 "${cmdline}"`,
    'e820 entries: 03',
    '  0000000000000000 00000000000A0000 01',
    '  00000000000A0000 0000000000060000 02',
    `  0000000000100000 ${h(ram - MIB, 16)} 01`,
    `ramdisk_image=${h(ramdisk, 8)} ramdisk_size=${h(initrd.length, 8)}`,
    `initrd:${first}`,
    'DONE',
    '',
  ].join('\n');
}

describe('a bzImage-format guest through the VMM’s Linux boot protocol', () => {
  const image = readFileSync(GUEST);

  for (const colocated of [true, false]) {
    it(`prints what the loader handed over, exactly (${colocated ? 'colocated' : 'separate PD'}, MTD watch on)`, () => {
      let serial = '';
      const run = runGuest({
        guest: { kind: 'auto', image, cmdline: 'console=ttyS0 root=/dev/ram0 quiet', initrd: INITRD },
        ram: 24 * MIB,
        colocated,
        cpus: 1,
        budgetInstructions: 10_000_000,
        strict: true,
        onSerial: (b) => {
          serial += String.fromCharCode(b);
        },
      });
      expect(run.failure).toBeUndefined();
      expect(run.vmm?.result()).toEqual({ kind: 'debug-exit', value: 0 });
      // the initrd sits page-aligned at the top of RAM
      expect(serial).toBe(
        expectedSerial('console=ttyS0 root=/dev/ram0 quiet', 24 * MIB, 24 * MIB - 0x1000, INITRD),
      );
      expect(run.vmm?.plan.format).toBe('linux bzImage (boot protocol 2.15)');
    });
  }

  it('the demo detects the bzImage: --initrd, --cmdline and the Linux defaults; bad options exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bzimage-e2e-'));
    try {
      const initrd = join(dir, 'initrd.img');
      writeFileSync(initrd, INITRD);
      const cli = (argv: string[]) => {
        let out = '';
        let err = '';
        const status = main(
          argv,
          (s) => {
            out += typeof s === 'string' ? s : Buffer.from(s).toString('latin1');
          },
          (s) => {
            err += typeof s === 'string' ? s : Buffer.from(s).toString('latin1');
          },
        );
        return { status, out, err };
      };
      const r = cli([
        '--guest',
        GUEST,
        '--memory',
        '32',
        '--initrd',
        initrd,
        '--cmdline',
        'console=ttyS0 x=1',
      ]);
      expect(r.status).toBe(0);
      expect(r.out).toBe(expectedSerial('console=ttyS0 x=1', 32 * MIB, 32 * MIB - 0x1000, INITRD));
      // without options: the Linux command line, 128 MiB, no initrd
      const d = cli(['--guest', GUEST]);
      expect(d.status).toBe(0);
      expect(d.err).toMatch(/booting boot-info\.bin with 128 MiB of RAM/);
      expect(d.out).toBe(
        expectedSerial('console=ttyS0 noapic nolapic acpi=off pci=off', 128 * MIB, 0, new Uint8Array(0)),
      );
      // a command line longer than cmdline_size (255 in this image), an unreadable initrd, an
      // initrd for a flat binary: one line, status 2, nothing booted
      const long = cli(['--guest', GUEST, '--cmdline', 'x'.repeat(256)]);
      expect(long.status).toBe(2);
      expect(long.err).toMatch(
        /^genode-ts-demo: cannot load .*boot-info\.bin: BAD_OPTION: the kernel command line has 256 bytes, more than the kernel's cmdline_size \(255\)\n$/,
      );
      const missing = cli(['--guest', GUEST, '--initrd', join(dir, 'nope')]);
      expect(missing.status).toBe(2);
      expect(missing.err).toMatch(/^genode-ts-demo: cannot read .*nope: ENOENT\n$/);
      const flat = join(dir, 'flat.bin');
      writeFileSync(flat, Uint8Array.of(0xf4));
      const f = cli(['--guest', flat, '--initrd', initrd]);
      expect(f.status).toBe(2);
      expect(f.err).toMatch(/BAD_OPTION: a flat binary takes no command line and no initrd/);
      // an initrd that does not fit below the end of RAM
      writeFileSync(initrd, new Uint8Array(20 * MIB));
      const big = cli(['--guest', GUEST, '--memory', '16', '--initrd', initrd]);
      expect(big.status).toBe(2);
      expect(big.err).toMatch(/OUTSIDE_RAM: the initrd \(0x1400000 bytes\) does not fit in guest RAM/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
