// The alert evaluator: rules over samples and records on the events' own timestamps. Pure and
// deterministic: the same input in the same arrival order gives the same transitions whether it
// comes live off the bus or is read back from the store, however it is cut into batches.
//
// Time model. Each rule holds incoming data in a small buffer sorted by event time and evaluates it
// once the rule's watermark (newest event time seen minus `lateness`) passes it; data older than the
// watermark on arrival is late: stored by the engine, counted here, never evaluated (so it cannot
// rewrite transitions already emitted). Between events a channel's condition is taken to stay what
// the last sample said (a step function), so `for`, `keep_firing_for`, silence and log windows end
// at exact times, not at the next evaluation tick as in Prometheus.
//
// Live, a session clock also drives release (`tick`): whatever follows, held data is evaluated at
// most one lateness window after it *arrived*, so the last reading before a channel goes quiet is
// never held forever. Time without data is measured on the device's own clock, estimated from its
// newest sample's offset to arrival, so a device whose clock runs behind is not marked late.
import type { AlertRule, AlertState, AlertTransition } from '../../../shared/alerts';
import { recordRow, SEVERITIES, type RecordBatch, type RecordRow, type SampleBatch } from '../batch';

type ChannelRuleConfig = Extract<AlertRule, { kind: 'threshold' | 'rate' | 'nodata' | 'anomaly' }>;
type LogRuleConfig = Extract<AlertRule, { kind: 'log' }>;
type ThresholdLike = Extract<AlertRule, { kind: 'threshold' | 'rate' }>;

// Condition outcomes of one evaluation.
const FALSE = 0;
const TRUE = 1;
const NODATA = 2;
const ERROR = 3;
type Cond = typeof FALSE | typeof TRUE | typeof NODATA | typeof ERROR;

export interface EvaluatorOptions {
  /** Channel id for a full channel name, or undefined while the channel does not exist yet. */
  resolveChannel(name: string): number | undefined;
  onTransition(t: AlertTransition): void;
  /** Event time from which silence is counted before a channel's first sample (engine start, range start). */
  origin: number;
}

/** One alert instance: a rule and a label set. */
class Instance {
  state: AlertState = 'normal';
  /** When the current state began (event time; for pending and recovering, when their timer started). */
  since = 0;
  /** Hysteresis memory: the condition was last true. */
  active = false;
  value = NaN;
  constructor(readonly labels: Record<string, string>) {}
}

/**
 * Event times in arrival order with their arrival times (session clock), so `tick` can find the
 * newest event time among what arrived a lateness window ago. Each entry is taken out once.
 */
class ArrivalQueue {
  private arrival = new Float64Array(64);
  private ts = new Float64Array(64);
  private head = 0;
  private tail = 0;

  push(arrival: number, ts: number): void {
    if (this.tail === this.arrival.length) {
      const live = this.tail - this.head;
      const size = live * 2 > this.arrival.length ? this.arrival.length * 2 : this.arrival.length;
      const arrival2 = new Float64Array(size);
      const ts2 = new Float64Array(size);
      arrival2.set(this.arrival.subarray(this.head, this.tail));
      ts2.set(this.ts.subarray(this.head, this.tail));
      this.arrival = arrival2;
      this.ts = ts2;
      this.head = 0;
      this.tail = live;
    }
    this.arrival[this.tail] = arrival;
    this.ts[this.tail++] = ts;
  }

  /** The newest event time among entries that arrived at or before `cutoff` (taken out), or -Infinity. */
  takeDue(cutoff: number): number {
    let newest = -Infinity;
    while (this.head < this.tail && this.arrival[this.head]! <= cutoff) {
      if (this.ts[this.head]! > newest) newest = this.ts[this.head]!;
      this.head++;
    }
    if (this.head === this.tail) this.head = this.tail = 0;
    return newest;
  }
}

/** Samples of one rule sorted by event time (stable for equal times) until the watermark passes them. */
class SampleReorder {
  private ts = new Float64Array(64);
  private v = new Float64Array(64);
  n = 0;
  maxTs = -Infinity;
  /** Raised by the engine clock for silence rules (live only). */
  floor = -Infinity;
  late = 0;
  constructor(private readonly lateness: number) {}

  get watermark(): number {
    return Math.max(this.maxTs - this.lateness, this.floor);
  }

