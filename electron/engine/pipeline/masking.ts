// Masking: the one definition of the sensitive patterns, used by the ingest step (every record's
// message and fields, every quarantined and recorded payload, before anything is stored) and by
// `opsdeck scan`. A match is replaced by `[masked:<rule>]`, which holds no quote or backslash, so
// the JSON text of a record's fields stays valid JSON.
//
// Invariants:
// - Every pattern runs in time linear in its input: a match can start only where the character
//   before it could not have been part of it (a lookbehind), repetitions are bounded or over one
//   character class, and a cheap `indexOf` gate skips the regex where its anchor is absent.
// - Bytes (quarantine, recordings) are read as Latin-1, so everything but a match keeps its bytes.
// - A private-key block split over several lines (log records, chunks of a file) is masked across
//   them: after a BEGIN line with no END, what follows is masked while it looks like key body.
import net from 'node:net';
import {
  DEFAULT_MASK_RULES,
  regexHazard,
  type MaskingOptions,
  type MaskRuleName,
  type UserMaskRule,
} from '../../../shared/masking';
import type { IngestBatch } from '../bus';
import type { PipelineStep } from '../ingest/stage';

/** One pattern to mask. */
export interface MaskRule {
  readonly name: string;
  /**
   * What every match contains — a substring, or a pattern much cheaper than the rule's — or null:
   * most log text holds none, and the rule's own regex is then not run (bench.js masking).
   */
  readonly gate: string | RegExp | null;
  /** Global regex; group `secret`, when present, is the part masked (the rest is kept). */
  readonly regex: RegExp;
  /** A second look at a match the regex alone cannot judge (Luhn, a real IPv6 address). */
  accept?(match: string): boolean;
}

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) continue;
    if (double && (d *= 2) > 9) d -= 9;
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** What a PEM block holds between its lines: base64, header lines (`Proc-Type: 4,ENCRYPTED`), line ends. */
const KEY_CHAR = String.raw`(?:[A-Za-z0-9+/=:,\- \t\r\n]|\\[nrt])`;
const PRIVATE_KEY_BEGIN = String.raw`-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----`;
const PRIVATE_KEY_END = String.raw`-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----`;

/** The built-in rules, in the order they are applied (a JWT in a bearer header is one bearer). */
export const BUILT_IN_RULES: Record<MaskRuleName, MaskRule> = {
  'private-key': {
    name: 'private-key',
    gate: 'PRIVATE KEY',
    // Up to its END line or, without one, as far as key characters go (the block goes on later).
    regex: new RegExp(`${PRIVATE_KEY_BEGIN}${KEY_CHAR}*?(?:${PRIVATE_KEY_END}|(?!${KEY_CHAR}))`, 'g'),
  },
  'url-password': {
    name: 'url-password',
    gate: '://',
    regex:
      /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s:/@"'<>]{0,256}:(?<secret>[^\s@/"'<>]{1,256})@/g,
  },
  bearer: {
    name: 'bearer',
    gate: /[Bb][Ee][Aa][Rr][Ee][Rr][ \t]/,
    regex: /(?<![A-Za-z0-9])[Bb][Ee][Aa][Rr][Ee][Rr][ \t]{1,8}(?<secret>[A-Za-z0-9\-._~+/]{8,4096}=*)/g,
  },
  jwt: {
    name: 'jwt',
    gate: 'eyJ',
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{0,8192}/g,
  },
  'aws-key': {
    name: 'aws-key',
    gate: /A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|BIA|CCA)|aws_secret_access_key|AWS_SECRET_ACCESS_KEY/,
    regex:
      /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])|(?<=(?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY)["']?[ \t]{0,4}[:=][ \t]{0,4}["']?)(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/g,
  },
  // The domain's first label holds a letter: a syslog SD-ID's enterprise number (origin@32473) is no address.
  email: {
    name: 'email',
    gate: '@',
    regex:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?=[0-9-]{0,62}[A-Za-z])[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  // 14 to 19 digits from an issuer's range (2–6: Mastercard, Amex, Visa, Discover, UnionPay…), so an
  // epoch time in ms or µs (13 or 16 digits from 1) is never taken for a card when Luhn happens to pass.
  card: {
    name: 'card',
    gate: /[2-6][0-9]{3}[ -]?[0-9]{4}/,
    regex: /(?<![0-9])[2-6](?:[ -]?[0-9]){13,18}(?![0-9])/g,
    accept: (m) => luhn(m),
  },
  ipv4: {
    name: 'ipv4',
    gate: /[0-9]\.[0-9]{1,3}\.[0-9]/,
    regex: new RegExp(`(?<![0-9.])(?:${OCTET}\\.){3}${OCTET}(?![0-9]|\\.[0-9])`, 'g'),
  },
  ipv6: {
    name: 'ipv6',
    gate: /:[0-9A-Fa-f]{0,4}:/,
    regex: /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g,
    accept: (m) => net.isIPv6(m),
  },
};

const RULE_ORDER: readonly MaskRuleName[] = [
  'private-key',
  'url-password',
  'bearer',
  'jwt',
  'aws-key',
  'email',
  'card',
  'ipv4',
  'ipv6',
];

/** A line of a PEM block's body: base64, a header, or nothing. */
const KEY_LINE = /^(?:[A-Za-z0-9+/=]+|Proc-Type:.*|DEK-Info:.*|[ \t]*)$/;
const KEY_END = new RegExp(PRIVATE_KEY_END);

/** Where a stream is inside a private-key block that began in an earlier text. */
export interface KeyBlockState {
  inKey: boolean;
}

/** A user's pattern, checked (shared/masking.ts `regexHazard`) and compiled. */
export function userRule(rule: UserMaskRule): MaskRule {
  const hazard = regexHazard(rule.pattern);
  if (hazard) throw new Error(`masking rule "${rule.name}": refused: ${hazard}`);
  return {
    name: rule.name,
    gate: null,
    regex: new RegExp(rule.pattern, rule.ignoreCase ? 'giu' : 'gu'),
  };
}

/** Rules as options name them, in the order they apply. */
export function rulesFor(options: Pick<MaskingOptions, 'rules' | 'custom'>): MaskRule[] {
  const chosen = new Set(options.rules);
  return [
    ...RULE_ORDER.filter((r) => chosen.has(r)).map((r) => BUILT_IN_RULES[r]),
    ...options.custom.map(userRule),
  ];
}

export const DEFAULT_RULES: readonly MaskRule[] = rulesFor({ rules: [...DEFAULT_MASK_RULES], custom: [] });

const MASK = (rule: string): string => `[masked:${rule}]`;

/**
 * Masks every match of `rules` in `text`; calls `found(rule, index)` per masked value (index into
 * the text as it was when that rule ran). `state` carries a private-key block across texts.
 */
export function maskText(
  text: string,
  rules: readonly MaskRule[],
  state: KeyBlockState | null,
  found: (rule: string, index: number) => void,
): string {
  let out = text;
  if (state?.inKey) out = continueKeyBlock(out, state, found);
  for (const rule of rules) {
    const gate = rule.gate;
    if (gate !== null && !(typeof gate === 'string' ? out.includes(gate) : gate.test(out))) continue;
    rule.regex.lastIndex = 0;
    let opened = false;
    out = out.replace(rule.regex, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1];
      const offset = args[args.length - (typeof groups === 'object' ? 3 : 2)] as number;
      if (rule.accept && !rule.accept(match)) return match;
      found(rule.name, offset);
      if (rule === BUILT_IN_RULES['private-key'] && !KEY_END.test(match)) opened = true;
      const secret =
        typeof groups === 'object' && groups ? (groups as { secret?: string }).secret : undefined;
      if (secret === undefined) return MASK(rule.name);
      const at = match.lastIndexOf(secret);
      return match.slice(0, at) + MASK(rule.name) + match.slice(at + secret.length);
    });
    if (opened && state) state.inKey = true;
  }
  return out;
}

