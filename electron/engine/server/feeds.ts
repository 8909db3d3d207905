// What each subscription kind reads and what tells it to read again (shared/api.ts Subscriptions).
// Events where the engine has them (alert transitions, workspace changes); elsewhere a modest timer
// over memory the engine already holds, which costs no request and pushes only on change.
import type { SerialPortInfo } from '../../../shared/api';
import type { Engine } from '../engine';
import { anyOf, every, NOTHING_NEW, SubscriptionHub, type FeedFactories } from './subscriptions';

/** Topic counts and rates move every second on a busy source; the tree used to ask once a second. */
const TOPICS_WATCH_MS = 1_000;
/** New channels appear with their first sample; settings changes come as workspace events too. */
const CHANNELS_WATCH_MS = 1_000;
/** The browser shows each channel's last value; the console used to re-read the page every 3 s. */
const LAST_VALUES_WATCH_MS = 2_000;
/** A console shows traffic as it comes; the hub's coalescing caps the pushes at 4/s. */
const CONSOLE_WATCH_MS = 200;
/** Listing serial ports asks the OS (a directory scan on Linux): a plugged device shows within 3 s. */
const SERIAL_PORTS_WATCH_MS = 3_000;
/** Silences start and end on the clock, with no event; notifier retries likewise. */
const CLOCKED_STATE_WATCH_MS = 5_000;
const SPARKPLUG_WATCH_MS = 2_000;

const hubs = new WeakMap<Engine, SubscriptionHub>();

/** The one hub of an engine, shared by all its connections (so equal subscriptions share reads). */
export function subscriptionHub(engine: Engine): SubscriptionHub {
  let hub = hubs.get(engine);
  if (!hub) hubs.set(engine, (hub = new SubscriptionHub(engineFeeds(engine))));
  return hub;
}

function engineFeeds(engine: Engine): FeedFactories {
  const workspaceChanges = (changed: () => void) => engine.configChanges.on(changed);
  const transitions = (changed: () => void) => engine.alerts?.onTransition(changed) ?? (() => undefined);
  return {
    channels: (p) => ({
      read: () => engine.channelDirectory.byName(p.names),
      watch: anyOf(every(CHANNELS_WATCH_MS), workspaceChanges),
    }),
    browseChannels: (p) => ({
      read: () => engine.channelDirectory.browse(p),
      watch: anyOf(every(LAST_VALUES_WATCH_MS), workspaceChanges),
    }),
    topics: (p) => ({ read: () => engine.topics(p), watch: every(TOPICS_WATCH_MS) }),
    topicDetail: (p) => ({
      read: () => engine.topicDetail(p.source, p.topic),
      watch: every(TOPICS_WATCH_MS),
    }),
    sparkplugNodes: (p) => ({
      read: () => engine.sparkplugNodes(p.source),
      watch: every(SPARKPLUG_WATCH_MS),
    }),
    sourceConsole: (p) => {
      let after = p.after;
      let first = true;
      return {
        perSubscriber: true,
        read: () => {
          const result = engine.sourceConsole({ source: p.source, after, limit: p.limit });
          after = result.next;
          const news = first || result.chunks.length > 0 || result.truncated;
          first = false;
          return news ? result : NOTHING_NEW;
        },
        watch: every(CONSOLE_WATCH_MS),
      };
    },
    serialPorts: () => {
      // `ts` says when the list last changed, so an unchanged list reads as the same value.
      let last = { ts: 0, json: '' };
      return {
        read: async () => {
          const { ts, ports } = await engine.serialPorts();
          const json = JSON.stringify(ports);
          if (json !== last.json) last = { ts, json };
          return { ts: last.ts, ports: JSON.parse(last.json) as SerialPortInfo[] };
        },
        watch: every(SERIAL_PORTS_WATCH_MS),
      };
    },
    alerts: (p) => ({
      read: () => engine.alertsNow(p.limit),
      watch: anyOf(transitions, workspaceChanges, every(CLOCKED_STATE_WATCH_MS)),
    }),
    silences: () => ({ read: () => engine.silenceList(), watch: every(CLOCKED_STATE_WATCH_MS) }),
    notifiers: () => ({
      read: () => engine.notifierStatus(),
      watch: anyOf(transitions, workspaceChanges, every(CLOCKED_STATE_WATCH_MS)),
    }),
    // Every progress step is a change; the hub reads at most 4 times a second.
    jobs: () => ({ read: () => engine.jobs.list(), watch: (changed) => engine.jobs.onChange(changed) }),
    recordings: () => ({
      read: () => engine.recordings.list(),
      watch: (changed) => engine.recordings.onChange(changed),
    }),
    replay: (p) => ({
      read: () => engine.replay.state(p.id, p.limit),
      watch: (changed) => {
        try {
          return engine.replay.get(p.id).onChange(changed);
        } catch {
          return () => undefined; // closed already: the read says so
        }
      },
    }),
  };
}
