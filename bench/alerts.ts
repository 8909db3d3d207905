// Alert evaluation: how fast the evaluator gets through samples with many threshold rules, against a
// bare comparison loop over the same typed arrays, and what the watermark adds from sample to firing.
//   node out/main/bench.js alerts
import { AlertEvaluator } from '../electron/engine/alerts/evaluator';
import type { SampleBatch } from '../electron/engine/batch';
import { AlertRule, type AlertTransition } from '../shared/alerts';
import { figure, note } from './report';

const CHANNELS = 1_000;
const HZ = 100;
const SECONDS = 30;
const BATCH = 8_192;
const LATENESS = 5_000;
const THRESHOLD = 90;
/** Each channel is a sine (period 7-13 s, own phase) peaking at 95, so it crosses 90 now and then. */
const START = Date.UTC(2025, 0, 1);

function valueAt(channel: number, tick: number): number {
  const period = (7 + (channel % 7)) * HZ;
  const phase = (channel * 0.6180339887) % 1;
  return 50 + 45 * Math.sin(2 * Math.PI * (tick / period + phase));
}

/** Channel ids 1..CHANNELS; all channels' samples of one 10 ms tick together, ticks in time order. */
function makeBatches(batchSize: number): SampleBatch[] {
  const total = CHANNELS * HZ * SECONDS;
  const batches: SampleBatch[] = [];
  for (let done = 0; done < total; done += batchSize) {
    const n = Math.min(batchSize, total - done);
    const ts = new Float64Array(n);
    const channel = new Uint32Array(n);
    const value = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = done + i;
      const tick = Math.floor(k / CHANNELS);
      const c = k % CHANNELS;
      ts[i] = START + (tick * 1000) / HZ;
      channel[i] = c + 1;
      value[i] = valueAt(c, tick);
    }
    batches.push({ n, ts, channel, value });
  }
  return batches;
}

function makeRules(): AlertRule[] {
  const rules: AlertRule[] = [];
  for (let c = 0; c < CHANNELS; c++)
    rules.push(
      AlertRule.parse({
        id: `r${c}`,
        kind: 'threshold',
        channel: `bench/ch${c}`,
        above: THRESHOLD,
        lateness: LATENESS,
        annotations: { summary: '{{channel}} at {{value}}' },
      }),
    );
  return rules;
}

function makeEvaluator(rules: AlertRule[], onTransition: (t: AlertTransition) => void): AlertEvaluator {
  return new AlertEvaluator(rules, {
    resolveChannel: (name) => {
      const m = /^bench\/ch(\d+)$/.exec(name);
      return m ? Number(m[1]) + 1 : undefined;
    },
    onTransition,
    origin: START,
  });
}

/** samples/s through the evaluator: every batch, the live clock tick after it, and the final flush. */
function evaluatorRun(rules: AlertRule[], batches: SampleBatch[]): { rate: number; transitions: number } {
  let transitions = 0;
  const ev = makeEvaluator(rules, () => transitions++);
  const total = batches.reduce((s, b) => s + b.n, 0);
  const started = performance.now();
  for (const b of batches) {
    ev.samples(b);
    ev.tick(b.ts[b.n - 1]!);
  }
  const last = batches[batches.length - 1]!;
  ev.finish(last.ts[last.n - 1]! + 1);
  const seconds = (performance.now() - started) / 1000;
  const late = Object.values(ev.late()).reduce((s, n) => s + n, 0);
  if (late > 0) throw new Error(`${late} samples late in an in-order stream`);
  return { rate: total / seconds, transitions };
}

/** The same samples, only `value > threshold[channel]`: the floor any evaluator stands on. */
function compareLoopRate(batches: SampleBatch[], threshold: Float64Array): { rate: number; over: number } {
  let over = 0;
  let total = 0;
  const started = performance.now();
  for (const b of batches) {
    const { n, channel, value } = b;
    for (let i = 0; i < n; i++) if (value[i]! > threshold[channel[i]!]!) over++;
    total += n;
  }
  return { rate: total / ((performance.now() - started) / 1000), over };
}

function throughput(): void {
  const rules = makeRules();
  const batches = makeBatches(BATCH);
  const threshold = new Float64Array(CHANNELS + 1).fill(THRESHOLD);
  const total = batches.reduce((s, b) => s + b.n, 0);
  note(`alerts: ${CHANNELS} threshold rules, ${total} samples in ${batches.length} batches`);
  // Warm both (JIT), then alternate three rounds and keep the best of each.
  evaluatorRun(rules, batches.slice(0, 40));
  compareLoopRate(batches, threshold);
  let ev = 0;
  let base = 0;
  let transitions = 0;
  let over = 0;
  for (let round = 0; round < 3; round++) {
    const r = evaluatorRun(rules, batches);
    ev = Math.max(ev, r.rate);
    transitions = r.transitions;
    const b = compareLoopRate(batches, threshold);
    base = Math.max(base, b.rate);
    over = b.over;
  }
  note(`alerts: ${over} samples above threshold`);
  figure('alerts.evaluations', ev, 'samples/s');
  figure('alerts.transitions', transitions, 'transitions');
  figure('alerts.baseline.compare_loop', base, 'samples/s');
  figure('alerts.ratio', ev / base, '(evaluator / compare loop)');
  figure('alerts.realtime_headroom', ev / (CHANNELS * HZ), `× (${CHANNELS} channels at ${HZ} Hz)`);
}

/**
 * Live-like: one call per 10 ms tick (all channels' samples of that tick), rules with `for: 0`. A
 * firing is emitted once the watermark passes its sample; the event-time delay is the releasing
 * batch's time minus the transition's, the compute cost the wall time of that evaluator call.
 */
function addedLatency(): void {
  const rules = makeRules();
  const batches = makeBatches(CHANNELS);
  for (let warm = 0; warm < 2; warm++) {
    const delays: number[] = [];
    const costs: number[] = [];
    let batchTs = 0;
    let firings = 0;
    const ev = makeEvaluator(rules, (t) => {
      if (t.state !== 'firing') return;
      firings++;
      delays.push(batchTs - t.ts);
    });
    for (const b of batches) {
      batchTs = b.ts[b.n - 1]!;
      const before = firings;
      const s = performance.now();
      ev.samples(b);
      const spent = performance.now() - s;
      if (firings > before) costs.push(spent);
    }
    if (warm === 0) continue;
    delays.sort((a, b) => a - b);
    costs.sort((a, b) => a - b);
    const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
    const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
    note(
      `alerts: ${firings} firings in ${costs.length} calls of ${CHANNELS} samples; event-time delay ` +
        `min ${delays[0]} max ${delays[delays.length - 1]} ms; call cost p50 ${pct(costs, 0.5).toFixed(3)} ms`,
    );
    figure('alerts.added_latency.event_time', mean, `ms (lateness ${LATENESS} ms)`);
    figure('alerts.added_latency.compute_p99', pct(costs, 0.99), 'ms');
  }
}

export function benchAlerts(): void {
  throughput();
  addedLatency();
}
