// Evaluation over stored data: the same evaluator, fed in the order the data was stored (which is
// the order it arrived), so the lateness policy drops what it dropped live and the transitions
// match. Time ends at the range's end instead of the engine clock.
import type { AlertRule, AlertTransition } from '../../../shared/alerts';
import { RecordBatchBuilder, type RecordBatch, type Severity } from '../batch';
import type { Store } from '../store/store';
import { AlertEvaluator } from './evaluator';

export interface StoredEvaluation {
  transitions: AlertTransition[];
  /** Event-time range evaluated, epoch ms (NaN when there was no data and no bound). */
  from: number;
  to: number;
  samples: number;
  records: number;
  /** Per rule: data beyond the rule's lateness, not evaluated. */
  late: Record<string, number>;
  /** Rules whose channel is not in the store. */
  unknownChannels: string[];
}

const sqlTime = (ms: number) => `make_timestamp(${Math.round(ms * 1000)}::BIGINT)`;

export async function evaluateStored(
  store: Store,
  rules: readonly AlertRule[],
  range: { from?: number; to?: number } = {},
): Promise<StoredEvaluation> {
  await store.flush();
  const conds: string[] = [];
  if (range.from !== undefined) conds.push(`ts >= ${sqlTime(range.from)}`);
  if (range.to !== undefined) conds.push(`ts <= ${sqlTime(range.to)}`);
  const where = (alias = '') => conds.map((c) => alias + c).join(' AND ') || 'true';

  const bounds = await store.read(
    `SELECT epoch_us(min(ts))::DOUBLE / 1000, epoch_us(max(ts))::DOUBLE / 1000 FROM (
       SELECT ts FROM samples WHERE ${where()} UNION ALL SELECT ts FROM records WHERE ${where()})`,
  );
  const [lo, hi] = (bounds[0] ?? [null, null]) as [number | null, number | null];
  const from = range.from ?? lo ?? NaN;
  const to = range.to ?? hi ?? NaN;

  const known = store.knownChannels();
  const transitions: AlertTransition[] = [];
  const evaluator = new AlertEvaluator(rules, {
    resolveChannel: (name) => known.get(name),
    onTransition: (t) => transitions.push(t),
    origin: from,
  });
  const unknownChannels = rules
    .filter((r) => r.enabled && r.kind !== 'log' && !known.has(r.channel))
    .map((r) => (r as { channel: string }).channel);

  const ids = [
    ...new Set(
      rules.flatMap((r) => (r.kind !== 'log' && known.has(r.channel) ? [known.get(r.channel)!] : [])),
    ),
  ];
  let samples = 0;
  if (ids.length > 0) {
    // rowid order is append order: the order the samples arrived in.
    const stream = await store.stream(
      `SELECT epoch_us(ts)::DOUBLE / 1000, channel_id, value FROM samples
       WHERE channel_id IN (${ids.join(',')}) AND ${where()} ORDER BY rowid`,
    );
    try {
      for (let chunk = await stream.next(); chunk && chunk.rowCount > 0; chunk = await stream.next()) {
        const [ts, channel, value] = chunk.getColumns() as [number[], number[], number[]];
        evaluator.samples({
          n: chunk.rowCount,
          ts: Float64Array.from(ts),
          channel: Uint32Array.from(channel),
          value: Float64Array.from(value),
        });
        samples += chunk.rowCount;
      }
    } finally {
      stream.close();
    }
  }

  const records = rules.some((r) => r.enabled && r.kind === 'log')
    ? await streamStoredRecords(store, where('r.'), (batch) => evaluator.records(batch))
    : 0;

  if (Number.isFinite(to)) evaluator.finish(to);
  return { transitions, from, to, samples, records, late: evaluator.late(), unknownChannels };
}

/**
 * Stored records matching `where` (on the alias `r.`), in stored order, one RecordBatch per DuckDB
 * chunk with its largest event time; answers how many. Alert evaluation and replay both read this way.
 */
export async function streamStoredRecords(
  store: Store,
  where: string,
  take: (batch: RecordBatch, maxTs: number) => void | Promise<void>,
): Promise<number> {
  const stream = await store.stream(
    `SELECT epoch_us(r.ts)::DOUBLE / 1000, epoch_us(r.rx)::DOUBLE / 1000, s.key, r.severity, r.message,
       r.fields::VARCHAR FROM records r JOIN sources s ON s.id = r.source_id WHERE ${where} ORDER BY r.rowid`,
  );
  let n = 0;
  try {
    for (let chunk = await stream.next(); chunk && chunk.rowCount > 0; chunk = await stream.next()) {
      const [ts, rx, source, severity, message, fields] = chunk.getColumns() as [
        number[],
        number[],
        string[],
        Severity[],
        string[],
        (string | null)[],
      ];
      const rows = new RecordBatchBuilder(chunk.rowCount);
      let maxTs = -Infinity;
      for (let i = 0; i < chunk.rowCount; i++) {
        rows.push(ts[i]!, rx[i]!, source[i]!, severity[i]!, message[i]!, fields[i] ?? null);
        if (ts[i]! > maxTs) maxTs = ts[i]!;
      }
      n += chunk.rowCount;
      await take(rows.take(), maxTs);
    }
  } finally {
    stream.close();
  }
  return n;
}
