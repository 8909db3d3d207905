// Alert notifications, grouped as Alertmanager does: live transitions in; per notifier the firing
// instances with equal `groupBy` labels form a group, told in one notification `groupWait` after the
// group appears, of changes (new or resolved instances) at most every `groupInterval`, and again
// after `repeatInterval` while unchanged (without acknowledged, silenced or inhibited instances).
// Deliveries to one notifier go out in order, each retried with doubling backoff up to its
// attempts; the outcome of the last one is kept per notifier and a delivery that gives up is an
// engine notice naming the notifier and the error. An instance that a silence or an inhibition
// mutes is left out; once nothing mutes it, it goes out with its group's next notification. One
// never told as firing is not told as resolved either. Timers run on the host's (engine) clock.
import {
  GROUPING_DEFAULTS,
  type AlertingSettings,
  type AlertRule,
  type AlertTransition,
  type NotifierConfig,
} from '../../../../shared/alerts';
import type { Notice } from '../../../../shared/api';
import { compileMatchers } from '../../../../shared/silences';
import { backoffDelay } from '../../../../shared/backoff';
import {
  alertLabels,
  fingerprint,
  groupKeyOf,
  groupLabelsOf,
  type AlertNotification,
  type GroupNotification,
} from './payload';
import { describeError, makeSender, PermanentError, type Send, type SenderHost } from './senders';

export interface NotifierHost extends SenderHost {
  notice(level: Notice['level'], message: string): void;
  /** Replaces the real senders (tests). */
  senderFor?(config: NotifierConfig): Send;
  /** True when an active silence matches these labels (alertname included) now. */
  silenced?(labels: Record<string, string>): boolean;
  /** True when the instance (labels with alertname) is acknowledged: it is not repeated. */
  acknowledged?(labels: Record<string, string>): boolean;
  /** Runs fn after ms of the engine clock; returns a cancel. Default: setTimeout (unref'd). */
  setTimer?(fn: () => void, ms: number): () => void;
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

interface Timing {
  groupBy: readonly string[];
  groupWait: number;
  groupInterval: number;
  repeatInterval: number;
}

/** One alert of one aggregation group. */
interface Entry {
  notification: AlertNotification;
  /** Sent as firing in a notification of this group: its resolve is sent too. */
  notified: boolean;
}

/** Alertmanager's aggregation group: the alerts of one notifier with equal group labels. */
interface Group {
  id: string;
  notifier: string;
  timing: Timing;
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: Map<string, Entry>;
  created: number;
  /** Last flush (a notification, or a due time with nothing to say); null before the first. */
  lastFlush: number | null;
  /** When firing alerts were last sent (the repeat interval counts from here). */
  lastSent: number | null;
  due: number | null;
  cancel: (() => void) | null;
}

interface Inhibition {
  source: (labels: Record<string, string>) => boolean;
  target: (labels: Record<string, string>) => boolean;
  equal: readonly string[];
}

const MAX_QUEUED = 1_000;
const MAX_BACKOFF_MS = 300_000;

export class AlertNotifier {
  private notifiers = new Map<string, { config: NotifierConfig; send: Send; timing: Timing }>();
  private notify = new Map<string, readonly string[]>();
  /** Every instance firing now (by fingerprint), notified or not: inhibition sources. */
  private readonly firing = new Map<string, AlertNotification>();
  private readonly groups = new Map<string, Group>();
  private inhibitions: Inhibition[] = [];
  private readonly queues = new Map<string, Promise<void>>();
  private readonly statuses = new Map<string, NotifierStatus>();
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(private readonly host: NotifierHost) {}

  /** Where acknowledgements are looked up, when the host did not say (the live alerts' acks). */
  useAcknowledged(acknowledged: (labels: Record<string, string>) => boolean): void {
    this.host.acknowledged ??= acknowledged;
  }