  /** False when the sample is late (older than the watermark, or NaN): counted, not held. */
  push(ts: number, v: number): boolean {
    if (!(ts >= this.watermark)) {
      this.late++; // also NaN timestamps
      return false;
    }
    if (ts > this.maxTs) this.maxTs = ts;
    if (this.n === this.ts.length) {
      const ts2 = new Float64Array(this.n * 2);
      ts2.set(this.ts);
      const v2 = new Float64Array(this.n * 2);
      v2.set(this.v);
      this.ts = ts2;
      this.v = v2;
    }
    // From the end: in-order data (the usual case) costs one comparison.
    let i = this.n;
    while (i > 0 && this.ts[i - 1]! > ts) i--;
    if (i < this.n) {
      this.ts.copyWithin(i + 1, i, this.n);
      this.v.copyWithin(i + 1, i, this.n);
    }
    this.ts[i] = ts;
    this.v[i] = v;
    this.n++;
    return true;
  }

  release(upTo: number, fn: (ts: number, v: number) => void): void {
    let k = 0;
    while (k < this.n && this.ts[k]! <= upTo) {
      fn(this.ts[k]!, this.v[k]!);
      k++;
    }
    if (k > 0) {
      this.ts.copyWithin(0, k, this.n);
      this.v.copyWithin(0, k, this.n);
      this.n -= k;
    }
  }
}

/**
 * The device's clock offset from the newest sample: arrival minus event time, the smallest within
 * one arrival (a batch carries older samples too).
 */
function noteSkew(skew: number | undefined, skewAt: number, arrival: number, ts: number): number {
  const offset = arrival - ts;
  return skew !== undefined && skewAt === arrival ? Math.min(skew, offset) : offset;
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Math.round(v * 1000) / 1000);
}

abstract class RuleRun {
  readonly instances = new Map<string, Instance>();
  constructor(
    /** Replaced in place by an edit that keeps the condition (severity, annotations, notify). */
    public rule: AlertRule,
    private readonly emit: (t: AlertTransition) => void,
  ) {}

  /** Ends every instance that is not at rest, because the rule changed or went away. */
  end(at: number, cause: string): void {
    for (const inst of this.instances.values()) {
      if (inst.state === 'normal' || inst.state === 'resolved') continue;
      const wasFiring = inst.state === 'firing' || inst.state === 'recovering';
      this.to(inst, at, wasFiring ? 'resolved' : 'normal', inst.value, cause);
    }
  }

  abstract get late(): number;

  protected instance(extra?: [string, string]): Instance {
    const key = extra ? `${extra[0]}\u0000${extra[1]}` : '';
    let inst = this.instances.get(key);
    if (!inst) {
      inst = new Instance(extra ? { ...this.rule.labels, [extra[0]]: extra[1] } : { ...this.rule.labels });
      this.instances.set(key, inst);
    }
    return inst;
  }

  /** The state machine: one evaluation of the condition at event time `ts`. */
  protected step(inst: Instance, ts: number, cond: Cond, value: number): void {
    const r = this.rule;
    if (cond === NODATA || cond === ERROR) {
      const mapped = cond === NODATA ? r.noDataState : r.errorState;
      if (mapped === 'keep_last') return;
      if (mapped === 'alerting') cond = TRUE;
      else if (mapped === 'normal') cond = FALSE;
      else {
        inst.active = false;
        if (inst.state !== mapped) this.to(inst, ts, mapped, value);
        return;
      }
    }
    inst.value = value;
    if (cond === TRUE) {
      switch (inst.state) {
        case 'pending':
          if (ts - inst.since >= r.for) this.to(inst, ts, 'firing', value);
          break;
        case 'firing':
          break;
        case 'recovering':
          this.to(inst, ts, 'firing', value);
          break;
        default:
          if (r.for > 0) {
            inst.since = ts;
            this.to(inst, ts, 'pending', value);
          } else this.to(inst, ts, 'firing', value);
      }
    } else {
      switch (inst.state) {
        case 'pending':
        case 'nodata':
        case 'error':
          this.to(inst, ts, 'normal', value);
          break;
        case 'firing':
          if (r.keepFiringFor > 0) {
            inst.since = ts;
            this.to(inst, ts, 'recovering', value);
          } else this.to(inst, ts, 'resolved', value);
          break;
        case 'recovering':
          if (ts - inst.since >= r.keepFiringFor) this.to(inst, ts, 'resolved', value);
          break;
        default:
      }
    }
  }

