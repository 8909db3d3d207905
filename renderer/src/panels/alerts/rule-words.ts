// What is wrong with a rule, in words a technician understands: "enter a name", "enter a number",
// "at most 100", instead of the schema's own ("Too small: expected string to have >=1
// characters"). Messages the schema already writes for people (refinements) pass through.
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `label` is the field as the form names it ("Name", "Fires above"). */
export function plainIssue(issue: Issue, label: string): string {
  const what = label.toLowerCase();
  const article = /^[aeiou]/.test(what) ? 'an' : 'a';
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) <= 1) return `enter ${article} ${what}`;
      if (issue.origin === 'string') return `at least ${String(issue.minimum)} characters`;
      if (issue.origin === 'array') return `add at least ${String(issue.minimum)}`;
      return issue.inclusive === false
        ? `more than ${String(issue.minimum)}`
        : `at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `at most ${String(issue.maximum)}`;
      return issue.inclusive === false
        ? `less than ${String(issue.maximum)}`
        : `at most ${String(issue.maximum)}`;
    case 'invalid_type':
      if (issue.expected === 'number' || issue.expected === 'int') return 'enter a number';
      if (issue.expected === 'string') return `enter ${article} ${what}`;
      return `enter ${article} ${what}`;
    case 'invalid_value':
      return `choose one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_union':
      // A union the schema named in words (a duration) says so itself.
      return /^Invalid input/.test(issue.message) ? `enter ${article} ${what}` : issue.message;
    case 'not_multiple_of':
      return 'enter a whole number';
    case 'unrecognized_keys':
      return `not a setting: ${issue.keys.join(', ')}`;
    default:
      // Refinements and formats carry their own words ("a band needs below < above").
      return issue.message;
  }
}
