// Reads that want what was just ingested (a plot's history) flush the store first, but at most once
// per short interval: a console asking for several panels' history at once, or a tool calling
// `series` in a loop, no longer forces a DuckDB flush per call. The store flushes on its own every
// ~100 ms anyway, so a read skipped here sees data at most that old.

/** A read flushes at most this often; the store's own timer flushes every 100 ms. */
const READ_FLUSH_MIN_INTERVAL_MS = 250;

export class ReadFlush {
  private lastAt = -Infinity;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: { flush(): Promise<void>; readonly pendingRows: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Flushes unless nothing waits or a flush for reads ran (or runs) within the interval. */
  async beforeRead(): Promise<void> {
    if (this.running) return this.running;
    if (this.store.pendingRows === 0 || this.now() - this.lastAt < READ_FLUSH_MIN_INTERVAL_MS) return;
    this.lastAt = this.now();
    this.running = this.store.flush().finally(() => (this.running = null));
    return this.running;
  }
}
