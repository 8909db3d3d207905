// The alert evaluator on hand-made streams: every rule kind, every transition, event time.
import { describe, expect, it } from 'vitest';
import { AlertRule, type AlertRuleInput, type AlertTransition } from '../../shared/alerts';
import { AlertEvaluator } from '../../electron/engine/alerts/evaluator';
import { recordBatch, SampleBatchBuilder, type RecordRow, type Severity } from '../../electron/engine/batch';

const CH: Record<string, number> = { 'rig/t': 1, 'rig/p': 2 };

function setup(rules: AlertRuleInput[], origin = 0) {
  const out: AlertTransition[] = [];
  const ev = new AlertEvaluator(
    rules.map((r) => AlertRule.parse(r)),
    { resolveChannel: (name) => CH[name], onTransition: (t) => out.push(t), origin },
  );
  return { ev, out };
}

/** Samples of one channel as [ts, value] pairs, in the given (arrival) order, in one batch. */
function feed(ev: AlertEvaluator, points: [number, number][], channel = 1): void {
  const b = new SampleBatchBuilder(4);
  for (const [ts, v] of points) b.push(ts, channel, v);
  ev.samples(b.take());
}

const brief = (out: AlertTransition[]) => out.map((t) => `${t.ts}:${t.state}`);
const series = (values: number[], step = 1000): [number, number][] => values.map((v, i) => [i * step, v]);

describe('threshold rules', () => {
  it('fires above the threshold and resolves below it, without for', () => {
    const { ev, out } = setup([{ id: 'hot', kind: 'threshold', channel: 'rig/t', above: 25, lateness: 0 }]);
    feed(ev, series([24, 26, 27, 24, 26]));
    ev.finish(10_000);
    expect(brief(out)).toEqual(['1000:firing', '3000:resolved', '4000:firing']);
    expect(out[0]).toMatchObject({ rule: 'hot', from: 'normal', value: 26, severity: 'warning' });
    expect(out[1]).toMatchObject({ from: 'firing', value: 24 });
  });

  it('hysteresis: a value hovering between the clear level and the threshold does not flap', () => {
    const flap = [24, 25.1, 24.9, 25.1, 24.9, 25.2, 24.6, 24.4, 25.1];
    const plain = setup([{ id: 'a', kind: 'threshold', channel: 'rig/t', above: 25, lateness: 0 }]);
    feed(plain.ev, series(flap));
    plain.ev.finish(20_000);
    expect(plain.out.length).toBe(7);
    const hyst = setup([
      { id: 'a', kind: 'threshold', channel: 'rig/t', above: 25, clearBelow: 24.5, lateness: 0 },
    ]);
    feed(hyst.ev, series(flap));
    hyst.ev.finish(20_000);
    expect(brief(hyst.out)).toEqual(['1000:firing', '7000:resolved', '8000:firing']);
  });

  it('below and outside a band, with clear levels', () => {
    const below = setup([
      { id: 'cold', kind: 'threshold', channel: 'rig/t', below: 10, clearAbove: 12, lateness: 0 },
    ]);
    feed(below.ev, series([15, 9, 11, 12.5]));
    expect(brief(below.out)).toEqual(['1000:firing', '3000:resolved']);
    const band = setup([
      { id: 'band', kind: 'threshold', channel: 'rig/t', below: 10, above: 20, lateness: 0 },
    ]);
    feed(band.ev, series([15, 21, 15, 9, 15]));
    expect(brief(band.out)).toEqual(['1000:firing', '2000:resolved', '3000:firing', '4000:resolved']);
  });

  it('for: pending, then firing once the condition held that long; pending back to normal', () => {
    const { ev, out } = setup([
      { id: 'hot', kind: 'threshold', channel: 'rig/t', above: 25, for: '3s', lateness: 0 },
    ]);
    // 1..2 s true then false (pending → normal); 4 s onwards true: pending at 4, firing at exactly 7.
    feed(ev, series([24, 26, 26, 24, 26, 26, 26, 26, 26, 24]));
    expect(brief(out)).toEqual([
      '1000:pending',
      '3000:normal',
      '4000:pending',
      '7000:firing',
      '9000:resolved',
    ]);
    expect(out.map((t) => t.from)).toEqual(['normal', 'pending', 'normal', 'pending', 'firing']);
  });

  it('for ends at its exact time even across a gap in samples (step function)', () => {
    const { ev, out } = setup([
      { id: 'hot', kind: 'threshold', channel: 'rig/t', above: 25, for: 10_000, lateness: 0 },
    ]);
    feed(ev, [
      [0, 26],
      [30_000, 26],
    ]);
    expect(brief(out)).toEqual(['0:pending', '10000:firing']);
    expect(out[1]!.value).toBe(26);
  });

  it('keep_firing_for: recovering, back to firing if it returns, resolved after the time', () => {
    const { ev, out } = setup([
      { id: 'hot', kind: 'threshold', channel: 'rig/t', above: 25, keepFiringFor: '2s', lateness: 0 },
    ]);
    feed(ev, series([26, 24, 26, 24, 24, 24, 24]));
    expect(brief(out)).toEqual([
      '0:firing',
      '1000:recovering',
      '2000:firing',
      '3000:recovering',
      '5000:resolved',
    ]);
  });

  it('a non-finite value is an error, mapped per rule', () => {
    const err = setup([{ id: 'e', kind: 'threshold', channel: 'rig/t', above: 25, lateness: 0 }]);
    feed(err.ev, series([26, NaN, 24]));
    expect(brief(err.out)).toEqual(['0:firing', '1000:error', '2000:normal']);
    const keep = setup([
      { id: 'e', kind: 'threshold', channel: 'rig/t', above: 25, lateness: 0, errorState: 'keep_last' },
    ]);
    feed(keep.ev, series([26, NaN, 26, 24]));
    expect(brief(keep.out)).toEqual(['0:firing', '3000:resolved']);
    const alerting = setup([
      { id: 'e', kind: 'threshold', channel: 'rig/t', above: 25, lateness: 0, errorState: 'alerting' },
    ]);
    feed(alerting.ev, series([24, Infinity, 24]));
    expect(brief(alerting.out)).toEqual(['1000:firing', '2000:resolved']);
  });

  it('noDataAfter: silence puts the instance in no data, mapped per rule', () => {
    const nd = setup([
      { id: 'n', kind: 'threshold', channel: 'rig/t', above: 25, lateness: 0, noDataAfter: '5s' },
    ]);
    feed(nd.ev, [
      [0, 26],
      [1000, 26],
      [20_000, 24],
    ]);
    expect(brief(nd.out)).toEqual(['0:firing', '6000:nodata', '20000:normal']);
    expect(nd.out[1]!.value).toBe(5000);
    const normal = setup([
      {
        id: 'n',
        kind: 'threshold',
        channel: 'rig/t',
        above: 25,
        lateness: 0,
        noDataAfter: '5s',
        noDataState: 'normal',
      },
    ]);
    feed(normal.ev, [
      [0, 26],
      [20_000, 26],
    ]);
    expect(brief(normal.out)).toEqual(['0:firing', '5000:resolved', '20000:firing']);
  });
});

