// The newest value and its time per channel, kept as samples pass on the bus: two typed arrays
// indexed by channel id, one store per sample, so the channel browser can show last values without
// asking the database.
import type { BusConsumer } from '../bus';
import type { SampleBatch } from '../batch';

export class LastValues implements BusConsumer {
  private ts = new Float64Array(1024).fill(NaN);
  private value = new Float64Array(1024);

  onSamples(batch: SampleBatch): void {
    const { n, ts, channel, value } = batch;
    for (let i = 0; i < n; i++) {
      const id = channel[i]!;
      if (id >= this.ts.length) this.grow(id);
      // Event time can go backwards (a late device): the newest reading is the one kept.
      if (!(ts[i]! < this.ts[id]!)) {
        this.ts[id] = ts[i]!;
        this.value[id] = value[i]!;
      }
    }
  }

  /** The newest reading of `id`, or null before its first. */
  get(id: number): { ts: number; value: number } | null {
    const ts = this.ts[id];
    return ts === undefined || Number.isNaN(ts) ? null : { ts, value: this.value[id]! };
  }

  private grow(id: number): void {
    let size = this.ts.length;
    while (size <= id) size *= 2;
    const ts = new Float64Array(size).fill(NaN);
    ts.set(this.ts);
    const value = new Float64Array(size);
    value.set(this.value);
    this.ts = ts;
    this.value = value;
  }
}
