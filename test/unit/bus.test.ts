import { describe, expect, it } from 'vitest';
import { recordBatch, SampleBatchBuilder, type SampleBatch } from '../../electron/engine/batch';
import { Bus } from '../../electron/engine/bus';
import { Calibration } from '../../electron/engine/pipeline/calibration';

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
    expect(bus.samples(b.take())).toBeUndefined();
    bus.records(recordBatch([{ ts: 1, rx: 1, source: 's', severity: 'info', message: 'm', fields: null }]));
    expect(seen).toEqual(['store:5', 'live:5', 'live-records:1']);
  });

  it('gives the producer one promise when any consumer pushes back', async () => {
    const bus = new Bus();
    let release!: () => void;
    bus.add({ onSamples: () => new Promise<void>((r) => (release = r)) });
    bus.add({ onSamples: () => undefined });
    const b = new SampleBatchBuilder();
    b.push(1, 1, 1);
    const wait = bus.samples(b.take());
    expect(wait).toBeInstanceOf(Promise);
    let done = false;
    void wait!.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await wait;
    expect(done).toBe(true);
  });

  it('skips empty batches', () => {
    const bus = new Bus();
    let calls = 0;
    bus.add({ onSamples: () => void calls++ });
    bus.samples({ n: 0, ts: new Float64Array(0), channel: new Uint32Array(0), value: new Float64Array(0) });
    expect(calls).toBe(0);
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