describe('rate rules', () => {
  it('change per second over the window', () => {
    const { ev, out } = setup([
      { id: 'climb', kind: 'rate', channel: 'rig/t', window: '2s', above: 1, clearBelow: 0.5, lateness: 0 },
    ]);
    // rates vs the oldest sample within 2 s: 1→0, 2→0, 3→(4-0)/2=2 fires, …
    feed(ev, series([0, 0, 0, 4, 5, 5.5, 5.6, 5.6]));
    expect(brief(out)).toEqual(['3000:firing', '6000:resolved']);
    expect(out[0]!.value).toBe(2);
  });
});

describe('no-data rules', () => {
  it('fires when silent longer than after, with for, and resolves when data returns', () => {
    const { ev, out } = setup([
      { id: 'quiet', kind: 'nodata', channel: 'rig/t', after: '10s', for: '5s', lateness: 0 },
    ]);
    feed(ev, [
      [0, 1],
      [8000, 1],
      [40_000, 1],
    ]);
    expect(brief(out)).toEqual(['18000:pending', '23000:firing', '40000:resolved']);
    expect(out[2]!.value).toBe(32_000); // the gap that ended
  });

  it('counts silence from the origin when the channel never speaks, up to the range end', () => {
    const { ev, out } = setup([{ id: 'quiet', kind: 'nodata', channel: 'rig/t', after: '10s' }], 1000);
    ev.finish(5000);
    expect(out).toEqual([]);
    ev.finish(12_000);
    expect(brief(out)).toEqual(['11000:firing']);
  });

  it('live: the engine clock advances time without data, less lateness', () => {
    const { ev, out } = setup([
      { id: 'quiet', kind: 'nodata', channel: 'rig/t', after: '10s', lateness: '5s' },
    ]);
    feed(ev, [[0, 1]]);
    ev.tick(14_000);
    expect(out).toEqual([]);
    ev.tick(16_000);
    expect(brief(out)).toEqual(['10000:firing']);
    // Data older than the clock's watermark (16 s - 5 s) is late now.
    feed(ev, [[10_500, 1]]);
    expect(ev.late()).toEqual({ quiet: 1 });
    feed(ev, [[12_000, 1]]);
    ev.tick(18_000);
    expect(brief(out)).toEqual(['10000:firing', '12000:resolved']);
  });
});

