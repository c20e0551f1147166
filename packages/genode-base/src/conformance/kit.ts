import type { Maybe_blocking } from '../base/blocking-util.js';
import { invoke } from '../base/blocking-util.js';
import type { Component, Env } from '../base/env.js';
import { boot, type Genode_system, type Start_options, type Started_component } from '../base/system.js';
import type { Rom_content } from '../core/core.js';
import type { Blocking } from '../kernel/blocking.js';
import type { Kernel, RunResult } from '../kernel/kernel.js';

/** One checked expectation of a scenario. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** What running a scenario produced. */
export interface Scenario_result {
  readonly name: string;
  readonly passed: boolean;
  readonly checks: readonly Check[];
  /** The system log (core's messages and every component's LOG lines). */
  readonly log: readonly string[];
  readonly run: Pick<RunResult, 'reason' | 'steps' | 'now'>;
}

/**
 * A conformance scenario: boots core on the given kernel, runs Genode components, and checks
 * Genode's expected outcomes. Any kernel backend must pass every scenario.
 */
export interface Scenario {
  /** Short name, e.g. `rm_fault` or `rule-07-faults`. */
  readonly name: string;
  /** What it checks. */
  readonly title: string;
  /** Where the expectations come from (Genode source or spec section). */
  readonly source: string;
  /** Whether the scenario is long-running (the full rm_stress). */
  readonly long?: boolean;
  run(kernel: Kernel): Scenario_result;
}

/** Collects checks. */
export class Checks {
  readonly #all: Check[] = [];

  /** Record an expectation. */
  add(name: string, ok: boolean, detail?: string): boolean {
    this.#all.push(detail === undefined ? { name, ok } : { name, ok, detail });
    return ok;
  }

  /** Record `actual === expected`. */
  equal(name: string, actual: unknown, expected: unknown): boolean {
    const ok = Object.is(actual, expected);
    return this.add(name, ok, ok ? undefined : `expected ${show(expected)}, got ${show(actual)}`);
  }

  get all(): readonly Check[] {
    return this.#all;
  }

  get passed(): boolean {
    return this.#all.length > 0 && this.#all.every((c) => c.ok);
  }
}

function show(v: unknown): string {
  if (typeof v === 'number') return `${v} (0x${v.toString(16)})`;
  if (typeof v === 'bigint') return `0x${v.toString(16)}n`;
  return JSON.stringify(v) ?? String(v);
}

/** Lines of the log that belong to the component labelled `label` (prefix removed). */
export function lines_of(log: readonly string[], label: string): string[] {
  const prefix = `[${label}] `;
  return log.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/** Check that `expected` lines appear in `lines` in this order (other lines may interleave). */
export function check_in_order(
  t: Checks,
  what: string,
  lines: readonly string[],
  expected: readonly string[],
): void {
  let i = 0;
  for (const line of lines) if (i < expected.length && line === expected[i]) i++;
  t.add(
    what,
    i === expected.length,
    i === expected.length ? undefined : `missing: ${JSON.stringify(expected[i])}`,
  );
}

/** Default scheduling budget of a scenario (execution steps). */
export const DEFAULT_MAX_STEPS = 2_000_000;

/** Options of {@link component_scenario}. */
export interface Component_scenario_options {
  readonly name: string;
  readonly title: string;
  readonly source: string;
  readonly long?: boolean;
  /** Quota of the component (default 10 MiB, 200 caps). */
  readonly ram?: number;
  readonly caps?: number;
  readonly ramBytes?: number;
  readonly roms?: Readonly<Record<string, Rom_content>>;
  readonly maxSteps?: number;
  readonly resource_request?: Start_options['resource_request'];
  /** Log lines (substrings) that are expected errors, not failures. */
  readonly expected_errors?: readonly string[];
  /** The component body; exits with 0 when it returns. */
  body(env: Env, t: Checks, system: Genode_system): Blocking<void> | void;
  /** Checks after the run. */
  after?(system: Genode_system, t: Checks, component: Started_component, run: RunResult): void;
}

/**
 * A scenario made of one component `name` whose body records checks; it passes if every check
 * holds, the component exits with 0 and the log has no unexpected `Error:` line.
 */
export function component_scenario(o: Component_scenario_options): Scenario {
  return {
    name: o.name,
    title: o.title,
    source: o.source,
    ...(o.long ? { long: true } : {}),
    run(kernel: Kernel): Scenario_result {
      const t = new Checks();
      const system = boot({
        kernel,
        ramBytes: o.ramBytes ?? 64 * 1024 * 1024,
        ...(o.roms === undefined ? {} : { roms: o.roms }),
      });
      const component: Component = {
        *construct(env: Env): Blocking<void> {
          yield* invoke(o.body as Maybe_blocking<[Env, Checks, Genode_system]>, env, t, system);
          env.parent().exit(0);
        },
      };
      const c = system.start({
        name: o.name,
        ram: o.ram ?? 10 * 1024 * 1024,
        caps: o.caps ?? 200,
        component,
        ...(o.resource_request === undefined ? {} : { resource_request: o.resource_request }),
      });
      const run = system.run({
        until: () => c.exit_value() !== undefined,
        maxSteps: o.maxSteps ?? DEFAULT_MAX_STEPS,
      });
      t.equal('component exited with 0', c.exit_value(), 0);
      o.after?.(system, t, c, run);
      const allowed = o.expected_errors ?? [];
      const errors = system.log.filter((l) => l.includes('Error:') && !allowed.some((a) => l.includes(a)));
      t.add('no unexpected error in the log', errors.length === 0, errors[0]);
      return finish(o.name, t, system, run);
    },
  };
}

/** Assemble a result. */
export function finish(name: string, t: Checks, system: Genode_system, run: RunResult): Scenario_result {
  return {
    name,
    passed: t.passed,
    checks: t.all,
    log: [...system.log],
    run: { reason: run.reason, steps: run.steps, now: run.now },
  };
}

/** Yield the CPU `n` times (lets other threads run; execution-model adaptation of busy loops). */
export function* yield_n(env: Env, n: number): Blocking<void> {
  for (let i = 0; i < n; i++) yield* env.kernel.yieldCpu();
}