  /** When pending turns firing or recovering turns resolved if nothing changes; Infinity if never. */
  protected due(inst: Instance): number {
    if (inst.state === 'pending') return inst.since + this.rule.for;
    if (inst.state === 'recovering') return inst.since + this.rule.keepFiringFor;
    return Infinity;
  }

  /** Fires the timer of `inst` if due by `t`, with the condition its state implies. */
  protected timer(inst: Instance, t: number): boolean {
    const due = this.due(inst);
    if (due > t) return false;
    this.step(inst, due, inst.state === 'pending' ? TRUE : FALSE, inst.value);
    return true;
  }

  private to(inst: Instance, ts: number, state: AlertState, value: number, cause?: string): void {
    const from = inst.state;
    inst.state = state;
    inst.since = ts;
    const channel = 'channel' in this.rule ? this.rule.channel : '';
    const render = (text: string) =>
      text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => {
        if (name === 'value') return formatValue(value);
        if (name === 'channel') return channel;
        if (name === 'rule') return this.rule.id;
        if (name === 'severity') return this.rule.severity;
        if (name === 'state') return state;
        if (name.startsWith('labels.')) return inst.labels[name.slice(7)] ?? '';
        return whole;
      });
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.rule.annotations)) annotations[k] = render(v);
    this.emit({
      ts,
      rule: this.rule.id,
      labels: inst.labels,
      from,
      state,
      value,
      severity: this.rule.severity,
      annotations,
      ...(cause !== undefined ? { cause } : {}),
    });
  }
}

/** Threshold, rate, anomaly and no-data rules: one channel, one instance. */
class ChannelRun extends RuleRun {
  channelId: number | undefined;
  readonly buffer: SampleReorder;
  private readonly arrivals = new ArrivalQueue();
  /** Arrival minus event time of the device's newest sample (how far its clock runs behind). */
  private skew: number | undefined;
  private skewAt = NaN;
  private readonly inst: Instance;
  private lastTs: number;
  private silent = false;
  /** Silence longer than this is an event (no data, or the no-data rule's condition). */
  readonly silenceAfter: number | undefined;
  // rate: samples within the window (ring); anomaly zscore: the last `window` values (ring).
  private ringTs = new Float64Array(0);
  private ringV = new Float64Array(0);
  private head = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private seen = 0;
  private mean = 0;
  private variance = 0;

  constructor(
    override rule: ChannelRuleConfig,
    emit: (t: AlertTransition) => void,
    origin: number,
  ) {
    super(rule, emit);
    this.buffer = new SampleReorder(rule.lateness);
    this.inst = this.instance();
    this.lastTs = origin;
    this.silenceAfter = rule.kind === 'nodata' ? rule.after : rule.noDataAfter;
    if (rule.kind === 'anomaly' && rule.method === 'zscore') {
      this.ringV = new Float64Array(rule.window);
    } else if (rule.kind === 'rate') {
      this.ringTs = new Float64Array(16);
      this.ringV = new Float64Array(16);
    }
  }

  get late(): number {
    return this.buffer.late;
  }

  /** Takes a sample in; `arrival` (session clock, live only) bounds how long it may be held. */
  hold(ts: number, v: number, arrival: number | undefined): void {
    if (!this.buffer.push(ts, v) || arrival === undefined) return;
    this.arrivals.push(arrival, ts);
    this.skew = noteSkew(this.skew, this.skewAt, arrival, ts);
    this.skewAt = arrival;
  }

  /**
   * Live, on the session clock: evaluates what arrived a lateness window ago or earlier (and all
   * that sorts before it), then lets time pass without data up to the device's now less lateness.
   */
  tickLive(now: number): void {
    const lateness = this.rule.lateness;
    const due = this.arrivals.takeDue(now - lateness);
    if (due > this.buffer.floor) this.buffer.floor = due;
    if (this.skew !== undefined) this.advanceTo(now - this.skew - lateness, false);
    else if (this.silenceAfter !== undefined) this.advanceTo(now - lateness, false);
    else this.release();
  }

  /** Evaluates what the watermark has passed. */
  release(): void {
    this.buffer.release(this.buffer.watermark, (ts, v) => this.sample(ts, v));
  }

  /** End of stored data, or the live clock: everything up to `t` is final. */
  advanceTo(t: number, final: boolean): void {
    if (final) this.buffer.release(Infinity, (ts, v) => this.sample(ts, v));
    else {
      if (t > this.buffer.floor) this.buffer.floor = t;
      this.release();
    }
    this.advance(t);
  }

