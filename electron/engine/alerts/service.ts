// The alert service of a live engine: acknowledgements, silences, their audit log and the
// notifiers, around the live session's evaluation (session/session.ts). A read-only engine has
// none of it; its reads (alertsNow, verifyAudit) answer from the store.
import type {
  AlertInstanceInfo,
  AlertTransitionInfo,
  KafkaProduceRequest,
  Notice,
  PublishRequest,
} from '../../../shared/api';
import { silenceStatus, type SilenceStatus } from '../../../shared/silences';
import type { Store } from '../store/store';
import { AuditLog, readAuditRows, verifyAuditChain, type AuditVerdict } from './audit';
import type { LiveAlerts } from './live';
import { AlertNotifier, type NotifierStatus } from './notify/notifier';
import { alertLabels } from './notify/payload';
import { AckBook, ackable, newSilenceId, SilenceBook, SilenceTable, type Silence } from './silences';

export interface AlertServiceHost {
  store: Store;
  now(): number;
  notice(level: Notice['level'], message: string): void;
  /** An MQTT notifier publishes through one of the engine's sources. */
  publish(request: PublishRequest): Promise<void>;
  /** A Kafka notifier produces through one of the engine's Kafka sources. */
  kafkaProduce?(request: KafkaProduceRequest): Promise<unknown>;
  version: string;
}

/** What a writable engine has; `AlertService.for` gives none on a read-only one. */
interface Writable {
  audit: AuditLog;
  silences: SilenceBook;
  table: SilenceTable;
  notifier: AlertNotifier;
}

