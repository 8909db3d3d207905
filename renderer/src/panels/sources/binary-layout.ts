// The serial form's view of a binary layout while it is typed: the text in the form turned into a
// plan and placed by the engine's own rules (shared/binary-layout.ts), so a layout can be checked
// against a datasheet before the source starts; the engine still has the last word.
import { byteRange, placeLayout } from '../../../../shared/binary-layout';
import { parseHex } from '../../../../shared/hex';
import { BINARY_CHECK_BYTES, BINARY_FIELD_BYTES } from '../../../../shared/schemas';

export { byteRange };

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

/** How the form names the place a problem is at. */
function placeName(path: string): string {
  const field = /^fields\.(\d+)$/.exec(path);
  if (field) return `field ${Number(field[1]) + 1}`;
  return (
    { 'check.at': 'check position', 'check.from': 'check covers from', check: 'check', sync: 'sync bytes' }[
      path
    ] ?? path
  );
}

export function previewLayout(input: LayoutInput): LayoutPreview {
  const fixed = input.framing === 'fixed';
  const syncBytes = fixed ? (parseHex(input.sync)?.length ?? 0) : 0;
  const c = input.check;
  const checkSize = c ? CHECK_BYTES[c.kind] : undefined;
  const placed = placeLayout({
    framing: fixed ? 'fixed' : 'slip',
    syncBytes,
    fields: input.fields.map((f) => ({ size: FIELD_BYTES[f.type] ?? 0, at: int(f.at) })),
    check: c && checkSize !== undefined ? { size: checkSize, at: int(c.at), from: int(c.from) ?? 0 } : null,
    length: int(input.length),
  });
  const pc = placed.check;
  const check = pc
    ? {
        pos: pc.at >= 0 ? pc.at : placed.length !== null ? placed.length + pc.at : null,
        size: pc.size,
        from: pc.from,
      }
    : null;
  return {
    syncBytes,
    fields: placed.fields,
    check,
    length: placed.length,
    minLength: placed.minLength,
    problems: placed.problems.map((p) => `${placeName(p.path)}: ${p.message}`),
  };
}
