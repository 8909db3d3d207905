// The demo rig: what a small bench looks like, with no hardware. Deterministic for a seed: the
// values depend only on the seed and the sample's index, never on when the timer fired.
//   temperature  °C   1 Hz   DHT11-like: 0.1 °C steps, noise, and a slow drift that crosses 25 °C about 30 s in
//   humidity     %RH  1 Hz   moves against the temperature
//   vibration    g    500 Hz 50 Hz + 120 Hz tones, noise, and a burst every ~20 s
//   door         0/1  event  closed at the start, then opens and closes every 15–45 s; each change is also a record
//   logs         records ~2/s, an error line every ~30 s
import type { SimOptions } from '../../../shared/schemas';
import { fieldsJson, RecordBatchBuilder, SampleBatchBuilder } from '../batch';
import type { Source, SourceContext, SourceFactory } from './source';
import { SimOptions as SimOptionsSchema } from '../../../shared/schemas';

/** mulberry32: tiny, fast, good enough for noise; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic hash noise in [-1, 1) for (seed, stream, index): random access, no state. */
function noise(seed: number, stream: number, index: number): number {
  let h =
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(stream + 1, 0xc2b2ae35) ^
    Math.imul(index, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 2147483648 - 1;
}

export const DEMO_TEMPERATURE_THRESHOLD = 25;

/** Temperature at t seconds after start: rises 0.05 °C/s from 23.5 for 4 min, then cools, repeating. */
export function demoTemperature(seed: number, index: number, seconds: number): number {
  const phase = seconds % 480;
  const drift = phase < 240 ? 0.05 * phase : 0.05 * (480 - phase);
  return Math.round((23.5 + drift + 0.15 * noise(seed, 1, index)) * 10) / 10;
}

const LOG_LINES = [
  'pump: pressure nominal',
  'controller: setpoint reached',
  'logger: rotated segment',
  'gateway: heartbeat ok',
  'scheduler: cycle complete',
];
const ERROR_LINES = [
  'pump: overcurrent on motor 2',
  'gateway: CRC error from node 7',
  'controller: watchdog reset',
];

interface Stream {
  hz: number;
  next: number; // index of the next sample to produce
}

export class DemoRig {
  readonly temperature: Stream;
  readonly humidity: Stream;
  readonly vibration: Stream;
  readonly logs: Stream;
  private doorOpen = false;
  /** The door's state is reported once at the start, so its plot shows it before it first moves. */
  private doorReported = false;
  private nextDoorAt: number;
  private doorIndex = 0;
  private readonly rng: () => number;

  constructor(
    readonly seed: number,
    readonly startMs: number,
    readonly rateMultiplier = 1,
    vibrationHz = 500,
  ) {
    const m = rateMultiplier;
    this.temperature = { hz: 1 * m, next: 0 };
    this.humidity = { hz: 1 * m, next: 0 };
    this.vibration = { hz: vibrationHz * m, next: 0 };
    this.logs = { hz: 2 * m, next: 0 };
    this.rng = seededRandom(seed);
    this.nextDoorAt = startMs + (15_000 + this.rng() * 30_000) / m;
  }

  /**
   * Drops every periodic reading and log line due before `ms` without producing it, as a device
   * whose send buffer overflowed while its link was held back; answers how many were dropped.
   * Door events are cheap and stateful, so they are still produced by the next `generate`.
   */
  skipBefore(ms: number): number {
    let skipped = 0;
    for (const s of [this.temperature, this.humidity, this.vibration, this.logs]) {
      const first = Math.max(s.next, Math.ceil(((ms - this.startMs) * s.hz) / 1000));
      skipped += first - s.next;
      s.next = first;
    }
    return skipped;
  }

  /** Produces every sample and record due up to `untilMs`. */
  generate(
    untilMs: number,
    ids: { temperature: number; humidity: number; vibration: number; door: number },
    source: string,
  ) {
    const samples = new SampleBatchBuilder(4096);
    const records = new RecordBatchBuilder(64);
    const m = this.rateMultiplier;
    const at = (s: Stream, i: number) => this.startMs + (i * 1000) / s.hz;

    for (; at(this.temperature, this.temperature.next) <= untilMs; this.temperature.next++) {
      const i = this.temperature.next;
      const ts = at(this.temperature, i);
      samples.push(ts, ids.temperature, demoTemperature(this.seed, i, (ts - this.startMs) / 1000));
    }
    for (; at(this.humidity, this.humidity.next) <= untilMs; this.humidity.next++) {
      const i = this.humidity.next;
      const ts = at(this.humidity, i);
      const temp = demoTemperature(this.seed, i, (ts - this.startMs) / 1000);
      samples.push(ts, ids.humidity, Math.round((70 - 1.1 * temp + 0.8 * noise(this.seed, 2, i)) * 10) / 10);
    }
    const vib = this.vibration;
    for (; at(vib, vib.next) <= untilMs; vib.next++) {
      const i = vib.next;
      const ts = at(vib, i);
      const burst = (ts - this.startMs) % 20_000 < 1_500 ? 2.5 : 1;
      const g =
        burst *
          (0.6 * Math.sin(2 * Math.PI * 50 * (i / 500)) + 0.25 * Math.sin(2 * Math.PI * 120 * (i / 500))) +
        0.08 * noise(this.seed, 3, i);
      samples.push(ts, ids.vibration, g);
    }
    if (!this.doorReported && this.startMs <= untilMs) {
      this.doorReported = true;
      samples.push(this.startMs, ids.door, 0);
    }
    while (this.nextDoorAt <= untilMs) {
      const ts = this.nextDoorAt;
      this.doorOpen = !this.doorOpen;
      samples.push(ts, ids.door, this.doorOpen ? 1 : 0);
      records.push(
        ts,
        ts,
        source,
        'notice',
        this.doorOpen ? 'door opened' : 'door closed',
        fieldsJson({ door: 'cold-room', event: this.doorOpen ? 'open' : 'close', seq: this.doorIndex++ }),
      );
      this.nextDoorAt = ts + (this.doorOpen ? 3_000 + this.rng() * 7_000 : 15_000 + this.rng() * 30_000) / m;
    }
    for (; at(this.logs, this.logs.next) <= untilMs; this.logs.next++) {
      const i = this.logs.next;
      const ts = at(this.logs, i);
      const isError = i % 60 === 59;
      const pick = Math.floor(
        ((noise(this.seed, 4, i) + 1) / 2) * (isError ? ERROR_LINES.length : LOG_LINES.length),
      );
      records.push(
        ts,
        ts,
        source,
        isError ? 'error' : 'info',
        isError ? ERROR_LINES[pick]! : LOG_LINES[pick]!,
        `{"line":${i}}`,
      );
    }
    return { samples: samples.take(), records: records.take() };
  }
}

const TICK_MS = 20;
/**
 * How far behind the rig may fall while the store holds it back before it drops readings (counted
 * as shed), as a real device's send buffer would: without it, a minute-long stall came back as one
 * catch-up batch of 1.5 M rows, more than the store could hold (bench soak, 2026-11-30). Not measured
 * beyond that: 2 s at 100× is ~100,000 rows.
 */
const MAX_BACKLOG_MS = 2_000;

export const simSource: SourceFactory<SimOptions> = {
  kind: 'sim',
  options: SimOptionsSchema,
  create(options: SimOptions, ctx: SourceContext): Source {
    let timer: NodeJS.Timeout | undefined;
    let busy = false;
    const ids = {
      temperature: ctx.channel('temperature', '°C'),
      humidity: ctx.channel('humidity', '%RH'),
      vibration: ctx.channel('vibration', 'g'),
      door: ctx.channel('door', ''),
    };
    const rig = new DemoRig(options.seed, ctx.now(), options.rateMultiplier, options.vibrationHz);
    const tick = async () => {
      if (busy) return; // the consumer is holding us back: catch up on the next tick
      busy = true;
      try {
        const now = ctx.now();
        const dropped = rig.skipBefore(now - MAX_BACKLOG_MS);
        const { samples, records } = rig.generate(now, ids, ctx.sourceId);
        ctx.received(samples.n + records.n + dropped); // each reading or line of the rig is one message
        if (dropped > 0) ctx.shed(dropped);
        await ctx.emitSamples(samples);
        await ctx.emitRecords(records);
      } finally {
        busy = false;
      }
    };
    return {
      async start() {
        ctx.setState('connected');
        timer = setInterval(() => void tick(), TICK_MS);
      },
      async stop() {
        clearInterval(timer);
        ctx.setState('stopped');
      },
    };
  },
};
