// Forms generated from the zod schemas in shared/schemas.ts: the schema gives the fields, their
// kinds, bounds, choices and defaults, and in `.meta()` what a type cannot say (labels, help, which
// fields are advanced: shared/field-hints.ts), read into each field's `hint`. Values in the form
// are what inputs hold (numbers as the text typed, secrets as the typed value), converted back to a
// configuration and checked with the same schema on every keystroke, its issues keyed by path so
// each shows under its own field.
import { z } from 'zod';
import { hintOf, type FieldHint } from '../../shared/field-hints';

export type { FieldHint };

/** A field as the form edits it; `hint` is what its schema's `.meta()` says about it. */
export type Spec = SpecOfType & { hint?: FieldHint };
type SpecOfType =
  | { t: 'string'; optional: boolean; defaultValue: unknown; maxLength: number | null }
  | {
      t: 'number';
      optional: boolean;
      defaultValue: unknown;
      min: number | null;
      max: number | null;
      int: boolean;
    }
  | { t: 'boolean'; optional: boolean; defaultValue: unknown }
  | { t: 'choice'; optional: boolean; defaultValue: unknown; options: readonly (string | number)[] }
  | { t: 'secret'; optional: boolean; defaultValue: unknown }
  | { t: 'object'; optional: boolean; defaultValue: unknown; fields: readonly (readonly [string, Spec])[] }
  | { t: 'array'; optional: boolean; defaultValue: unknown; item: Spec };

/** What a secret field holds: the name already configured, and a value typed in this form. */
export interface SecretValue {
  ref: string | null;
  typed: string;
  /** The user asked to drop the configured secret. */
  clear: boolean;
}

export type FormValue = string | boolean | SecretValue | FormValue[] | { [key: string]: FormValue };

/**
 * Key of an optional block's form value that settles whether the block is in the configuration:
 * `true` keeps it even at its defaults (a check of kind "xor" and nothing else), `false` leaves it
 * out whatever it holds (a binary layout while lines are chosen, kept for switching back). Absent:
 * the block is there when something in it differs from the defaults.
 */
export const PRESENT = '$present';

/** Reads a zod schema into a field description; throws on a construct the form cannot edit. */
export function specOf(schema: z.ZodType): Spec {
  let s: z.ZodType = schema;
  let optional = false;
  let defaultValue: unknown = undefined;
  // `.meta()` may sit on any wrapper (`.optional().meta()`, `.meta().default()`): the outermost wins.
  let hint: FieldHint = hintOf(s);
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional)
      hint = { ...hintOf(s.unwrap() as z.ZodType), ...hint };
    if (s instanceof z.ZodDefault) {
      defaultValue = s.def.defaultValue;
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodOptional) {
      optional = true;
      s = s.unwrap() as z.ZodType;
    } else break;
  }
  const base = { optional, defaultValue, hint };
  if (hint.secret) return { t: 'secret', ...base };
  if (s instanceof z.ZodString) return { t: 'string', ...base, maxLength: s.maxLength };
  if (s instanceof z.ZodNumber)
    return { t: 'number', ...base, min: s.minValue, max: s.maxValue, int: s.isInt };
  if (s instanceof z.ZodBoolean) return { t: 'boolean', ...base };
  if (s instanceof z.ZodEnum) return { t: 'choice', ...base, options: s.options as (string | number)[] };
  if (s instanceof z.ZodLiteral)
    return { t: 'choice', ...base, options: [...s.values] as (string | number)[] };
  if (s instanceof z.ZodUnion) {
    const options = (s.options as readonly z.ZodType[]).flatMap((o) => {
      if (!(o instanceof z.ZodLiteral)) throw new Error('form: only unions of literals are supported');
      return [...o.values] as (string | number)[];
    });
    return { t: 'choice', ...base, options };
  }
  if (s instanceof z.ZodArray) return { t: 'array', ...base, item: specOf(s.element as z.ZodType) };
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodType>;
    return { t: 'object', ...base, fields: Object.entries(shape).map(([k, v]) => [k, specOf(v)] as const) };
  }
  throw new Error(`form: unsupported schema type ${s.def.type}`);
}

/** What the schema says about each field, by path ("options.subscriptions.0.filter"). */
export function hintsOf(spec: Spec): (path: string) => FieldHint {
  return (path) => specAt(spec, path)?.hint ?? {};
}

/** The spec of the field at `path` ("options.binary.fields.0.name"), or undefined. */
export function specAt(spec: Spec, path: string): Spec | undefined {
  let s: Spec | undefined = spec;
  for (const key of path.split('.')) {
    if (!s) return undefined;
    if (s.t === 'object') s = s.fields.find(([k]) => k === key)?.[1];
    else if (s.t === 'array' && /^\d+$/.test(key)) s = s.item;
    else return undefined;
  }
  return s;
}

