// Alertmanager-style grouping and inhibition of notifications, on a fake engine clock: groupWait,
// groupInterval, repeatInterval (not for acknowledged or silenced alerts), resolved alerts in the
// group's next notification, and inhibition while a source alert fires.
import { describe, expect, it } from 'vitest';
import { AlertingSettings, AlertRule, type AlertState, type AlertTransition } from '../../shared/alerts';
import { AlertNotifier } from '../../electron/engine/alerts/notify/notifier';
import { alertmanagerPayload, type GroupNotification } from '../../electron/engine/alerts/notify/payload';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;

function fakeClock(start = 1_000_000) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(fn: () => void, ms: number): () => void {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return () => timers.delete(id);
    },
    /** Moves the clock on, running each timer at its time. */
    advance(ms: number): void {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

const rules = [
  AlertRule.parse({ id: 'hot', kind: 'threshold', channel: 'a/t', above: 5, notify: ['n'] }),
  AlertRule.parse({ id: 'down', kind: 'nodata', channel: 'a/t', after: '1m', notify: ['n'] }),
];

function setup(extra: Record<string, unknown> = {}) {
  const clock = fakeClock();
  const sent: GroupNotification[] = [];
  const silenced = new Set<string>();
  const acked = new Set<string>();
  const notifier = new AlertNotifier({
    now: clock.now,
    setTimer: clock.setTimer,
    version: 'test',
    publish: () => Promise.resolve(),
    notice: () => undefined,
    senderFor: () => async (g) => void sent.push(g),
    silenced: (labels) => silenced.has(labels['site'] ?? ''),
    acknowledged: (labels) => acked.has(labels['site'] ?? ''),
  });
  notifier.configure(
    rules,
    AlertingSettings.parse({
      notifiers: [{ id: 'n', kind: 'webhook', url: 'http://127.0.0.1:9/' }],
      ...extra,
    }),
  );
  const tr = (rule: string, site: string, from: AlertState, state: AlertState): void =>
    notifier.transition({
      ts: clock.now(),
      rule,
      labels: { site },
      from,
      state,
      value: 7,
      severity: 'warning',
      annotations: { summary: rule },
    } satisfies AlertTransition);
  const fire = (site: string, rule = 'hot') => tr(rule, site, 'pending', 'firing');
  const resolve = (site: string, rule = 'hot') => tr(rule, site, 'firing', 'resolved');
  let seen = 0;
  /** Each notification since the last call as "status: site:status, …". */
  const told = async () => {
    await notifier.drain();
    return sent
      .slice(seen, (seen = sent.length))
      .map((g) => `${g.status}: ${g.alerts.map((a) => `${a.labels['site']}:${a.status}`).join(',')}`);
  };
  return { clock, notifier, sent, silenced, acked, fire, resolve, told };
}

describe('notification grouping', () => {
  it('batches a group within groupWait, tells changes after groupInterval, repeats after repeatInterval', async () => {
    const { clock, fire, told, sent } = setup();
    fire('a');
    clock.advance(10 * S);
    fire('b');
    clock.advance(19 * S);
    expect(await told()).toEqual([]);
    clock.advance(1 * S); // groupWait (30 s) after the group appeared
    expect(await told()).toEqual(['firing: a:firing,b:firing']);
    const first = sent[0]!;
    expect(first).toMatchObject({ groupKey: '{}:{alertname="hot"}', groupLabels: { alertname: 'hot' } });
    const am = alertmanagerPayload(first, 'n');
    expect(am['commonLabels']).toEqual({ alertname: 'hot' });
    expect(am['commonAnnotations']).toEqual({ summary: 'hot' });
    expect(am['alerts']).toHaveLength(2);

    clock.advance(1 * M);
    fire('c');
    clock.advance(3 * M + 59 * S);
    expect(await told()).toEqual([]);
    clock.advance(1 * S); // groupInterval (5 m) after the last notification
    expect(await told()).toEqual(['firing: a:firing,b:firing,c:firing']);

    clock.advance(4 * H - 1);
    expect(await told()).toEqual([]);
    clock.advance(1);
    expect(await told()).toEqual(['firing: a:firing,b:firing,c:firing']);
  });

  it('sends a resolved alert with the next notification of its group, then forgets it', async () => {
    const { clock, fire, resolve, told } = setup();
    fire('a');
    fire('b');
    clock.advance(30 * S);
    expect(await told()).toEqual(['firing: a:firing,b:firing']);
    clock.advance(1 * M);
    resolve('a');
    clock.advance(4 * M);
    expect(await told()).toEqual(['firing: a:resolved,b:firing']);
    resolve('b');
    clock.advance(5 * M);
    expect(await told()).toEqual(['resolved: b:resolved']);
    clock.advance(5 * H);
    expect(await told()).toEqual([]);
  });

  it('groups per groupBy labels, and a notifier can override the grouping', async () => {
    const { clock, fire, told } = setup({ groupBy: ['site'], groupWait: '1s' });
    fire('a');
    fire('a', 'down');
    fire('b');
    clock.advance(1 * S);
    expect(await told()).toEqual(['firing: a:firing,a:firing', 'firing: b:firing']);

    const other = setup({
      notifiers: [{ id: 'n', kind: 'webhook', url: 'http://127.0.0.1:9/', groupBy: ['...'], groupWait: 0 }],
    });
    other.fire('a');
    other.fire('a', 'down');
    expect(await other.told()).toEqual(['firing: a:firing', 'firing: a:firing']);
    expect(other.notifier.status()[0]).toMatchObject({ delivered: 2 });
  });

  it('does not repeat acknowledged or silenced alerts', async () => {
    const { clock, fire, told, acked, silenced } = setup();
    fire('a');
    fire('b');
    clock.advance(30 * S);
    expect(await told()).toEqual(['firing: a:firing,b:firing']);
    acked.add('a');
    clock.advance(4 * H);
    expect(await told()).toEqual(['firing: b:firing']);
    silenced.add('b');
    clock.advance(4 * H);
    expect(await told()).toEqual([]);
    acked.delete('a');
    clock.advance(4 * H);
    expect(await told()).toEqual(['firing: a:firing']);
  });
});

describe('inhibition', () => {
  it('holds back a target while its source fires with equal labels, and releases it when the source resolves', async () => {
    const { clock, fire, resolve, told } = setup({
      groupWait: '10s',
      groupInterval: '1m',
      inhibit: [
        {
          sourceMatchers: [{ name: 'alertname', op: '=', value: 'down' }],
          targetMatchers: [{ name: 'alertname', op: '=', value: 'hot' }],
          equal: ['site'],
        },
      ],
    });
    fire('a', 'down');
    fire('a'); // inhibited: same site
    fire('b'); // another site: not inhibited
    clock.advance(10 * S);
    expect(await told()).toEqual(['firing: a:firing', 'firing: b:firing']);
    clock.advance(5 * M);
    expect(await told()).toEqual([]);

    resolve('a', 'down');
    clock.advance(1 * M);
    expect(await told()).toEqual(['resolved: a:resolved', 'firing: a:firing,b:firing']);
  });

  it('never tells the resolve of an alert that was inhibited throughout', async () => {
    const { clock, fire, resolve, told } = setup({
      groupWait: 0,
      groupInterval: 0,
      inhibit: [
        {
          sourceMatchers: [{ name: 'alertname', op: '=', value: 'down' }],
          targetMatchers: [{ name: 'alertname', op: '=', value: 'hot' }],
          equal: ['site'],
        },
      ],
    });
    fire('a', 'down');
    fire('a');
    clock.advance(1 * S);
    resolve('a');
    resolve('a', 'down');
    expect(await told()).toEqual(['firing: a:firing', 'resolved: a:resolved']);
  });
});
