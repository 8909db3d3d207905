// Alert notifications without the network: which transitions notify, de-duplication, retries and
// the delivery status, and the payloads (Alertmanager v4, RFC 5424, CEF).
import { describe, expect, it } from 'vitest';
import {
  AlertingSettings,
  AlertRule,
  type AlertState,
  type AlertTransition,
  type NotifierConfig,
} from '../../shared/alerts';
import { AlertNotifier } from '../../electron/engine/alerts/notify/notifier';
import {
  alertmanagerPayload,
  cefMessage,
  fingerprint,
  syslogLine,
  type AlertNotification,
} from '../../electron/engine/alerts/notify/payload';
import { PermanentError } from '../../electron/engine/alerts/notify/senders';

const rule = AlertRule.parse({ id: 'hot', kind: 'threshold', channel: 'a/t', above: 5, notify: ['n1'] });

function tr(ts: number, from: AlertState, state: AlertState, labels = { site: 'lab' }): AlertTransition {
  return {
    ts,
    rule: 'hot',
    labels,
    from,
    state,
    value: 7,
    severity: 'warning',
    annotations: { summary: `at ${ts}` },
  };
}

function harness(fail: (n: AlertNotification, attempt: number) => Error | null = () => null) {
  const sent: AlertNotification[] = [];
  const notices: string[] = [];
  let attempt = 0;
  const notifier = new AlertNotifier({
    now: () => 1_000,
    version: 'test',
    publish: () => Promise.reject(new Error('no mqtt here')),
    notice: (_level, m) => notices.push(m),
    senderFor: () => async (g) => {
      const error = fail(g.alerts[0]!, ++attempt);
      if (error) throw error;
      sent.push(...g.alerts);
    },
  });
  const settings = (extra: Partial<NotifierConfig> = {}) =>
    AlertingSettings.parse({
      groupWait: 0,
      groupInterval: 0,
      notifiers: [{ id: 'n1', kind: 'webhook', url: 'http://127.0.0.1:9/', backoffMs: 0, ...extra }],
    });
  notifier.configure([rule], settings());
  return { notifier, sent, notices, settings };
}

describe('alert notifier', () => {
  it('notifies firing once and resolved once per instance; pending and recovering never', async () => {
    const { notifier, sent } = harness();
    notifier.transition(tr(1, 'normal', 'pending'));
    notifier.transition(tr(2, 'pending', 'firing'));
    notifier.transition(tr(3, 'firing', 'recovering'));
    notifier.transition(tr(4, 'recovering', 'firing'));
    notifier.transition(tr(5, 'firing', 'firing'));
    notifier.transition(tr(6, 'firing', 'resolved'));
    notifier.transition(tr(7, 'resolved', 'normal'));
    // another instance of the same rule is its own alert
    notifier.transition(tr(8, 'normal', 'firing', { site: 'b' }));
    notifier.transition(tr(9, 'firing', 'nodata', { site: 'b' }));
    await notifier.drain();
    expect(sent.map((n) => `${n.status}:${n.labels['site']}:${n.startsAt}:${n.endsAt}:${n.state}`)).toEqual([
      'firing:lab:2:null:firing',
      'resolved:lab:2:6:resolved',
      'firing:b:8:null:firing',
      'resolved:b:8:9:nodata',
    ]);
    expect(sent[0]!.fingerprint).toBe(sent[1]!.fingerprint);
    expect(sent[0]!.fingerprint).not.toBe(sent[2]!.fingerprint);
    expect(notifier.status()).toEqual([
      expect.objectContaining({ id: 'n1', ok: true, attempts: 1, delivered: 4, failed: 0, queued: 0 }),
    ]);
  });

  it('after a restart, a restored firing alert is not sent again but its resolve is', async () => {
    const { notifier, sent } = harness();
    notifier.restoreFiring('hot', { site: 'lab' }, 'warning', 2, 7);
    notifier.transition(tr(3, 'firing', 'firing'));
    notifier.transition(tr(6, 'firing', 'resolved'));
    await notifier.drain();
    expect(sent.map((n) => `${n.status}:${n.labels['site']}:${n.startsAt}:${n.endsAt}`)).toEqual([
      'resolved:lab:2:6',
    ]);
  });

  it('retries up to the attempts, then reports the notifier and the error', async () => {
    const { notifier, sent, notices } = harness((_n, attempt) =>
      attempt < 3 ? new Error(`boom ${attempt}`) : null,
    );
    notifier.configure(
      [rule],
      AlertingSettings.parse({
        groupWait: 0,
        groupInterval: 0,
        notifiers: [{ id: 'n1', kind: 'webhook', url: 'http://127.0.0.1:9/', backoffMs: 0, attempts: 2 }],
      }),
    );
    notifier.transition(tr(1, 'normal', 'firing'));
    await notifier.drain();
    expect(sent).toEqual([]);
    expect(notifier.status()[0]).toMatchObject({ ok: false, attempts: 2, error: 'boom 2', failed: 1 });
    expect(notices).toContain(
      'alerts: notifier n1 (webhook) could not deliver hot firing after 2 attempts: boom 2',
    );
    notifier.transition(tr(2, 'firing', 'resolved'));
    await notifier.drain();
    expect(sent.map((n) => n.status)).toEqual(['resolved']);
    expect(notifier.status()[0]).toMatchObject({ ok: true, attempts: 1, error: null, delivered: 1 });
  });

  it('does not retry a permanent error, and never says "undefined"', async () => {
    const { notifier, notices } = harness(() => new PermanentError(''));
    notifier.transition(tr(1, 'normal', 'firing'));
    await notifier.drain();
    expect(notifier.status()[0]).toMatchObject({ ok: false, attempts: 1 });
    expect(notices.join('\n')).not.toMatch(/undefined/);
    expect(notices.at(-1)).toMatch(
      /^alerts: notifier n1 \(webhook\) could not deliver hot firing after 1 attempt: \S/,
    );
  });

  it('keeps what fired when only the rules change (nothing sent twice), and warns of unknown notifiers', async () => {
    const { notifier, sent, notices, settings } = harness();
    notifier.transition(tr(1, 'normal', 'firing'));
    notifier.configure([{ ...rule, notify: ['n1', 'nope'] }], settings());
    await notifier.drain();
    expect(sent.map((n) => `${n.status}:${n.endsAt}`)).toEqual(['firing:null']);
    expect(notices).toContain('alerts: rule hot names notifier "nope", which is not configured');
    notifier.transition(tr(5, 'firing', 'resolved'));
    await notifier.drain();
    expect(sent.map((n) => `${n.status}:${n.endsAt}`)).toEqual(['firing:null', 'resolved:5']);
  });

  it('resolves what a changed notifier was told, then tells it afresh what still fires', async () => {
    const { notifier, sent, settings } = harness();
    notifier.transition(tr(1, 'normal', 'firing'));
    await notifier.drain();
    notifier.configure([rule], settings({ url: 'http://127.0.0.1:10/' }));
    await notifier.drain();
    await new Promise((r) => setTimeout(r, 10)); // groupWait 0: the new group's first flush
    await notifier.drain();
    expect(sent.map((n) => `${n.status}:${n.endsAt}`)).toEqual([
      'firing:null',
      'resolved:1000',
      'firing:null',
    ]);
  });

  it('skips resolved when sendResolved is off', async () => {
    const { notifier, sent, settings } = harness();
    notifier.configure([rule], settings({ sendResolved: false }));
    notifier.transition(tr(1, 'normal', 'firing'));
    notifier.transition(tr(2, 'firing', 'resolved'));
    await notifier.drain();
    expect(sent.map((n) => n.status)).toEqual(['firing']);
  });
});

