// The one ingest stage every source feeds: bytes → framer → FrameDecoder → batcher (flush on size
// or age) → pipeline steps (calibration; masking and derived channels plug in as steps) → bus.
// Quarantined input and raw recordings travel in the same batches, so a step sees every copy.
//
// Invariants:
// - A flush hands the bus one `IngestBatch`; the bus answers with its ticket, which settles when
//   the batch's rows are durable in DuckDB or rejects with why they are not. `onDurable` hooks
//   (a peer's acknowledgement) run when the batch they were registered in settles, in order.
// - Work not yet durable is counted in one `PendingBudget` shared by every source, in rows and
//   bytes. At either bound a source with the `pause` policy stops reading its peer until there is
//   room again; with `shed`, `admit` refuses input and counts it shed. Nothing grows without bound.
// - A position given with the input it ends (`pushBytes`, `pushFrame`, `emit`) travels with the
//   batch holding the last of that input's rows — no flush cuts an input in two — and the store
//   commits it in the same transaction as those rows: a restart resumes exactly where they end.
// - `stop()` hands over everything taken in and settles once all of it has settled.
import {
  recordBatch,
  removeRecords,
  type QuarantineEntry,
  type RecordBatch,
  type SampleBatch,
} from '../batch';
import type { IngestBatch } from '../bus';
import type { Decoder, Frame } from '../decode/decoder';
import type { FrameDecoder } from '../decode/registry';
import type { RawMessage } from '../sources/source';
import type { Framer, FrameSinks } from './framers/framer';

/**
 * Flush when this many rows are decoded and waiting, and at least every FLUSH_MS.
 * bench.js serial, k lines/s: 2,048: 120–185; 16,384: 135–209; 65,536: 155–245 (within noise).
 */
export const FLUSH_ROWS = 16_384;
/** bench.js serial: 100 ms gave 136–168 k lines/s, no better; 20 ms is under one 30 fps live frame. */
export const FLUSH_MS = 20;
/** How long a stop waits for its last batches to settle (a recovering store may take longer). */
const STOP_WAIT_MS = 10_000; // not measured: longer than a recovering store's longest retry wait (5 s)
/** What the budget counts per row, beyond payload bytes (typed columns, object overhead). */
const SAMPLE_BYTES = 24; // not measured: Float64 ts and value, Uint32 channel are 20 B, rounded up
const RECORD_BYTES = 256; // not measured: typed columns plus a short message and fields text, a guess
const ENTRY_BYTES = 128; // not measured: a quarantine or recording entry's object and strings

/** A step every batch goes through between the batcher and the bus; it changes the batch in place. */
export interface PipelineStep {
  readonly name: string;
  apply(batch: IngestBatch): void;
}

/** Where a source is in its input, by key (opaque to the engine: JSON, an offset…). */
export interface Position {
  key: string;
  value: string;
}

/** What a source does when the pending work is at its bound. */
export type IngestPolicy = 'pause' | 'shed';

/** Thrown from a channel lookup to abandon a frame that needs a channel the source may not create. */
export class ChannelRefused extends Error {}

/** Ingest work not yet durable, over every source, bounded in rows and bytes. */
export class PendingBudget {
  rows = 0;
  bytes = 0;
  peakRows = 0;
  peakBytes = 0;
  /** Times a source stopped reading its peer for want of room (shown to tests and benchmarks). */
  peerPauses = 0;
  private waiters: (() => void)[] = [];

  constructor(
    public maxRows: number,
    public maxBytes: number,
  ) {}

  get full(): boolean {
    return this.rows >= this.maxRows || this.bytes >= this.maxBytes;
  }

  add(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
    if (this.rows > this.peakRows) this.peakRows = this.rows;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
  }

