// Alert notifications: live transitions in, one notification per instance when it starts firing
// and one when it stops, to the notifiers its rule names. Deliveries to one notifier go out in
// order, each retried with doubling backoff up to its attempts; the outcome of the last one is kept
// per notifier and a delivery that gives up is an engine notice naming the notifier and the error.
// An instance matched by an active silence when it starts firing is not sent, nor is its resolve;
// if the silence ends while it still fires, it is sent then (resume) and resolves as usual.
import type { AlertingSettings, AlertRule, AlertTransition, NotifierConfig } from '../../../../shared/alerts';
import type { Notice } from '../../../../shared/api';
import { alertLabels, fingerprint, type AlertNotification } from './payload';
import { describeError, makeSender, PermanentError, type Send, type SenderHost } from './senders';

export interface NotifierHost extends SenderHost {
  notice(level: Notice['level'], message: string): void;
  /** Replaces the real senders (tests). */
  senderFor?(config: NotifierConfig): Send;
  /** True when an active silence matches these labels (alertname included) now. */
  silenced?(labels: Record<string, string>): boolean;
}

/** Delivery status of one notifier: the last notification's outcome and running counts. */
export interface NotifierStatus {
  id: string;
  kind: NotifierConfig['kind'];
  /** Outcome of the last finished delivery; null before the first. */
  ok: boolean | null;
  /** When it finished, epoch ms (engine clock). */
  at: number | null;
  /** Attempts the last delivery took. */
  attempts: number;
  error: string | null;
  delivered: number;
  failed: number;
  /** Notifications waiting or in flight. */
  queued: number;
}

interface Firing {
  notification: AlertNotification;
  /** The notifiers told it fired: they are the ones told it resolved. */
  notifiers: readonly string[];
  /** Silenced when it started firing and not sent yet: its resolve is not sent either. */
  suppressed: boolean;
}

const MAX_QUEUED = 1_000;
const MAX_BACKOFF_MS = 300_000;

export class AlertNotifier {
  private notifiers = new Map<string, { config: NotifierConfig; send: Send }>();
  private notify = new Map<string, readonly string[]>();
  private readonly firing = new Map<string, Firing>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly statuses = new Map<string, NotifierStatus>();
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(private readonly host: NotifierHost) {}

  /**
   * Takes new rules and notifiers. The live evaluator starts its instances over from normal on a
   * change, so every instance notified as firing is resolved now (to the notifiers that had it):
   * otherwise a receiver could be left with an alert that never resolves.
   */
  configure(rules: readonly AlertRule[], settings: AlertingSettings): void {
    const at = this.host.now();
    for (const f of this.firing.values())
      if (!f.suppressed)
        this.dispatch({ ...f.notification, status: 'resolved', state: 'normal', endsAt: at }, f.notifiers);
    this.firing.clear();

    const configs = settings.notifiers ?? [];
    this.notifiers = new Map(
      configs.map((c) => [c.id, { config: c, send: this.host.senderFor?.(c) ?? makeSender(c, this.host) }]),
    );
    for (const id of [...this.statuses.keys()]) if (!this.notifiers.has(id)) this.statuses.delete(id);
    for (const c of configs) {
      const old = this.statuses.get(c.id);
      this.statuses.set(c.id, {
        ...(old ?? { ok: null, at: null, attempts: 0, error: null, delivered: 0, failed: 0, queued: 0 }),
        id: c.id,
        kind: c.kind,
      });
    }
    this.notify = new Map(rules.map((r) => [r.id, r.notify ?? []]));
    for (const r of rules)
      for (const id of r.notify ?? [])
        if (!this.notifiers.has(id))
          this.host.notice('warn', `alerts: rule ${r.id} names notifier "${id}", which is not configured`);
    for (const c of configs)
      if (c.kind === 'command' && !c.enabled && rules.some((r) => r.notify?.includes(c.id)))
        this.host.notice(
          'warn',
          `alerts: notifier ${c.id} (command) is off: it runs nothing until it has "enabled": true`,
        );
  }

