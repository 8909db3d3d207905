// DuckDB values made JSON-safe for the wire: numbers stay numbers, BIGINTs beyond 2^53 become
// strings, timestamps become ISO strings, blobs hex, anything else its SQL text form.
import { DuckDBBlobValue, DuckDBTimestampValue } from '@duckdb/node-api';

export function toJsonSafe(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value;
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof DuckDBTimestampValue) return new Date(Number(value.micros / 1000n)).toISOString();
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString('hex');
  return String(value);
}
