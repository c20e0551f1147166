import { parseArgs, USAGE, UsageError } from './args.js';

/**
 * Entry point of `genode-ts-demo`. Booting a guest arrives with the VMM (issue "vmm + demo");
 * until then the demo validates its options and prints its usage.
 */
export function main(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`genode-ts-demo: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  out(USAGE);
  if (!opts.help) {
    err('genode-ts-demo: booting a guest is not implemented yet; the options above are validated only.\n');
  }
  return 0;
}