  /** A live transition. Pending, recovering and repeated firing never notify. */
  transition(t: AlertTransition): void {
    const labels = alertLabels(t);
    const fp = fingerprint(labels);
    const silenced = this.host.silenced?.(labels) ?? false;
    if (t.state === 'firing') {
      const known = this.firing.get(fp);
      if (known) {
        // Recovering back to firing: still the same alert. Told now if its silence has ended.
        if (known.suppressed && !silenced) this.release(known);
        return;
      }
      const notification: AlertNotification = {
        status: 'firing',
        rule: t.rule,
        labels,
        annotations: t.annotations,
        severity: t.severity,
        state: t.state,
        value: t.value,
        startsAt: t.ts,
        endsAt: null,
        fingerprint: fp,
      };
      const notifiers = this.notify.get(t.rule) ?? [];
      this.firing.set(fp, { notification, notifiers, suppressed: silenced });
      if (!silenced) this.dispatch(notification, notifiers);
      return;
    }
    if (t.state === 'pending' || t.state === 'recovering') return;
    // resolved, or normal / nodata / error straight from firing: the alert is no longer firing.
    const f = this.firing.get(fp);
    if (!f) return;
    this.firing.delete(fp);
    if (f.suppressed) {
      if (silenced) return; // silenced throughout: the receivers never hear of it
      this.release(f); // its silence ended mid-incident: it fired, and now it resolves
    }
    this.dispatch(
      {
        ...f.notification,
        status: 'resolved',
        state: t.state,
        value: t.value,
        annotations: t.annotations,
        endsAt: t.ts,
      },
      f.notifiers,
    );
  }

  /**
   * Silences changed (one expired or was removed): alerts still firing whose firing was
   * suppressed and that no silence covers now are sent, so their resolve follows as usual.
   */
  resume(): void {
    for (const f of this.firing.values())
      if (f.suppressed && !(this.host.silenced?.(f.notification.labels) ?? false)) this.release(f);
  }

  private release(f: Firing): void {
    f.suppressed = false;
    this.dispatch(f.notification, f.notifiers);
  }

  status(): NotifierStatus[] {
    return [...this.statuses.values()].map((s) => ({ ...s }));
  }

  /** Settles when every notification handed in so far is delivered or given up. */
  async drain(): Promise<void> {
    for (;;) {
      const pending = [...this.queues.values()];
      await Promise.all(pending);
      if ([...this.queues.values()].every((q, i) => q === pending[i]) && this.queues.size === pending.length)
        return;
    }
  }

  /** No more retries; waits for the deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.wakers) wake();
    await this.drain();
  }

  private dispatch(n: AlertNotification, ids: readonly string[]): void {
    if (this.closed) return;
    for (const id of ids) {
      const notifier = this.notifiers.get(id);
      const status = this.statuses.get(id);
      if (!notifier || !status) continue;
      if (n.status === 'resolved' && !notifier.config.sendResolved) continue;
      if (status.queued >= MAX_QUEUED) {
        status.failed++;
        this.host.notice(
          'error',
          `alerts: notifier ${id} has ${MAX_QUEUED} notifications queued; dropped one`,
        );
        continue;
      }
      status.queued++;
      const previous = this.queues.get(id) ?? Promise.resolve();
      this.queues.set(
        id,
        previous.then(() => this.deliver(notifier.config, notifier.send, status, n)),
      );
    }
  }

  private async deliver(
    config: NotifierConfig,
    send: Send,
    status: NotifierStatus,
    n: AlertNotification,
  ): Promise<void> {
    let attempts = 0;
    let error: string;
    for (;;) {
      attempts++;
      try {
        await send(n);
        Object.assign(status, { ok: true, at: this.host.now(), attempts, error: null });
        status.delivered++;
        status.queued--;
        return;
      } catch (e) {
        error = describeError(e);
        if (e instanceof PermanentError || attempts >= config.attempts || this.closed) break;
      }
      await this.sleep(Math.min(config.backoffMs * 2 ** (attempts - 1), MAX_BACKOFF_MS));
      if (this.closed) break;
    }
    Object.assign(status, { ok: false, at: this.host.now(), attempts, error });
    status.failed++;
    status.queued--;
    this.host.notice(
      'error',
      `alerts: notifier ${config.id} (${config.kind}) could not deliver ${n.rule} ${n.status} ` +
        `after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${error}`,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.wakers.add(wake);
    });
  }
}
