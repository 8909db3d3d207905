// The bus fans every ingest batch out to its consumers (store, live view, alerts) in order.
// A consumer may return a promise: the store's is the batch's ticket (it settles when the rows are
// durable, or rejects when they cannot be). The bus hands the producer one promise that settles
// when every consumer has settled, and rejects with the first consumer's error.
import type { QuarantineEntry, RecordBatch, SampleBatch } from './batch';
import type { RawMessage } from './sources/source';

/**
 * What one flush of a source's ingest stage hands on. Invariants: every part is in arrival order;
 * `position`, when set, is where the source is once every row of this batch (and of the batches
 * before it) is stored, and is committed in the same transaction as those rows.
 */
export interface IngestBatch {
  source: string;
  samples: SampleBatch;
  records: RecordBatch;
  quarantine: QuarantineEntry[];
  raw: RawMessage[];
  position?: { key: string; value: string } | undefined;
  /** A peer waits for this batch's acknowledgement: the store should not wait for its timer. */
  soon: boolean;
}

export interface BusConsumer {
  /** Takes the whole batch (the store); a consumer with this gets none of the calls below. */
  onBatch?(batch: IngestBatch): void | Promise<void>;
  onSamples?(batch: SampleBatch): void | Promise<void>;
  onRecords?(records: RecordBatch): void | Promise<void>;
  onQuarantine?(entry: QuarantineEntry): void;
}

export class Bus {
  private readonly consumers: BusConsumer[] = [];

  add(consumer: BusConsumer): () => void {
    this.consumers.push(consumer);
    return () => {
      const i = this.consumers.indexOf(consumer);
      if (i >= 0) this.consumers.splice(i, 1);
    };
  }

  batch(batch: IngestBatch): void | Promise<void> {
    const waits: Promise<void>[] = [];
    const keep = (r: void | Promise<void>) => {
      if (r instanceof Promise) waits.push(r);
    };
    for (const c of this.consumers) {
      if (c.onBatch) {
        keep(c.onBatch(batch));
        continue;
      }
      if (batch.samples.n > 0) keep(c.onSamples?.(batch.samples));
      if (batch.records.n > 0) keep(c.onRecords?.(batch.records));
      if (c.onQuarantine) for (const entry of batch.quarantine) c.onQuarantine(entry);
    }
    if (waits.length === 0) return;
    if (waits.length === 1) return waits[0];
    return Promise.all(waits).then(() => undefined);
  }
}