const n: AlertNotification = {
  status: 'resolved',
  rule: 'hot',
  labels: { alertname: 'hot', site: 'lab' },
  annotations: { summary: 'a|b=c\\d' },
  severity: 'critical',
  state: 'resolved',
  value: 4.5,
  startsAt: Date.UTC(2030, 0, 1),
  endsAt: Date.UTC(2030, 0, 1, 0, 5),
  fingerprint: fingerprint({ alertname: 'hot', site: 'lab' }),
};

describe('notification payloads', () => {
  it('fingerprints label sets regardless of order', () => {
    expect(fingerprint({ b: '1', a: '2' })).toBe(fingerprint({ a: '2', b: '1' }));
    expect(fingerprint({ a: '1' })).not.toBe(fingerprint({ a: '2' }));
    expect(n.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('builds the Alertmanager webhook payload v4', () => {
    expect(alertmanagerPayload(n, 'am')).toEqual({
      version: '4',
      groupKey: '{}:{alertname="hot"}',
      truncatedAlerts: 0,
      status: 'resolved',
      receiver: 'am',
      groupLabels: { alertname: 'hot' },
      commonLabels: { alertname: 'hot', site: 'lab' },
      commonAnnotations: { summary: 'a|b=c\\d' },
      externalURL: '',
      alerts: [
        {
          status: 'resolved',
          labels: { alertname: 'hot', site: 'lab' },
          annotations: { summary: 'a|b=c\\d' },
          startsAt: '2030-01-01T00:00:00.000Z',
          endsAt: '2030-01-01T00:05:00.000Z',
          generatorURL: '',
          fingerprint: n.fingerprint,
        },
      ],
    });
    const firing = alertmanagerPayload({ ...n, status: 'firing', endsAt: null }, 'am');
    expect((firing['alerts'] as { endsAt: string }[])[0]!.endsAt).toBe('0001-01-01T00:00:00Z');
  });

  it('writes RFC 5424 lines, with CEF escaped', () => {
    const line = syslogLine(
      { ...n, status: 'firing' },
      { facility: 16, format: 'text', now: n.startsAt, version: '1' },
    );
    expect(line).toMatch(
      /^<130>1 2030-01-01T00:00:00\.000Z \S+ opsdeck \d+ alert-firing - \ufeffalert hot firing: a\|b=c\\d /,
    );
    expect(syslogLine(n, { facility: 1, format: 'text', now: 0, version: '1' })).toMatch(/^<13>1 /);
    expect(cefMessage(n, '0.1.0')).toBe(
      'CEF:0|OpsDeck|OpsDeck|0.1.0|hot|a\\|b=c\\\\d|1|rt=1893456300000 act=resolved outcome=resolved ' +
        `cs1Label=fingerprint cs1=${n.fingerprint} cs2Label=labels cs2={"alertname":"hot","site":"lab"} ` +
        'cfp1Label=value cfp1=4.5',
    );
  });
});