export class AlertService {
  private alerts: LiveAlerts | null = null;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly host: AlertServiceHost,
    private readonly writable: Writable | null,
  ) {}

  static for(host: AlertServiceHost): AlertService {
    if (host.store.readOnly) return new AlertService(host, null);
    const silences = new SilenceBook(host.now);
    const notifier = new AlertNotifier({
      publish: host.publish,
      ...(host.kafkaProduce ? { kafkaProduce: host.kafkaProduce } : {}),
      now: host.now,
      notice: host.notice,
      version: host.version,
      silenced: (labels) => silences.silencedBy(labels).length > 0,
    });
    return new AlertService(host, {
      audit: new AuditLog(host.store, host.now),
      silences,
      table: new SilenceTable(host.store),
      notifier,
    });
  }

  get audit(): AuditLog | null {
    return this.writable?.audit ?? null;
  }
  get silences(): SilenceBook | null {
    return this.writable?.silences ?? null;
  }
  get notifier(): AlertNotifier | null {
    return this.writable?.notifier ?? null;
  }

  /** An acknowledgement ended by itself (its instance resolved, the rules changed): in the audit log. */
  readonly ackCleared = (
    rule: string,
    labels: Record<string, string>,
    ack: { by: string },
    reason: string,
  ): void => {
    this.writable?.audit.append('opsdeck', 'alert.unack', { rule, labels, ackedBy: ack.by, reason });
  };

  /**
   * Takes the live session's evaluation, loads the audit log and silences, restores the saved
   * instances and sweeps silences on `tickMs` from now on.
   */
  async start(alerts: LiveAlerts | null, tickMs: number): Promise<void> {
    this.alerts = alerts;
    const w = this.writable;
    if (!w) return;
    await w.audit.load();
    await w.table.load(w.silences);
    await alerts?.restore();
    this.sweepSilences();
    this.timer = setInterval(() => this.sweepSilences(), tickMs);
    this.timer.unref();
  }

  private need(): Writable & { alerts: LiveAlerts } {
    if (!this.writable || !this.alerts) throw new Error('the workspace is open read-only');
    return { ...this.writable, alerts: this.alerts };
  }

  /** Live alert instances now, and the newest live transitions from the store (newest first). */
  async now(limit: number): Promise<{ instances: AlertInstanceInfo[]; transitions: AlertTransitionInfo[] }> {
    await this.alerts?.writer.drain();
    const instances = (this.alerts?.instances() ?? []).map((i) => {
      const ack = this.alerts?.acks.get(i.rule, i.labels);
      return {
        ...i,
        value: Number.isFinite(i.value) ? i.value : null,
        acknowledged: ack !== undefined,
        acknowledgedBy: ack?.by ?? null,
        acknowledgedAt: ack?.at ?? null,
        ackComment: ack?.comment ?? '',
        silencedBy: this.silences?.silencedBy(alertLabels(i)) ?? [],
      };
    });
    const rows = await this.host.store.read(
      // `cause` through to_json: a file from before that column, opened read-only, has none.
      `SELECT epoch_us(ts)::DOUBLE / 1000, rule, labels::VARCHAR, from_state, state, value, severity, annotations::VARCHAR,
         to_json(t)->>'cause'
       FROM alert_transitions t WHERE mode = 'live' ORDER BY ts DESC LIMIT ${Math.trunc(limit)}`,
    );
    const transitions = rows.map(([ts, rule, labels, from, state, value, severity, annotations, cause]) => ({
      ts: ts as number,
      rule: rule as string,
      labels: JSON.parse(labels as string) as Record<string, string>,
      from: from as AlertTransitionInfo['from'],
      state: state as AlertTransitionInfo['state'],
      value: value as number | null,
      severity: severity as AlertTransitionInfo['severity'],
      annotations: JSON.parse(annotations as string) as Record<string, string>,
      cause: (cause as string | null) ?? null,
    }));
    return { instances, transitions };
  }

  /** Acknowledges a live instance (not normal or resolved) until it resolves. */
  ack(p: { rule: string; labels: Record<string, string>; actor: string; comment: string }): void {
    const { alerts, audit } = this.need();
    const key = AckBook.key(p.rule, p.labels);
    const inst = alerts.instances().find((i) => AckBook.key(i.rule, i.labels) === key);
    if (!inst) throw new Error(`ackAlert: no live instance of rule "${p.rule}" with these labels`);
    if (!ackable(inst.state)) throw new Error(`ackAlert: ${p.rule} is ${inst.state}: nothing to acknowledge`);
    alerts.acks.set(inst.rule, inst.labels, { by: p.actor, at: this.host.now(), comment: p.comment });
    audit.append(p.actor, 'alert.ack', {
      rule: inst.rule,
      labels: inst.labels,
      state: inst.state,
      comment: p.comment,
    });
  }

  unack(p: { rule: string; labels: Record<string, string>; actor: string }): void {
    const { alerts, audit } = this.need();
    const ack = alerts.acks.delete(p.rule, p.labels);
    if (!ack) throw new Error(`unackAlert: ${p.rule} with these labels is not acknowledged`);
    audit.append(p.actor, 'alert.unack', {
      rule: p.rule,
      labels: p.labels,
      ackedBy: ack.by,
      reason: 'by hand',
    });
  }

  async createSilence(p: {
    matchers: Silence['matchers'];
    startsAt?: number;
    endsAt: number;
    createdBy: string;
    comment: string;
  }): Promise<Silence & { status: SilenceStatus }> {
    const { audit, silences, table } = this.need();
    const now = this.host.now();
    const startsAt = p.startsAt ?? now;
    if (p.endsAt <= Math.max(startsAt, now)) throw new Error('createSilence: endsAt must be in the future');
    const silence: Silence = {
      id: newSilenceId(),
      matchers: p.matchers,
      startsAt,
      endsAt: p.endsAt,
      createdBy: p.createdBy,
      comment: p.comment,
      createdAt: now,
    };
    await table.insert(silence);
    silences.add(silence);
    audit.append(p.createdBy, 'silence.create', { ...silence });
    return { ...silence, status: silenceStatus(silence, now) };
  }

  async expireSilence(id: string, actor: string): Promise<void> {
    const { audit, silences, table, notifier } = this.need();
    if (!silences.get(id)) throw new Error(`expireSilence: no silence "${id}"`);
    const ended = silences.expire(id);
    if (!ended) throw new Error(`expireSilence: silence "${id}" has already expired`);
    await table.updateEnds(ended);
    audit.append(actor, 'silence.expire', { id, endsAt: ended.endsAt });
    notifier.resume();
  }

  silenceList(): (Silence & { status: SilenceStatus })[] {
    return this.silences?.list() ?? [];
  }

  /** Silences that ran out since the last look: in the audit log, and their alerts notify again. */
  private sweepSilences(): void {
    const w = this.writable;
    if (this.closed || !w) return;
    const expired = w.silences.sweep();
    for (const s of expired) w.audit.append('opsdeck', 'silence.expired', { id: s.id, endsAt: s.endsAt });
    if (expired.length > 0) w.notifier.resume();
  }

  async verifyAudit(): Promise<AuditVerdict> {
    // Read-only (no engine owns the workspace): the chain is checked on the file as it is.
    if (!this.writable) return verifyAuditChain(await readAuditRows(this.host.store));
    return this.writable.audit.verify();
  }

  /** Delivery status of each configured notifier. */
  notifierStatus(): NotifierStatus[] {
    return this.notifier?.status() ?? [];
  }

  /** Before the sources stop: an MQTT notifier publishes through one. */
  async closeNotifier(): Promise<void> {
    await this.notifier?.close();
  }

  /** After the session stopped: evaluation state saved, every write settled. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.alerts?.saveState();
    await this.alerts?.writer.drain();
    await this.alerts?.stateTable?.drain();
    await this.writable?.audit.drain();
  }
}