function rec(
  ts: number,
  message: string,
  fields: Record<string, unknown> | null = null,
  severity: Severity = 'error',
): RecordRow {
  return { ts, rx: ts, source: 'rig', severity, message, fields };
}

describe('log pattern rules', () => {
  it('count within a window, per group, ending exactly when the window slides past', () => {
    const { ev, out } = setup([
      {
        id: 'crc',
        kind: 'log',
        pattern: 'CRC error',
        count: 2,
        window: '10s',
        groupBy: 'node',
        lateness: 0,
        labels: { site: 'lab' },
        annotations: { summary: '{{value}} CRC errors from node {{labels.node}} at {{labels.site}}' },
      },
    ]);
    ev.records(
      recordBatch([
        rec(0, 'CRC error', { node: '7' }),
        rec(1000, 'CRC error', { node: '8' }),
        rec(3000, 'all fine', { node: '7' }),
        rec(4000, 'CRC error', { node: '7' }),
        rec(5000, 'crc error', { node: '8' }), // case-sensitive: no match
        rec(30_000, 'heartbeat', null),
      ]),
    );
    expect(out.map((t) => `${t.ts}:${t.state}:${t.labels['node']}`)).toEqual([
      '4000:firing:7',
      '10000:resolved:7',
    ]);
    expect(out[0]!.labels).toEqual({ site: 'lab', node: '7' });
    expect(out[0]!.annotations['summary']).toBe('2 CRC errors from node 7 at lab');
  });

  it('filters by source, severity and field, and resolves at the range end', () => {
    const { ev, out } = setup([
      {
        id: 'hot',
        kind: 'log',
        source: 'rig',
        pattern: '^over',
        field: 'code',
        minSeverity: 'warning',
        window: '5s',
        lateness: 0,
      },
    ]);
    ev.records(
      recordBatch([
        { ...rec(0, 'x', { code: 'overheat' }), source: 'other' },
        rec(1000, 'x', { code: 'overheat' }, 'info'),
        rec(2000, 'x', { code: 'overheat' }, 'critical'),
      ]),
    );
    ev.finish(60_000);
    expect(brief(out)).toEqual(['2000:firing', '7000:resolved']);
  });
});

describe('anomaly rules', () => {
  const steady = Array.from({ length: 40 }, (_, i) => 10 + (i % 2 === 0 ? 0.1 : -0.1));

  it('rolling z-score: quiet during warm-up, fires on a spike, clears back inside clearZ', () => {
    const { ev, out } = setup([
      { id: 'odd', kind: 'anomaly', channel: 'rig/t', window: 20, z: 4, clearZ: 2, lateness: 0 },
    ]);
    feed(ev, series([50, ...steady.slice(0, 30), 15, 10.1, 9.9]));
    // The first sample (50) would be an outlier but the window is warming up.
    expect(brief(out)).toEqual(['31000:firing', '32000:resolved']);
    expect(out[0]!.value).toBeGreaterThan(4);
  });

  it('EWMA band', () => {
    const { ev, out } = setup([
      { id: 'odd', kind: 'anomaly', channel: 'rig/t', method: 'ewma', alpha: 0.2, z: 3, lateness: 0 },
    ]);
    feed(ev, series([...steady.slice(0, 20), 12, 10.1]));
    expect(brief(out)).toEqual(['20000:firing', '21000:resolved']);
  });
});

