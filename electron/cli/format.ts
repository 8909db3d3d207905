// Printing query results: an aligned table for people, CSV or JSON for scripts.
import type { QueryResult } from '../../shared/api';

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatTable(result: QueryResult): string {
  const header = result.columns.map((c) => c.name);
  const rows = result.rows.map((r) => r.map(cell));
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c.length > widths[i]! ? c.slice(0, widths[i]! - 1) + '…' : c.padEnd(widths[i]!)))
      .join(' │ ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...rows.map(line)];
  out.push(
    `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ', truncated' : ''})`,
  );
  return out.join('\n');
}

export function formatCsv(result: QueryResult): string {
  const esc = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [
    result.columns.map((c) => esc(c.name)).join(','),
    ...result.rows.map((r) => r.map(esc).join(',')),
  ].join('\n');
}

export function formatJson(result: QueryResult): string {
  return JSON.stringify(
    result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, r[i]]))),
    null,
    2,
  );
}
