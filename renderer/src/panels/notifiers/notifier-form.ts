// The notifier editor's form as plain strings, and the configuration it makes. Fields the form does
// not show (headers, grouping, backoff) are kept from the notifier being edited.
import { NotifierConfig, type NotifierConfig as Notifier } from '../../../../shared/alerts';
import { plainIssue } from '../alerts/rule-words';

export type NotifierKind = Notifier['kind'];
export const NOTIFIER_KINDS: { kind: NotifierKind; label: string }[] = [
  { kind: 'webhook', label: 'Webhook (HTTP POST)' },
  { kind: 'mqtt', label: 'MQTT message' },
  { kind: 'kafka', label: 'Kafka message' },
  { kind: 'syslog', label: 'Syslog (RFC 5424)' },
  { kind: 'command', label: 'Command (runs a program)' },
];

export interface NotifierForm {
  kind: NotifierKind;
  id: string;
  attempts: string;
  sendResolved: boolean;
  url: string;
  format: string;
  source: string;
  topic: string;
  qos: string;
  host: string;
  port: string;
  transport: string;
  /** One argument per line. */
  argv: string;
  enabled: boolean;
}

export const FIELD_LABELS: Record<string, string> = {
  id: 'Name',
  attempts: 'Attempts',
  url: 'URL',
  format: 'Format',
  source: 'MQTT source',
  topic: 'Topic',
  qos: 'QoS',
  host: 'Host',
  port: 'Port',
  transport: 'Transport',
  argv: 'Command',
};

export function formOf(n: Notifier | null, suggestedId: string): NotifierForm {
  return {
    kind: n?.kind ?? 'webhook',
    id: n?.id ?? suggestedId,
    attempts: String(n?.attempts ?? 4),
    sendResolved: n?.sendResolved ?? true,
    url: n?.kind === 'webhook' ? n.url : '',
    format: n && 'format' in n ? n.format : 'opsdeck',
    source: n?.kind === 'mqtt' || n?.kind === 'kafka' ? n.source : '',
    topic: n?.kind === 'mqtt' || n?.kind === 'kafka' ? n.topic : 'opsdeck/alerts',
    qos: n?.kind === 'mqtt' ? String(n.qos) : '1',
    host: n?.kind === 'syslog' ? n.host : '',
    port: n?.kind === 'syslog' ? String(n.port) : '514',
    transport: n?.kind === 'syslog' ? n.transport : 'udp',
    argv: n?.kind === 'command' ? n.argv.join('\n') : '',
    enabled: n?.kind === 'command' ? n.enabled : false,
  };
}

const num = (text: string): number | string => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text);

/** The configuration the form makes, on top of what `base` has that the form does not show. */
export function notifierFrom(form: NotifierForm, base: Notifier | null): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (base)
    for (const key of ['groupBy', 'groupWait', 'groupInterval', 'repeatInterval', 'backoffMs', 'timeoutMs'])
      if ((base as Record<string, unknown>)[key] !== undefined)
        kept[key] = (base as Record<string, unknown>)[key];
  if (base?.kind === 'webhook' && form.kind === 'webhook') kept['headers'] = base.headers;
  const common = {
    ...kept,
    id: form.id.trim(),
    attempts: num(form.attempts),
    sendResolved: form.sendResolved,
  };
  switch (form.kind) {
    case 'webhook':
      return {
        ...common,
        kind: 'webhook',
        url: form.url.trim(),
        format: form.format === 'alertmanager' ? 'alertmanager' : 'opsdeck',
      };
    case 'mqtt':
      return { ...common, kind: 'mqtt', source: form.source, topic: form.topic, qos: num(form.qos) };
    case 'kafka':
      return { ...common, kind: 'kafka', source: form.source, topic: form.topic };
    case 'syslog':
      return {
        ...common,
        kind: 'syslog',
        host: form.host.trim(),
        port: num(form.port),
        transport: form.transport,
        format: form.format === 'cef' ? 'cef' : 'text',
      };
    case 'command':
      return {
        ...common,
        kind: 'command',
        argv: form.argv
          .split('\n')
          .map((a) => a.trim())
          .filter(Boolean),
        enabled: form.enabled,
      };
  }
}

/** The configuration, or what is wrong with each field in words. */
export function checkNotifier(
  candidate: Record<string, unknown>,
  takenIds: readonly string[],
): { notifier: Notifier | null; errors: Map<string, string> } {
  const errors = new Map<string, string>();
  const parsed = NotifierConfig.safeParse(candidate);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '');
      if (!errors.has(key)) errors.set(key, plainIssue(issue, FIELD_LABELS[key] ?? key));
    }
  if (takenIds.includes(String(candidate['id']))) errors.set('id', 'another notifier has this name');
  return { notifier: parsed.success && errors.size === 0 ? parsed.data : null, errors };
}
