// History reads flush the store at most once per short interval (electron/engine/store/read-flush.ts),
// not once per call; reads arriving together share one flush; nothing pending means no flush.
import { describe, expect, it } from 'vitest';
import { ReadFlush } from '../../electron/engine/store/read-flush';

describe('flush before reads', () => {
  it('flushes once for a burst of reads, again after the interval, never with nothing pending', async () => {
    let now = 1_000;
    const store = {
      flushes: 0,
      pendingRows: 5,
      flush: async () => {
        store.flushes++;
      },
    };
    const reads = new ReadFlush(store, () => now);
    await Promise.all([reads.beforeRead(), reads.beforeRead(), reads.beforeRead()]);
    expect(store.flushes).toBe(1);
    for (let i = 0; i < 10; i++) {
      now += 10;
      await reads.beforeRead();
    }
    expect(store.flushes).toBe(1);
    now += 1_000;
    await reads.beforeRead();
    expect(store.flushes).toBe(2);
    now += 1_000;
    store.pendingRows = 0;
    await reads.beforeRead();
    expect(store.flushes).toBe(2);
  });
});
