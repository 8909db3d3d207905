// Seeking and playing a stored capture: one hour of 100 channels at 10 Hz, generated in the
// workspace's DuckDB file. A seek answers each channel's value at that instant; playback at 10× on
// a hand-moved timer plays exactly the samples of the event time it covers through the replay
// session (its live view holds them), and stores nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { alertLookbackMs, Replay, type ReplayTimer } from '../../electron/engine/replay/controller';
import { AlertRule } from '../../shared/alerts';
import { connectInProcess } from '../../electron/engine/server/in-process';
import { tempDir, waitFor } from '../helpers/tmp';

const HOUR = 3_600_000;
/** Two hours ago, on the hour: recent enough that the workspace's retention keeps it. */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const CHANNELS = 100;
const PERIOD = 100; // 10 Hz
/** Channel k's value at sample i: both can be read back from a value. */
const valueOf = (k: number, i: number) => k * 1_000_000 + i;

/** A timer the test moves: `advance` runs the ticks that fall due. */
class FakeTimer implements ReplayTimer {
  private at = 0;
  private readonly ticks = new Set<{ ms: number; next: number; fn: () => void }>();
  now(): number {
    return this.at;
  }
  every(ms: number, fn: () => void): () => void {
    const t = { ms, next: this.at + ms, fn };
    this.ticks.add(t);
    return () => this.ticks.delete(t);
  }
  advance(ms: number): void {
    const end = this.at + ms;
    for (;;) {
      let due: { ms: number; next: number; fn: () => void } | undefined;
      for (const t of this.ticks) if (t.next <= end && (!due || t.next < due.next)) due = t;
      if (!due) break;
      this.at = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.at = end;
  }
}

describe('replay of a one-hour, 100-channel capture at 10 Hz', () => {
  const tmp = tempDir();
  let engine: Engine;
  const ids: number[] = [];
  let slow = 0;

  beforeAll(async () => {
    const dir = path.join(tmp.dir, 'ws');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'opsdeck.json'), JSON.stringify({ version: 1, sources: [] }));
    engine = await Engine.open(dir, { flushIntervalMs: 50 });
    const rig = engine.ingestContext('rig', 'test');
    for (let k = 0; k < CHANNELS; k++) ids.push(rig.channel(`ch${String(k).padStart(3, '0')}`));
    await engine.store.flush();
    // 36,000 samples a channel, written by DuckDB itself: channel k's i-th sample at T0 + i·100 ms.
    const values = ids.map((id, k) => `(${id}, ${k})`).join(',');
    await engine.store.write(
      `INSERT INTO samples SELECT make_timestamp((${T0}::BIGINT + i * ${PERIOD}) * 1000), c.id,
         c.k * 1000000 + i FROM range(0, ${HOUR / PERIOD}) r(i), (VALUES ${values}) c(id, k) ORDER BY i`,
      [],
    );
    // A slower channel of the same source, off the fast ones' grid: 1 Hz, 50 ms after each second.
    slow = rig.channel('slow');
    await engine.store.flush();
    await engine.store.write(
      `INSERT INTO samples SELECT make_timestamp((${T0}::BIGINT + 50 + j * 1000) * 1000), ${slow}, j
       FROM range(0, ${HOUR / 1000}) r(j)`,
      [],
    );
  });
  afterAll(async () => {
    await engine?.close();
    tmp.cleanup();
  });

  it("a seek answers every channel's value at that instant", async () => {
    for (const at of [T0, T0 + 1, T0 + 1_234_567, T0 + HOUR - 1]) {
      const frame = await engine.replay.frame({ at, channels: ids, lookbackMs: 60_000 });
      const i = Math.floor((at - T0) / PERIOD);
      expect(frame.values).toHaveLength(CHANNELS);
      expect(frame.values.map((v) => [v.channel, v.ts, v.value])).toEqual(
        ids.map((id, k) => [id, T0 + i * PERIOD, valueOf(k, i)]),
      );
    }
    // Before the capture there is nothing to show.
    expect((await engine.replay.frame({ at: T0 - 1, lookbackMs: 60_000 })).values).toEqual([]);
    // Only the channels asked for.
    const two = await engine.replay.frame({
      at: T0 + 5_000,
      channels: [ids[3]!, ids[7]!],
      lookbackMs: 1_000,
    });
    expect(two.values.map((v) => v.value)).toEqual([valueOf(3, 50), valueOf(7, 50)]);
  });

