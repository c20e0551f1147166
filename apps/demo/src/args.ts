/** Options of `genode-ts-demo`. */
export interface DemoOptions {
  readonly help: boolean;
  /** Guest image file; `undefined` = the bundled guest. */
  readonly guest: string | undefined;
  /** Guest RAM in MiB; `undefined` = the guest's own need (16 MiB for the bundled guest, else 64). */
  readonly memoryMiB: number | undefined;
  readonly separatePd: boolean;
  readonly cpus: number;
  readonly trace: readonly TraceKind[];
  /** Bytes queued for the guest's COM1 receiver before it starts. */
  readonly input: string | undefined;
  /** Runaway budget: guest instructions without any exit, in millions; `undefined` = the default for the guest's format. */
  readonly budgetM: number | undefined;
  /** Initial RAM disk for a Linux guest (a Multiboot kernel gets it as module 0). */
  readonly initrd: string | undefined;
  /** Kernel command line; `undefined` = the default for the guest's format. */
  readonly cmdline: string | undefined;
}

/** A wrong command line: the CLI prints the message on one line and exits with status 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  readonly code = 'USAGE' as const;
}

/** What `--trace` accepts. */
export const TRACE_KINDS = ['npt', 'exits', 'io'] as const;
/** One of {@link TRACE_KINDS}. */
export type TraceKind = (typeof TRACE_KINDS)[number];

/**
 * Largest guest RAM in MiB: the machine (guest RAM + 64 MiB for core, the VMM and the kernel) must
 * stay below x86-core's 2 GiB physical-memory limit.
 */
export const MAX_MEMORY_MIB = 1920;

/** The command line a bzImage gets without `--cmdline`: the console on COM1, no devices the VMM lacks. */
export const LINUX_DEFAULT_CMDLINE = 'console=ttyS0 noapic nolapic acpi=off pci=off';

/** Default runaway budget in millions of guest instructions. */
export const DEFAULT_BUDGET_M = 200;
/** Default runaway budget for a bzImage: its XZ decompressor runs ≈ 2.3 G instructions without an exit. */
export const LINUX_BUDGET_M = 20_000;

/** The `--help` text. */
export const USAGE: string = `usage: genode-ts-demo [options]

Boots a guest in genode-ts's VMM (@genode-ts/vmm) — colocated with the VMM in one protection
domain, as Genode's vmm/guest_memory.h set it up — on the NOVA model (@genode-ts/kernel-nova),
on the x86 core (@genode-ts/x86-core). Guest serial output (COM1) goes to stdout byte for byte;
the VMM's messages and the final report go to stderr.

options:
  --guest <file>     Linux bzImage (32-bit boot protocol), Multiboot kernel (ELF or a.out
                     kludge) or flat binary (loaded at 0x7c00, real mode) to boot
                     (default: the bundled guest, apps/demo/guests/demo.bin)
  --initrd <file>    initial RAM disk for a bzImage (module 0 for a Multiboot kernel)
  --cmdline <text>   kernel command line (default for a bzImage:
                     '${LINUX_DEFAULT_CMDLINE}')
  --memory <MiB>     guest RAM in MiB, 2..${MAX_MEMORY_MIB} (default: 16 for the bundled guest,
                     128 for a bzImage, else 64)
  --separate-pd      run the VM in a PD of its own instead of colocated with the VMM
  --cpus <n>         number of vCPUs, 1..64 (default: 1; vCPUs other than 0 wait for INIT/SIPI)
  --trace <what>     npt: the seed's chain for the first NPT faults; exits: every exit;
                     io: every port access (repeatable)
  --input <text>     bytes queued for the guest's COM1 receiver (\\n, \\r, \\t and \\xHH escapes)
  --budget <M>       stop a guest that runs <M> million instructions without any exit
                     (default: ${DEFAULT_BUDGET_M}; ${LINUX_BUDGET_M} for a bzImage)
  --help             print this text and exit

While the guest runs, the demo's stdin goes to COM1 (a terminal in raw mode: type Ctrl-A x to
quit); the run ends when the guest stops (debug-exit port, reset, triple fault, …).

exit status: 0 when the guest shut down through the debug-exit port with 0; 1 when it exited
with another value, triple-faulted, ran away or halted for good; 2 for a wrong command line, an
unreadable file or an image the loader refuses.
`;

function intArg(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: not a number: ${value}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag}: ${value} is outside ${min}..${max}`);
  return n;
}

/** Decodes `\n`, `\r`, `\t`, `\\` and `\xHH` in an `--input` text. */
export function unescapeInput(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[nrt\\])/g, (_m, e: string) => {
    if (e === 'n') return '\n';
    if (e === 'r') return '\r';
    if (e === 't') return '\t';
    if (e === '\\') return '\\';
    return String.fromCharCode(Number.parseInt(e.slice(1), 16));
  });
}

/** Parse the command line (without `node` and the script). Throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): DemoOptions {
  let help = false;
  let guest: string | undefined;
  let memoryMiB: number | undefined;
  let separatePd = false;
  let cpus = 1;
  let input: string | undefined;
  let budgetM: number | undefined;
  let initrd: string | undefined;
  let cmdline: string | undefined;
  const trace: TraceKind[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case '--help':
      case '-h':
        help = true;
        break;
      case '--guest': {
        const v = value();
        if (v === undefined || v === '') throw new UsageError('--guest needs a file name');
        guest = v;
        break;
      }
      case '--memory':
        memoryMiB = intArg(flag, value(), 2, MAX_MEMORY_MIB);
        break;
      case '--separate-pd':
        separatePd = true;
        break;
      case '--cpus':
        cpus = intArg(flag, value(), 1, 64);
        break;
      case '--trace': {
        const v = value();
        if (v === undefined || !(TRACE_KINDS as readonly string[]).includes(v)) {
          throw new UsageError(`--trace takes one of ${TRACE_KINDS.join(', ')}`);
        }
        if (!trace.includes(v as TraceKind)) trace.push(v as TraceKind);
        break;
      }
      case '--input': {
        const v = value();
        if (v === undefined) throw new UsageError('--input needs a text');
        input = unescapeInput(v);
        break;
      }
      case '--initrd': {
        const v = value();
        if (v === undefined || v === '') throw new UsageError('--initrd needs a file name');
        initrd = v;
        break;
      }
      case '--cmdline': {
        const v = value();
        if (v === undefined) throw new UsageError('--cmdline needs a text');
        cmdline = v;
        break;
      }
      case '--budget':
        budgetM = intArg(flag, value(), 1, 1_000_000);
        break;
      default:
        throw new UsageError(`unknown option: ${raw} (see --help)`);
    }
  }
  if ((initrd !== undefined || cmdline !== undefined) && guest === undefined) {
    throw new UsageError(
      `${initrd !== undefined ? '--initrd' : '--cmdline'} needs --guest (the bundled guest takes neither)`,
    );
  }
  return { help, guest, memoryMiB, separatePd, cpus, trace, input, budgetM, initrd, cmdline };
}
