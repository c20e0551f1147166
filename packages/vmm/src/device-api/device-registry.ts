import { DeviceConfigError } from '../errors.js';
import type { Motherboard } from '../motherboard.js';
import type {
  DeviceDefinition,
  DeviceHooks,
  DeviceInstance,
  ParamSpec,
  ParamSpecs,
} from './define-device.js';
import { type DeviceSpecText, parseMachineConfig } from './machine-config.js';
import { resolveParamText } from './params.js';

// biome-ignore lint/suspicious/noExplicitAny: the registry holds definitions of any parameter set
type AnyDefinition = DeviceDefinition<any, DeviceHooks>;

function formatDefault(spec: ParamSpec): string {
  if (spec.default === undefined) return 'required';
  if (spec.type === 'number' && spec.hex) return `default 0x${spec.default.toString(16)}`;
  return `default ${String(spec.default)}`;
}

function typeName(spec: ParamSpec): string {
  return spec.type === 'enum' ? spec.values.join('|') : spec.type;
}

/**
 * Device models by name (Seoul's `PARAM_HANDLER` table): lists them with help text for a CLI and
 * builds a machine from a textual configuration such as `uart:0x3f8,4 pic pit rtc debugexit:0xf4`.
 *
 * @example
 * ```ts
 * const board = new Motherboard({ clock });
 * const devices = standardDevices().build(board, 'pic pit uart:0x3f8,4 debugexit');
 * console.log(standardDevices().help());
 * ```
 */
export class DeviceRegistry {
  private readonly defs = new Map<string, AnyDefinition>();

  /** Starts with `definitions` (in listing order). */
  constructor(definitions: readonly AnyDefinition[] = []) {
    for (const d of definitions) this.define(d);
  }

  /** Adds a device model; throws `DUPLICATE_DEVICE` if the name is taken. Returns `this`. */
  define(definition: AnyDefinition): this {
    if (this.defs.has(definition.name)) {
      throw new DeviceConfigError('DUPLICATE_DEVICE', `device model '${definition.name}' is defined twice`);
    }
    this.defs.set(definition.name, definition);
    return this;
  }

  /** The definition called `name`, or `undefined`. */
  get(name: string): AnyDefinition | undefined {
    return this.defs.get(name);
  }

  /** All definitions, in the order they were defined. */
  list(): readonly AnyDefinition[] {
    return [...this.defs.values()];
  }

  /**
   * A listing for `--help`: each device with its summary, then its parameters in positional
   * order with type, default and help.
   */
  help(): string {
    const lines: string[] = [];
    const width = Math.max(0, ...this.list().map((d) => d.name.length));
    for (const d of this.list()) {
      lines.push(`${d.name.padEnd(width)}  ${d.summary}`);
      const params = Object.entries(d.params as ParamSpecs);
      const pw = Math.max(0, ...params.map(([k]) => k.length));
      for (const [k, spec] of params) {
        lines.push(
          `${''.padEnd(width)}    ${k.padEnd(pw)}  ${typeName(spec)}, ${formatDefault(spec)}: ${spec.help}`,
        );
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * Parses `config` and checks every device name and parameter without building anything.
   * Throws {@link DeviceConfigError} (`SYNTAX`, `UNKNOWN_DEVICE`, `BAD_PARAMETER`, …).
   */
  parse(config: string): {
    readonly definition: AnyDefinition;
    readonly params: Record<string, number | boolean | string>;
    readonly text: string;
  }[] {
    return parseMachineConfig(config).map((item) => this.resolve(item));
  }

  /**
   * Builds the devices of `config` on `board`, in order. The whole configuration is checked
   * first, so a bad parameter attaches nothing; a bus conflict while attaching throws the bus's
   * error (naming both devices).
   */
  build(board: Motherboard, config: string): DeviceInstance[] {
    return this.parse(config).map((d) => board.add(d.definition, d.params));
  }

  private resolve(item: DeviceSpecText): {
    definition: AnyDefinition;
    params: Record<string, number | boolean | string>;
    text: string;
  } {
    const definition = this.defs.get(item.device);
    if (definition === undefined) {
      const known = [...this.defs.keys()].join(', ');
      throw new DeviceConfigError(
        'UNKNOWN_DEVICE',
        `unknown device '${item.device}' in '${item.text}' (known devices: ${known === '' ? 'none' : known})`,
      );
    }
    return { definition, params: resolveParamText(definition, item.positional, item.named), text: item.text };
  }
}
