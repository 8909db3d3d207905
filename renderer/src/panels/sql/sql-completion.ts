// Completions for the SQL console: the word being typed, matched against the workspace's tables,
// views and columns (read once from duckdb_columns() through the same read-only query path).
export interface Completion {
  /** Where the word being typed starts, and the word. */
  start: number;
  prefix: string;
  names: string[];
}

export function completionsAt(text: string, caret: number, names: readonly string[], max = 8): Completion {
  let start = caret;
  while (start > 0 && /[A-Za-z0-9_]/.test(text[start - 1]!)) start--;
  const prefix = text.slice(start, caret);
  if (prefix.length === 0) return { start, prefix, names: [] };
  const lower = prefix.toLowerCase();
  const found = names.filter((n) => n.toLowerCase().startsWith(lower) && n.toLowerCase() !== lower);
  return { start, prefix, names: found.slice(0, max) };
}

/** The text with the word being typed replaced by `name`, and where the caret goes. */
export function applyCompletion(
  text: string,
  completion: Completion,
  name: string,
): { text: string; caret: number } {
  const end = completion.start + completion.prefix.length;
  return {
    text: text.slice(0, completion.start) + name + text.slice(end),
    caret: completion.start + name.length,
  };
}