  /** Silence and timers up to `t`, in time order. */
  private advance(t: number): void {
    for (;;) {
      const silenceAt =
        this.silenceAfter !== undefined && !this.silent ? this.lastTs + this.silenceAfter : Infinity;
      // Silence begins strictly after `silenceAfter` has passed without data.
      const silenceDue = silenceAt < t;
      if (silenceDue && silenceAt <= this.due(this.inst)) {
        this.silent = true;
        this.step(this.inst, silenceAt, this.rule.kind === 'nodata' ? TRUE : NODATA, this.silenceAfter!);
        continue;
      }
      if (!this.timer(this.inst, t)) return;
    }
  }

  private sample(ts: number, v: number): void {
    this.advance(ts);
    const gap = ts - this.lastTs;
    this.lastTs = ts;
    this.silent = false;
    const r = this.rule;
    const inst = this.inst;
    if (r.kind === 'nodata') {
      this.step(inst, ts, FALSE, gap);
      return;
    }
    if (!Number.isFinite(v)) {
      this.step(inst, ts, ERROR, v);
      return;
    }
    if (r.kind === 'threshold') {
      inst.active = holds(r, inst.active, v);
      this.step(inst, ts, inst.active ? TRUE : FALSE, v);
    } else if (r.kind === 'rate') {
      const rate = this.rate(ts, v, r.window);
      if (Number.isNaN(rate)) return; // no earlier sample in the window yet
      inst.active = holds(r, inst.active, rate);
      this.step(inst, ts, inst.active ? TRUE : FALSE, rate);
    } else {
      const z = this.zscore(v);
      if (Number.isNaN(z)) return; // warming up
      const a = Math.abs(z);
      inst.active = inst.active ? a >= (r.clearZ ?? r.z) : a > r.z;
      this.step(inst, ts, inst.active ? TRUE : FALSE, z);
    }
  }

  /** Change per second from the oldest sample within `window` to this one; NaN without one. */
  private rate(ts: number, v: number, window: number): number {
    let cap = this.ringTs.length;
    // Drop samples that left the window.
    while (this.count > 0 && this.ringTs[this.head]! < ts - window) {
      this.head = (this.head + 1) % cap;
      this.count--;
    }
    const result =
      this.count > 0 && this.ringTs[this.head]! < ts
        ? ((v - this.ringV[this.head]!) * 1000) / (ts - this.ringTs[this.head]!)
        : NaN;
    if (this.count === cap) {
      const ts2 = new Float64Array(cap * 2);
      const v2 = new Float64Array(cap * 2);
      for (let i = 0; i < this.count; i++) {
        ts2[i] = this.ringTs[(this.head + i) % cap]!;
        v2[i] = this.ringV[(this.head + i) % cap]!;
      }
      this.ringTs = ts2;
      this.ringV = v2;
      this.head = 0;
      cap *= 2;
    }
    const at = (this.head + this.count) % cap;
    this.ringTs[at] = ts;
    this.ringV[at] = v;
    this.count++;
    return result;
  }

  /** Deviation of `v` from the statistics of the samples before it, then takes `v` in; NaN while warming up. */
  private zscore(v: number): number {
    const r = this.rule as Extract<AlertRule, { kind: 'anomaly' }>;
    let z = NaN;
    if (r.method === 'zscore') {
      const warmup = Math.max(2, r.warmup ?? r.window);
      if (this.seen >= warmup && this.count >= 2) {
        const mean = this.sum / this.count;
        const sd = Math.sqrt(Math.max(0, (this.sumSq - this.count * mean * mean) / (this.count - 1)));
        z = sd > 0 ? (v - mean) / sd : v === mean ? 0 : Math.sign(v - mean) * Infinity;
      }
      // Running sums over the ring: O(1) per sample.
      const cap = this.ringV.length;
      if (this.count === cap) {
        const old = this.ringV[this.head]!;
        this.sum -= old;
        this.sumSq -= old * old;
        this.ringV[this.head] = v;
        this.head = (this.head + 1) % cap;
      } else {
        this.ringV[(this.head + this.count) % cap] = v;
        this.count++;
      }
      this.sum += v;
      this.sumSq += v * v;
    } else {
      const warmup = Math.max(2, r.warmup ?? Math.ceil(1 / r.alpha));
      if (this.seen >= warmup) {
        const sd = Math.sqrt(this.variance);
        z = sd > 0 ? (v - this.mean) / sd : v === this.mean ? 0 : Math.sign(v - this.mean) * Infinity;
      }
      if (this.seen === 0) this.mean = v;
      else {
        // Exponentially weighted mean and variance (West, 1979).
        const diff = v - this.mean;
        const incr = r.alpha * diff;
        this.mean += incr;
        this.variance = (1 - r.alpha) * (this.variance + diff * incr);
      }
    }
    this.seen++;
    return z;
  }
}

