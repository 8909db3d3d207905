// Where the fields of a binary layout land in a frame, computed from what the form holds, by the
// rules the engine uses (electron/engine/decode/binary.ts CompiledLayout): the first field right
// after the sync bytes, each next one right after the previous unless it has its own `at`, the
// check at the end unless placed. The form shows it so a layout can be checked against a datasheet
// before the source starts; the engine still has the last word.
import { BINARY_CHECK_BYTES, BINARY_FIELD_BYTES } from '../../shared/schemas';

export const FIELD_BYTES: Record<string, number> = BINARY_FIELD_BYTES;
export const CHECK_BYTES: Record<string, number> = BINARY_CHECK_BYTES;

export interface LayoutInput {
  framing: string;
  /** Hex text as typed ("AA 55"). */
  sync: string;
  length: string;
  fields: readonly { type: string; at: string }[];
  check: { kind: string; at: string; from: string } | null;
}

export interface LayoutPreview {
  syncBytes: number;
  /** Each field's first byte and size. */
  fields: { pos: number; size: number }[];
  /** The check's first byte (null when it counts from the end of a frame of unknown length). */
  check: { pos: number | null; size: number; from: number } | null;
  /** The frame length: declared, or for fixed frames the shortest that holds everything. */
  length: number | null;
  minLength: number;
  /** What the engine will refuse, in words. */
  problems: string[];
}

/** A whole number typed in the form, or null when empty or not one (the schema reports those). */
function int(text: string): number | null {
  const t = text.trim();
  return /^[-+]?\d+$/.test(t) ? Number(t) : null;
}

function hexLength(text: string): number {
  const clean = text.replace(/\s+/g, '');
  return /^(?:[0-9a-fA-F]{2})*$/.test(clean) ? clean.length / 2 : 0;
}

export function previewLayout(input: LayoutInput): LayoutPreview {
  const syncBytes = input.framing === 'fixed' ? hexLength(input.sync) : 0;
  let next = syncBytes;
  const fields = input.fields.map((f) => {
    const pos = int(f.at) ?? next;
    const size = FIELD_BYTES[f.type] ?? 0;
    next = pos + size;
    return { pos, size };
  });
  const fieldsEnd = Math.max(syncBytes, ...fields.map((f) => f.pos + f.size));
  const problems: string[] = [];
  let minLength = fieldsEnd;
  let check: LayoutPreview['check'] = null;
  const c = input.check;
  if (c && CHECK_BYTES[c.kind] !== undefined) {
    const size = CHECK_BYTES[c.kind]!;
    const at = int(c.at) ?? -size;
    const from = int(c.from) ?? 0;
    if (at >= 0) {
      minLength = Math.max(fieldsEnd, at + size);
      if (from > at) problems.push(`the check covers from byte ${from}, after its own position ${at}`);
    } else {
      minLength = Math.max(fieldsEnd, from) - at;
      if (at > -size) problems.push(`a check at ${at} leaves no room for its ${size} bytes`);
    }
    check = { pos: at >= 0 ? at : null, size, from };
  }
  const declared = int(input.length);
  const length = declared ?? (input.framing === 'fixed' ? minLength : null);
  if (check && check.pos === null && length !== null) check.pos = length + (int(c!.at) ?? -check.size);
  if (length !== null) {
    fields.forEach((f, i) => {
      if (f.pos + f.size > length)
        problems.push(
          `field ${i + 1} (bytes ${f.pos}–${f.pos + f.size - 1}) is past the ${length}-byte frame`,
        );
    });
    if (minLength > length) problems.push(`the check does not fit in the ${length}-byte frame`);
    if (syncBytes > length) problems.push('the sync bytes are longer than the frame');
  }
  return { syncBytes, fields, check, length, minLength, problems };
}

/** "2–3", or "4" for one byte. */
export function byteRange(pos: number, size: number): string {
  return size <= 1 ? String(pos) : `${pos}–${pos + size - 1}`;
}