  /**
   * Takes new rules and notifiers, keeping every incident that goes on: the live evaluator keeps
   * the instances of rules whose condition is unchanged (and ends the others with a transition,
   * which resolves them here as usual). Groups of a notifier whose configuration is unchanged stay
   * as they are, so nothing is sent twice; a notifier removed or changed is sent the resolve of
   * what it had been told, and every alert still firing is told to each notifier its rule now
   * names that has not heard of it (a new notifier, a changed one, a rule's new notify list).
   */
  configure(rules: readonly AlertRule[], settings: AlertingSettings): void {
    const at = this.host.now();
    const configs = settings.notifiers ?? [];
    const timing = (c: NotifierConfig): Timing => ({
      groupBy: c.groupBy ?? settings.groupBy ?? GROUPING_DEFAULTS.groupBy,
      groupWait: c.groupWait ?? settings.groupWait ?? GROUPING_DEFAULTS.groupWait,
      groupInterval: c.groupInterval ?? settings.groupInterval ?? GROUPING_DEFAULTS.groupInterval,
      repeatInterval: c.repeatInterval ?? settings.repeatInterval ?? GROUPING_DEFAULTS.repeatInterval,
    });
    const same = (id: string): boolean => {
      const before = this.notifiers.get(id);
      const after = configs.find((c) => c.id === id);
      return (
        before !== undefined &&
        after !== undefined &&
        JSON.stringify([before.config, before.timing]) === JSON.stringify([after, timing(after)])
      );
    };
    for (const g of [...this.groups.values()]) {
      if (same(g.notifier)) continue;
      g.cancel?.();
      const told = [...g.alerts.values()].filter((e) => e.notified);
      if (told.length > 0)
        this.dispatch(g, 'resolved', [
          ...told.map((e) =>
            e.notification.status === 'resolved'
              ? e.notification // resolved already, waiting for the group's next notification
              : { ...e.notification, status: 'resolved' as const, state: 'normal' as const, endsAt: at },
          ),
        ]);
      this.groups.delete(g.id);
    }
    const kept = new Map([...this.notifiers].filter(([id]) => same(id)));
    this.notifiers = new Map(
      configs.map((c) => [
        c.id,
        kept.get(c.id) ?? {
          config: c,
          send: this.host.senderFor?.(c) ?? makeSender(c, this.host),
          timing: timing(c),
        },
      ]),
    );
    this.inhibitions = (settings.inhibit ?? []).map((r) => ({
      source: compileMatchers(r.sourceMatchers),
      target: compileMatchers(r.targetMatchers),
      equal: r.equal,
    }));
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
    for (const [fp, notification] of this.firing)
      for (const id of this.notify.get(notification.rule) ?? []) {
        const group = this.groupFor(id, notification.labels);
        if (!group || group.alerts.has(fp)) continue;
        group.alerts.set(fp, { notification, notified: false });
        this.schedule(group);
      }
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

  /**
   * An instance restored firing after a restart: it was notified before, so it is not sent again,
   * but its resolve will be, to the same notifiers.
   */
  restoreFiring(
    rule: string,
    instanceLabels: Record<string, string>,
    severity: AlertNotification['severity'],
    since: number,
    value: number,
  ): void {
    const labels = alertLabels({ rule, labels: instanceLabels });
    const fp = fingerprint(labels);
    if (this.firing.has(fp)) return;
    const notification: AlertNotification = {
      status: 'firing',
      rule,
      labels,
      annotations: {},
      severity,
      state: 'firing',
      value,
      startsAt: since,
      endsAt: null,
      fingerprint: fp,
    };
    this.firing.set(fp, notification);
    for (const id of this.notify.get(rule) ?? []) {
      const group = this.groupFor(id, labels);
      if (group) group.alerts.set(fp, { notification, notified: true });
    }
  }

  /** A live transition. Pending, recovering and repeated firing never notify. */
  transition(t: AlertTransition): void {
    // A silence may have ended unseen: what it held back goes out first, then this change.
    this.recheck();
    const labels = alertLabels(t);
    const fp = fingerprint(labels);
    if (t.state === 'firing') {
      if (this.firing.has(fp)) return; // recovering back to firing: still the same alert
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
      this.firing.set(fp, notification);
      for (const id of this.notify.get(t.rule) ?? []) {
        const group = this.groupFor(id, labels);
        if (!group) continue;
        group.alerts.set(fp, { notification, notified: false });
        this.schedule(group);
      }
      this.recheck(); // it may inhibit others
      return;
    }
    if (t.state === 'pending' || t.state === 'recovering') return;
    // resolved, or normal / nodata / error straight from firing: the alert is no longer firing.
    const f = this.firing.get(fp);
    if (!f) return;
    this.firing.delete(fp);
    const resolved: AlertNotification = {
      ...f,
      status: 'resolved',
      state: t.state,
      value: t.value,
      annotations: t.annotations,
      endsAt: t.ts,
    };
    for (const group of [...this.groups.values()]) {
      const entry = group.alerts.get(fp);
      if (!entry) continue;
      // Never told it fired (silenced, inhibited or still waiting): its resolve is not told either.
      if (entry.notified) entry.notification = resolved;
      else group.alerts.delete(fp);
      this.schedule(group);
    }
    this.recheck(); // what it inhibited is released
  }

  /**
   * Silences changed (one expired or was removed): alerts still firing whose firing was held back
   * and that nothing mutes now go out with their group's next notification.
   */
  resume(): void {
    this.recheck();
  }

  private recheck(): void {
    for (const g of [...this.groups.values()]) this.schedule(g);
  }

  private groupFor(notifierId: string, labels: Record<string, string>): Group | null {
    const notifier = this.notifiers.get(notifierId);
    if (!notifier) return null;
    const groupLabels = groupLabelsOf(labels, notifier.timing.groupBy);
    const groupKey = groupKeyOf(groupLabels);
    const id = `${notifierId}\u0000${groupKey}`;
    let group = this.groups.get(id);
    if (!group) {
      group = {
        id,
        notifier: notifierId,
        timing: notifier.timing,
        groupKey,
        groupLabels,
        alerts: new Map(),
        created: this.host.now(),
        lastFlush: null,
        lastSent: null,
        due: null,
        cancel: null,
      };
      this.groups.set(id, group);
    }
    return group;
  }

  private silenced(labels: Record<string, string>): boolean {
    return this.host.silenced?.(labels) ?? false;
  }

  /** Inhibited: an inhibition's source fires (another alert) with equal values of its `equal` labels. */
  private inhibited(n: AlertNotification): boolean {
    for (const rule of this.inhibitions) {
      if (!rule.target(n.labels)) continue;
      for (const source of this.firing.values())
        if (
          source.fingerprint !== n.fingerprint &&
          rule.source(source.labels) &&
          rule.equal.every((l) => (source.labels[l] ?? '') === (n.labels[l] ?? ''))
        )
          return true;
    }
    return false;
  }

  private muted(n: AlertNotification): boolean {
    return this.silenced(n.labels) || this.inhibited(n);
  }

  /** Something to tell: a firing alert not told yet that nothing mutes, or a told one resolved. */
  private changed(g: Group): boolean {
    for (const e of g.alerts.values())
      if (e.notification.status === 'resolved' ? e.notified : !e.notified && !this.muted(e.notification))
        return true;
    return false;
  }

  /** Sets the group's timer for its next flush, or flushes now when that is due. */
  private schedule(g: Group): void {
    if (this.closed) return;
    const now = this.host.now();
    let due: number | null = null;
    if (this.changed(g))
      due = g.lastFlush === null ? g.created + g.timing.groupWait : g.lastFlush + g.timing.groupInterval;
    else if ([...g.alerts.values()].some((e) => e.notified && e.notification.status === 'firing'))
      due = (g.lastSent ?? now) + g.timing.repeatInterval;
    if (g.alerts.size === 0) {
      g.cancel?.();
      this.groups.delete(g.id);
      return;
    }
    if (due !== null && due <= now) return this.flush(g);
    if (due === g.due && g.cancel) return;
    g.cancel?.();
    g.cancel = null;
    g.due = due;
    if (due === null) return;
    const fire = () => {
      g.cancel = null;
      g.due = null;
      if (this.groups.get(g.id) === g) this.flush(g);
    };
    g.cancel = this.host.setTimer ? this.host.setTimer(fire, due - now) : realTimer(fire, due - now);
  }

  private flush(g: Group): void {
    g.cancel?.();
    g.cancel = null;
    g.due = null;
    const now = this.host.now();
    const entries = [...g.alerts.values()];
    if (this.changed(g)) {
      // Like Alertmanager: the whole group as it is now, firing alerts nothing mutes and the resolved.
      const send = entries.filter((e) =>
        e.notification.status === 'resolved' ? e.notified : !this.muted(e.notification),
      );
      for (const e of send) e.notified = true;
      for (const e of entries)
        if (e.notification.status === 'resolved') g.alerts.delete(e.notification.fingerprint);
      const firing = send.some((e) => e.notification.status === 'firing');
      this.dispatch(
        g,
        firing ? 'firing' : 'resolved',
        send.map((e) => e.notification),
      );
      if (firing) g.lastSent = now;
    } else {
      // Nothing new: repeat what still fires, but not what is acknowledged, silenced or inhibited.
      const repeat = entries.filter(
        (e) =>
          e.notified &&
          e.notification.status === 'firing' &&
          !this.muted(e.notification) &&
          !(this.host.acknowledged?.(e.notification.labels) ?? false),
      );
      if (repeat.length > 0)
        this.dispatch(
          g,
          'firing',
          repeat.map((e) => e.notification),
        );
      g.lastSent = now;
    }
    g.lastFlush = now;
    this.schedule(g);
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
    for (const g of this.groups.values()) g.cancel?.();
    for (const wake of this.wakers) wake();
    await this.drain();
  }

  private dispatch(g: Group, status: GroupNotification['status'], alerts: AlertNotification[]): void {
    if (this.closed) return;
    const id = g.notifier;
    const notifier = this.notifiers.get(id);
    const state = this.statuses.get(id);
    if (!notifier || !state) return;
    const list = notifier.config.sendResolved ? alerts : alerts.filter((a) => a.status === 'firing');
    if (list.length === 0) return;
    const n: GroupNotification = { status, groupKey: g.groupKey, groupLabels: g.groupLabels, alerts: list };
    if (state.queued >= MAX_QUEUED) {
      state.failed++;
      this.host.notice('error', `alerts: notifier ${id} has ${MAX_QUEUED} notifications queued; dropped one`);
      return;
    }
    state.queued++;
    const previous = this.queues.get(id) ?? Promise.resolve();
    this.queues.set(
      id,
      previous.then(() => this.deliver(notifier.config, notifier.send, state, n)),
    );
  }

  private async deliver(
    config: NotifierConfig,
    send: Send,
    status: NotifierStatus,
    n: GroupNotification,
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
      await this.sleep(backoffDelay(attempts - 1, { firstMs: config.backoffMs, maxMs: MAX_BACKOFF_MS }));
      if (this.closed) break;
    }
    Object.assign(status, { ok: false, at: this.host.now(), attempts, error });
    status.failed++;
    status.queued--;
    this.host.notice(
      'error',
      `alerts: notifier ${config.id} (${config.kind}) could not deliver ${[...new Set(n.alerts.map((a) => a.rule))].join(',')} ${n.status} ` +
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

function realTimer(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
}
