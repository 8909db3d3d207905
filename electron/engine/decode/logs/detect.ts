// A file's format from its first lines, with a confidence the user sees and can overrule. Each
// candidate decodes the lines in order with one memo, as a source's key would (so Zeek's and CSV's
// header lines teach the lines after them): a line scores the decoder's detect confidence when it
// decodes, or, when detect cannot tell the line alone (a Zeek row, a CSV row of text) but decode
// takes it, the best confidence the decoder had on an earlier line; a line it refuses scores 0.
// The format's confidence is the mean. Specialised formats detect higher than the generic ones
// they are made of (Suricata 0.97 over JSON 0.95, syslog over timestamped text), so they win when
// they fit. Continuation lines (indented, `at …`, `Caused by:`, `...`) are left out of the mean
// and counted: they belong to the record above (see framers/multiline.ts).
import type { DecodeOutput, Decoder } from '../decoder';
import { fileDecoders } from '../registry';
import { isContinuation } from '../../ingest/framers/multiline';

export interface FormatScore {
  format: string;
  /** In [0, 1]. */
  confidence: number;
  /** Lines (of those scored) the format decoded. */
  decoded: number;
}

export interface FormatGuess {
  /** The best format, or null when none decodes any line. */
  format: string | null;
  confidence: number;
  /** Every format that decoded a line, best first (the best included): what the user may pick instead. */
  candidates: FormatScore[];
  /** Lines scored (not blank, not continuations). */
  lines: number;
  /** Lines that continue the record above: a hint to join them (multi-line records). */
  continuations: number;
}

function score(d: Decoder, lines: readonly Uint8Array[], rx: number): FormatScore {
  const memo: Record<string, unknown> = {};
  let total = 0;
  let decoded = 0;
  let settled = 0;
  for (const bytes of lines) {
    let confidence = 0;
    let ok: boolean;
    let wrote = false;
    try {
      confidence = d.detect(bytes, 'file');
      const out: DecodeOutput = {
        sample: () => void (wrote = true),
        record: () => void (wrote = true),
      };
      ok = d.decode({ rx, key: 'file', bytes }, out, memo).ok;
    } catch {
      ok = false; // a decoder that throws on a line does not get the file
    }
    if (!ok) continue;
    decoded++;
    if (confidence > 0) settled = Math.max(settled, confidence);
    else if (wrote) confidence = settled;
    total += confidence;
  }
  return { format: d.name, confidence: lines.length ? total / lines.length : 0, decoded };
}

/**
 * The format of a file whose first lines are `lines` (text, without line ends; 50 or so are
 * plenty). `rx` stands in for receive time (the import's start) when decoders judge times.
 */
export function detectLogFormat(
  lines: readonly string[],
  candidates: readonly Decoder[] = fileDecoders,
  rx: number = Date.now(),
): FormatGuess {
  const encoder = new TextEncoder();
  const scored: Uint8Array[] = [];
  let continuations = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    if (scored.length > 0 && isContinuation(line)) continuations++;
    else scored.push(encoder.encode(line));
  }
  const ranked = candidates
    .map((d) => score(d, scored, rx))
    .filter((s) => s.decoded > 0 && s.confidence > 0)
    .sort((a, b) => b.confidence - a.confidence);
  const best = ranked[0];
  return {
    format: best?.format ?? null,
    confidence: best?.confidence ?? 0,
    candidates: ranked,
    lines: scored.length,
    continuations,
  };
}
