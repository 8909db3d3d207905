// The sensitive-data scan (`opsdeck scan`, the `scanFiles` API): which masking rules match where in
// a capture — file, line, rule and the line with every match masked — without importing anything.
// The rules are masking.ts's, so a scan finds exactly what ingest would mask.
import fs from 'node:fs';
import path from 'node:path';
import type { ScanFinding } from '../../../shared/masking';
import { maskText, type KeyBlockState, type MaskRule } from './masking';

/** An excerpt is cut to this many characters around the first match (a 1 MB line stays readable). */
const EXCERPT_CHARS = 160;
/** Bytes read at a time. Not measured: big enough to make a file's lines cheap, small in memory. */
const CHUNK_BYTES = 1024 * 1024;

export interface ScanSummary {
  findings: ScanFinding[];
  files: number;
  lines: number;
  /** Findings beyond `maxFindings` were counted, not kept. */
  truncated: boolean;
  /** Files (or folders) that could not be read, with why. */
  errors: string[];
}

/** Findings of one line (1-based `line`); a private key reported once, on its BEGIN line. */
export function scanLine(
  text: string,
  rules: readonly MaskRule[],
  state: KeyBlockState,
  file: string,
  line: number,
): ScanFinding[] {
  const hits: { rule: string; index: number }[] = [];
  let continuing = state.inKey;
  const masked = maskText(text, rules, state, (rule, index) => {
    if (continuing && rule === 'private-key') {
      continuing = false; // the body of a block reported where it began
      return;
    }
    hits.push({ rule, index });
  });
  if (hits.length === 0) return [];
  const excerpt = cut(masked, masked.indexOf('[masked:'));
  return hits.map(({ rule }) => ({ file, line, rule, excerpt }));
}

function cut(text: string, at: number): string {
  if (text.length <= EXCERPT_CHARS) return text;
  const start = Math.max(0, Math.min(at - EXCERPT_CHARS / 4, text.length - EXCERPT_CHARS));
  return `${start > 0 ? '…' : ''}${text.slice(start, start + EXCERPT_CHARS)}${start + EXCERPT_CHARS < text.length ? '…' : ''}`;
}

/** Every regular file under the paths (folders walked, in name order). */
function* filesUnder(paths: readonly string[], errors: string[]): Generator<string> {
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch (error) {
      errors.push(`${p}: ${(error as Error).message}`);
      continue;
    }
    if (stat.isFile()) yield p;
    else if (stat.isDirectory()) {
      let names: string[];
      try {
        names = fs.readdirSync(p).sort();
      } catch (error) {
        errors.push(`${p}: ${(error as Error).message}`);
        continue;
      }
      yield* filesUnder(
        names.map((n) => path.join(p, n)),
        errors,
      );
    }
  }
}

/**
 * Scans files line by line (LF, CRLF or CR) as Latin-1 — every byte one character, so a line
 * that is not UTF-8 is scanned all the same. Reads in chunks and yields between them, so a large
 * capture neither fills memory nor holds the engine up.
 */
export async function scanFiles(
  paths: readonly string[],
  rules: readonly MaskRule[],
  maxFindings = 10_000,
): Promise<ScanSummary> {
  const summary: ScanSummary = { findings: [], files: 0, lines: 0, truncated: false, errors: [] };
  const add = (found: ScanFinding[]) => {
    for (const f of found) {
      if (summary.findings.length < maxFindings) summary.findings.push(f);
      else summary.truncated = true;
    }
  };
  for (const file of filesUnder(paths, summary.errors)) {
    summary.files++;
    const state: KeyBlockState = { inKey: false };
    let line = 0;
    let carry = '';
    try {
      const stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const text = carry + chunk.toString('latin1');
        const parts = text.split(/\r\n|\n|\r/);
        // A CR at the very end may be half of a CRLF: keep it with the unfinished line.
        carry = parts.pop()!;
        if (text.endsWith('\r') && carry === '') carry = parts.pop()! + '\r';
        for (const part of parts) add(scanLine(part, rules, state, file, ++line));
      }
      if (carry.replace(/\r$/, '') !== '')
        add(scanLine(carry.replace(/\r$/, ''), rules, state, file, ++line));
    } catch (error) {
      summary.errors.push(`${file}: ${(error as Error).message}`);
    }
    summary.lines += line;
  }
  return summary;
}
