import type { Motherboard } from '../motherboard.js';

/** A numeric parameter (ports, IRQ numbers, times). Text accepts decimal, `0x…`, `0o…`, `0b…`. */
export interface NumberParamSpec {
  readonly type: 'number';
  /** One line for `--help` listings. */
  readonly help: string;
  /** Used when the configuration leaves the parameter out; without it the parameter is required. */
  readonly default?: number;
  /** Smallest accepted value (inclusive). */
  readonly min?: number;
  /** Largest accepted value (inclusive). */
  readonly max?: number;
  /** Show the default in hex in listings (ports, addresses). */
  readonly hex?: boolean;
}

/** A yes/no parameter. Text accepts `1/0`, `true/false`, `yes/no`, `on/off`. */
export interface BooleanParamSpec {
  readonly type: 'boolean';
  readonly help: string;
  readonly default?: boolean;
}

/** A free-text parameter (it cannot contain `,`, `=` or white space in a textual configuration). */
export interface StringParamSpec {
  readonly type: 'string';
  readonly help: string;
  readonly default?: string;
}

/** One of a fixed list of words. */
export interface EnumParamSpec {
  readonly type: 'enum';
  readonly help: string;
  readonly values: readonly string[];
  readonly default?: string;
}

/**
 * A typed device parameter (Seoul's `PARAM_HANDLER` arguments, named and checked): what a CLI
 * lists and a textual machine configuration sets.
 */
export type ParamSpec = NumberParamSpec | BooleanParamSpec | StringParamSpec | EnumParamSpec;

/** A device's parameters by name; their declaration order is the positional order in text. */
export type ParamSpecs = { readonly [name: string]: ParamSpec };

/** The TypeScript type of one parameter's value. */
export type ParamValue<S extends ParamSpec> = S extends NumberParamSpec
  ? number
  : S extends BooleanParamSpec
    ? boolean
    : S extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
      ? V
      : string;

/** The resolved parameter values a device's `create` receives (defaults filled in). */
export type ParamValues<P extends ParamSpecs> = { readonly [K in keyof P]: ParamValue<P[K]> };

/** What `create` gets besides the parameters. */
export interface DeviceContext {
  /** The machine the device attaches to: register ports, MMIO, IRQ lines, timers here. */
  readonly board: Motherboard;
  /** The instance name (`uart0`), for bus ownership, host operations and traces. */
  readonly name: string;
}

/**
 * The optional hooks of a device model. Each has a no-op default, so a plugin implements only
 * what it needs.
 */
export interface DeviceHooks {
  /** Fires on a system reset (`Motherboard.reset()`, e.g. after a guest reset request): return to the power-on state. */
  reset?(): void;
  /** Fires when the host asks for a state dump (a CLI's `info` command): one or more lines of register state. */
  describe?(): string;
}

/**
 * A device model plugin: its name in configurations, help text, typed parameters and a factory
 * that attaches a new instance to a motherboard.
 */
export interface DeviceDefinition<P extends ParamSpecs = ParamSpecs, D extends DeviceHooks = DeviceHooks> {
  /** Name in configurations and listings (`uart`); lower case, digits and `-`. */
  readonly name: string;
  /** One line for listings. */
  readonly summary: string;
  /** Longer help: ports, IRQ, what is modelled. */
  readonly description?: string;
  /** The parameters, in positional order. */
  readonly params: P;
  /**
   * Creates an instance and registers its ports, MMIO ranges, IRQ lines and timers on
   * `ctx.board` (throwing the bus's error on a conflict).
   */
  create(ctx: DeviceContext, params: ParamValues<P>): D;
}

/**
 * Declares a device model plugin. An identity function: it gives the definition's parameter
 * types to `create` (so `params.base` is a `number`) and is the place for the plugin's docs.
 *
 * @example
 * ```ts
 * const SCRATCH_PARAMS = {
 *   base: { type: 'number', help: 'I/O port', default: 0x510, hex: true, min: 0, max: 0xffff },
 * } as const;
 *
 * export const scratchDevice: DeviceDefinition<typeof SCRATCH_PARAMS, DeviceHooks> = defineDevice({
 *   name: 'scratch',
 *   summary: 'one read/write byte register',
 *   params: SCRATCH_PARAMS,
 *   create({ board, name }, { base }) {
 *     let value = 0;
 *     board.io.register({
 *       owner: name, base, length: 1,
 *       handler: {
 *         read: (a) => ((a.value = value), true),
 *         write: (a) => ((value = a.value), true),
 *       },
 *     });
 *     return { reset: () => { value = 0; } };
 *   },
 * });
 *
 * board.add(scratchDevice, { base: 0x511 });            // by hand, or
 * registry.define(scratchDevice).build(board, 'scratch:0x511'); // from text
 * ```
 */
export function defineDevice<const P extends ParamSpecs, D extends DeviceHooks>(
  definition: DeviceDefinition<P, D>,
): DeviceDefinition<P, D> {
  return definition;
}

/**
 * A device attached to a motherboard: the model with its hooks filled in (no-ops where the
 * plugin left them out), its name, definition and resolved parameters.
 */
export interface DeviceInstance<D extends DeviceHooks = DeviceHooks> {
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: an instance may come from any parameter set
  readonly definition: DeviceDefinition<any, D>;
  readonly params: { readonly [name: string]: number | boolean | string };
  /** The device model object `create` returned (its own API: `uart.input(…)`). */
  readonly model: D;
  /** The `reset` hook or a no-op. */
  reset(): void;
  /** The `describe` hook or `''`. */
  describe(): string;
}
