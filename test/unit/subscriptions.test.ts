// The subscription registry (electron/engine/server/subscriptions.ts): equal subscriptions share one
// feed, changes are coalesced while a push waits for its acknowledgement, nothing unchanged is
// pushed twice, and everything a connection subscribed ends when it closes.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TopicsResult } from '../../shared/api';
import {
  ConnectionSubscriptions,
  NOTHING_NEW,
  SubscriptionHub,
  type Feed,
  type FeedFactories,
  type Push,
} from '../../electron/engine/server/subscriptions';

/** A topics feed whose value and change signal the test drives; it counts reads and watchers. */
function topicsFeeds() {
  const state = { reads: 0, watching: 0, messages: 0, changed: [] as (() => void)[] };
  const topics = (): Feed<TopicsResult> => ({
    read: () => {
      state.reads++;
      return { totalTopics: 1, truncated: false, nodes: [node(state.messages)] };
    },
    watch: (changed) => {
      state.watching++;
      state.changed.push(changed);
      return () => {
        state.watching--;
        state.changed.splice(state.changed.indexOf(changed), 1);
      };
    },
  });
  const unused = () => {
    throw new Error('not in this test');
  };
  const factories = {
    topics,
    channels: unused,
    browseChannels: unused,
    topicDetail: unused,
    sparkplugNodes: unused,
    sourceConsole: unused,
    serialPorts: unused,
    alerts: unused,
    silences: unused,
    notifiers: unused,
    jobs: unused,
    recordings: unused,
    replay: unused,
  } as FeedFactories;
  return { state, factories, signal: () => state.changed.forEach((c) => c()) };
}

function node(messages: number): TopicsResult['nodes'][number] {
  return {
    topic: 'a',
    name: 'a',
    children: 0,
    messages,
    rate: 0,
    hasMessage: true,
    retained: false,
    lastSeen: null,
    decoder: null,
    preview: null,
  };
}

const messagesOf = (push: Push) => (push.ok ? (push.data as TopicsResult).nodes[0]!.messages : NaN);

afterEach(() => {
  vi.useRealTimers();
});

