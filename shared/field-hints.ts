// What a schema cannot say about a field, carried by the schema itself in zod's `.meta()`: its
// label, help and how a form shows it. The engine ignores it; generated forms (renderer/src/
// schema-form.ts) read it, so a field's words live beside its type and bounds.
import type { z } from 'zod';

export interface FieldHint {
  label?: string;
  help?: string;
  placeholder?: string;
  /** Shown under "Advanced" of its block. */
  advanced?: boolean;
  /** A setting that weakens security: shown in red. */
  danger?: boolean;
  hidden?: boolean;
  /** Labels of a choice's options; for a boolean that may stay unset, of '', 'true' and 'false'. */
  choiceLabels?: Record<string, string>;
  /** A text field of several lines (a map written one `name=value` per line). */
  multiline?: boolean;
  /** For lists: what "Add" appends, and its label. */
  newItem?: unknown;
  addLabel?: string;
  empty?: string;
  /** The value is a secret's name (shared/sources/fields.ts SecretRef): the form takes the secret itself. */
  secret?: boolean;
}

declare module 'zod' {
  // Typed `.meta({ label, help, … })` on every schema.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface GlobalMeta extends FieldHint {}
}

/** The hint `.meta()` gave this schema (z.globalRegistry keeps it). */
export function hintOf(schema: z.ZodType): FieldHint {
  return (schema.meta() as FieldHint | undefined) ?? {};
}
