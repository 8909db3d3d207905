// Alerting in a session: the evaluator as a bus consumer, advanced by the session clock for silence
// rules. In a live session every transition is stored (mode 'live') and firing/resolved announced as
// engine notices; a replay session has no store (nothing written, no state saved) and no notifier.
import type { AlertingSettings, AlertRule, AlertTransition } from '../../../shared/alerts';
import type { Notice } from '../../../shared/api';
import type { RecordBatch, SampleBatch } from '../batch';
import type { BusConsumer } from '../bus';
import type { Store } from '../store/store';
import { AlertEvaluator, type InstanceState } from './evaluator';
import { TransitionWriter } from './history';
import { AlertStateTable, ruleHash, type SavedInstance } from './state';
import { AckBook, type Ack } from './silences';
import type { AlertNotifier } from './notify/notifier';

export interface LiveAlertsHost {
  /** Where transitions and instance states are kept; none in a replay session. */
  store: Store | null;
  now(): number;
  /** Id of a channel by its full name, undefined while it is unknown. */
  resolveChannel(name: string): number | undefined;
  /** Tick on a timer (the wall clock); else the session calls `tick()` as its clock moves. */
  tickOnTimer: boolean;
  notice(level: Notice['level'], message: string): void;
  /** Told of every live transition; sends firing and resolved to the rules' notifiers. */
  notifier?: Pick<AlertNotifier, 'configure' | 'transition'> &
    Partial<Pick<AlertNotifier, 'useAcknowledged' | 'restoreFiring'>>;
  /** An acknowledgement ended by itself: its instance resolved, or the rules changed. */
  ackCleared?(rule: string, labels: Record<string, string>, ack: Ack, reason: string): void;
}

export class LiveAlerts implements BusConsumer {
  private evaluator: AlertEvaluator | null = null;
  private timer: NodeJS.Timeout | null = null;
  private configured = '';
  private broken = false;
  readonly writer: TransitionWriter;
  /** Instance states kept for a restart (table `alert_state`); none without a store. */
  readonly stateTable: AlertStateTable | null;
  /** Hash of each enabled rule's definition, by id: saved states of a changed rule are not restored. */
  private ruleHashes = new Map<string, string>();
  private severities = new Map<string, AlertRule['severity']>();
  /** The latest transitions, newest last. */
  readonly recent: AlertTransition[] = [];
  /** Acknowledged instances; an ack lasts until its instance resolves. */
  readonly acks = new AckBook();
  private readonly listeners = new Set<(t: AlertTransition) => void>();

  constructor(private readonly host: LiveAlertsHost) {
    this.writer = new TransitionWriter(host.store, host.now);
    this.stateTable = host.store ? new AlertStateTable(host.store) : null;
    // Acknowledged instances are not repeated by their notifiers.
    host.notifier?.useAcknowledged?.(
      (labels) => this.acks.get(labels['alertname'] ?? '', labels) !== undefined,
    );
  }

  /**
   * Takes new rules and settings. An edit keeps every incident whose rule's condition did not
   * change: its instance, acknowledgement and notification state go on untouched. Instances of a
   * changed or removed rule end now with a stored transition that names the cause (and their acks
   * with them). Switching alerting off ends everything the same way.
   */
  configure(rules: readonly AlertRule[], settings: AlertingSettings): void {
    const key = JSON.stringify([rules, settings]);
    if (key === this.configured) return;
    this.configured = key;
    this.broken = false;
    this.ruleHashes = new Map(rules.map((r) => [r.id, ruleHash(r)]));
    this.severities = new Map(rules.map((r) => [r.id, r.severity]));
    this.host.notifier?.configure(rules, settings);
    if (this.evaluator) {
      this.evaluator.update(settings.enabled ? rules : [], this.host.now());
      if (!settings.enabled) this.evaluator = null;
    } else if (settings.enabled) {
      this.evaluator = new AlertEvaluator(rules, {
        resolveChannel: (name) => this.host.resolveChannel(name),
        onTransition: (t) => this.transition(t),
        origin: this.host.now(),
      });
    }
    this.stop();
    if (this.evaluator && this.host.tickOnTimer) {
      this.timer = setInterval(() => this.tick(), settings.tickMs);
      this.timer.unref();
    }
  }