  it('plays at 10× as the timer moves: the cursor and the session follow event time', async () => {
    const timer = new FakeTimer();
    const rows = async () => Number((await engine.query('SELECT count(*) FROM samples')).rows[0]![0]);
    const storedBefore = await rows();
    const start = T0 + 600_000;
    const replay = new Replay(
      'test',
      {
        store: engine.store,
        openSession: (clock, rules) =>
          engine.replaySession(clock, rules, { resolveChannel: (n) => engine.store.knownChannels().get(n) }),
        rules: [],
        draftRules: false,
        timer,
        tickMs: 50,
      },
      { from: T0, to: T0 + HOUR },
      { speed: 10 },
    );
    try {
      await replay.seek(start);
      expect(replay.cursor).toBe(start);
      replay.play();
      // Each tick reads from the store; the next waits for it. Settle after each wall step.
      const step = async (ms: number) => {
        for (let t = 0; t < ms; t += 50) {
          timer.advance(50);
          await replay.advance(replay.cursor); // waits for the tick's read in flight
        }
      };
      await step(1_000);
      // One wall second at 10×: ten seconds of event time.
      expect(replay.cursor).toBe(start + 10_000);
      expect(replay.current.now()).toBe(start + 10_000);
      // Every sample from the seek instant on, through the cursor: 101 per channel.
      expect(replay.status().samples).toBe(CHANNELS * 101 + 10); // and the slow channel's 10
      const ring = replay.current.live.ring(ids[42]!)!;
      expect(ring.latest()).toBe(start + 10_000);
      expect(ring.v[(ring.written - 1) & (ring.capacity - 1)]).toBe(
        valueOf(42, (start + 10_000 - T0) / PERIOD),
      );

      await step(500);
      expect(replay.cursor).toBe(start + 15_000);
      replay.pause();
      timer.advance(1_000);
      await replay.advance(replay.cursor);
      expect(replay.cursor).toBe(start + 15_000); // paused: time passes, the cursor does not

      await replay.command({ action: 'speed', speed: 0.5 });
      replay.play();
      await step(2_000);
      expect(replay.cursor).toBe(start + 16_000);

      // A step plays a fixed slice of event time and leaves it paused.
      await replay.command({ action: 'step', ms: 100 });
      expect(replay.status().state).toBe('paused');
      expect(replay.cursor).toBe(start + 16_100);
      expect(replay.status().samples).toBe(CHANNELS * 162 + 17);

      // Seeking back starts a fresh session there.
      const before = replay.current;
      await replay.seek(T0 + 1_000);
      expect(before.isClosed).toBe(true);
      expect(replay.cursor).toBe(T0 + 1_000);
      expect(replay.status().samples).toBe(0);
    } finally {
      replay.close();
    }
    expect(await rows()).toBe(storedBefore); // nothing stored by the replay
  });

  it('a seek into a pending alert carries its state: it fires as when played from the start', async () => {
    // rig/ch000 counts up by one per sample: above 6,000 from T0 + 600.1 s, so a rule waiting 60 s
    // fires near T0 + 660 s. Seeking to T0 + 630 s lands 30 s into its wait.
    const rule = AlertRule.parse({
      id: 'count-high',
      kind: 'threshold',
      channel: 'rig/ch000',
      above: 6_000,
      for: '60s',
      lateness: 0,
    });
    expect(alertLookbackMs([rule])).toBe(60_000);
    const firings = async (seekTo: number | null): Promise<number[]> => {
      const replay = new Replay(
        'warm',
        {
          store: engine.store,
          openSession: (clock, rules) =>
            engine.replaySession(clock, rules, {
              resolveChannel: (n) => engine.store.knownChannels().get(n),
            }),
          rules: [rule],
          draftRules: true,
          timer: new FakeTimer(),
          channels: [ids[0]!],
        },
        { from: T0, to: T0 + HOUR },
      );
      try {
        if (seekTo !== null) {
          await replay.seek(seekTo);
          expect(replay.cursor).toBe(seekTo);
          expect(replay.transitions).toEqual([]); // pending since 600.1 s: before the cursor, not shown
        }
        await replay.advance(T0 + 680_000);
        return replay.transitions.filter((t) => t.state === 'firing').map((t) => t.ts);
      } finally {
        replay.close();
      }
    };
    const fromStart = await firings(null);
    expect(fromStart).toHaveLength(1);
    expect(fromStart[0]).toBeGreaterThanOrEqual(T0 + 660_100);
    // A fresh session at the cursor would wait the whole minute again: firing after T0 + 690 s.
    expect(await firings(T0 + 630_000)).toEqual(fromStart);
  });

