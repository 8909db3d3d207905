// The log view's filter language: what the user types above the table, shown back as text they can
// edit and copy. The renderer parses it to show errors as they type; the engine parses it again
// and compiles the terms to parameterised SQL (store/record-queries.ts) — a value never becomes SQL.
//
//   disk full              messages containing "disk" and "full" (case-insensitive), anywhere
//   "disk full"            messages containing the phrase
//   /time(out|d out)/      messages matching a regular expression (RE2, case-insensitive)
//   severity=error,warn    a field equal to one of the values (severity ignores case)
//   source!=sim            not equal
//   latency_ms >= 250      numeric comparison (> >= < <=) of a field
//   host~web               a field containing the text (case-insensitive)
//   has:user               the field exists
//   -anything              excludes what the term matches
//
// Terms are separated by white space and all must hold. `severity`, `source` and `message` are the
// record's columns; any other name is a key of its JSON `fields` (dots reach into objects).
// `parseFilter` never throws: an error names what is wrong and the position (0-based) where.

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~';

export type FilterTerm =
  | { kind: 'text'; text: string; negated: boolean }
  | { kind: 'regex'; pattern: string; negated: boolean }
  | { kind: 'compare'; field: string; op: CompareOp; values: string[]; negated: boolean }
  | { kind: 'exists'; field: string; negated: boolean };

export type FilterParse = { ok: true; terms: FilterTerm[] } | { ok: false; error: string; position: number };

/** Record columns a filter can name directly; any other name is a key of `fields`. */
export const RECORD_COLUMNS = ['severity', 'source', 'message'] as const;

export const MAX_FILTER_LENGTH = 4_096;
export const MAX_TERMS = 64;
export const MAX_REGEX_LENGTH = 512;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const OPS: readonly CompareOp[] = ['>=', '<=', '!=', '=', '>', '<', '~'];
const OP_CHARS = '=!<>~';

interface Token {
  kind: 'word' | 'string' | 'regex' | 'op';
  text: string;
  start: number;
}

type Lexed = { ok: true; tokens: Token[] } | { ok: false; error: string; position: number };

function lex(input: string): Lexed {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    // A '-' directly before a quote or regex negates it; it is kept as its own word.
    if (c === '-' && (input[i + 1] === '"' || input[i + 1] === '/')) {
      tokens.push({ kind: 'word', text: '-', start });
      i++;
      continue;
    }
    if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= input.length)
          return { ok: false, error: 'a quoted value is not closed with "', position: start };
        const d = input[i]!;
        if (d === '\\' && i + 1 < input.length) {
          text += input[i + 1];
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      tokens.push({ kind: 'string', text, start });
      continue;
    }
    // After an operator a '/' begins a value (path=/var/log), not a regular expression.
    if (c === '/' && tokens.at(-1)?.kind !== 'op') {
      let text = '';
      i++;
      for (;;) {
        if (i >= input.length)
          return { ok: false, error: 'a regular expression is not closed with /', position: start };
        const d = input[i]!;
        if (d === '\\' && input[i + 1] === '/') {
          text += '/';
          i += 2;
        } else if (d === '\\' && i + 1 < input.length) {
          text += d + input[i + 1];
          i += 2;
        } else if (d === '/') {
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      tokens.push({ kind: 'regex', text, start });
      continue;
    }
    if (OP_CHARS.includes(c)) {
      const op = OPS.find((o) => input.startsWith(o, i));
      if (!op) return { ok: false, error: `"${c}" is not an operator (use = != > >= < <= ~)`, position: i };
      tokens.push({ kind: 'op', text: op, start });
      i += op.length;
      continue;
    }
    i++;
    while (i < input.length && !/\s/.test(input[i]!) && !OP_CHARS.includes(input[i]!) && input[i] !== '"')
      i++;
    tokens.push({ kind: 'word', text: input.slice(start, i), start });
  }
  return { ok: true, tokens };
}