  /** Lets the session's time pass: held data is evaluated, silence rules count. */
  tick(): void {
    if (this.evaluator) this.guard(() => this.evaluator?.tick(this.host.now()));
  }

  onTransition(listener: (t: AlertTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onSamples(batch: SampleBatch): void {
    if (this.evaluator) this.guard(() => this.evaluator!.samples(batch, this.host.now()));
  }

  onRecords(rows: RecordBatch): void {
    if (this.evaluator) this.guard(() => this.evaluator!.records(rows, this.host.now()));
  }

  instances(): InstanceState[] {
    return this.evaluator?.instances() ?? [];
  }

  /** The replayed range ends at `end`: everything held is evaluated (stored-data evaluation's end). */
  finish(end: number): void {
    if (this.evaluator) this.guard(() => this.evaluator?.finish(end));
  }

  /** Per rule: data that came beyond the rule's lateness and was not evaluated. */
  late(): Record<string, number> {
    return this.evaluator?.late() ?? {};
  }

  /**
   * Engine start, after configure: resumes the instances saved by the previous engine whose rule is
   * still there with the same definition (pending keeps its start, firing stays firing, acks stay).
   * The notifiers are not told: a restored firing alert is not notified again, and its resolve is
   * not notified either (a notifier only resolves what it sent as firing). Returns how many.
   */
  async restore(): Promise<number> {
    const evaluator = this.evaluator;
    if (!evaluator) return 0;
    let n = 0;
    let saved: SavedInstance[];
    if (!this.stateTable) return 0;
    try {
      saved = await this.stateTable.load();
    } catch (error) {
      this.host.notice('warn', `alerts: saved states not restored: ${(error as Error).message}`);
      return 0;
    }
    for (const s of saved) {
      if (this.ruleHashes.get(s.rule) !== s.ruleHash || !evaluator.seed(s.rule, s.labels, s)) continue;
      if (s.ack) this.acks.set(s.rule, s.labels, s.ack);
      const severity = this.severities.get(s.rule);
      if ((s.state === 'firing' || s.state === 'recovering') && severity)
        this.host.notifier?.restoreFiring?.(s.rule, s.labels, severity, s.since, s.value);
      n++;
    }
    return n;
  }

  /** Saves every instance's state (engine close); settles with `stateTable.drain()`. */
  saveState(): void {
    const all: SavedInstance[] = [];
    for (const i of this.instances()) {
      const s = this.saved(i.rule, i.labels);
      if (s) all.push(s);
    }
    this.stateTable?.saveAll(all);
  }

  private saved(rule: string, labels: Record<string, string>): SavedInstance | undefined {
    const snap = this.evaluator?.snapshot(rule, labels);
    const hash = this.ruleHashes.get(rule);
    if (!snap || hash === undefined) return undefined;
    return { ...snap, ruleHash: hash, ack: this.acks.get(rule, labels) ?? null };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A bug in a rule must not stop ingest: report it once and keep the data flowing. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      if (!this.broken) this.host.notice('error', `alerts: evaluation failed: ${(error as Error).message}`);
      this.broken = true;
    }
  }

  private transition(t: AlertTransition): void {
    this.recent.push(t);
    if (this.recent.length > 500) this.recent.shift();
    this.writer.write(t, 'live');
    const ack = this.acks.onTransition(t);
    if (ack) this.host.ackCleared?.(t.rule, t.labels, ack, t.cause ?? `resolved (${t.state})`);
    const saved = this.saved(t.rule, t.labels);
    if (saved) this.stateTable?.save(saved);
    if (t.state === 'firing' || t.state === 'resolved') {
      const summary = t.cause ?? t.annotations['summary'] ?? `value ${t.value}`;
      this.host.notice(t.state === 'firing' ? 'warn' : 'info', `alert ${t.rule} ${t.state}: ${summary}`);
    }
    this.host.notifier?.transition(t);
    for (const l of this.listeners) l(t);
  }
}
