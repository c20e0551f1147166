/**
 * The dependency direction of DESIGN.md ("Packages and their direction"), as data.
 *
 *   apps/demo ──► vmm ──► genode-base ◄── kernel-nova ──► x86-core
 *                  └──────────────────────────────────────► x86-core
 */
export interface PackageRule {
  /** Folder relative to the repository root. */
  readonly dir: string;
  readonly name: string;
  /** Workspace packages this one may import. */
  readonly mayImport: readonly string[];
  /** Platform-neutral: no Node built-ins or Node globals outside tests and `src/cli/`. */
  readonly platformNeutral: boolean;
}

export const RULES: readonly PackageRule[] = [
  { dir: 'packages/x86-core', name: '@genode-ts/x86-core', mayImport: [], platformNeutral: true },
  { dir: 'packages/genode-base', name: '@genode-ts/genode-base', mayImport: [], platformNeutral: true },
  {
    dir: 'packages/kernel-nova',
    name: '@genode-ts/kernel-nova',
    mayImport: ['@genode-ts/genode-base', '@genode-ts/x86-core'],
    // Not named platform-neutral in CONVENTIONS.md, but the north star runs it in a browser.
    platformNeutral: true,
  },
  {
    dir: 'packages/vmm',
    name: '@genode-ts/vmm',
    mayImport: ['@genode-ts/genode-base', '@genode-ts/x86-core'],
    platformNeutral: true,
  },
  {
    dir: 'apps/demo',
    name: '@genode-ts/demo',
    mayImport: ['@genode-ts/genode-base', '@genode-ts/kernel-nova', '@genode-ts/vmm', '@genode-ts/x86-core'],
    platformNeutral: false,
  },
];
