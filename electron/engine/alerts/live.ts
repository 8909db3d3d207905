// Live alerting: the evaluator as a bus consumer, advanced by the engine clock for silence rules,
// every transition stored (mode 'live') and firing/resolved announced as engine notices.
import type { AlertingSettings, AlertRule, AlertTransition } from '../../../shared/alerts';
import type { Notice } from '../../../shared/api';
import type { RecordRow, SampleBatch } from '../batch';
import type { BusConsumer } from '../bus';
import type { Store } from '../store/store';
import { AlertEvaluator, type InstanceState } from './evaluator';
import { TransitionWriter } from './history';
import { AckBook, type Ack } from './silences';
import type { AlertNotifier } from './notify/notifier';

export interface LiveAlertsHost {
  store: Store;
  now(): number;
  notice(level: Notice['level'], message: string): void;
  /** Told of every live transition; sends firing and resolved to the rules' notifiers. */
  notifier?: Pick<AlertNotifier, 'configure' | 'transition'> &
    Partial<Pick<AlertNotifier, 'useAcknowledged'>>;
  /** An acknowledgement ended by itself: its instance resolved, or the rules changed. */
  ackCleared?(rule: string, labels: Record<string, string>, ack: Ack, reason: string): void;
}

export class LiveAlerts implements BusConsumer {
  private evaluator: AlertEvaluator | null = null;
  private timer: NodeJS.Timeout | null = null;
  private configured = '';
  private broken = false;
  readonly writer: TransitionWriter;
  /** The latest transitions, newest last. */
  readonly recent: AlertTransition[] = [];
  /** Acknowledged instances; an ack lasts until its instance resolves. */
  readonly acks = new AckBook();
  private readonly listeners = new Set<(t: AlertTransition) => void>();

  constructor(private readonly host: LiveAlertsHost) {
    this.writer = new TransitionWriter(host.store, host.now);
    // Acknowledged instances are not repeated by their notifiers.
    host.notifier?.useAcknowledged?.(
      (labels) => this.acks.get(labels['alertname'] ?? '', labels) !== undefined,
    );
  }

  /**
   * (Re)builds the evaluator when the rules or settings change. Instance states start over from
   * normal: the rules may mean something else now.
   */
  configure(rules: readonly AlertRule[], settings: AlertingSettings): void {
    const key = JSON.stringify([rules, settings]);
    if (key === this.configured) return;
    this.configured = key;
    this.stop();
    this.broken = false;
    this.host.notifier?.configure(rules, settings);
    for (const [key, ack] of this.acks.clear())
      this.host.ackCleared?.(key.rule, key.labels, ack, 'rules changed');
    this.evaluator = settings.enabled
      ? new AlertEvaluator(rules, {
          resolveChannel: (name) => this.host.store.knownChannels().get(name),
          onTransition: (t) => this.transition(t),
          origin: this.host.now(),
        })
      : null;
    if (this.evaluator) {
      this.timer = setInterval(
        () => this.guard(() => this.evaluator?.tick(this.host.now())),
        settings.tickMs,
      );
      this.timer.unref();
    }
  }

  onTransition(listener: (t: AlertTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onSamples(batch: SampleBatch): void {
    if (this.evaluator) this.guard(() => this.evaluator!.samples(batch));
  }

  onRecords(rows: readonly RecordRow[]): void {
    if (this.evaluator) this.guard(() => this.evaluator!.records(rows));
  }

  instances(): InstanceState[] {
    return this.evaluator?.instances() ?? [];
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
    if (ack) this.host.ackCleared?.(t.rule, t.labels, ack, `resolved (${t.state})`);
    if (t.state === 'firing' || t.state === 'resolved') {
      const summary = t.annotations['summary'] ?? `value ${t.value}`;
      this.host.notice(t.state === 'firing' ? 'warn' : 'info', `alert ${t.rule} ${t.state}: ${summary}`);
    }
    this.host.notifier?.transition(t);
    for (const l of this.listeners) l(t);
  }
}
