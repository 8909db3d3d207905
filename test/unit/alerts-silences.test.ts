// Silence matchers (Alertmanager semantics, regex anchoring), the audit hash chain and tampering,
// and a silence that ends mid-incident with a fake clock: notifications resume after it.
import { describe, expect, it } from 'vitest';
import type { AlertingSettings, AlertRule, AlertTransition } from '../../shared/alerts';
import { AlertRule as AlertRuleSchema, AlertingSettings as SettingsSchema } from '../../shared/alerts';
import { compileMatcher, compileMatchers, SilenceMatchers, type Matcher } from '../../shared/silences';
import { auditHash, GENESIS_HASH, verifyAuditChain, type AuditRow } from '../../electron/engine/alerts/audit';
import { AlertNotifier } from '../../electron/engine/alerts/notify/notifier';
import type { AlertNotification } from '../../electron/engine/alerts/notify/payload';
import { AckBook, SilenceBook } from '../../electron/engine/alerts/silences';

const m = (name: string, op: Matcher['op'], value: string) => compileMatcher({ name, op, value });

describe('silence matchers', () => {
  it('= and != compare exactly; a missing label is the empty string', () => {
    expect(m('site', '=', 'lab')({ site: 'lab' })).toBe(true);
    expect(m('site', '=', 'lab')({ site: 'lab1' })).toBe(false);
    expect(m('site', '!=', 'lab')({ site: 'lab1' })).toBe(true);
    expect(m('site', '!=', 'lab')({})).toBe(true);
    expect(m('site', '=', '')({})).toBe(true);
  });

  it('regular expressions are anchored at both ends, like Alertmanager', () => {
    expect(m('site', '=~', 'lab')({ site: 'mylab1' })).toBe(false);
    expect(m('site', '=~', 'lab.*')({ site: 'lab1' })).toBe(true);
    expect(m('site', '=~', 'lab|office')({ site: 'office' })).toBe(true);
    expect(m('site', '=~', 'lab|office')({ site: 'labx' })).toBe(false);
    expect(m('site', '!~', 'lab.*')({ site: 'lab2' })).toBe(false);
    expect(m('site', '!~', 'lab.*')({ site: 'x-lab' })).toBe(true);
    expect(m('site', '=~', '.*')({})).toBe(true);
  });

  it('all matchers must hold, alertname included', () => {
    const f = compileMatchers([
      { name: 'alertname', op: '=', value: 'hot' },
      { name: 'site', op: '=~', value: 'lab[0-9]' },
    ]);
    expect(f({ alertname: 'hot', site: 'lab1' })).toBe(true);
    expect(f({ alertname: 'cold', site: 'lab1' })).toBe(false);
  });

  it('refuses bad regexes and silences that match everything', () => {
    expect(SilenceMatchers.safeParse([{ name: 'a', op: '=~', value: '(' }]).success).toBe(false);
    expect(SilenceMatchers.safeParse([{ name: 'a', op: '=~', value: '.*' }]).success).toBe(false);
    expect(SilenceMatchers.safeParse([]).success).toBe(false);
    expect(SilenceMatchers.safeParse([{ name: 'alertname', op: '=', value: 'hot' }]).success).toBe(true);
  });
});

function chain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = {
      seq,
      ts: 1_700_000_000_000 + seq,
      actor: 'ann',
      action: 'alert.ack',
      detail: { seq, b: [1, { z: 1, a: 2 }] },
    };
    const row = { ...base, prevHash: prev, hash: auditHash(prev, base) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}

describe('audit chain', () => {
  it('verifies an intact chain, whatever the key order of the detail', () => {
    const rows = chain(5);
    expect(verifyAuditChain(rows)).toEqual({ ok: true, count: 5 });
    rows[2] = { ...rows[2]!, detail: { b: [1, { a: 2, z: 1 }], seq: 3 } };
    expect(verifyAuditChain(rows).ok).toBe(true);
  });

  it('names the first broken seq when a row is edited, deleted or re-hashed', () => {
    const edited = chain(5);
    edited[2] = { ...edited[2]!, actor: 'mallory' };
    expect(verifyAuditChain(edited)).toMatchObject({ ok: false, brokenSeq: 3 });

    const deleted = chain(5).filter((r) => r.seq !== 2);
    expect(verifyAuditChain(deleted)).toMatchObject({ ok: false, brokenSeq: 2 });

    // Edited and its own hash recomputed: the next row's prev_hash no longer matches.
    const rehashed = chain(5);
    const forged = { ...rehashed[1]!, action: 'silence.create' };
    rehashed[1] = { ...forged, hash: auditHash(forged.prevHash, forged) };
    expect(verifyAuditChain(rehashed)).toMatchObject({ ok: false, brokenSeq: 3 });

    const truncatedStart = chain(3).slice(1);
    expect(verifyAuditChain(truncatedStart)).toMatchObject({ ok: false, brokenSeq: 1 });
  });
});

