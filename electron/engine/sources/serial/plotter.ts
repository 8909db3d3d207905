// The Arduino Serial Plotter format, as the Arduino IDE 2 plotter reads it
// (arduino-serial-plotter-webapp): values separated by spaces, tabs or commas (runs count as one);
// if the line has a `:` after its first character, every value is `label:value`, otherwise they
// are bare and named `value 1`, `value 2`, … by position, the names the IDE's legend shows.
//
// Where we are stricter than the IDE: a value must be a whole number (the IDE's parseFloat reads
// `12abc` as 12), a labelled line must be labels throughout (the IDE drops bare values from it),
// and leading separators do not shift the numbering. `nan`, `inf` and `ovf` (what Arduino's
// Serial.print writes for a failed reading) are gaps: that value is skipped, the rest is kept.
import { decodeUtf8, escapeKey, MAX_VALUES_PER_FRAME, parseNumber, type Decoder } from '../../decode/decoder';

const SEPARATORS = /[, \t]+/;
const NOT_A_READING = /^[+-]?(?:nan|inf|ovf)$/i;

/** `overLimit`: the line is the format, but holds more values than one frame may. */
type Parsed = { ok: true; values: [string, number][] } | { ok: false; reason: string; overLimit?: true };

export function parsePlotterLine(line: string): Parsed {
  const tokens = line
    .trim()
    .split(SEPARATORS)
    .filter((t) => t !== '');
  if (tokens.length === 0) return { ok: false, reason: 'empty line' };
  const labelled = line.trim().indexOf(':') > 0;
  const values: [string, number][] = [];
  for (const [i, token] of tokens.entries()) {
    let label = `value ${i + 1}`;
    let text = token;
    if (labelled) {
      const colon = token.indexOf(':');
      if (colon <= 0 || colon === token.length - 1)
        return { ok: false, reason: `plotter: "${token}" is not label:value` };
      label = token.slice(0, colon);
      text = token.slice(colon + 1);
    }
    if (NOT_A_READING.test(text)) continue;
    const n = parseNumber(text);
    if (n === null) return { ok: false, reason: `plotter: "${text}" is not a number` };
    values.push([escapeKey(label), n]);
  }
  if (values.length === 0) return { ok: false, reason: 'plotter: no readings (every value is nan/inf)' };
  if (values.length > MAX_VALUES_PER_FRAME)
    return {
      ok: false,
      reason: `plotter: more than ${MAX_VALUES_PER_FRAME} values in one line`,
      overLimit: true,
    };
  return { ok: true, values };
}

/** The line as text: valid UTF-8 with no control characters but tabs. */
const lineText = (bytes: Uint8Array) => {
  for (const b of bytes) if (b < 0x20 && b !== 0x09) return null;
  return decodeUtf8(bytes);
};

export const plotterDecoder: Decoder = {
  name: 'plotter',
  detect(bytes) {
    const t = lineText(bytes);
    // Above CSV's 0.9 for a line of numbers: `1.5,2.5` is what Arduino sketches print for the plotter.
    if (t === null) return 0;
    const parsed = parsePlotterLine(t);
    // A line of too many values is still claimed, so that it is refused with that reason.
    return parsed.ok || parsed.overLimit ? 0.92 : 0;
  },
  decode(frame, out) {
    const t = lineText(frame.bytes);
    if (t === null) return { ok: false, reason: 'plotter: not valid UTF-8 text' };
    const parsed = parsePlotterLine(t);
    if (!parsed.ok) return parsed;
    for (const [path, v] of parsed.values) out.sample(path, v, frame.rx);
    return { ok: true };
  },
};