/** Hysteresis: trigger beyond above/below; once active, hold until past clearBelow/clearAbove. */
function holds(r: ThresholdLike, active: boolean, v: number): boolean {
  if (active)
    return (
      (r.above !== undefined && (r.clearBelow !== undefined ? v >= r.clearBelow : v > r.above)) ||
      (r.below !== undefined && (r.clearAbove !== undefined ? v <= r.clearAbove : v < r.below))
    );
  return (r.above !== undefined && v > r.above) || (r.below !== undefined && v < r.below);
}

interface LogInstance {
  inst: Instance;
  /** Times of matches still within the window, oldest first. */
  matches: number[];
}

/** Log pattern rules: matches counted within a sliding window, one instance per group. */
class LogRun extends RuleRun {
  private readonly buffer: RecordRow[] = [];
  private maxTs = -Infinity;
  /** Raised by the session clock (live only): records older than this are late. */
  private floor = -Infinity;
  private lateCount = 0;
  private readonly arrivals = new ArrivalQueue();
  private skew: number | undefined;
  private skewAt = NaN;
  private readonly regex: RegExp;
  private readonly minSeverity: number;
  private readonly groups = new Map<string, LogInstance>();

  constructor(
    override rule: LogRuleConfig,
    emit: (t: AlertTransition) => void,
  ) {
    super(rule, emit);
    this.regex = new RegExp(rule.pattern, rule.flags);
    this.minSeverity = rule.minSeverity ? SEVERITIES.indexOf(rule.minSeverity) : 0;
  }

  get late(): number {
    return this.lateCount;
  }

  /** Whether records of `source` concern this rule: rows of other sources are never built. */
  takes(source: string): boolean {
    return this.rule.source === undefined || source === this.rule.source;
  }

  push(row: RecordRow, arrival?: number): void {
    if (!this.takes(row.source)) return;
    const watermark = Math.max(this.maxTs - this.rule.lateness, this.floor);
    if (!(row.ts >= watermark)) {
      this.lateCount++;
      return;
    }
    if (row.ts > this.maxTs) this.maxTs = row.ts;
    let i = this.buffer.length;
    while (i > 0 && this.buffer[i - 1]!.ts > row.ts) i--;
    this.buffer.splice(i, 0, row);
    if (arrival === undefined) return;
    this.arrivals.push(arrival, row.ts);
    this.skew = noteSkew(this.skew, this.skewAt, arrival, row.ts);
    this.skewAt = arrival;
  }

  /** Live, on the session clock: as ChannelRun.tickLive, for records and match windows. */
  tickLive(now: number): void {
    const lateness = this.rule.lateness;
    const due = this.arrivals.takeDue(now - lateness);
    if (due > this.floor) this.floor = due;
    if (this.skew === undefined) return;
    const deviceNow = now - this.skew - lateness;
    if (deviceNow > this.floor) this.floor = deviceNow;
    this.release();
    for (const g of this.groups.values()) this.advance(g, this.floor);
  }

  release(upTo = Math.max(this.maxTs - this.rule.lateness, this.floor)): void {
    let k = 0;
    while (k < this.buffer.length && this.buffer[k]!.ts <= upTo) this.record(this.buffer[k++]!);
    if (k > 0) this.buffer.splice(0, k);
  }

  advanceTo(t: number): void {
    this.release(Infinity);
    for (const g of this.groups.values()) this.advance(g, t);
  }

  private advance(g: LogInstance, t: number): void {
    const { count, window } = this.rule;
    for (;;) {
      // The count falls below `count` when the match `count` from the newest leaves the window.
      const drop = g.inst.active ? g.matches[g.matches.length - count]! + window : Infinity;
      const timerDue = this.due(g.inst);
      if (drop <= t && drop <= timerDue) {
        while (g.matches.length > 0 && g.matches[0]! + window <= drop) g.matches.shift();
        g.inst.active = false;
        this.step(g.inst, drop, FALSE, g.matches.length);
        continue;
      }
      if (!this.timer(g.inst, t)) return;
    }
  }

