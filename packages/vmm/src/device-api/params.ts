import { DeviceConfigError } from '../errors.js';
import type { DeviceDefinition, DeviceHooks, ParamSpec, ParamSpecs } from './define-device.js';

/** A resolved parameter value. */
export type ParamScalar = number | boolean | string;

const NUMBER = /^(?:0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/i;

function bad(device: string, param: string, text: string, expected: string): DeviceConfigError {
  return new DeviceConfigError(
    'BAD_PARAMETER',
    `device '${device}': parameter '${param}' = '${text}' is not ${expected}`,
  );
}

function describeRange(spec: ParamSpec): string {
  if (spec.type !== 'number') return '';
  const hex = (n: number) => (spec.hex ? `0x${n.toString(16)}` : String(n));
  if (spec.min !== undefined && spec.max !== undefined) return ` in ${hex(spec.min)}..${hex(spec.max)}`;
  if (spec.min !== undefined) return ` >= ${hex(spec.min)}`;
  if (spec.max !== undefined) return ` <= ${hex(spec.max)}`;
  return '';
}

/** Parses one parameter from configuration text; throws `BAD_PARAMETER` naming device, parameter and text. */
export function parseParam(device: string, param: string, spec: ParamSpec, text: string): ParamScalar {
  switch (spec.type) {
    case 'number': {
      const t = text.replaceAll('_', '');
      if (!NUMBER.test(t)) throw bad(device, param, text, `a number${describeRange(spec)}`);
      return checkParam(device, param, spec, Number(t), text);
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off'].includes(t)) return false;
      throw bad(device, param, text, 'a boolean (1/0, true/false, yes/no, on/off)');
    }
    case 'enum':
      return checkParam(device, param, spec, text, text);
    case 'string':
      return text;
  }
}

/** Checks a typed value against its spec; throws `BAD_PARAMETER`. */
export function checkParam(
  device: string,
  param: string,
  spec: ParamSpec,
  value: unknown,
  text: string = String(value),
): ParamScalar {
  switch (spec.type) {
    case 'number':
      if (
        typeof value !== 'number' ||
        !Number.isSafeInteger(value) ||
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      ) {
        throw bad(device, param, text, `an integer${describeRange(spec)}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw bad(device, param, text, 'a boolean');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        throw bad(device, param, text, `one of ${spec.values.join(', ')}`);
      }
      return value;
    case 'string':
      if (typeof value !== 'string') throw bad(device, param, text, 'a string');
      return value;
  }
}

/**
 * Fills in defaults and checks typed values given through the API (`board.add(def, { base })`).
 * Throws `UNKNOWN_PARAMETER`, `BAD_PARAMETER` or `MISSING_PARAMETER`.
 */
export function resolveParams(
  def: DeviceDefinition<ParamSpecs, DeviceHooks>,
  given: { readonly [name: string]: unknown },
): Record<string, ParamScalar> {
  const out: Record<string, ParamScalar> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(def.params, key)) throw unknownParam(def, key);
  }
  for (const [key, spec] of Object.entries(def.params)) {
    const v = given[key];
    if (v !== undefined) out[key] = checkParam(def.name, key, spec, v);
    else if (spec.default !== undefined) out[key] = spec.default;
    else {
      throw new DeviceConfigError(
        'MISSING_PARAMETER',
        `device '${def.name}': parameter '${key}' is required (${spec.help})`,
      );
    }
  }
  return out;
}

/**
 * Resolves parameters written in a configuration: positional values in declaration order, then
 * `key=value` pairs. Throws `TOO_MANY_PARAMETERS`, `DUPLICATE_PARAMETER`, `UNKNOWN_PARAMETER`,
 * `BAD_PARAMETER`, `MISSING_PARAMETER`. An empty positional value (`uart:,3`) keeps the default.
 */
export function resolveParamText(
  def: DeviceDefinition<ParamSpecs, DeviceHooks>,
  positional: readonly string[],
  named: readonly (readonly [string, string])[],
): Record<string, ParamScalar> {
  const keys = Object.keys(def.params);
  if (positional.length > keys.length) {
    throw new DeviceConfigError(
      'TOO_MANY_PARAMETERS',
      `device '${def.name}' takes at most ${keys.length} parameter${keys.length === 1 ? '' : 's'}${
        keys.length > 0 ? ` (${keys.join(', ')})` : ''
      }, got ${positional.length}: '${positional.join(',')}'`,
    );
  }
  const given: Record<string, ParamScalar> = {};
  positional.forEach((text, i) => {
    const key = keys[i]!;
    if (text !== '') given[key] = parseParam(def.name, key, def.params[key]!, text);
  });
  for (const [key, text] of named) {
    const spec = def.params[key];
    if (spec === undefined || !Object.hasOwn(def.params, key)) throw unknownParam(def, key);
    if (given[key] !== undefined) {
      throw new DeviceConfigError(
        'DUPLICATE_PARAMETER',
        `device '${def.name}': parameter '${key}' is given twice`,
      );
    }
    given[key] = parseParam(def.name, key, spec, text);
  }
  return resolveParams(def, given);
}

function unknownParam(def: DeviceDefinition<ParamSpecs, DeviceHooks>, key: string): DeviceConfigError {
  const known = Object.keys(def.params);
  return new DeviceConfigError(
    'UNKNOWN_PARAMETER',
    `device '${def.name}' has no parameter '${key}'${known.length > 0 ? ` (it has: ${known.join(', ')})` : ' (it takes none)'}`,
  );
}
