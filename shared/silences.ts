// Silences and acknowledgements of alert instances (Alertmanager-style). Shared by the engine
// (which suppresses notifications) and the console (which prefills matchers from an instance).
import { z } from 'zod';

export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;
export type MatcherOp = (typeof MATCHER_OPS)[number];

export const Matcher = z
  .object({
    /** A label name; `alertname` is the rule id. */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name: letters, digits, "_"'),
    op: z.enum(MATCHER_OPS),
    value: z.string().max(1024),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.op === '=~' || m.op === '!~') {
      try {
        new RegExp(anchored(m.value));
      } catch {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'not a valid regular expression' });
      }
    }
  });
export type Matcher = z.infer<typeof Matcher>;

/** Alertmanager anchors regular expressions at both ends: `lab.*` does not match `mylab1`. */
function anchored(re: string): string {
  return `^(?:${re})$`;
}

/** A compiled matcher: true when the label set satisfies it (a missing label counts as ""). */
export function compileMatcher(m: Matcher): (labels: Record<string, string>) => boolean {
  if (m.op === '=') return (l) => (l[m.name] ?? '') === m.value;
  if (m.op === '!=') return (l) => (l[m.name] ?? '') !== m.value;
  const re = new RegExp(anchored(m.value));
  if (m.op === '=~') return (l) => re.test(l[m.name] ?? '');
  return (l) => !re.test(l[m.name] ?? '');
}

/** Every matcher holds (matchers are ANDed, as in Alertmanager). */
export function compileMatchers(ms: readonly Matcher[]): (labels: Record<string, string>) => boolean {
  const compiled = ms.map(compileMatcher);
  return (labels) => compiled.every((f) => f(labels));
}

export const SilenceMatchers = z
  .array(Matcher)
  .min(1, 'a silence needs at least one matcher')
  .max(64)
  .refine(
    // Like Alertmanager: a silence whose matchers all match the empty label set silences everything.
    (ms) =>
      ms.some((m) => {
        try {
          return !compileMatcher(m)({});
        } catch {
          return true; // a bad regex: reported by its matcher
        }
      }),
    'at least one matcher must not match an empty label (or the silence would silence everything)',
  );

export function matcherText(m: Matcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/** Matchers for exactly this instance: `alertname` (the rule) and every label with `=`. */
export function matchersFor(rule: string, labels: Record<string, string>): Matcher[] {
  return [
    { name: 'alertname', op: '=', value: rule },
    ...Object.keys(labels)
      .sort()
      .filter((k) => k !== 'alertname')
      .map((k) => ({ name: k, op: '=' as const, value: labels[k]! })),
  ];
}

export type SilenceStatus = 'pending' | 'active' | 'expired';

export function silenceStatus(s: { startsAt: number; endsAt: number }, now: number): SilenceStatus {
  if (now >= s.endsAt) return 'expired';
  return now < s.startsAt ? 'pending' : 'active';
}