describe('subscription registry', () => {
  it('shares one feed between equal subscriptions, whatever the order of their params', async () => {
    vi.useFakeTimers();
    const { state, factories } = topicsFeeds();
    const hub = new SubscriptionHub(factories, { minIntervalMs: 100 });
    const a: Push[] = [];
    const b: Push[] = [];
    const one = hub.attach('topics', { source: 's', prefix: 'x', limit: 10 }, (p) => a.push(p));
    await vi.advanceTimersByTimeAsync(0);
    const two = hub.attach('topics', { limit: 10, prefix: 'x', source: 's' }, (p) => b.push(p));
    expect(hub.feedCount).toBe(1);
    expect(state.watching).toBe(1);
    expect(state.reads).toBe(1);
    // The second subscriber hears the current value at once, without another read.
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    hub.attach('topics', { source: 's', prefix: 'y' }, () => undefined);
    expect(hub.feedCount).toBe(2);
    one.detach();
    two.detach();
    expect(hub.feedCount).toBe(1);
  });

  it('refuses bad params with the field named', () => {
    const hub = new SubscriptionHub(topicsFeeds().factories);
    expect(() => hub.attach('topics', { prefix: 3 }, () => undefined)).toThrow(/subscribe topics: .*source/);
  });

  it('coalesces changes while a push waits for its acknowledgement, and pushes nothing unchanged', async () => {
    vi.useFakeTimers();
    const { state, factories, signal } = topicsFeeds();
    const hub = new SubscriptionHub(factories, { minIntervalMs: 100 });
    const pushes: Push[] = [];
    const sub = hub.attach('topics', { source: 's' }, (p) => pushes.push(p));
    await vi.advanceTimersByTimeAsync(0);
    expect(pushes.map(messagesOf)).toEqual([0]);

    // Three changes, no ack yet: the reads happen (at most one per interval) but nothing is sent.
    for (let i = 1; i <= 3; i++) {
      state.messages = i;
      signal();
      signal();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(pushes).toHaveLength(1);
    expect(state.reads).toBeLessThanOrEqual(4);
    // The ack releases only the newest value.
    sub.ack();
    expect(pushes.map(messagesOf)).toEqual([0, 3]);
    sub.ack();

    // Told of a change that changed nothing: read, not pushed.
    signal();
    await vi.advanceTimersByTimeAsync(100);
    expect(pushes).toHaveLength(2);
  });

  it('reads at most once per interval however often it is told of a change', async () => {
    vi.useFakeTimers();
    const { state, factories, signal } = topicsFeeds();
    const hub = new SubscriptionHub(factories, { minIntervalMs: 250 });
    const sub = hub.attach('topics', { source: 's' }, () => sub.ack());
    await vi.advanceTimersByTimeAsync(0);
    const before = state.reads;
    for (let i = 0; i < 100; i++) {
      state.messages++;
      signal();
      await vi.advanceTimersByTimeAsync(10); // 1 s in all
    }
    await vi.advanceTimersByTimeAsync(250);
    expect(state.reads - before).toBeLessThanOrEqual(5);
    expect(state.reads - before).toBeGreaterThanOrEqual(4);
  });

  it('pushes why there is no value when the read fails', async () => {
    vi.useFakeTimers();
    const { factories } = topicsFeeds();
    const hub = new SubscriptionHub({
      ...factories,
      topics: () => ({
        read: () => {
          throw new Error('source "s" is not running');
        },
        watch: () => () => undefined,
      }),
    });
    const pushes: Push[] = [];
    hub.attach('topics', { source: 's' }, (p) => pushes.push(p));
    await vi.advanceTimersByTimeAsync(0);
    expect(pushes).toEqual([{ ok: false, error: 'source "s" is not running' }]);
  });

  it('gives each subscriber of a stream its own feed, read only when it can take a push', async () => {
    vi.useFakeTimers();
    const { factories } = topicsFeeds();
    let next = 0;
    /** Reads of each feed, in the order the feeds were made. */
    const reads: number[] = [];
    const hub = new SubscriptionHub(
      {
        ...factories,
        sourceConsole: () => {
          let after = 0;
          const feed = reads.push(0) - 1;
          return {
            perSubscriber: true,
            read: () => {
              reads[feed]!++;
              if (after === next) return NOTHING_NEW;
              const chunks = [];
              for (let seq = after + 1; seq <= next; seq++)
                chunks.push({ seq, ts: 0, dir: 'rx' as const, bytes: 1, text: 'x', hex: null });
              after = next;
              return { chunks, next, truncated: false };
            },
            watch: (changed) => {
              const timer = setInterval(changed, 50);
              return () => clearInterval(timer);
            },
          };
        },
      },
      { minIntervalMs: 50 },
    );
    const seen: number[][] = [];
    const sub = hub.attach('sourceConsole', { source: 'dev' }, (p) =>
      seen.push(p.ok ? (p.data as { chunks: { seq: number }[] }).chunks.map((c) => c.seq) : []),
    );
    // Another console on the same device, which acknowledges every push.
    const other: { ack(): void } = hub.attach('sourceConsole', { source: 'dev' }, () =>
      queueMicrotask(() => other.ack()),
    );
    expect(hub.feedCount).toBe(2);
    next = 2;
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual([[1, 2]]);
    // Not acknowledged: nothing is read for it, so nothing is lost meanwhile.
    const readsBefore = reads[0];
    next = 5;
    await vi.advanceTimersByTimeAsync(500);
    expect(reads[0]).toBe(readsBefore);
    expect(reads[1]).toBeGreaterThan(2); // the other subscriber's feed goes on being read
    expect(seen).toEqual([[1, 2]]);
    sub.ack();
    await vi.advanceTimersByTimeAsync(100);
    expect(seen).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('ends every subscription of a connection when it closes, and replaces one by its id', async () => {
    vi.useFakeTimers();
    const { state, factories } = topicsFeeds();
    const hub = new SubscriptionHub(factories);
    const sent: string[] = [];
    const connection = new ConnectionSubscriptions(hub, (id) => sent.push(id));
    connection.subscribe('s1', 'topics', { source: 's' });
    connection.subscribe('s2', 'topics', { source: 's', prefix: 'a' });
    connection.subscribe('s2', 'topics', { source: 's', prefix: 'b' });
    expect(connection.size).toBe(2);
    expect(hub.feedCount).toBe(2);
    expect(state.watching).toBe(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.sort()).toEqual(['s1', 's2']);
    connection.unsubscribe('nope'); // unknown: no error
    connection.close();
    expect(hub.feedCount).toBe(0);
    expect(state.watching).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