  it('draws any range from DuckDB in min/max buckets, a bounded number per channel', async () => {
    const whole = await engine.series([ids[0]!, ids[99]!], T0, T0 + HOUR, 2_000);
    for (const [k, channel] of [0, 99].entries()) {
      const c = whole.channels[k]!;
      expect(c.t.length).toBeLessThanOrEqual(2_000);
      expect(c.t.length).toBeGreaterThan(1_900);
      // Buckets of 1.8 s: 18 samples each, their first and last index the min and the max.
      expect(c.min[0]).toBe(valueOf(channel, 0));
      expect(c.max[0]).toBe(valueOf(channel, 17));
      expect(c.max[c.max.length - 1]).toBe(valueOf(channel, HOUR / PERIOD - 1));
    }
  });

  it("aligns channels of different rates on the first one's times, within a tolerance", async () => {
    const aligned = await engine.replay.align({
      channels: ['rig/ch000', 'rig/slow'],
      from: T0,
      to: T0 + 1_200,
      toleranceMs: 500,
      maxRows: 10_000,
    });
    expect(aligned.columns).toEqual(['ts', 'rig/ch000', 'rig/slow']);
    expect(aligned.truncated).toBe(false);
    expect(aligned.rows.map((r) => r[2])).toEqual([null, 0, 0, 0, 0, 0, null, null, null, null, null, 1]);
    expect(aligned.rows.map((r) => r[0])).toEqual(Array.from({ length: 12 }, (_v, i) => T0 + i * PERIOD));
    // The same SQL exports every row (the SQL console's export path).
    const all = await engine.query(aligned.sql);
    expect(all.rows).toHaveLength(12);
    const capped = await engine.replay.align({
      channels: ['rig/slow', 'rig/ch001'],
      from: T0,
      to: T0 + HOUR,
      toleranceMs: 0,
      maxRows: 100,
    });
    expect(capped.truncated).toBe(true);
    expect(capped.rows).toHaveLength(100);
    // The slow channel's times (…050) fall between the fast one's (…000, …100): no exact match.
    expect(capped.rows.every((r) => r[2] === null)).toBe(true);
    await expect(
      engine.replay.align({
        channels: ['rig/ch000', 'rig/nope'],
        from: T0,
        to: T0 + 1,
        toleranceMs: 0,
        maxRows: 1,
      }),
    ).rejects.toThrow('align: no channel "rig/nope"');
  });

  it("the timeline counts each source's samples over the whole workspace", async () => {
    const timeline = await engine.replay.timeline({ buckets: 60 });
    expect(timeline.from).toBe(T0);
    const rig = timeline.lanes.find((l) => l.source === 'rig' && l.kind === 'samples')!;
    expect(rig.counts).toHaveLength(60);
    expect(rig.counts.reduce((a, b) => a + b, 0)).toBe(CHANNELS * (HOUR / PERIOD) + HOUR / 1000);
    expect(timeline.alerts).toEqual([]);
  });

  it('plays "as fast as possible" to the end of a range', async () => {
    const opened = await engine.replay.start({ from: T0, to: T0 + 120_000, speed: 'max', loop: false });
    const replay = engine.replay.get(opened.id);
    await replay.runToEnd();
    expect(replay.cursor).toBe(T0 + 120_000);
    expect(replay.status().samples).toBe(CHANNELS * 1_201 + 120);
    engine.replay.close(opened.id);
    expect(() => engine.replay.get(opened.id)).toThrow(/no replay/);
  });

  it('over the contract: a replay plays, pushes its cursor, and closes with its connection', async () => {
    const client = connectInProcess(engine);
    const opened = await client.call('replayOpen', { from: T0, to: T0 + 5_000, speed: 'max' });
    expect(opened).toMatchObject({ state: 'paused', cursor: T0, speed: 'max', draftRules: false });
    const pushed: number[] = [];
    client.subscribe(
      'replay',
      { id: opened.id },
      { data: (s) => pushed.push(s.cursor), error: () => undefined },
    );
    await client.call('replayControl', { id: opened.id, command: { action: 'play' } });
    await waitFor('the replay at its end', async () =>
      (await client.call('replayState', { id: opened.id })).state === 'ended' ? true : null,
    );
    await waitFor('the end pushed', () => pushed.includes(T0 + 5_000));
    await expect(
      client.call('replayControl', { id: opened.id, command: { action: 'speed', speed: 5_000 } }),
    ).rejects.toThrow(/speed/);
    const frame = await client.call('replayFrame', { at: T0 + 250, channels: [ids[1]!] });
    expect(frame.values).toEqual([{ channel: ids[1], ts: T0 + 200, value: valueOf(1, 2) }]);
    expect(engine.replay.list().map((r) => r.id)).toEqual([opened.id]);
    client.close();
    await waitFor('the replay closed with its connection', () => engine.replay.list().length === 0);
  });
});