describe('acks', () => {
  it('last until the instance resolves', () => {
    const acks = new AckBook();
    acks.set('hot', { site: 'lab' }, { by: 'ann', at: 1, comment: '' });
    const t = (state: AlertTransition['state']) =>
      ({
        ts: 0,
        rule: 'hot',
        labels: { site: 'lab' },
        from: 'firing',
        state,
        value: 1,
        severity: 'warning',
        annotations: {},
      }) as AlertTransition;
    expect(acks.onTransition(t('recovering'))).toBeNull();
    expect(acks.get('hot', { site: 'lab' })?.by).toBe('ann');
    expect(acks.onTransition(t('resolved'))?.by).toBe('ann');
    expect(acks.get('hot', { site: 'lab' })).toBeUndefined();
  });
});

describe('a silence ending mid-incident', () => {
  const rule: AlertRule = AlertRuleSchema.parse({
    id: 'hot',
    kind: 'threshold',
    channel: 'c',
    above: 1,
    notify: ['n'],
  });
  const settings: AlertingSettings = SettingsSchema.parse({
    groupWait: 0,
    groupInterval: 0,
    notifiers: [{ id: 'n', kind: 'webhook', url: 'http://127.0.0.1:9/', attempts: 1 }],
  });

  function setup() {
    let clock = 1_000_000;
    const sent: AlertNotification['status'][] = [];
    const silences = new SilenceBook(() => clock);
    const notifier = new AlertNotifier({
      now: () => clock,
      notice: () => undefined,
      publish: () => Promise.resolve(),
      version: 'test',
      senderFor: () => async (n) => void sent.push(n.status),
      silenced: (labels) => silences.silencedBy(labels).length > 0,
    });
    notifier.configure([rule], settings);
    silences.add({
      id: 's1',
      matchers: [{ name: 'alertname', op: '=', value: 'hot' }],
      startsAt: clock,
      endsAt: clock + 60_000,
      createdBy: 'ann',
      comment: '',
      createdAt: clock,
    });
    const tr = (from: AlertTransition['state'], state: AlertTransition['state']): AlertTransition => ({
      ts: clock,
      rule: 'hot',
      labels: {},
      from,
      state,
      value: 2,
      severity: 'warning',
      annotations: {},
    });
    return { notifier, silences, sent, tr, advance: (ms: number) => (clock += ms) };
  }

  it('suppresses firing and its resolve while silenced, then notifies transitions after expiry', async () => {
    const { notifier, sent, tr, advance } = setup();
    notifier.transition(tr('pending', 'firing'));
    advance(10_000);
    notifier.transition(tr('firing', 'resolved'));
    await notifier.drain();
    expect(sent).toEqual([]);

    advance(60_000); // the silence has ended
    notifier.transition(tr('pending', 'firing'));
    advance(1_000);
    notifier.transition(tr('firing', 'resolved'));
    await notifier.drain();
    expect(sent).toEqual(['firing', 'resolved']);
  });

  it('sends a still-firing alert when its silence runs out, and its resolve later', async () => {
    const { notifier, silences, sent, tr, advance } = setup();
    notifier.transition(tr('pending', 'firing'));
    advance(30_000);
    notifier.resume(); // nothing ran out yet
    await notifier.drain();
    expect(sent).toEqual([]);

    advance(31_000);
    expect(silences.sweep().map((s) => s.id)).toEqual(['s1']);
    expect(silences.sweep()).toEqual([]); // each expiry reported once
    notifier.resume();
    await notifier.drain();
    expect(sent).toEqual(['firing']);
    notifier.transition(tr('firing', 'resolved'));
    await notifier.drain();
    expect(sent).toEqual(['firing', 'resolved']);
  });

  it('a resolve after expiry without a sweep in between still tells the whole story', async () => {
    const { notifier, sent, tr, advance } = setup();
    notifier.transition(tr('pending', 'firing'));
    advance(61_000);
    notifier.transition(tr('firing', 'resolved'));
    await notifier.drain();
    expect(sent).toEqual(['firing', 'resolved']);
  });
});
