import { GenodeError } from '../errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Scenario, Scenario_result } from './kit.js';
import { conformance_suite } from './suite.js';

/** The part of a test framework the adapter needs (vitest's `describe`/`it` fit). */
export interface Test_api {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => void, timeout?: number): void;
}

/** Options of {@link defineConformanceTests}. */
export interface Conformance_options {
  /** Scenarios to run (default: the whole suite). */
  readonly scenarios?: readonly Scenario[];
  /** Names of scenarios to leave out. */
  readonly skip?: readonly string[];
  /** Per-test timeout in ms handed to `it` (default 60 s). */
  readonly timeout?: number;
}

/** A readable report of a scenario result: failed checks first, then the end of the log. */
export function formatResult(r: Scenario_result, logLines = 40): string {
  const failed = r.checks.filter((c) => !c.ok);
  const lines = [
    `${r.name}: ${r.passed ? 'passed' : 'FAILED'} (${r.checks.length} checks, run ended: ${r.run.reason} after ${r.run.steps} steps)`,
    ...failed.map((c) => `  ✗ ${c.name}${c.detail === undefined ? '' : `: ${c.detail}`}`),
  ];
  if (!r.passed) lines.push('  log (end):', ...r.log.slice(-logLines).map((l) => `    ${l}`));
  return lines.join('\n');
}

/** Run scenarios against fresh kernels from `makeKernel`; returns every result. */
export function runConformance(
  makeKernel: () => Kernel,
  scenarios: readonly Scenario[] = conformance_suite,
): Scenario_result[] {
  return scenarios.map((s) => s.run(makeKernel()));
}

/**
 * Register the conformance suite with a test framework: one test per scenario, each booting a
 * fresh kernel from `makeKernel`. A failing scenario throws with {@link formatResult}'s report.
 *
 * @example
 * ```ts
 * // packages/kernel-nova/src/conformance.test.ts
 * import { describe, it } from 'vitest';
 * import { defineConformanceTests } from '@genode-ts/genode-base/conformance';
 * import { novaKernel } from './index.js';
 *
 * defineConformanceTests({ describe, it }, () => novaKernel());
 * ```
 */
export function defineConformanceTests(
  api: Test_api,
  makeKernel: () => Kernel,
  options: Conformance_options = {},
): void {
  const skip = new Set(options.skip ?? []);
  const scenarios = (options.scenarios ?? conformance_suite).filter((s) => !skip.has(s.name));
  api.describe(`genode-base conformance on ${makeKernel().name}`, () => {
    for (const s of scenarios) {
      api.it(
        `${s.name}: ${s.title}`,
        () => {
          const r = s.run(makeKernel());
          if (!r.passed) throw new GenodeError('Conformance_failure', formatResult(r));
        },
        options.timeout ?? 60_000,
      );
    }
  });
}
