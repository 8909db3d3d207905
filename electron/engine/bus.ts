// The bus fans every batch out to its consumers (store, live view, later alerts) in order.
// A consumer may return a promise to ask the producer to wait (back-pressure); the bus hands the
// producer one promise that settles when every consumer is ready again.
import type { QuarantineEntry, RecordBatch, SampleBatch } from './batch';

export interface BusConsumer {
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

  samples(batch: SampleBatch): void | Promise<void> {
    if (batch.n === 0) return;
    return settle(this.consumers.map((c) => c.onSamples?.(batch)));
  }

  records(records: RecordBatch): void | Promise<void> {
    if (records.n === 0) return;
    return settle(this.consumers.map((c) => c.onRecords?.(records)));
  }

  quarantine(entry: QuarantineEntry): void {
    for (const c of this.consumers) c.onQuarantine?.(entry);
  }
}

function settle(results: (void | Promise<void>)[]): void | Promise<void> {
  const waits = results.filter((r): r is Promise<void> => r instanceof Promise);
  if (waits.length === 0) return;
  return Promise.all(waits).then(() => undefined);
}
