// A replay session beside the live one, in one process: the replay runs the workspace's rules on a
// virtual clock, storing nothing and notifying nobody; the live engine keeps storing (rows in the
// DuckDB file) and notifying (a webhook on 127.0.0.1). Each session's transitions and notices carry
// its own clock.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../shared/alerts';
import { Engine } from '../../electron/engine/engine';
import { VirtualClock } from '../../electron/engine/session/clock';
import type { Session } from '../../electron/engine/session/session';
import { tempDir, waitFor } from '../helpers/tmp';

let tmp: ReturnType<typeof tempDir>;
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  tmp?.cleanup();
});

/** The replay's recording: far from the wall clock, so a time says which clock made it. */
const REPLAY_START = Date.UTC(2001, 0, 1);
const HOUR = 3_600_000;

function samples(channel: number, t0: number, values: number[]) {
  return {
    n: values.length,
    ts: Float64Array.from(values, (_v, i) => t0 + i * 1_000),
    channel: Uint32Array.from(values, () => channel),
    value: Float64Array.from(values),
  };
}

describe('a replay session beside the live one', () => {
  let engine: Engine;
  let replay: Session;
  let clock: VirtualClock;
  const hooks: Record<string, unknown>[] = [];
  const liveTransitions: AlertTransition[] = [];
  const replayTransitions: AlertTransition[] = [];
  let wallStart = 0;
  let storedBeforeReplay = 0;

  async function storedRows(): Promise<number> {
    await engine.store.flush();
    const r = await engine.query('SELECT count(*)::DOUBLE FROM samples_v');
    return r.rows[0]![0] as number;
  }

  beforeAll(async () => {
    tmp = tempDir();
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const hookPort = (server.address() as { port: number }).port;

    const dir = path.join(tmp.dir, 'ws');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [],
        rules: [
          { id: 'hot', kind: 'threshold', channel: 'feed/temp', above: 5, lateness: 0, notify: ['hook'] },
          // An hour without data: the live engine never gets there in this test, the replay does.
          { id: 'quiet', kind: 'nodata', channel: 'feed/temp', after: HOUR, lateness: 0, notify: ['hook'] },
        ],
        alerting: {
          groupWait: 0,
          groupInterval: 0,
          notifiers: [{ id: 'hook', kind: 'webhook', url: `http://127.0.0.1:${hookPort}/`, backoffMs: 20 }],
        },
      }),
    );
    engine = await Engine.open(dir, { flushIntervalMs: 50 });
    closers.push(() => engine.close());
    engine.alerts!.onTransition((t) => liveTransitions.push(t));
    clock = new VirtualClock(REPLAY_START);
    replay = engine.replaySession(clock);
    closers.push(() => replay.close());
    replay.alerts!.onTransition((t) => replayTransitions.push(t));

    // Live: above 5, then below — fires and resolves, stored and posted.
    wallStart = Date.now();
    const feed = engine.ingestContext('feed', 'test');
    await feed.emitSamples(samples(feed.channel('temp'), wallStart - 10_000, [1, 7, 8, 2]));
    await waitFor('the live firing and resolved posted', () => hooks.length >= 2);
    storedBeforeReplay = await storedRows();

    // Replay: a recording from 2001 through the same rules, its clock moved by hand.
    const ch = replay.channelId('feed/temp');
    await replay.replay('recording', samples(ch, REPLAY_START - 10_000, [1, 7, 8, 9, 2]));
    clock.advance(1_000); // the threshold's held samples are due
    clock.advance(2 * HOUR); // silence: the nodata rule fires

    // Live again, after the replay: one more incident, so the webhook's posts are all in.
    await feed.emitSamples(samples(feed.channel('temp'), Date.now() - 2_000, [9, 1]));
    await waitFor('the second live incident posted', () => hooks.length >= 4);
    await engine.notifier!.drain();
  });

  it('the replay session evaluates the rules on its virtual clock', () => {
    const hot = replayTransitions.filter((t) => t.rule === 'hot').map((t) => [t.state, t.value]);
    expect(hot).toEqual([
      ['firing', 7],
      ['resolved', 2],
    ]);
    const quiet = replayTransitions.find((t) => t.rule === 'quiet' && t.state === 'firing');
    expect(quiet).toBeDefined();
    // The silence began an hour after the recording's last sample: virtual time, not the wall's.
    expect(quiet!.ts).toBeGreaterThan(REPLAY_START);
    expect(quiet!.ts).toBeLessThanOrEqual(clock.now());
    for (const t of replayTransitions) expect(t.ts).toBeLessThan(REPLAY_START + 3 * HOUR);
    const notice = replay.notices().find((n) => n.message.startsWith('alert quiet firing'));
    expect(notice?.ts).toBe(clock.now());
  });

  it('the live session sees the wall clock and only its own data', () => {
    expect(liveTransitions.filter((t) => t.rule === 'hot').map((t) => t.state)).toEqual([
      'firing',
      'resolved',
      'firing',
      'resolved',
    ]);
    for (const t of liveTransitions) expect(t.ts).toBeGreaterThan(wallStart - 60_000);
    expect(liveTransitions.some((t) => t.rule === 'quiet')).toBe(false);
    expect(engine.alerts!.instances().some((i) => i.rule === 'quiet' && i.state !== 'normal')).toBe(false);
    expect(engine.notices().some((n) => n.message.startsWith('alert quiet'))).toBe(false);
  });

  it('the live session stores, the replay session does not', async () => {
    expect(storedBeforeReplay).toBe(4);
    expect(await storedRows()).toBe(6); // the live session's second incident only
    await engine.alerts!.writer.drain();
    const r = await engine.query(
      `SELECT count(*)::DOUBLE, min(epoch_ms(ts))::DOUBLE FROM alert_transitions WHERE mode = 'live'`,
    );
    expect(r.rows[0]![0]).toBe(liveTransitions.length);
    expect(r.rows[0]![1] as number).toBeGreaterThan(wallStart - 60_000);
  });

  it('the live session notifies, the replay session does not', () => {
    expect(hooks.map((b) => [b['rule'], b['status']])).toEqual([
      ['hot', 'firing'],
      ['hot', 'resolved'],
      ['hot', 'firing'],
      ['hot', 'resolved'],
    ]);
    for (const b of hooks) expect(Date.parse(b['startsAt'] as string)).toBeGreaterThan(wallStart - 60_000);
  });

  it('closing the replay session leaves the live one running', async () => {
    replay.close();
    expect(() => replay.replay('recording', samples(1, REPLAY_START, [1]))).toThrow(/closed/);
    const feed = engine.ingestContext('feed', 'test');
    await feed.emitSamples(samples(feed.channel('temp'), Date.now(), [3]));
    expect(await storedRows()).toBe(7);
  });
});