/** The form's value for a configuration value (or the field's default when absent). */
export function toForm(spec: Spec, value: unknown): FormValue {
  const v = value === undefined ? spec.defaultValue : value;
  switch (spec.t) {
    case 'string':
      return typeof v === 'string' ? v : '';
    case 'number':
      return typeof v === 'number' ? String(v) : '';
    case 'boolean':
      // Optional with no default: "unset" is a value of its own (a select), not false.
      if (isTriState(spec)) return v === undefined ? '' : String(v);
      return v === true;
    case 'choice':
      return v === undefined ? (spec.optional ? '' : String(spec.options[0])) : String(v);
    case 'secret':
      return { ref: typeof v === 'string' ? v : null, typed: '', clear: false };
    case 'array':
      return Array.isArray(v) ? v.map((item) => toForm(spec.item, item)) : [];
    case 'object': {
      const obj = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
      return Object.fromEntries(spec.fields.map(([k, f]) => [k, toForm(f, obj[k])]));
    }
  }
}

export interface SecretToSet {
  name: string;
  value: string;
}

/**
 * The configuration value a form value stands for. Empty optional fields are left out (the schema
 * fills defaults); a typed secret becomes the name `secretName(path)` and is returned to be sent
 * with `setSecret` — only its name goes into the configuration.
 */
export function fromForm(
  spec: Spec,
  value: FormValue,
  secretName: (path: string) => string,
  path = '',
  secrets: SecretToSet[] = [],
): { value: unknown; secrets: SecretToSet[] } {
  const convert = (s: Spec, v: FormValue, p: string): unknown => {
    switch (s.t) {
      case 'string': {
        const text = typeof v === 'string' ? v : '';
        return text === '' && (s.optional || s.defaultValue !== undefined) ? undefined : text;
      }
      case 'number': {
        const text = typeof v === 'string' ? v.trim() : '';
        if (text === '') return undefined;
        // Left as text when it is no number, so the schema reports it ("expected number").
        return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : text;
      }
      case 'boolean':
        if (isTriState(s)) return v === 'true' ? true : v === 'false' ? false : undefined;
        return v === true;
      case 'choice': {
        const key = typeof v === 'string' ? v : '';
        if (key === '') return undefined;
        return s.options.find((o) => String(o) === key) ?? key;
      }
      case 'secret': {
        const sv = v as SecretValue;
        if (sv.typed !== '') {
          const name = secretName(p);
          secrets.push({ name, value: sv.typed });
          return name;
        }
        return sv.clear ? undefined : (sv.ref ?? undefined);
      }
      case 'array':
        return Array.isArray(v) ? v.map((item, i) => convert(s.item, item, join(p, String(i)))) : [];
      case 'object': {
        const obj = (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, FormValue>;
        if (s.optional && obj[PRESENT] === false) return undefined;
        const out: Record<string, unknown> = {};
        let meaningful = obj[PRESENT] === true;
        for (const [k, f] of s.fields) {
          const child = obj[k];
          const converted = child === undefined ? undefined : convert(f, child, join(p, k));
          if (converted === undefined) continue;
          out[k] = converted;
          if (!isDefault(f, converted) && !isEmpty(converted) && !isPreset(f, converted)) meaningful = true;
        }
        // An optional block left at its defaults (TLS with nothing set) is not there at all.
        return s.optional && !meaningful ? undefined : out;
      }
    }
  };
  return { value: convert(spec, value, path), secrets };
}

/** An empty list or block says nothing: an optional block holding only those is left out. */
function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

/** A required choice with no default starts at its first option: that alone is not the user's input. */
function isPreset(spec: Spec, value: unknown): boolean {
  return (
    spec.t === 'choice' && !spec.optional && spec.defaultValue === undefined && value === spec.options[0]
  );
}

/** A boolean that may be left unset: edited with a select (unset / yes / no). */
export function isTriState(spec: Spec): boolean {
  return spec.t === 'boolean' && spec.optional && spec.defaultValue === undefined;
}

function isDefault(spec: Spec, value: unknown): boolean {
  if (spec.defaultValue === undefined) return false;
  return JSON.stringify(spec.defaultValue) === JSON.stringify(value);
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The form value at `path` ("options.subscriptions.0.filter"). */
export function getAt(value: FormValue, path: string): FormValue | undefined {
  let v: FormValue | undefined = value;
  for (const key of path.split('.')) {
    if (v === undefined || typeof v !== 'object') return undefined;
    v = Array.isArray(v) ? v[Number(key)] : (v as Record<string, FormValue>)[key];
  }
  return v;
}

/** A copy of `value` with `path` set to `next` (structural sharing elsewhere). */
export function setAt(value: FormValue, path: string, next: FormValue): FormValue {
  const [key, ...rest] = path.split('.');
  const child = rest.length === 0 ? next : setAt(getAt(value, key!) ?? {}, rest.join('.'), next);
  if (Array.isArray(value)) {
    const copy = value.slice();
    copy[Number(key)] = child;
    return copy;
  }
  return { ...(value as Record<string, FormValue>), [key!]: child };
}

/** Issues by path ("options.url" → "an mqtt://… address"); the first issue of each path. */
export function issuesByPath(error: z.ZodError): Map<string, string> {
  const map = new Map<string, string>();
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.');
    if (!map.has(key)) map.set(key, issue.message);
  }
  return map;
}