describe('event time', () => {
  const rule: AlertRuleInput = {
    id: 'hot',
    kind: 'threshold',
    channel: 'rig/t',
    above: 25,
    clearBelow: 24.5,
    for: '2s',
    keepFiringFor: '1s',
    lateness: '3s',
  };
  const values = [24, 25.5, 26, 26.5, 24.8, 24, 23, 26, 27, 28, 24, 24, 24];

  it('out of order within the lateness window gives the transitions of sorted data', () => {
    const sorted = setup([rule]);
    feed(sorted.ev, series(values));
    sorted.ev.finish(20_000);
    const shuffled = setup([rule]);
    const pts = series(values);
    // Swap neighbours: each sample at most 1 s late.
    for (let i = 0; i + 1 < pts.length; i += 2) [pts[i], pts[i + 1]] = [pts[i + 1]!, pts[i]!];
    feed(shuffled.ev, pts);
    shuffled.ev.finish(20_000);
    expect(shuffled.out).toEqual(sorted.out);
    expect(shuffled.ev.late()).toEqual({ hot: 0 });
    expect(brief(sorted.out)).toEqual([
      '1000:pending',
      '3000:firing',
      '5000:recovering',
      '6000:resolved',
      '7000:pending',
      '9000:firing',
      '10000:recovering',
      '11000:resolved',
    ]);
  });

  it('beyond the lateness window: counted, not evaluated, past transitions stand', () => {
    const { ev, out } = setup([{ ...rule, for: 0, keepFiringFor: 0 }]);
    feed(ev, series([24, 24, 24, 24, 24, 24]));
    feed(ev, [[1500, 30]]); // 3.5 s behind the newest sample (5 s): late
    ev.finish(10_000);
    expect(out).toEqual([]);
    expect(ev.late()).toEqual({ hot: 1 });
  });

  it('the same arrival order gives the same transitions however it is batched', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pts: [number, number][] = [];
    for (let i = 0; i < 2000; i++) pts.push([i * 100 + Math.floor(rnd() * 4000), 24 + rnd() * 2]);
    const rules: AlertRuleInput[] = [
      rule,
      { id: 'q', kind: 'nodata', channel: 'rig/t', after: 250, lateness: '3s' },
    ];
    const whole = setup(rules);
    feed(whole.ev, pts);
    whole.ev.finish(300_000);
    const chunked = setup(rules);
    for (let i = 0; i < pts.length;) {
      const k = 1 + Math.floor(rnd() * 50);
      feed(chunked.ev, pts.slice(i, i + k));
      i += k;
    }
    chunked.ev.finish(300_000);
    expect(whole.out.length).toBeGreaterThan(10);
    // Across rules the interleaving follows the batches; per rule it is identical.
    for (const id of ['hot', 'q'])
      expect(chunked.out.filter((t) => t.rule === id)).toEqual(whole.out.filter((t) => t.rule === id));
    expect(chunked.ev.late()).toEqual(whole.ev.late());
    // Transitions come out in event-time order per instance.
    for (let i = 1; i < whole.out.length; i++)
      if (whole.out[i]!.rule === whole.out[i - 1]!.rule)
        expect(whole.out[i]!.ts).toBeGreaterThanOrEqual(whole.out[i - 1]!.ts);
  });

  it('rules on channels that appear later are picked up; other channels are ignored', () => {
    const names: Record<string, number> = {};
    const out: AlertTransition[] = [];
    const ev = new AlertEvaluator(
      [AlertRule.parse({ id: 'p', kind: 'threshold', channel: 'rig/p', above: 1, lateness: 0 })],
      {
        resolveChannel: (n) => names[n],
        onTransition: (t) => out.push(t),
        origin: 0,
      },
    );
    feed(ev, [[0, 5]], 2);
    names['rig/p'] = 2;
    feed(ev, [[1000, 5]], 1);
    feed(ev, [[2000, 5]], 2);
    expect(brief(out)).toEqual(['2000:firing']);
  });

  it('disabled rules are not evaluated', () => {
    const { ev, out } = setup([
      { id: 'off', kind: 'threshold', channel: 'rig/t', above: 1, enabled: false, lateness: 0 },
    ]);
    feed(ev, [[0, 5]]);
    ev.finish(1000);
    expect(out).toEqual([]);
    expect(ev.instances()).toEqual([]);
  });

  it('the live clock moves noDataAfter rules into no data; the next sample evaluates afresh', () => {
    const { ev, out } = setup([
      { id: 'n', kind: 'threshold', channel: 'rig/t', above: 25, noDataAfter: '10s', lateness: '2s' },
    ]);
    feed(ev, [
      [0, 26],
      [3000, 26],
    ]);
    expect(brief(out)).toEqual(['0:firing']); // 3 s held back by the watermark (3 s - 2 s)
    ev.tick(14_000);
    expect(brief(out)).toEqual(['0:firing']);
    ev.tick(15_500);
    expect(brief(out)).toEqual(['0:firing', '13000:nodata']);
    feed(ev, [[16_000, 20]]);
    ev.tick(18_500);
    expect(brief(out)).toEqual(['0:firing', '13000:nodata', '16000:normal']);
    expect(ev.instances()).toEqual([{ rule: 'n', labels: {}, state: 'normal', value: 20, since: 16_000 }]);
  });

  it('log rules honour for and keep_firing_for', () => {
    const { ev, out } = setup([
      { id: 'l', kind: 'log', pattern: 'fault', window: '10s', for: '2s', keepFiringFor: '3s', lateness: 0 },
    ]);
    ev.records(recordBatch([rec(0, 'fault'), rec(1000, 'fault'), rec(2500, 'ok')]));
    ev.finish(30_000);
    // Active from 0 to 11 s (last match + window): pending 0, firing 2, recovering 11, resolved 14.
    expect(brief(out)).toEqual(['0:pending', '2000:firing', '11000:recovering', '14000:resolved']);
  });

  it("live: a quiet channel's last reading is evaluated one lateness window after it arrived", () => {
    const { ev, out } = setup([
      { id: 'hot', kind: 'threshold', channel: 'rig/t', above: 25, lateness: '5s' },
    ]);
    // The device's clock agrees with the session clock; readings arrive as they are taken.
    const arrive = (ts: number, v: number) => {
      const b = new SampleBatchBuilder(1);
      b.push(ts, 1, v);
      ev.samples(b.take(), ts);
    };
    for (let t = 0; t <= 10_000; t += 1000) arrive(t, 30);
    arrive(11_000, 20); // the last reading, below the threshold; then the channel goes quiet
    for (let now = 11_000; now <= 15_500; now += 500) ev.tick(now);
    expect(brief(out)).toEqual(['0:firing']); // still within the lateness window
    ev.tick(16_000);
    expect(brief(out)).toEqual(['0:firing', '11000:resolved']);
    expect(ev.late()).toEqual({ hot: 0 });
  });

  it('live: a device whose clock runs 3 s behind is not marked late, and its silence is measured on its clock', () => {
    const { ev, out } = setup(
      [{ id: 'n', kind: 'threshold', channel: 'rig/t', above: 25, noDataAfter: '4s', lateness: '2s' }],
      97_000,
    );
    const behind = 3000;
    let now = 100_000;
    for (let i = 0; i < 20; i++, now += 500) {
      const b = new SampleBatchBuilder(1);
      b.push(now - behind, 1, i < 10 ? 20 : 30);
      ev.samples(b.take(), now);
      ev.tick(now + 250);
    }
    expect(ev.late()).toEqual({ n: 0 });
    const lastTs = now - 500 - behind;
    expect(brief(out)).toEqual([`${100_000 - behind + 5000}:firing`]);
    // Quiet: no data after 4 s of the device's time, seen once the lateness window has passed.
    for (let t = now; t <= now + 5_500; t += 250) ev.tick(t); // device time 110.5 s less lateness
    expect(brief(out)).toEqual([`${100_000 - behind + 5000}:firing`]);
    ev.tick(now + 5_750);
    expect(brief(out)).toEqual([`${100_000 - behind + 5000}:firing`, `${lastTs + 4000}:nodata`]);
  });

  it('live: a log rule whose source goes quiet resolves when its window slides past', () => {
    const { ev, out } = setup([
      { id: 'l', kind: 'log', pattern: 'fault', count: 2, window: '10s', lateness: '5s' },
    ]);
    ev.records(recordBatch([rec(0, 'fault'), rec(1000, 'fault')]), 1000);
    for (let now = 1000; now <= 5500; now += 500) ev.tick(now);
    expect(brief(out)).toEqual([]); // held for the lateness window
    ev.tick(6_000);
    expect(brief(out)).toEqual(['1000:firing']);
    for (let now = 6_500; now <= 14_500; now += 500) ev.tick(now);
    expect(brief(out)).toEqual(['1000:firing']);
    ev.tick(15_000); // the first match left the window at 10 s (device time), seen 5 s later
    expect(brief(out)).toEqual(['1000:firing', '10000:resolved']);
  });
});
