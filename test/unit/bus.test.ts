import { describe, expect, it } from 'vitest';
import { recordBatch, SampleBatchBuilder, type SampleBatch } from '../../electron/engine/batch';
import { Bus, type IngestBatch } from '../../electron/engine/bus';
import { Calibration } from '../../electron/engine/pipeline/calibration';

function batchOf(samples: SampleBatch, records: IngestBatch['records'] = recordBatch([])): IngestBatch {
  return { source: 's', samples, records, quarantine: [], raw: [], soon: false };
}

describe('bus', () => {
  it('hands every batch to every consumer in order', () => {
    const bus = new Bus();
    const seen: string[] = [];
    bus.add({ onSamples: (b) => void seen.push(`store:${b.n}`) });
    bus.add({
      onSamples: (b) => void seen.push(`live:${b.n}`),
      onRecords: (r) => void seen.push(`live-records:${r.n}`),
    });
    const b = new SampleBatchBuilder(2);
    for (let i = 0; i < 5; i++) b.push(i, 1, i * 2); // grows past its initial capacity
    expect(bus.batch(batchOf(b.take()))).toBeUndefined();
    const none = new SampleBatchBuilder().take();
    bus.batch(
      batchOf(
        none,
        recordBatch([{ ts: 1, rx: 1, source: 's', severity: 'info', message: 'm', fields: null }]),
      ),
    );
    expect(seen).toEqual(['store:5', 'live:5', 'live-records:1']);
  });

  it('gives the producer one promise when any consumer pushes back', async () => {
    const bus = new Bus();
    let release!: () => void;
    bus.add({ onSamples: () => new Promise<void>((r) => (release = r)) });
    bus.add({ onSamples: () => undefined });
    const b = new SampleBatchBuilder();
    b.push(1, 1, 1);
    const wait = bus.batch(batchOf(b.take()));
    expect(wait).toBeInstanceOf(Promise);
    let done = false;
    void wait!.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await wait;
    expect(done).toBe(true);
  });

  it('skips the empty parts of a batch', () => {
    const bus = new Bus();
    let calls = 0;
    bus.add({ onSamples: () => void calls++, onRecords: () => void calls++ });
    bus.batch(
      batchOf({ n: 0, ts: new Float64Array(0), channel: new Uint32Array(0), value: new Float64Array(0) }),
    );
    expect(calls).toBe(0);
  });

  it('hands a consumer with onBatch the whole batch, and rejects with its error', async () => {
    const bus = new Bus();
    const seen: IngestBatch[] = [];
    bus.add({
      onBatch: (b) => {
        seen.push(b);
        return Promise.reject(new Error('disk full'));
      },
      onSamples: () => {
        throw new Error('not called: onBatch takes it all');
      },
    });
    const b = new SampleBatchBuilder();
    b.push(1, 1, 1);
    await expect(bus.batch(batchOf(b.take()))).rejects.toThrow('disk full');
    expect(seen).toHaveLength(1);
  });
});

describe('calibration', () => {
  it('applies scale and offset per channel in place and leaves others alone', () => {
    const cal = new Calibration();
    cal.set(2, 0.1, -40);
    const batch: SampleBatch = {
      n: 3,
      ts: new Float64Array(3),
      channel: Uint32Array.of(1, 2, 200),
      value: Float64Array.of(5, 650, 7),
    };
    cal.apply(batch);
    expect([...batch.value]).toEqual([5, 25, 7]);
  });
});
