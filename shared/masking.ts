// Masking before storage: which rules a source applies, and the user's own patterns. The rules'
// patterns live once, in electron/engine/pipeline/masking.ts (the ingest step and `opsdeck scan`
// both use them); what crosses the boundary is their names and the options here.
import { z } from 'zod';
import './field-hints';

export const MASK_RULE_NAMES = [
  'email',
  'ipv4',
  'ipv6',
  'card',
  'bearer',
  'jwt',
  'aws-key',
  'private-key',
  'url-password',
] as const;
export const MaskRuleName = z.enum(MASK_RULE_NAMES);
export type MaskRuleName = z.infer<typeof MaskRuleName>;

/** Addresses are often what an operator looks for in a log, so they are masked only when asked. */
export const DEFAULT_MASK_RULES: readonly MaskRuleName[] = MASK_RULE_NAMES.filter(
  (r) => r !== 'ipv4' && r !== 'ipv6',
);

/** A user pattern longer than this is refused (a pattern is a line of configuration, not a program). */
export const MAX_USER_PATTERN_LENGTH = 512;

/**
 * Why a user pattern could take time exponential (or worse than linear) in its input, or null when
 * none of the known shapes is there. A static check of the pattern's text, in the spirit of
 * safe-regex's star height: a quantified group that holds an unbounded quantifier (`(a+)+`,
 * `(\w*x)*`), a quantified group of alternatives (`(a|ab)*`), or a back-reference (`(a+)\1`), which
 * no linear engine can run. Conservative: it refuses some harmless patterns, never lets these by.
 */
export function regexHazard(pattern: string): string | null {
  interface Group {
    unbounded: boolean;
    alternation: boolean;
  }
  const stack: Group[] = [{ unbounded: false, alternation: false }];
  /** What the last atom was: a group just closed (with what it held), or a plain atom. */
  let last: Group | 'atom' | null = null;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && pattern[i + 2] === '<'))
        return `a back-reference (\\${next}) at ${i}: it cannot run in time linear in its input`;
      i++;
      last = 'atom';
      continue;
    }
    if (c === '[') {
      // A class is one atom: skip to its closing bracket (escapes inside count as characters).
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      last = 'atom';
      continue;
    }
    if (c === '(') {
      stack.push({ unbounded: false, alternation: false });
      if (pattern[i + 1] === '?') {
        // (?:  (?=  (?!  (?<=  (?<!  (?<name>
        i++;
        if (pattern[i + 1] === '<' && pattern[i + 2] !== '=' && pattern[i + 2] !== '!') {
          const close = pattern.indexOf('>', i);
          i = close < 0 ? pattern.length : close;
        } else i += pattern[i + 1] === '<' ? 2 : 1;
      }
      last = null;
      continue;
    }
    if (c === ')') {
      const group = stack.length > 1 ? stack.pop()! : { unbounded: false, alternation: false };
      const parent = stack[stack.length - 1]!;
      if (group.unbounded) parent.unbounded = true;
      last = group;
      continue;
    }
    if (c === '|') {
      stack[stack.length - 1]!.alternation = true;
      last = null;
      continue;
    }
    const quantifier = quantifierAt(pattern, i);
    if (quantifier) {
      const { end, repeats } = quantifier;
      if (repeats && last && last !== 'atom') {
        if (last.unbounded)
          return `a repeated group holding a repetition (nested quantifiers) at ${i}: it can take time exponential in its input`;
        if (last.alternation)
          return `a repeated group of alternatives at ${i}: alternatives that overlap can take time exponential in its input`;
      }
      if (quantifier.unbounded) stack[stack.length - 1]!.unbounded = true;
      if (last && last !== 'atom' && repeats) stack[stack.length - 1]!.unbounded ||= quantifier.unbounded;
      i = end;
      if (pattern[i + 1] === '?') i++; // lazy
      last = 'atom';
      continue;
    }
    last = 'atom';
  }
  return null;
}

/** A quantifier starting at `i`: where it ends, whether it repeats, whether it is unbounded. */
function quantifierAt(
  pattern: string,
  i: number,
): { end: number; repeats: boolean; unbounded: boolean } | null {
  const c = pattern[i];
  if (c === '*' || c === '+') return { end: i, repeats: true, unbounded: true };
  if (c === '?') return { end: i, repeats: false, unbounded: false };
  if (c !== '{') return null;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m) return null;
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
  // A large bound backtracks like an unbounded one.
  return { end: i + m[0].length - 1, repeats: max > 1, unbounded: max > 16 };
}

export const UserMaskRule = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"')
      .meta({ label: 'Rule name' }),
    pattern: z
      .string()
      .min(1)
      .max(MAX_USER_PATTERN_LENGTH)
      .superRefine((pattern, ctx) => {
        try {
          new RegExp(pattern, 'u');
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(error as Error).message}` });
          return;
        }
        const hazard = regexHazard(pattern);
        if (hazard) ctx.addIssue({ code: 'custom', message: `refused: ${hazard}` });
      })
      .meta({ label: 'Pattern (JavaScript regular expression)', placeholder: 'EMP-[0-9]{6}' }),
    ignoreCase: z.boolean().default(false).meta({ label: 'Ignore case' }),
  })
  .strict();
export type UserMaskRule = z.infer<typeof UserMaskRule>;

export const MaskingOptions = z
  .object({
    /** Built-in rules applied to this source's records, raw recordings and quarantine. */
    rules: z
      .array(MaskRuleName)
      .default([...DEFAULT_MASK_RULES])
      .meta({ label: 'Mask before storing', help: 'ipv4 and ipv6 are off by default.' }),
    custom: z.array(UserMaskRule).max(32).default([]).meta({ label: 'Own patterns', advanced: true }),
  })
  .strict();
export type MaskingOptions = z.infer<typeof MaskingOptions>;

/** `masking` in a kind's options: every built-in rule but the addresses unless the user says. */
export const maskingOption = MaskingOptions.default({ rules: [...DEFAULT_MASK_RULES], custom: [] }).meta({
  label: 'Masking',
});

/**
 * `masking` of device and broker sources (MQTT, serial, Kafka): off unless chosen, since their raw
 * recordings are kept for exact replay; chosen, it masks records, recordings and quarantine alike.
 */
export const optInMaskingOption = MaskingOptions.default({ rules: [], custom: [] }).meta({
  label: 'Masking',
  help: 'Off unless rules are chosen: masks records, raw recordings and quarantine before storing.',
  advanced: true,
});

/** One finding of a scan: where, which rule, and the line with every match masked. */
export const ScanFinding = z.object({
  file: z.string(),
  line: z.number().int(),
  rule: z.string(),
  excerpt: z.string(),
});
export type ScanFinding = z.infer<typeof ScanFinding>;