  private record(row: RecordRow): void {
    for (const g of this.groups.values()) this.advance(g, row.ts);
    if (SEVERITIES.indexOf(row.severity) < this.minSeverity) return;
    const subject = this.rule.field === undefined ? row.message : row.fields?.[this.rule.field];
    if (subject === undefined || subject === null) return;
    if (!this.regex.test(typeof subject === 'string' ? subject : JSON.stringify(subject))) return;
    const groupBy = this.rule.groupBy;
    let key = '';
    if (groupBy !== undefined) {
      const raw = row.fields?.[groupBy];
      key = raw === undefined || raw === null ? '' : typeof raw === 'string' ? raw : JSON.stringify(raw);
    }
    let g = this.groups.get(key);
    if (!g) {
      g = { inst: this.instance(groupBy !== undefined ? [groupBy, key] : undefined), matches: [] };
      this.groups.set(key, g);
    }
    while (g.matches.length > 0 && g.matches[0]! + this.rule.window <= row.ts) g.matches.shift();
    g.matches.push(row.ts);
    g.inst.active = g.matches.length >= this.rule.count;
    this.step(g.inst, row.ts, g.inst.active ? TRUE : FALSE, g.matches.length);
  }
}

/** Current state of one instance, for status views and tests. */
export interface InstanceState {
  rule: string;
  labels: Record<string, string>;
  state: AlertState;
  value: number;
  /** Event time the state began; 0 before the first transition. */
  since: number;
}

/** What an instance needs to resume after a restart (see AlertEvaluator.seed). */
export interface InstanceSeed {
  state: AlertState;
  since: number;
  value: number;
  /** Hysteresis memory: the condition was last true. */
  active: boolean;
}

/**
 * What decides a rule's instances: everything but what only words or routes them (severity,
 * annotations, notify). An edit that keeps it keeps the incident.
 */
export function conditionKey(rule: AlertRule): string {
  const { severity: _s, annotations: _a, notify: _n, ...condition } = rule;
  return JSON.stringify(condition);
}

export class AlertEvaluator {
  private channelRuns: ChannelRun[] = [];
  private logRuns: LogRun[] = [];
  /** Indexed by channel id: the rules reading that channel. */
  private byChannel: (ChannelRun[] | undefined)[] = [];
  private unresolved: ChannelRun[] = [];

  constructor(
    rules: readonly AlertRule[],
    private readonly options: EvaluatorOptions,
  ) {
    const emit = (t: AlertTransition) => options.onTransition(t);
    for (const rule of rules) {
      if (!rule.enabled) continue;
      if (rule.kind === 'log') this.logRuns.push(new LogRun(rule, emit));
      else this.channelRuns.push(new ChannelRun(rule, emit, options.origin));
    }
    this.unresolved = [...this.channelRuns];
    this.resolve();
  }

