// Reading stored data back for replay: samples and records of an event-time slice, as the columnar
// batches the bus carries. Numbers are copied out of DuckDB's vectors whole (one memcpy per
// column), never converted value by value.
import type { DuckDBDataChunk } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import type { RecordBatch, SampleBatch } from '../batch';
import type { Store } from '../store/store';
import { streamStoredRecords } from '../alerts/stored';

/** Epoch ms as a DuckDB timestamp literal (microseconds). */
export const sqlTime = (ms: number): string => `make_timestamp(${Math.round(ms * 1000)}::BIGINT)`;

/**
 * A NOT NULL numeric column of a chunk as a typed array of its own (the chunk's memory is
 * DuckDB's): one copy of the vector's data. The bindings are used directly because building the
 * node-api vector object costs more per 2,048-row chunk than the copy (bench `replay`).
 */
function typedColumn<T extends Float64Array | Uint32Array>(
  chunk: DuckDBDataChunk,
  index: number,
  kind: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const n = chunk.rowCount;
  const data = bindings.vector_get_data(
    bindings.data_chunk_get_vector(chunk.chunk, index),
    n * kind.BYTES_PER_ELEMENT,
  );
  return new kind(data.buffer, data.byteOffset, n).slice() as T;
}

/** `ts > after` (or `>=` when `inclusive`) and `ts <= upTo`, as SQL on a table's `ts`. */
function slice(after: number, upTo: number, inclusive: boolean, alias = ''): string {
  return `${alias}ts ${inclusive ? '>=' : '>'} ${sqlTime(after)} AND ${alias}ts <= ${sqlTime(upTo)}`;
}

/**
 * Samples with event time in the slice, in the order they were stored (insertion order: the order
 * they arrived, as live evaluation saw them), chunk by chunk. Returns how many.
 */
export async function readSamples(
  store: Store,
  range: { after: number; upTo: number; inclusive: boolean; channels?: readonly number[] | undefined },
  take: (batch: SampleBatch, maxTs: number) => void | Promise<void>,
): Promise<number> {
  if (range.channels?.length === 0) return 0;
  const only = range.channels
    ? ` AND channel_id IN (${range.channels.map((c) => Math.trunc(c)).join(',')})`
    : '';
  const stream = await store.stream(
    `SELECT epoch_us(ts)::DOUBLE / 1000, channel_id, value FROM samples
     WHERE ${slice(range.after, range.upTo, range.inclusive)}${only}`,
  );
  let n = 0;
  try {
    // The next chunk is asked for before this one is played: DuckDB makes it meanwhile.
    let pending = stream.next();
    for (let chunk = await pending; chunk && chunk.rowCount > 0; chunk = await pending) {
      pending = stream.next();
      const ts = typedColumn(chunk, 0, Float64Array);
      let maxTs = -Infinity;
      for (let i = 0; i < ts.length; i++) if (ts[i]! > maxTs) maxTs = ts[i]!;
      const batch: SampleBatch = {
        n: chunk.rowCount,
        ts,
        channel: typedColumn(chunk, 1, Uint32Array),
        value: typedColumn(chunk, 2, Float64Array),
      };
      n += batch.n;
      await take(batch, maxTs);
    }
    await pending.catch(() => null);
  } finally {
    stream.close();
  }
  return n;
}

/** Records with event time in the slice, in stored order, as RecordBatches. Returns how many. */
export async function readRecords(
  store: Store,
  range: { after: number; upTo: number; inclusive: boolean },
  take: (batch: RecordBatch, maxTs: number) => void | Promise<void>,
): Promise<number> {
  return streamStoredRecords(store, slice(range.after, range.upTo, range.inclusive, 'r.'), take);
}

/** Event-time ends of what is stored (samples and records) within the optional bounds; NaN when none. */
export async function storedBounds(
  store: Store,
  range: { from?: number | undefined; to?: number | undefined } = {},
): Promise<{ from: number; to: number }> {
  const conds: string[] = [];
  if (range.from !== undefined) conds.push(`ts >= ${sqlTime(range.from)}`);
  if (range.to !== undefined) conds.push(`ts <= ${sqlTime(range.to)}`);
  const where = conds.join(' AND ') || 'true';
  const rows = await store.read(
    `SELECT epoch_us(min(ts))::DOUBLE / 1000, epoch_us(max(ts))::DOUBLE / 1000 FROM (
       SELECT ts FROM samples WHERE ${where} UNION ALL SELECT ts FROM records WHERE ${where})`,
  );
  const [lo, hi] = (rows[0] ?? [null, null]) as [number | null, number | null];
  return { from: range.from ?? lo ?? NaN, to: range.to ?? hi ?? NaN };
}
