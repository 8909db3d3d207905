// What a notifier sends: a group of alert instances firing or resolved, as the Alertmanager webhook
// payload (version 4, one per group), or per alert as OpsDeck's own JSON or syslog lines (RFC 5424,
// text or CEF).
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { AlertState, AlertTransition } from '../../../../shared/alerts';

/** One notification: an alert instance that started firing, or stopped. */
export interface AlertNotification {
  status: 'firing' | 'resolved';
  rule: string;
  /** Identity: `alertname` (the rule id) and the instance labels. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  severity: AlertTransition['severity'];
  /** The evaluator state that caused it (firing; resolved, normal, nodata or error). */
  state: AlertState;
  value: number;
  /** Epoch ms the instance started firing. */
  startsAt: number;
  /** Epoch ms it resolved; null while firing. */
  endsAt: number | null;
  fingerprint: string;
}

/** Stable id of an instance: a hash of its sorted labels (alertname included), 16 hex digits. */
export function fingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function alertLabels(t: Pick<AlertTransition, 'rule' | 'labels'>): Record<string, string> {
  return { alertname: t.rule, ...t.labels };
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Alertmanager's "not resolved yet" (Go's zero time). */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function opsdeckPayload(n: AlertNotification, receiver: string): Record<string, unknown> {
  return {
    version: 1,
    generator: 'opsdeck',
    receiver,
    status: n.status,
    rule: n.rule,
    state: n.state,
    severity: n.severity,
    labels: n.labels,
    annotations: n.annotations,
    value: Number.isFinite(n.value) ? n.value : null,
    startsAt: iso(n.startsAt),
    endsAt: n.endsAt === null ? null : iso(n.endsAt),
    fingerprint: n.fingerprint,
  };
}

const labelSet = (labels: Record<string, string>) =>
  `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`;

/** One notification of an aggregation group: its alerts firing now and those resolved since the last. */
export interface GroupNotification {
  /** Firing when any of its alerts fires. */
  status: 'firing' | 'resolved';
  /** Alertmanager's group key: the route (`{}`, there is one) and the group labels. */
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: AlertNotification[];
}

/** The labels (or annotations) every one of these sets has, with the same value. */
function common(sets: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  const out: Record<string, string> = {};
  if (!first) return out;
  for (const [k, v] of Object.entries(first)) if (rest.every((s) => s[k] === v)) out[k] = v;
  return out;
}

/** Group labels of an alert: the `groupBy` labels it has (all of them for `...`). */
export function groupLabelsOf(
  labels: Record<string, string>,
  groupBy: readonly string[],
): Record<string, string> {
  if (groupBy.includes('...')) return { ...labels };
  const out: Record<string, string> = {};
  for (const k of groupBy) if (labels[k] !== undefined) out[k] = labels[k];
  return out;
}

export function groupKeyOf(groupLabels: Record<string, string>): string {
  return `{}:${labelSet(groupLabels)}`;
}

/** A group of one alert, grouped by alertname (what a single notification is outside a group). */
export function singleGroup(n: AlertNotification): GroupNotification {
  const groupLabels = { alertname: n.rule };
  return { status: n.status, groupKey: groupKeyOf(groupLabels), groupLabels, alerts: [n] };
}

/** Alertmanager webhook payload v4 for one group notification (or a group of one alert). */
export function alertmanagerPayload(
  g: GroupNotification | AlertNotification,
  receiver: string,
): Record<string, unknown> {
  const group = 'alerts' in g ? g : singleGroup(g);
  return {
    version: '4',
    groupKey: group.groupKey,
    truncatedAlerts: 0,
    status: group.status,
    receiver,
    groupLabels: group.groupLabels,
    commonLabels: common(group.alerts.map((a) => a.labels)),
    commonAnnotations: common(group.alerts.map((a) => a.annotations)),
    externalURL: '',
    alerts: group.alerts.map((n) => ({
      status: n.status,
      labels: n.labels,
      annotations: n.annotations,
      startsAt: iso(n.startsAt),
      endsAt: n.endsAt === null ? ZERO_TIME : iso(n.endsAt),
      generatorURL: '',
      fingerprint: n.fingerprint,
    })),
  };
}

// ---- syslog ------------------------------------------------------------------------------------

/** Syslog severity: critical 2 (crit), warning 4, info 6; a resolution is 5 (notice). */
function syslogSeverity(n: AlertNotification): number {
  if (n.status === 'resolved') return 5;
  return n.severity === 'critical' ? 2 : n.severity === 'warning' ? 4 : 6;
}

/** PRINTUSASCII without spaces, as RFC 5424 header fields must be; "-" when nothing is left. */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

const cefHeader = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
const cefValue = (s: string) =>
  s.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');

export function cefMessage(n: AlertNotification, version: string): string {
  const severity =
    n.status === 'resolved' ? 1 : n.severity === 'critical' ? 10 : n.severity === 'warning' ? 6 : 3;
  const name = n.annotations['summary'] ?? `${n.rule} ${n.status}`;
  const ext: [string, string][] = [
    ['rt', String(n.endsAt ?? n.startsAt)],
    ['act', n.status],
    ['outcome', n.state],
    ['cs1Label', 'fingerprint'],
    ['cs1', n.fingerprint],
    ['cs2Label', 'labels'],
    ['cs2', JSON.stringify(n.labels)],
  ];
  if (Number.isFinite(n.value)) ext.push(['cfp1Label', 'value'], ['cfp1', String(n.value)]);
  if (n.annotations['description']) ext.push(['msg', n.annotations['description']]);
  return (
    ['CEF:0', 'OpsDeck', 'OpsDeck', version, n.rule, name, String(severity)].map(cefHeader).join('|') +
    '|' +
    ext.map(([k, v]) => `${k}=${cefValue(v)}`).join(' ')
  );
}

export function textMessage(n: AlertNotification): string {
  const summary = n.annotations['summary'] ?? (Number.isFinite(n.value) ? `value ${n.value}` : n.state);
  return `alert ${n.rule} ${n.status}: ${summary} ${labelSet(n.labels)} fingerprint=${n.fingerprint}`;
}

/** One RFC 5424 message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG (MSG in UTF-8 with BOM). */
export function syslogLine(
  n: AlertNotification,
  options: { facility: number; format: 'text' | 'cef'; now: number; version: string },
): string {
  const pri = options.facility * 8 + syslogSeverity(n);
  const header = [
    `<${pri}>1`,
    new Date(options.now).toISOString(),
    headerField(os.hostname(), 255),
    'opsdeck',
    headerField(String(process.pid), 128),
    n.status === 'firing' ? 'alert-firing' : 'alert-resolved',
    '-',
  ].join(' ');
  const msg = options.format === 'cef' ? cefMessage(n, options.version) : textMessage(n);
  return `${header} \ufeff${msg}`;
}
