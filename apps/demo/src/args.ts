/** Options of `genode-ts-demo`. */
export interface DemoOptions {
  readonly help: boolean;
  readonly guest: string | undefined;
  readonly memoryMiB: number;
  readonly separatePd: boolean;
  readonly cpus: number;
  readonly trace: readonly string[];
}

/** A wrong command line: the CLI prints the message on one line and exits with status 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  readonly code = 'USAGE' as const;
}

/** What `--trace` accepts. */
export const TRACE_KINDS: readonly string[] = ['npt', 'exits', 'io'];

export const USAGE: string = `usage: genode-ts-demo [options]

Boots a guest in genode-ts's VMM (@genode-ts/vmm), on the NOVA model (@genode-ts/kernel-nova),
on the x86 core (@genode-ts/x86-core). Guest serial output goes to stdout; the VMM's messages
and the final report go to stderr.

options:
  --guest <file>     flat binary or Multiboot kernel to boot (default: the bundled guest)
  --memory <MiB>     guest RAM in MiB, 1..3072 (default: 64)
  --separate-pd      run the VM in a PD of its own instead of colocated with the VMM
  --cpus <n>         number of vCPUs, 1..64 (default: 1)
  --trace <what>     trace one of: ${TRACE_KINDS.join(', ')} (repeatable)
  --help             print this text and exit
`;

function intArg(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined) throw new UsageError(`${flag} needs a value`);
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: not a number: ${value}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag}: ${value} is outside ${min}..${max}`);
  return n;
}

/** Parse the command line (without `node` and the script). Throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): DemoOptions {
  let help = false;
  let guest: string | undefined;
  let memoryMiB = 64;
  let separatePd = false;
  let cpus = 1;
  const trace: string[] = [];
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
        memoryMiB = intArg(flag, value(), 1, 3072);
        break;
      case '--separate-pd':
        separatePd = true;
        break;
      case '--cpus':
        cpus = intArg(flag, value(), 1, 64);
        break;
      case '--trace': {
        const v = value();
        if (v === undefined || !TRACE_KINDS.includes(v)) {
          throw new UsageError(`--trace takes one of ${TRACE_KINDS.join(', ')}`);
        }
        trace.push(v);
        break;
      }
      default:
        throw new UsageError(`unknown option: ${raw} (see --help)`);
    }
  }
  return { help, guest, memoryMiB, separatePd, cpus, trace };
}
