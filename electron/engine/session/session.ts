// A session: one bus, one live view, alert evaluation and one clock. The engine runs a live session
// (the wall clock, every batch stored, alerts stored and sent to the notifiers); a replay session
// runs the same pipeline on a virtual clock with neither store nor notifiers. Sessions share no
// state, so any number can run in one process beside the live one.
import type { AlertingSettings, AlertRule } from '../../../shared/alerts';
import type { Notice } from '../../../shared/api';
import { recordBatch, type RecordBatch, type SampleBatch } from '../batch';
import { Bus, type BusConsumer } from '../bus';
import { LiveAlerts, type LiveAlertsHost } from '../alerts/live';
import type { AlertNotifier } from '../alerts/notify/notifier';
import { LiveHub } from '../live/hub';
import type { Store } from '../store/store';
import { wallClock, type Clock } from './clock';

export type SessionMode = 'live' | 'replay';

/** Notices a replay session keeps for whoever runs it (a live session's go to the engine). */
const REPLAY_NOTICES_KEPT = 200;

export interface LiveSessionOptions {
  /** Takes each batch first and answers its ticket. */
  store: Store;
  /** Sends firing/resolved transitions out; none on a read-only engine. */
  notifier: AlertNotifier | null;
  /** Evaluate alert rules (not on a read-only engine). */
  alerting: boolean;
  resolveChannel(name: string): number | undefined;
  notice(level: Notice['level'], message: string): void;
  ackCleared?: LiveAlertsHost['ackCleared'];
  /** Consumers after the store and the live view, before the alerts (the channel browser's last values). */
  consumers?: BusConsumer[];
  clock?: Clock;
  liveRingCapacity?: number | undefined;
}

export interface ReplaySessionOptions {
  /** A clock the replay sets and advances (session/clock.ts VirtualClock). */
  clock: Clock;
  rules?: readonly AlertRule[];
  alerting?: AlertingSettings;
  liveRingCapacity?: number;
  /**
   * Channel ids by name when the replay reads stored data: the store's own ids, so a console's
   * subscriptions mean the same channels live and in replay. Absent: ids made in the session.
   */
  resolveChannel?: (name: string) => number | undefined;
}

export class Session {
  readonly bus = new Bus();
  readonly live: LiveHub;
  /** Alert rules evaluated on the data as it arrives; null when the session evaluates none. */
  readonly alerts: LiveAlerts | null;
  /** A replay session's own channel names (it has no store to keep them). */
  private readonly replayChannels = new Map<string, number>();
  private readonly replayNotices: Notice[] = [];
  private stopClock: (() => void) | undefined;
  private closed = false;

  private constructor(
    readonly mode: SessionMode,
    readonly clock: Clock,
    parts: {
      store: Store | null;
      notifier: AlertNotifier | null;
      alerting: boolean;
      resolveChannel(name: string): number | undefined;
      notice(level: Notice['level'], message: string): void;
      ackCleared?: LiveAlertsHost['ackCleared'];
      consumers: BusConsumer[];
      liveRingCapacity?: number | undefined;
    },
  ) {
    this.live = new LiveHub(parts.liveRingCapacity);
    const store = parts.store;
    if (store) {
      // The store takes each batch whole and answers its ticket: durable, or why not.
      this.bus.add({
        onBatch: (batch) => {
          if (batch.raw.length) store.appendRaw(batch.source, batch.raw);
          for (const entry of batch.quarantine) store.appendQuarantine(entry);
          if (batch.samples.n) store.appendSamples(batch.samples);
          if (batch.records.n) store.appendRecords(batch.records);
          if (batch.position) store.appendPosition({ source: batch.source, ...batch.position });
          return store.ticket(batch.soon);
        },
      });
    }
    this.bus.add(this.live);
    for (const consumer of parts.consumers) this.bus.add(consumer);
    this.alerts = null;
    if (parts.alerting) {
      // After the store, so a transition is never stored ahead of the samples that caused it.
      this.alerts = new LiveAlerts({
        store,
        now: () => clock.now(),
        resolveChannel: parts.resolveChannel,
        tickOnTimer: clock.onAdvance === undefined,
        notice: parts.notice,
        ...(parts.notifier ? { notifier: parts.notifier } : {}),
        ...(parts.ackCleared ? { ackCleared: parts.ackCleared } : {}),
      });
      this.bus.add(this.alerts);
      // A clock that moves by itself drives the evaluation; the wall clock has the alerts' timer.
      this.stopClock = clock.onAdvance?.(() => this.alerts?.tick());
    }
  }

  /** The engine's session: the wall clock (unless the engine was given one), the store and notifiers. */
  static live(options: LiveSessionOptions): Session {
    return new Session('live', options.clock ?? wallClock, {
      store: options.store,
      notifier: options.notifier,
      alerting: options.alerting,
      resolveChannel: options.resolveChannel,
      notice: options.notice,
      ...(options.ackCleared ? { ackCleared: options.ackCleared } : {}),
      consumers: options.consumers ?? [],
      liveRingCapacity: options.liveRingCapacity,
    });
  }

  /** Same pipeline on `clock`, nothing stored and nothing sent; channels are named in the session. */
  static replay(options: ReplaySessionOptions): Session {
    const session: Session = new Session('replay', options.clock, {
      store: null,
      notifier: null,
      alerting: true,
      resolveChannel: options.resolveChannel ?? ((name) => session.replayChannels.get(name)),
      notice: (level, message) => session.keepNotice(level, message),
      consumers: [],
      liveRingCapacity: options.liveRingCapacity,
    });
    if (options.rules && options.alerting) session.configureAlerts(options.rules, options.alerting);
    session.live.start();
    return session;
  }

  now(): number {
    return this.clock.now();
  }

  configureAlerts(rules: readonly AlertRule[], alerting: AlertingSettings): void {
    this.alerts?.configure(rules, alerting);
  }

  /** A replay session's id for a channel name, made on first use (a live session's come from the store). */
  channelId(name: string): number {
    if (this.mode !== 'replay') throw new Error('channelId: a live session names channels in the store');
    let id = this.replayChannels.get(name);
    if (id === undefined) this.replayChannels.set(name, (id = this.replayChannels.size + 1));
    return id;
  }

  /**
   * Replays a batch through the session's bus (live view, alerts) as if it arrived now on the
   * session clock. A live session's data comes through its sources' ingest stages instead.
   */
  replay(
    source: string,
    samples: SampleBatch | null,
    records: RecordBatch | null = null,
  ): void | Promise<void> {
    if (this.mode !== 'replay') throw new Error('replay: a live session takes data from its sources');
    if (this.closed) throw new Error('replay: the session is closed');
    return this.bus.batch({
      source,
      samples: samples ?? {
        n: 0,
        ts: new Float64Array(0),
        channel: new Uint32Array(0),
        value: new Float64Array(0),
      },
      records: records ?? recordBatch([]),
      quarantine: [],
      raw: [],
      soon: false,
    });
  }

  /** What a replay session would have told the user (its rules' firing and resolved, its errors). */
  notices(): Notice[] {
    return [...this.replayNotices];
  }

  private keepNotice(level: Notice['level'], message: string): void {
    this.replayNotices.push({ ts: this.clock.now(), level, message });
    if (this.replayNotices.length > REPLAY_NOTICES_KEPT) this.replayNotices.shift();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopClock?.();
    this.live.stop();
    this.alerts?.stop();
  }
}
