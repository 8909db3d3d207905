// The push side of the contract (shared/api.ts `Subscriptions`): a console subscribes once and the
// engine pushes what changed, instead of the console asking every second.
//
// A `Feed` is one kind of data with its params bound: how to read it now, and what tells it that
// it may have changed (an event, or a modest timer over memory the engine already holds). The hub
// shares one feed among every subscriber with the same kind and params (two consoles on one topic
// level read it once), reads it at most once per `minIntervalMs` however often it is told of a
// change, and pushes only a value that differs from the last one pushed. Each subscriber has at most
// one push waiting for its acknowledgement; changes meanwhile are coalesced into the newest value.
import {
  Subscriptions,
  type ParsedSubscriptionParams,
  type SubscriptionData,
  type SubscriptionKind,
} from '../../../shared/api';
import { describeZodError } from '../../../shared/schemas';

export interface Feed<T> {
  /** The value now; a throw is pushed to the subscribers as the reason there is none. */
  read(): T | Promise<T>;
  /** Calls `changed` whenever the value may have changed; returns how to stop. */
  watch(changed: () => void): () => void;
  /**
   * Each subscriber gets its own feed and `read` returns what is new since its last read
   * (`NOTHING_NEW` when nothing is): a stream such as a source console, not a state.
   */
  perSubscriber?: boolean;
}

/** Returned by a per-subscriber feed's `read` when there is nothing to push. */
export const NOTHING_NEW: unique symbol = Symbol('nothing new');

/** How each kind is produced: the compiler refuses a kind without a feed, or one of the wrong type. */
export type FeedFactories = {
  [K in SubscriptionKind]: (
    params: ParsedSubscriptionParams<K>,
  ) => Feed<SubscriptionData<K> | typeof NOTHING_NEW>;
};

export type Push = { ok: true; data: unknown } | { ok: false; error: string };

/** Where a subscriber's pushes go (one subscription of one connection). */
export type PushSink = (push: Push) => void;

/** Reads per feed at most this often, whatever its change signals say: 4 pushes/s is live to a person. */
const MIN_INTERVAL_MS = 250;

class Subscriber {
  private awaitingAck = false;
  private pending: Push | null = null;

  constructor(
    readonly entry: FeedEntry,
    private readonly sink: PushSink,
  ) {}

  get ready(): boolean {
    return !this.awaitingAck;
  }

  deliver(push: Push): void {
    if (this.awaitingAck) {
      this.pending = push; // coalesced: only the newest value waits
      return;
    }
    this.awaitingAck = true;
    this.sink(push);
  }

  ack(): void {
    this.awaitingAck = false;
    const next = this.pending;
    this.pending = null;
    if (next) this.deliver(next);
    else this.entry.subscriberReady();
  }
}

class FeedEntry {
  readonly subscribers = new Set<Subscriber>();
  private last: Push | null = null;
  private lastJson = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reading = false;
  /** Told of a change it has not read yet. */
  private dirty = false;
  private lastReadAt = -Infinity;
  private readonly stopWatch: () => void;
  private closed = false;

  constructor(
    private readonly feed: Feed<unknown>,
    private readonly minIntervalMs: number,
    private readonly now: () => number,
  ) {
    this.stopWatch = feed.watch(() => this.changed());
    this.changed();
  }

  get perSubscriber(): boolean {
    return this.feed.perSubscriber === true;
  }

  /** A new subscriber of a shared feed hears the value at once, not at the next change. */
  greet(subscriber: Subscriber): void {
    if (this.last) subscriber.deliver(this.last);
  }

  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** A subscriber's acknowledgement may unblock a read deferred because nobody could take it. */
  subscriberReady(): void {
    if (this.dirty) this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopWatch();
  }

  private schedule(): void {
    if (this.closed || this.timer || this.reading || !this.dirty) return;
    // A stream read now would be lost on a subscriber that cannot take it: wait for its ack.
    if (this.perSubscriber && ![...this.subscribers].some((s) => s.ready)) return;
    const wait = Math.max(0, this.lastReadAt + this.minIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, wait);
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    this.dirty = false;
    this.reading = true;
    this.lastReadAt = this.now();
    let push: Push | null;
    try {
      const data = await this.feed.read();
      push = data === NOTHING_NEW ? null : { ok: true, data };
    } catch (error) {
      push = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    this.reading = false;
    if (this.closed) return;
    if (push) {
      const json = JSON.stringify(push);
      if (this.perSubscriber || json !== this.lastJson) {
        this.last = push;
        this.lastJson = json;
        for (const s of this.subscribers) s.deliver(push);
      }
    }
    this.schedule();
  }
}

/** Every feed of one engine, shared by all its connections. */
export class SubscriptionHub {
  private readonly entries = new Map<string, FeedEntry>();
  private nextPrivateKey = 1;