/** Inside a key block: its lines up to the END line are masked; a line of anything else ends it. */
function continueKeyBlock(
  text: string,
  state: KeyBlockState,
  found: (rule: string, i: number) => void,
): string {
  let pos = 0;
  let masked = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(pos, text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd);
    const end = KEY_END.exec(line);
    if (end) {
      state.inKey = false;
      masked = pos + end.index + end[0].length;
      break;
    }
    if (!KEY_LINE.test(line)) {
      state.inKey = false;
      break;
    }
    masked = lineEnd;
    pos = lineEnd + 1;
  }
  if (masked === 0) return text;
  found('private-key', 0);
  return MASK('private-key') + text.slice(masked);
}

/** Bytes masked as Latin-1 text (one character per byte): unchanged bytes are the same array. */
export function maskBytes(
  bytes: Uint8Array,
  rules: readonly MaskRule[],
  state: KeyBlockState | null,
  found: (rule: string, index: number) => void,
): Uint8Array {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const masked = maskText(text, rules, state, found);
  return masked === text ? bytes : new Uint8Array(Buffer.from(masked, 'latin1'));
}

/**
 * The masking of one source: its rules, its count of masked values per rule (shown in its status),
 * and where each of its streams is in a private-key block.
 */
export class Masker {
  readonly counts: Record<string, number> = {};
  private readonly records: KeyBlockState = { inKey: false };
  private readonly fields: KeyBlockState = { inKey: false };
  private readonly raw = new Map<string, KeyBlockState>();
  private readonly quarantine = new Map<string, KeyBlockState>();
  private readonly found = (rule: string): void => {
    this.counts[rule] = (this.counts[rule] ?? 0) + 1;
  };

  constructor(readonly rules: readonly MaskRule[]) {}

  static of(options: MaskingOptions | undefined): Masker {
    return new Masker(options ? rulesFor(options) : DEFAULT_RULES);
  }

  /** Masks a batch in place: records' messages and fields, quarantined and recorded bytes. */
  apply(batch: IngestBatch): void {
    if (this.rules.length === 0) return;
    const { records } = batch;
    for (let i = 0; i < records.n; i++) {
      records.message[i] = maskText(records.message[i]!, this.rules, this.records, this.found);
      const fields = records.fields[i];
      if (fields) records.fields[i] = maskText(fields, this.rules, this.fields, this.found);
    }
    for (const entry of batch.quarantine)
      entry.raw = maskBytes(entry.raw, this.rules, stateOf(this.quarantine, entry.where), this.found);
    for (const message of batch.raw)
      message.payload = maskBytes(message.payload, this.rules, stateOf(this.raw, message.key), this.found);
  }

  step(): PipelineStep {
    return { name: 'masking', apply: (batch) => this.apply(batch) };
  }
}

function stateOf(states: Map<string, KeyBlockState>, key: string): KeyBlockState {
  let state = states.get(key);
  if (!state) {
    if (states.size > 1024) states.clear(); // not measured: keys are files or topics, rarely this many
    states.set(key, (state = { inKey: false }));
  }
  return state;
}