  /**
   * New rules, live: a rule whose condition is unchanged keeps its run (instances, held data, match
   * windows) and takes the new wording; a changed or removed rule's instances end now, with the
   * cause in their transition; new rules start from normal.
   */
  update(rules: readonly AlertRule[], at: number): void {
    const old = new Map<string, RuleRun>();
    for (const run of [...this.channelRuns, ...this.logRuns]) old.set(run.rule.id, run);
    const emit = (t: AlertTransition) => this.options.onTransition(t);
    const channelRuns: ChannelRun[] = [];
    const logRuns: LogRun[] = [];
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const previous = old.get(rule.id);
      if (previous && conditionKey(previous.rule) === conditionKey(rule)) {
        old.delete(rule.id);
        previous.rule = rule;
        if (previous instanceof LogRun) logRuns.push(previous);
        else channelRuns.push(previous as ChannelRun);
        continue;
      }
      if (rule.kind === 'log') logRuns.push(new LogRun(rule, emit));
      else channelRuns.push(new ChannelRun(rule, emit, at));
    }
    const stillThere = new Set(rules.filter((r) => r.enabled).map((r) => r.id));
    for (const [id, run] of old) run.end(at, stillThere.has(id) ? 'rule edited' : 'rule removed or disabled');
    this.channelRuns = channelRuns;
    this.logRuns = logRuns;
    this.byChannel = [];
    for (const run of channelRuns)
      if (run.channelId !== undefined) (this.byChannel[run.channelId] ??= []).push(run);
    this.unresolved = channelRuns.filter((run) => run.channelId === undefined);
    this.resolve();
  }

  /** Channels appear as sources start; rules on channels not yet known are looked up again. */
  private resolve(): void {
    if (this.unresolved.length === 0) return;
    this.unresolved = this.unresolved.filter((run) => {
      const id = this.options.resolveChannel(run.rule.channel);
      if (id === undefined) return true;
      run.channelId = id;
      (this.byChannel[id] ??= []).push(run);
      return false;
    });
  }

  /** `arrival`: the session clock when the batch arrived (live); none over stored data. */
  samples(batch: SampleBatch, arrival?: number): void {
    this.resolve();
    const { n, ts, channel, value } = batch;
    const byChannel = this.byChannel;
    for (let i = 0; i < n; i++) {
      const runs = byChannel[channel[i]!];
      if (runs === undefined) continue;
      for (let j = 0; j < runs.length; j++) runs[j]!.hold(ts[i]!, value[i]!, arrival);
    }
    for (const run of this.channelRuns) if (run.buffer.n > 0) run.release();
  }

  records(batch: RecordBatch, arrival?: number): void {
    if (this.logRuns.length === 0) return;
    for (let i = 0; i < batch.n; i++) {
      // A row becomes an object (fields parsed) only when a rule takes its source.
      const source = batch.sources[batch.source[i]!]!;
      let row: RecordRow | undefined;
      for (const run of this.logRuns) if (run.takes(source)) run.push((row ??= recordRow(batch, i)), arrival);
    }
    for (const run of this.logRuns) run.release();
  }

  /**
   * Live only: the session clock says it is `now`. Held data that arrived a lateness window ago is
   * evaluated whatever follows, and time passes without data up to each device's now less
   * lateness (its clock offset taken from its newest sample), so silence and `for` timers run and
   * a quiet channel's last reading counts. Without arrivals (a channel that never spoke, or data
   * fed without them) silence rules count on `now - lateness` as before.
   */
  tick(now: number): void {
    for (const run of this.channelRuns) run.tickLive(now);
    for (const run of this.logRuns) run.tickLive(now);
  }

  /** Evaluation over stored data: the range ends at `end`; everything held is evaluated. */
  finish(end: number): void {
    for (const run of this.channelRuns) run.advanceTo(end, true);
    for (const run of this.logRuns) run.advanceTo(end);
  }

  /** Samples and records that arrived beyond their rule's lateness, per rule id. */
  late(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const run of [...this.channelRuns, ...this.logRuns]) out[run.rule.id] = run.late;
    return out;
  }

  instances(): InstanceState[] {
    const out: InstanceState[] = [];
    for (const run of [...this.channelRuns, ...this.logRuns])
      for (const inst of run.instances.values())
        out.push({
          rule: run.rule.id,
          labels: inst.labels,
          state: inst.state,
          value: inst.value,
          since: inst.since,
        });
    return out;
  }

  /** The instance with these labels and what it needs to resume; undefined if it does not exist. */
  snapshot(rule: string, labels: Record<string, string>): (InstanceState & InstanceSeed) | undefined {
    const key = JSON.stringify(labels);
    for (const run of [...this.channelRuns, ...this.logRuns]) {
      if (run.rule.id !== rule) continue;
      for (const inst of run.instances.values())
        if (JSON.stringify(inst.labels) === key)
          return {
            rule,
            labels: inst.labels,
            state: inst.state,
            value: inst.value,
            since: inst.since,
            active: inst.active,
          };
    }
    return undefined;
  }

  /**
   * Resumes an instance where a previous evaluator left it (engine restart): a pending one keeps its
   * start, so its `for` counts from then; a firing one stays firing without a new transition. Only
   * channel rules (one instance each): a log rule's state also needs its window of matches, which
   * is not kept, so its instances start over. False when nothing was seeded.
   */
  seed(rule: string, labels: Record<string, string>, seed: InstanceSeed): boolean {
    const run = this.channelRuns.find((r) => r.rule.id === rule);
    const inst = run?.instances.get('');
    if (!inst || JSON.stringify(inst.labels) !== JSON.stringify(labels)) return false;
    inst.state = seed.state;
    inst.since = seed.since;
    inst.value = seed.value;
    inst.active = seed.active;
    return true;
  }
}