  constructor(
    private readonly factories: FeedFactories,
    private readonly options: { minIntervalMs?: number; now?: () => number } = {},
  ) {}

  /** Feeds being read now (for tests and status): shared ones count once. */
  get feedCount(): number {
    return this.entries.size;
  }

  /** Something a call did changed every feed of these kinds (an ack, a silence): read them again soon. */
  changed(...kinds: SubscriptionKind[]): void {
    for (const [key, entry] of this.entries)
      if (kinds.some((kind) => key.startsWith(`${kind}\u0000`))) entry.changed();
  }

  /**
   * Validates `params` against the kind's schema and starts pushing to `sink`; throws a clear error
   * for bad params. Returns the subscriber, to acknowledge pushes and to detach.
   */
  attach(kind: SubscriptionKind, rawParams: unknown, sink: PushSink): { ack(): void; detach(): void } {
    const declared = Subscriptions[kind];
    const parsed = declared.params.safeParse(rawParams ?? {});
    if (!parsed.success) throw new Error(`subscribe ${kind}: ${describeZodError(parsed.error)}`);
    const make = this.factories[kind] as (params: unknown) => Feed<unknown>;
    let key = `${kind}\u0000${stableJson(parsed.data)}`;
    let entry = this.entries.get(key);
    if (entry?.perSubscriber) entry = undefined;
    if (!entry) {
      const feed = make(parsed.data);
      if (feed.perSubscriber) key = `${key}\u0000${this.nextPrivateKey++}`;
      entry = new FeedEntry(
        feed,
        this.options.minIntervalMs ?? MIN_INTERVAL_MS,
        this.options.now ?? Date.now,
      );
      this.entries.set(key, entry);
    }
    const subscriber = new Subscriber(entry, sink);
    entry.subscribers.add(subscriber);
    entry.greet(subscriber);
    const owner = entry;
    let attached = true;
    return {
      ack: () => {
        if (attached) subscriber.ack();
      },
      detach: () => {
        if (!attached) return;
        attached = false;
        owner.subscribers.delete(subscriber);
        if (owner.subscribers.size === 0) {
          owner.close();
          this.entries.delete(key);
        }
      },
    };
  }
}

/** One connection's subscriptions by the ids its client chose; all end when it closes. */
export class ConnectionSubscriptions {
  private readonly active = new Map<string, { ack(): void; detach(): void }>();

  constructor(
    private readonly hub: SubscriptionHub,
    private readonly send: (id: string, push: Push) => void,
  ) {}

  get size(): number {
    return this.active.size;
  }

  /** An id already in use is replaced (a client re-subscribing after changing its params). */
  subscribe(id: string, kind: SubscriptionKind, params: unknown): void {
    const attached = this.hub.attach(kind, params, (push) => this.send(id, push));
    this.active.get(id)?.detach();
    this.active.set(id, attached);
  }

  unsubscribe(id: string): void {
    this.active.get(id)?.detach();
    this.active.delete(id);
  }

  /** The client took the last push of `id`; an unknown id (just ended) is ignored. */
  ack(id: string): void {
    this.active.get(id)?.ack();
  }

  close(): void {
    for (const s of this.active.values()) s.detach();
    this.active.clear();
  }
}

/** JSON with object keys sorted, so equal params make equal keys whatever order they came in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** A watch that signals every `ms` (unref'd): for state the engine holds in memory and has no event for. */
export function every(ms: number): (changed: () => void) => () => void {
  return (changed) => {
    const timer = setInterval(changed, ms);
    timer.unref?.();
    return () => clearInterval(timer);
  };
}

/** Several change signals as one watch. */
export function anyOf(
  ...watches: ((changed: () => void) => () => void)[]
): (changed: () => void) => () => void {
  return (changed) => {
    const stops = watches.map((w) => w(changed));
    return () => stops.forEach((stop) => stop());
  };
}
