// Where the fields and the check of a binary serial layout land in a frame: the first field right
// after the sync bytes, each next one right after the previous unless it has its own `at`, the
// check at the end unless placed. The engine decodes frames by it (electron/engine/decode/binary.ts)
// and the source form shows it while the layout is typed, so both place bytes the same way.

export interface LayoutPlan {
  framing: 'fixed' | 'slip';
  syncBytes: number;
  /** Each field's size in bytes and its declared first byte, if any. */
  fields: readonly { size: number; at: number | null }[];
  /** The check's size, its declared position (negative: counted from the frame's end) and first covered byte. */
  check: { size: number; at: number | null; from: number } | null;
  /** The declared frame length, if any. */
  length: number | null;
}

export interface LayoutProblem {
  /** Where in the layout, as the schema names it: "fields.1", "check.at", "check.from", "check", "sync". */
  path: string;
  message: string;
}

export interface LayoutPlacement {
  /** Each field's first byte and size. */
  fields: { pos: number; size: number }[];
  /** The check: `at` ≥ 0 is its first byte; negative, counted from the end of the frame. */
  check: { at: number; size: number; from: number } | null;
  /** Fixed frames: the frame length. SLIP: the exact length when declared, else null. */
  length: number | null;
  /** The shortest frame that holds every field and the check. */
  minLength: number;
  /** What does not fit, in the order the engine reports it; empty for a good layout. */
  problems: LayoutProblem[];
}

export function placeLayout(plan: LayoutPlan): LayoutPlacement {
  let next = plan.syncBytes;
  const fields = plan.fields.map((f) => {
    const pos = f.at ?? next;
    next = pos + f.size;
    return { pos, size: f.size };
  });
  const fieldsEnd = Math.max(plan.syncBytes, ...fields.map((f) => f.pos + f.size));
  const problems: LayoutProblem[] = [];
  const c = plan.check;
  const check = c ? { at: c.at ?? -c.size, size: c.size, from: c.from } : null;
  // A check at a negative position sits after the fields and after the first byte it covers.
  const minLength = !check
    ? fieldsEnd
    : check.at >= 0
      ? Math.max(fieldsEnd, check.at + check.size)
      : Math.max(fieldsEnd, check.from) - check.at;
  const length = plan.length ?? (plan.framing === 'fixed' ? minLength : null);
  if (check && check.at < 0 && check.at > -check.size)
    problems.push({ path: 'check.at', message: `${check.at} leaves no room for ${check.size} check bytes` });
  // The check covers [from, its own position).
  if (check && check.at >= 0 && check.from > check.at)
    problems.push({
      path: 'check.from',
      message: `byte ${check.from} is after the check at byte ${check.at}`,
    });
  if (length !== null) {
    fields.forEach((f, i) => {
      if (f.pos + f.size > length)
        problems.push({
          path: `fields.${i}`,
          message: `bytes ${f.pos}–${f.pos + f.size - 1} are past the ${length}-byte frame`,
        });
    });
    // Without a check, a frame too short for the fields is already said per field.
    if (check && minLength > length)
      problems.push({ path: 'check', message: `the check does not fit in the ${length}-byte frame` });
    if (plan.syncBytes > length) problems.push({ path: 'sync', message: 'longer than the frame' });
  }
  return { fields, check, length, minLength, problems };
}

/** "2–3", or "4" for one byte. */
export function byteRange(pos: number, size: number): string {
  return size <= 1 ? String(pos) : `${pos}–${pos + size - 1}`;
}