/** Why RE2 (DuckDB's regex engine) or a linear-time match would refuse this pattern, or null. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'the regular expression is empty';
  if (pattern.length > MAX_REGEX_LENGTH)
    return `the regular expression is ${pattern.length} characters long; at most ${MAX_REGEX_LENGTH}`;
  if (/\(\?<?[=!]/.test(pattern)) return 'look-around (?= ?! ?<= ?<!) is not supported';
  if (/\\[1-9]/.test(pattern)) return 'back-references (\\1…) are not supported';
  try {
    new RegExp(pattern, 'i');
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  return null;
}

function fieldProblem(name: string): string | null {
  if (!FIELD_NAME.test(name))
    return `"${name}" is not a field name (letters, digits, _ . -, starting with a letter or _)`;
  if (name.split('.').some((part) => part === '')) return `"${name}" has an empty part between dots`;
  return null;
}

/** Parses filter text into terms; never throws. */
export function parseFilter(input: string): FilterParse {
  if (typeof input !== 'string') return { ok: false, error: 'the filter is not text', position: 0 };
  if (input.length > MAX_FILTER_LENGTH)
    return {
      ok: false,
      error: `the filter is ${input.length} characters long; at most ${MAX_FILTER_LENGTH}`,
      position: MAX_FILTER_LENGTH,
    };
  const lexed = lex(input);
  if (!lexed.ok) return lexed;
  const tokens = lexed.tokens;
  const terms: FilterTerm[] = [];
  let i = 0;
  while (i < tokens.length) {
    let token = tokens[i]!;
    let negated = false;
    if (token.kind === 'word' && token.text === '-') {
      negated = true;
      i++;
      const next = tokens[i];
      if (!next || (next.kind !== 'string' && next.kind !== 'regex'))
        return { ok: false, error: 'a "-" must be followed by what it excludes', position: token.start };
      token = next;
    } else if (token.kind === 'word' && token.text.startsWith('-') && token.text.length > 1) {
      negated = true;
      token = { ...token, text: token.text.slice(1), start: token.start + 1 };
    }
    const next = tokens[i + 1];
    if (token.kind === 'op')
      return { ok: false, error: `"${token.text}" needs a field name before it`, position: token.start };
    if (token.kind === 'regex') {
      const problem = regexProblem(token.text);
      if (problem) return { ok: false, error: problem, position: token.start };
      terms.push({ kind: 'regex', pattern: token.text, negated });
      i++;
    } else if (token.kind === 'word' && next?.kind === 'op') {
      const field = token.text;
      const problem = fieldProblem(field);
      if (problem) return { ok: false, error: problem, position: token.start };
      const op = next.text as CompareOp;
      const value = tokens[i + 2];
      if (!value || (value.kind !== 'word' && value.kind !== 'string'))
        return {
          ok: false,
          error: `"${field} ${op}" needs a value after it`,
          position: value?.start ?? next.start + op.length,
        };
      const values =
        value.kind === 'word' && (op === '=' || op === '!=') ? value.text.split(',') : [value.text];
      if (values.some((v) => v === '') && value.kind === 'word')
        return {
          ok: false,
          error: 'an empty value in a list (write "" for an empty text)',
          position: value.start,
        };
      if (op === '>' || op === '>=' || op === '<' || op === '<=') {
        const n = Number(values[0]);
        if (values[0]!.trim() === '' || !Number.isFinite(n))
          return {
            ok: false,
            error: `"${values[0]}" is not a number to compare with`,
            position: value.start,
          };
      }
      terms.push({ kind: 'compare', field, op, values, negated });
      i += 3;
    } else if (token.kind === 'word' && token.text.toLowerCase().startsWith('has:')) {
      const field = token.text.slice(4);
      const problem = fieldProblem(field);
      if (problem) return { ok: false, error: `has: ${problem}`, position: token.start + 4 };
      terms.push({ kind: 'exists', field, negated });
      i++;
    } else {
      terms.push({ kind: 'text', text: token.text, negated });
      i++;
    }
    if (terms.length > MAX_TERMS)
      return { ok: false, error: `more than ${MAX_TERMS} terms`, position: token.start };
  }
  return { ok: true, terms };
}

/** A value as the language writes it: bare when it can be, else quoted. */
export function quoteValue(value: string): string {
  return value !== '' && /^[^\s"=!<>~,/-][^\s"=!<>~,]*$/.test(value)
    ? value
    : `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * Whether a list of values can be written as one bare word after an operator, joined by commas:
 * no space, quote, operator or comma in any, and only the first begins the token, where after an
 * operator a '/' is a value but a '-' before a '/' or '"' is a negation.
 */
function bareList(values: readonly string[]): boolean {
  return values.every((v, i) => /^[^\s"=!<>~,]+$/.test(v) && (i > 0 || !/^-[/"]/.test(v)));
}

/** One term as text that parses back to it. */
export function formatTerm(term: FilterTerm): string {
  const sign = term.negated ? '-' : '';
  switch (term.kind) {
    case 'text':
      return sign + quoteValue(term.text);
    case 'regex':
      return `${sign}/${term.pattern.replaceAll('/', '\\/')}/`;
    case 'exists':
      return `${sign}has:${term.field}`;
    case 'compare': {
      // A list is one bare word (a,b,c); a value that needs quotes stands alone.
      const bare = term.values.length > 1 && bareList(term.values);
      const value = bare ? term.values.join(',') : quoteValue(term.values[0] ?? '');
      return `${sign}${term.field}${term.op}${value}`;
    }
  }
}

export function formatFilter(terms: readonly FilterTerm[]): string {
  return terms.map(formatTerm).join(' ');
}

/** The filter text with a term added (click a value to filter by it, or to exclude it). */
export function withTerm(text: string, term: FilterTerm): string {
  const added = formatTerm(term);
  return text.trim() === '' ? added : `${text.trim()} ${added}`;
}
