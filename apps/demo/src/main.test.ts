// The CLI: exit codes, and the separation of the guest's serial output (stdout, byte for byte)
// from everything the VMM says (stderr). main() runs in-process with sinks; one test spawns the
// built command as the root README's demo command runs it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { USAGE } from './args.js';
import { main, TRACED_NPT_FAULTS } from './main.js';

vi.setConfig({ testTimeout: 120_000 });

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const vmmGuests = join(root, 'packages', 'vmm', 'guests');

function expected(dir: string, name: string): { serial: string } {
  return JSON.parse(readFileSync(join(dir, 'expected', `${name}.json`), 'utf8')) as { serial: string };
}

function cli(argv: string[]) {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const status = main(
    argv,
    (s) => out.push(typeof s === 'string' ? new TextEncoder().encode(s) : s),
    (s) => err.push(typeof s === 'string' ? s : new TextDecoder().decode(s)),
  );
  return { status, stdout: Buffer.concat(out).toString('latin1'), stderr: err.join(''), writes: out.length };
}

describe('genode-ts-demo', () => {
  it('boots the bundled guest: its serial output alone on stdout, the report on stderr, status 0', () => {
    const r = cli([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected(join(root, 'apps', 'demo', 'guests'), 'demo').serial);
    // the output comes as it comes: line by line, not in one piece at the end
    expect(r.writes).toBe(r.stdout.split('\n').length - 1);
    const e = r.stderr;
    expect(e).toMatch(
      /^genode-ts-demo: booting the bundled guest \(demo\.bin\) with 16 MiB of RAM and 1 vCPU, colocated/,
    );
    expect(e).toContain('VM stopped: the guest wrote 0 to the debug-exit port (0xf4)');
    expect(e).toMatch(
      /exits by reason \(1,050 in all\):\n {2}I\/O \(IOIO\) \(0x7b\) +1,046\n {2}NPT fault \(0xfc\) +3\n {2}startup \(0xfe\) +1\n/,
    );
    expect(e).toContain(
      'NPT faults: 3 resolved from guest RAM by G delegations (1M x1, 4M x1, 8M x1; 13 MiB mapped)',
    );
    expect(e).toContain(
      "VMM page faults resolved by core: 2 (16M x2 mapped into the VMM): 1 by the NPT handler's touch, 1 by loading the guest",
    );
    expect(e).toMatch(/\[0x00001000, 0x01000000\) +16\.00 MiB +MANAGED +rw- +Virtual_reservation/);
    expect(e).toMatch(
      /guest-memory window: guest-physical X at window \+ X\n +\[0x00000000, 0x01000000\) +16 MiB +RAM/,
    );
    expect(e).toMatch(/stack area: the VMM’s threads/);
    expect(e).toMatch(
      /guest: 53,579,267 instructions, [\d.]+ MIPS; virtual time 53\.579 ms \(0\.000 ms halted\); wall time [\d.]+ s\n$/,
    );
    expect(e).not.toContain('START');
  });

  it('--trace npt prints the seed’s chain for the first NPT faults', () => {
    const r = cli(['--trace', 'npt']);
    expect(r.status).toBe(0);
    const npt = r.stderr.split('\n').filter((l) => l.startsWith('npt: '));
    // the first fault takes the whole chain: exit, portal call, VMM page fault, core's pager,
    // region-map walk (address space → guest-memory window → RAM), mapping, pager reply, G reply
    expect(npt.slice(0, 7).map((l) => l.replace(/^npt: \[[\d.]+\] /, ''))).toEqual([
      expect.stringMatching(
        /^vcpu\d guest access to GPA 0x100\w+ not in the NPT: exit 0xfc \(NPT fault, error 0x100000014\)$/,
      ),
      expect.stringMatching(
        /^vcpu\d portal call evt\+0xfc \(selector 0x\w+, PID 0x\w+, MTD 0x1deffff\) -> vmm:vcpu0 dispatcher\/rpc$/,
      ),
      expect.stringMatching(
        /^page fault \(event 0x0e\) by vmm:vcpu0 dispatcher\/rpc \[pd 'init -> vmm' thread 'vcpu0 dispatcher'\] READ at 0x100100000 ip=0x0 -> core:pager0/,
      ),
      expect.stringMatching(
        /^region-map walk: 'init -> vmm address space' @0x100100000 in \[0x100000000, \+0x100000000\) offset 0x0 -> MANAGED => 'init -> vmm -> guest memory region map' @0x100000 in \[0x0, \+0x1000000\) offset 0x0 -> RAM$/,
      ),
      expect.stringMatching(
        /^kernel mapping: core:pager0 misc delegate H \(kernel space\) \[0x\w+, 2\^24\] -> pd 'init -> vmm' at 0x100000000 rwx$/,
      ),
      'pager reply: vmm:vcpu0 dispatcher/rpc resumes (retries the access)',
      expect.stringMatching(
        /^vcpu\d handler replies: MTD 0x0, G item VMM 0x100100000 -> GPA 0x100000 \(2\^20, rwx\); vCPU resumes$/,
      ),
    ]);
    expect(npt.at(-1)).toBe(`npt: (the first 3 NPT faults; 0 more not traced)`);
    expect(TRACED_NPT_FAULTS).toBeGreaterThanOrEqual(3);
    expect(r.stdout).toBe(expected(join(root, 'apps', 'demo', 'guests'), 'demo').serial);
  });

  it('runs the guest in a PD of its own with the same output', () => {
    const r = cli(['--separate-pd']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('in a PD of its own (Vcpu_other_pd)');
    expect(r.stdout).toBe(expected(join(root, 'apps', 'demo', 'guests'), 'demo').serial);
    expect(r.stderr).not.toContain('Virtual_reservation');
  });

  it('boots a focused guest; parks additional vCPUs; traces exits and port accesses', () => {
    const r = cli([
      '--guest',
      join(vmmGuests, 'pit-irq.bin'),
      '--memory',
      '32',
      '--cpus',
      '2',
      '--trace',
      'exits',
      '--trace',
      'io',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected(vmmGuests, 'pit-irq').serial);
    expect(r.stderr).toContain(
      'vmm: vCPU 1: waiting for INIT/SIPI (no local APIC is modelled), stays stopped',
    );
    const trace = r.stderr.split('\n').filter((l) => l.startsWith('trace: '));
    expect(trace.filter((l) => l.includes('exit HLT (0x78)'))).toHaveLength(10);
    expect(trace.filter((l) => l.includes('exit I/O (IOIO) (0x7b)'))).toHaveLength(501);
    // every serial byte is one OUT to COM1's transmit register, plus the divisor latch (DLL = 1)
    const thr = trace.filter((l) => / vcpu0 out 0x03f8 <- 0x[0-9a-f]+ \(1\)$/.test(l));
    expect(thr).toHaveLength(r.stdout.length + 1);
    expect(thr[0]).toMatch(/<- 0x1 \(1\)$/);
  });

  it('stops a triple-faulting guest with its last state: status 1', () => {
    const r = cli(['--guest', join(vmmGuests, 'triple-fault.bin'), '--memory', '32']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(expected(vmmGuests, 'triple-fault').serial);
    expect(r.stderr).toMatch(
      /VM stopped: triple fault on vCPU 0 \(shutdown, exit 0x7f\); last state: cs=0008 eip=001001ab/,
    );
  });

  it('stops a runaway guest after the budget: status 1, the host stays healthy', () => {
    const r = cli(['--guest', join(vmmGuests, 'runaway.bin'), '--memory', '32', '--budget', '3']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(expected(vmmGuests, 'runaway').serial);
    expect(r.stderr).toMatch(
      /VM stopped: runaway: vCPU 0 ran 3 ms of virtual time \(3,000,000 instructions\) without an exit; last state: cs=0008 eip=001001a\w/,
    );
    // and the process can boot the next guest right away
    expect(cli(['--guest', join(vmmGuests, 'npt-boundaries.bin'), '--memory', '16']).status).toBe(0);
  });

  it('wrong options, unreadable files and bad images: one line on stderr, status 2, nothing on stdout', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'genode-ts-demo-'));
    const mb = Uint8Array.from(readFileSync(join(vmmGuests, 'io-echo.bin')));
    mb[8] = (mb[8]! + 1) & 0xff; // the Multiboot header's checksum
    writeFileSync(join(tmp, 'bad-checksum.bin'), mb);
    writeFileSync(join(tmp, 'elf.bin'), Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 1, 1));
    writeFileSync(join(tmp, 'huge-flat.bin'), new Uint8Array(0xa0000));
    const cases: [string[], RegExp][] = [
      [['--nope'], /^genode-ts-demo: unknown option: --nope \(see --help\)\n$/],
      [['--memory', 'lots'], /^genode-ts-demo: --memory: not a number: lots\n$/],
      [['--guest', join(here, 'no-such.bin')], /^genode-ts-demo: cannot read .*no-such\.bin: ENOENT\n$/],
      [['--guest', here], /^genode-ts-demo: cannot read .*src: EISDIR\n$/],
      [
        ['--guest', join(tmp, 'bad-checksum.bin')],
        /^genode-ts-demo: cannot load .*bad-checksum\.bin: BAD_CHECKSUM: multiboot header at offset 0x0 has a bad checksum/,
      ],
      [
        ['--guest', join(tmp, 'elf.bin')],
        /^genode-ts-demo: cannot load .*elf\.bin: NO_HEADER: ELF image without a multiboot header/,
      ],
      [
        ['--guest', join(tmp, 'huge-flat.bin')],
        /^genode-ts-demo: cannot load .*huge-flat\.bin: OUTSIDE_RAM: flat binary \(0x7c00-0xa7bff\) is not inside guest RAM\n$/,
      ],
    ];
    for (const [argv, want] of cases) {
      const r = cli(argv);
      expect(r.status, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(want);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2); // one line
    }
    rmSync(tmp, { recursive: true });
  });

  it('--help prints the usage on stdout', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(Buffer.from(r.stdout, 'latin1').toString('utf8')).toBe(USAGE);
    expect(r.stderr).toBe('');
  });

  it('runs as a command (the built CLI, as the README’s demo command does)', (ctx) => {
    const bin = join(root, 'apps', 'demo', 'dist', 'cli.js');
    if (!existsSync(bin)) {
      if (process.env.CI === 'true') throw new Error(`${bin} is missing: tsc -b runs before the tests in CI`);
      ctx.skip('apps/demo/dist/cli.js is not built (run tsc -b)');
    }
    const p = spawnSync(
      process.execPath,
      [bin, '--guest', join(vmmGuests, 'mmio-unclaimed.bin'), '--memory', '32'],
      {
        encoding: 'latin1',
      },
    );
    expect(p.status).toBe(0);
    expect(p.stdout).toBe(expected(vmmGuests, 'mmio-unclaimed').serial);
    expect(p.stderr).toContain('5 emulated as MMIO (4 reads, 1 writes)');
    const bad = spawnSync(process.execPath, [bin, '--cpus', '0'], { encoding: 'latin1' });
    expect([bad.status, bad.stdout, bad.stderr]).toEqual([
      2,
      '',
      'genode-ts-demo: --cpus: 0 is outside 1..64\n',
    ]);
  });
});