  release(rows: number, bytes: number): void {
    this.rows -= rows;
    this.bytes -= bytes;
    // Room again below 90% of both bounds (not measured): a peer resumed at 99% would pause at once.
    if (this.waiters.length && this.rows < this.maxRows * 0.9 && this.bytes < this.maxBytes * 0.9) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves at once when there is room, else once work has settled below the bounds. */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** What the engine gives a stage: where batches go, and where counts are kept. */
export interface IngestHost {
  readonly source: string;
  readonly budget: PendingBudget;
  /** Pipeline steps and bus; answers the batch's ticket. */
  submit(batch: IngestBatch): Promise<void>;
  now(): number;
  received(count: number): void;
  shed(count: number): void;
  quarantined(count: number): void;
  /** A batch could not be stored (the store has already counted the rows and told the user). */
  failed(error: Error): void;
}

/** How a source sets up its stage: its decoder, its framer for byte streams, its policy. */
export interface StageSetup {
  decoder?: FrameDecoder;
  framer?: Framer;
  policy: IngestPolicy;
  /** Stop reading the peer (`pause` policy); `resume` is called once there is room again. */
  pause?(): void;
  resume?(): void;
}

/** Rows [from, to) of the pending samples and records that came from a quarantined frame. */
interface Cut {
  samples: [number, number];
  records: [number, number];
}

const EMPTY_SAMPLES: SampleBatch = {
  n: 0,
  ts: new Float64Array(0),
  channel: new Uint32Array(0),
  value: new Float64Array(0),
};

export class IngestStage {
  private decoder: FrameDecoder | null = null;
  private framer: Framer | null = null;
  private policy: IngestPolicy = 'pause';
  private peer: Pick<StageSetup, 'pause' | 'resume'> = {};
  private quarantine: QuarantineEntry[] = [];
  private raw: RawMessage[] = [];
  private cuts: Cut[] = [];
  private hooks: ((error?: Error) => void)[] = [];
  /** Hooks since the last submit whose peer waits (onDurable's `prompt`). */
  private promptHooks = 0;
  private position: Position | undefined;
  /** Counted in the budget and not yet handed on. */
  private bufferedRows = 0;
  private bufferedBytes = 0;
  /** The decoder's pending samples and records already counted. */
  private countedSamples = 0;
  private countedRecords = 0;
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private soon = false;
  /** Inside a push: a flush now would cut an input (or a frame the decoder half wrote) in two. */
  private pushing = 0;
  private flushWanted = false;
  private stopped = false;
  /** Where and when the bytes being framed came from (a frame takes them). */
  private byteOrigin = { rx: 0, key: '', where: '' };
  private readonly sinks: FrameSinks = {
    frame: (bytes) => {
      this.host.received(1);
      this.pushFrame({ rx: this.byteOrigin.rx, key: this.byteOrigin.key, bytes });
    },
    bad: (bytes, reason) => this.addQuarantine(bytes, reason, this.byteOrigin.where),
  };
  /** Batches whose rows could not be stored. */
  failedBatches = 0;
  /** Rows (samples and records) the decoder made since the stage began (a header line makes none). */
  rowsDecoded = 0;

  constructor(
    private readonly host: IngestHost,
    private readonly flushRows = FLUSH_ROWS,
    private readonly flushMs = FLUSH_MS,
  ) {}

  configure(setup: StageSetup): this {
    this.decoder = setup.decoder ?? null;
    this.framer = setup.framer ?? null;
    this.policy = setup.policy;
    this.peer = { pause: setup.pause, resume: setup.resume };
    this.stopped = false;
    this.start();
    return this;
  }

  private start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** At the bound: a `pause` source should not read its peer; `shed` input is refused. */
  get full(): boolean {
    return this.host.budget.full;
  }

  /** A peer held back by its source (not read) until this resolves: there is room again. */
  pauseUntilRoom(): Promise<void> {
    this.host.budget.peerPauses++;
    return this.host.budget.room();
  }

  /** Whether to take one more message in: false (and counted shed) for `shed` input at the bound. */
  admit(policy: IngestPolicy = this.policy): boolean {
    if (policy === 'pause' || !this.host.budget.full) return true;
    this.host.shed(1);
    return false;
  }

  /**
   * Bytes from a stream peer (a serial port, a file): framed, then decoded frame by frame.
   * `position`: where the source is once these bytes are stored (whole frames only: a position
   * must not fall inside a frame the framer still holds).
   */
  pushBytes(
    chunk: Uint8Array,
    origin: { rx: number; key: string; where: string },
    position?: Position,
  ): void {
    this.byteOrigin = origin;
    this.pushing++;
    try {
      this.framer!.push(chunk, this.sinks);
    } finally {
      this.endPush(position);
    }
  }

  private endPush(position: Position | undefined): void {
    this.pushing--;
    if (position) this.position = position;
    if (this.pushing === 0 && this.flushWanted) {
      this.flushWanted = false;
      void this.flush();
    }
  }

  /** Flushes at once, or at the end of the push under way. */
  private flushSoon(): void {
    if (this.pushing > 0) this.flushWanted = true;
    else void this.flush();
  }

  /** The stream ended (the port closed): what the framer holds goes out as bad bytes. */
  endBytes(why: string): void {
    this.framer?.end(this.sinks, why);
  }

  /**
   * Decodes one frame into the batch being filled; the decoder it used, or null when the
   * frame went to quarantine because it needed a channel the source may not create.
   */
  pushFrame(frame: Frame, position?: Position): Decoder | null {
    const d = this.decoder!;
    const samplesBefore = d.pendingSamples;
    const recordsBefore = d.pending - samplesBefore;
    let decoder: Decoder | null;
    this.pushing++;
    try {
      decoder = d.push(frame);
    } catch (error) {
      if (!(error instanceof ChannelRefused)) throw error;
      const samplesAfter = d.pendingSamples;
      this.cuts.push({
        samples: [samplesBefore, samplesAfter],
        records: [recordsBefore, d.pending - samplesAfter],
      });
      this.addQuarantine(new Uint8Array(frame.bytes), error.message, frame.key);
      return null;
    } finally {
      this.countDecoded();
      if (d.pendingSamples >= this.flushRows) this.flushWanted = true;
      this.endPush(position);
    }
    return decoder;
  }

  /**
   * One input cut into frames by its source (a chunk of a file, in numbered lines): `push` calls
   * `pushFrame` and `addQuarantine` for its frames and answers the position the input ends at. No
   * flush falls inside it, so that position travels with the batch holding the input's last rows.
   */
  pushFrames(push: () => Position | undefined): void {
    this.pushing++;
    let position: Position | undefined;
    try {
      position = push();
    } finally {
      this.endPush(position);
    }
  }

  addQuarantine(raw: Uint8Array, reason: string, where: string): void {
    this.host.quarantined(1);
    this.quarantine.push({ rx: this.host.now(), source: this.host.source, reason, where, raw });
    this.count(1, raw.length + ENTRY_BYTES);
  }

  addRaw(messages: RawMessage[]): void {
    let bytes = 0;
    for (const m of messages) {
      this.raw.push(m);
      bytes += m.payload.length + ENTRY_BYTES;
    }
    this.count(messages.length, bytes);
  }

  /**
   * Calls `hook` when the rows taken in so far are durable (no argument) or cannot be stored (the
   * error); asks for a prompt flush, since a peer waits — unless `prompt` is false: a peer that
   * only hears about it (Kafka's committed offsets) waits for the usual flush, not costing a
   * commit of its own.
   */
  onDurable(hook: (error?: Error) => void, prompt = true): void {
    this.hooks.push(hook);
    if (!prompt) return;
    this.promptHooks++;
    if (this.soon) return;
    this.soon = true;
    setImmediate(() => {
      this.soon = false;
      void this.flush();
    });
  }

  /**
   * Batches made elsewhere (the simulator, imports, benchmarks): handed on at once, with what is
   * waiting. The promise, when there is one, is back-pressure: there is no room until it resolves.
   */
  emit(samples: SampleBatch | null, records: RecordBatch | null, position?: Position): void | Promise<void> {
    const s = samples ?? EMPTY_SAMPLES;
    const r = records ?? recordBatch([]);
    if (s.n === 0 && r.n === 0 && !position) return;
    this.count(s.n + r.n, s.n * SAMPLE_BYTES + r.n * RECORD_BYTES);
    if (this.decoder?.pending) void this.flush(); // what was decoded before goes first
    if (position) this.position = position;
    void this.submit(s, r);
    return this.host.budget.full ? this.pauseUntilRoom() : undefined;
  }

  /** Hands what is waiting to the bus; resolves when that batch has settled (stored or failed). */
  flush(): Promise<void> {
    let samples = EMPTY_SAMPLES;
    let records = recordBatch([]);
    const d = this.decoder;
    if (d && d.pending > 0) {
      ({ samples, records } = d.take());
      if (this.cuts.length) applyCuts(samples, records, this.cuts);
    }
    this.cuts = [];
    this.countedSamples = this.countedRecords = 0;
    return this.submit(samples, records);
  }

  private submit(samples: SampleBatch, records: RecordBatch): Promise<void> {
    const { quarantine, raw, hooks, position } = this;
    if (
      samples.n === 0 &&
      records.n === 0 &&
      quarantine.length === 0 &&
      raw.length === 0 &&
      !position &&
      hooks.length === 0
    )
      return Promise.resolve();
    this.quarantine = [];
    this.raw = [];
    this.hooks = [];
    const prompt = this.promptHooks > 0;
    this.promptHooks = 0;
    this.position = undefined;
    const rows = this.bufferedRows;
    const bytes = this.bufferedBytes;
    this.bufferedRows = this.bufferedBytes = 0;
    const batch: IngestBatch = {
      source: this.host.source,
      samples,
      records,
      quarantine,
      raw,
      position,
      // A peer waits, or the pending work is at its bound: the store should flush now rather than
      // on its timer. (Not at half the bound: that cut a fast stream's commits below a row group,
      // which DuckDB writes twice, through its log: store.ts, flushIfDue.)
      soon: prompt || this.host.budget.full,
    };
    let ticket: Promise<void>;
    try {
      ticket = this.host.submit(batch);
    } catch (error) {
      ticket = Promise.reject(error as Error);
    }
    const settled = ticket.then(
      () => {
        this.host.budget.release(rows, bytes);
        for (const h of hooks) h();
      },
      (error: Error) => {
        this.host.budget.release(rows, bytes);
        this.failedBatches++;
        this.host.failed(error);
        for (const h of hooks) h(error);
      },
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    return settled;
  }

  private countDecoded(): void {
    const d = this.decoder!;
    const samples = d.pendingSamples;
    const records = d.pending - samples;
    const newSamples = samples - this.countedSamples;
    const newRecords = records - this.countedRecords;
    if (newSamples <= 0 && newRecords <= 0) return;
    this.rowsDecoded += Math.max(0, newSamples) + Math.max(0, newRecords);
    this.countedSamples = samples;
    this.countedRecords = records;
    this.count(newSamples + newRecords, newSamples * SAMPLE_BYTES + newRecords * RECORD_BYTES);
  }

  private count(rows: number, bytes: number): void {
    this.start(); // what waits here goes out within FLUSH_MS, whoever put it here
    this.bufferedRows += rows;
    this.bufferedBytes += bytes;
    const budget = this.host.budget;
    budget.add(rows, bytes);
    if (!budget.full) return;
    this.flushSoon(); // what waits here counts too: hand it on, so it can settle
    if (this.policy !== 'pause' || this.paused || !this.peer.pause) return;
    this.paused = true;
    budget.peerPauses++;
    this.peer.pause();
    void budget.room().then(() => {
      this.paused = false;
      this.peer.resume?.();
    });
  }

  /**
   * Hands over everything taken in; resolves once all of it has settled, or after STOP_WAIT_MS
   * with a store that is recovering (what has not settled is then not acknowledged to the peer).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    void this.flush();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    const settled = (async () => {
      while (this.inflight.size) await Promise.all([...this.inflight]);
    })();
    await Promise.race([settled, late]);
    clearTimeout(timer);
  }
}

/** Removes the rows of quarantined frames from a batch and its records, in place. */
function applyCuts(samples: SampleBatch, records: RecordBatch, cuts: readonly Cut[]): void {
  let kept = 0;
  let next = 0;
  for (const {
    samples: [from, to],
  } of cuts) {
    for (let i = next; i < from; i++, kept++) {
      samples.ts[kept] = samples.ts[i]!;
      samples.channel[kept] = samples.channel[i]!;
      samples.value[kept] = samples.value[i]!;
    }
    next = to;
  }
  for (let i = next; i < samples.n; i++, kept++) {
    samples.ts[kept] = samples.ts[i]!;
    samples.channel[kept] = samples.channel[i]!;
    samples.value[kept] = samples.value[i]!;
  }
  samples.n = kept;
  for (let c = cuts.length - 1; c >= 0; c--) {
    const [from, to] = cuts[c]!.records;
    removeRecords(records, from, to);
  }
}
