// The engine's replays and the reads around them: open replays by id (each a session of its own),
// the frame at a cursor, what rules would have fired over a range (the console's comparison and
// `opsdeck rules test`), channels aligned on one time axis (an as-of join) and the timeline's
// density. Everything here reads; nothing is stored and no notifier is told.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { AlertRule, AlertTransition } from '../../../shared/alerts';
import type {
  AlignRequest,
  AlignResult,
  RecordedTopics,
  RecordedTopicsRequest,
  ReplayFrame,
  ReplayFrameRequest,
  ReplayOpenRequest,
  ReplayStatus,
  TimelineDensity,
  TimelineRequest,
  WouldHaveFiredRequest,
} from '../../../shared/replay';
import type { VirtualClock } from '../session/clock';
import type { Session } from '../session/session';
import type { Store } from '../store/store';
import { Replay, type ReplayTimer } from './controller';
import { sqlTime, storedBounds } from './read';

/** Replays one engine keeps open at once: each holds a session and reads the store as it plays. */
const MAX_OPEN_REPLAYS = 16;
/** Transitions a comparison returns per side (the rest are counted). */
const COMPARE_MAX_TRANSITIONS = 5_000;

export interface ReplayBoardHost {
  store: Store;
  /** A replay session on `clock` with `rules`, channels named by the store's ids. */
  openSession(clock: VirtualClock, rules: readonly AlertRule[]): Session;
  rules(): readonly AlertRule[];
  now(): number;
  timer?: ReplayTimer;
}

/** A transition as the contract carries it (value null when not a number). */
export interface TransitionOut extends Omit<AlertTransition, 'value' | 'cause'> {
  value: number | null;
  cause: string | null;
}

export interface WouldHaveFired {
  from: number;
  to: number;
  /** What the rules produce in the replay, oldest first. */
  transitions: TransitionOut[];
  total: number;
  firings: number;
  truncated: boolean;
  samples: number;
  records: number;
  unknownChannels: string[];
  late: Record<string, number>;
  /** What live evaluation stored (and paged) in the same range, oldest first. */
  live: TransitionOut[];
}

const out = (t: AlertTransition): TransitionOut => ({
  ...t,
  value: Number.isFinite(t.value) ? t.value : null,
  cause: t.cause ?? null,
});

export class ReplayBoard {
  private readonly open = new Map<string, Replay>();

  constructor(private readonly host: ReplayBoardHost) {}

  async start(request: z.output<typeof ReplayOpenRequest>): Promise<ReplayStatus> {
    if (this.open.size >= MAX_OPEN_REPLAYS)
      throw new Error(`replayOpen: ${this.open.size} replays are open already; close one first`);
    await this.host.store.flush();
    const id = randomUUID();
    const replay = new Replay(
      id,
      {
        store: this.host.store,
        openSession: (clock, rules) => this.host.openSession(clock, rules),
        rules: request.rules ?? this.host.rules(),
        draftRules: request.rules !== undefined,
        ...(this.host.timer ? { timer: this.host.timer } : {}),
      },
      { from: request.from, to: request.to },
      { speed: request.speed, loop: request.loop },
    );
    this.open.set(id, replay);
    return replay.status();
  }

  get(id: string): Replay {
    const replay = this.open.get(id);
    if (!replay) throw new Error(`no replay "${id}" (closed, or never opened)`);
    return replay;
  }

  /** Status and the replay's transitions (newest last, at most `limit`). */
  state(id: string, limit = 500): ReplayStatus & { transitions: TransitionOut[] } {
    const replay = this.get(id);
    return { ...replay.status(), transitions: replay.transitions.slice(-limit).map(out) };
  }

  close(id: string): void {
    this.open.get(id)?.close();
    this.open.delete(id);
  }

  closeAll(): void {
    for (const replay of this.open.values()) replay.close();
    this.open.clear();
  }

  list(): ReplayStatus[] {
    return [...this.open.values()].map((r) => r.status());
  }

  /** Each channel's newest value at or before `at`: what a seek draws first. */
  async frame(request: z.output<typeof ReplayFrameRequest>): Promise<ReplayFrame> {
    const only = request.channels
      ? ` AND channel_id IN (${request.channels.map((c) => Math.trunc(c)).join(',') || 'NULL'})`
      : '';
    const rows = (await this.host.store.read(
      `SELECT channel_id, epoch_us(max(ts))::DOUBLE / 1000, arg_max(value, ts) FROM samples
       WHERE ts <= ${sqlTime(request.at)} AND ts > ${sqlTime(request.at - request.lookbackMs)}${only}
       GROUP BY channel_id ORDER BY channel_id`,
    )) as [number, number, number][];
    return { at: request.at, values: rows.map(([channel, ts, value]) => ({ channel, ts, value })) };
  }

  /**
   * Rules (the workspace's or drafts) replayed over a range as fast as it reads, beside the
   * transitions live evaluation stored there: the incident responder's "what would have fired".
   */
  async wouldHaveFired(request: z.output<typeof WouldHaveFiredRequest>): Promise<WouldHaveFired> {
    const store = this.host.store;
    const rules = request.rules ?? this.host.rules();
    let { from, to } = request;
    if (request.defaultRange === 'lastHour') {
      to ??= this.host.now();
      from ??= to - 3_600_000;
    }
    await store.flush();
    const bounds = await storedBounds(store, { from, to });
    const known = store.knownChannels();
    const unknownChannels = rules
      .filter((r) => r.enabled && r.kind !== 'log' && !known.has(r.channel))
      .map((r) => (r as { channel: string }).channel);
    const empty: WouldHaveFired = {
      from: Number.isFinite(bounds.from) ? bounds.from : 0,
      to: Number.isFinite(bounds.to) ? bounds.to : 0,
      transitions: [],
      total: 0,
      firings: 0,
      truncated: false,
      samples: 0,
      records: 0,
      unknownChannels,
      late: {},
      live: [],
    };
    if (!Number.isFinite(bounds.from) || !Number.isFinite(bounds.to)) return empty;
    // A range of one instant still plays that instant.
    const end = bounds.to > bounds.from ? bounds.to : bounds.from + 1;
    const channels = [
      ...new Set(
        rules.flatMap((r) => (r.kind !== 'log' && known.has(r.channel) ? [known.get(r.channel)!] : [])),
      ),
    ];
    const replay = new Replay(
      `compare-${randomUUID()}`,
      {
        store,
        openSession: (clock, r) => this.host.openSession(clock, r),
        rules,
        draftRules: request.rules !== undefined,
        channels,
      },
      { from: bounds.from, to: end },
      { speed: 'max' },
    );
    let transitions: AlertTransition[];
    let late: Record<string, number>;
    let samples: number;
    let records: number;
    try {
      await replay.runToEnd();
      const status = replay.status();
      if (status.error) throw new Error(status.error);
      transitions = [...replay.transitions];
      late = replay.current.alerts?.late() ?? {};
      ({ samples, records } = status);
    } finally {
      replay.close();
    }
    const kept = transitions.slice(0, COMPARE_MAX_TRANSITIONS);
    return {
      ...empty,
      to: bounds.to,
      transitions: kept.map(out),
      total: transitions.length,
      firings: transitions.filter((t) => t.state === 'firing').length,
      truncated: kept.length < transitions.length,
      samples,
      records,
      late,
      live: await this.liveTransitions(bounds.from, end, rules),
    };
  }

  /** Transitions live evaluation stored in [from, to] for these rules' ids, oldest first. */
  private async liveTransitions(
    from: number,
    to: number,
    rules: readonly AlertRule[],
  ): Promise<TransitionOut[]> {
    if (rules.length === 0) return [];
    const ids = rules.map((r) => `'${r.id.replace(/'/g, "''")}'`).join(',');
    const rows = (await this.host.store.read(
      `SELECT epoch_us(ts)::DOUBLE / 1000, rule, labels::VARCHAR, from_state, state, value, severity,
         annotations::VARCHAR, cause FROM alert_transitions
       WHERE mode = 'live' AND rule IN (${ids}) AND ts >= ${sqlTime(from)} AND ts <= ${sqlTime(to)}
       ORDER BY ts, evaluated_at LIMIT ${COMPARE_MAX_TRANSITIONS}`,
    )) as [number, string, string, string, string, number | null, string, string, string | null][];
    return rows.map(([ts, rule, labels, fromState, state, value, severity, annotations, cause]) => ({
      ts,
      rule,
      labels: JSON.parse(labels) as Record<string, string>,
      from: fromState as AlertTransition['from'],
      state: state as AlertTransition['state'],
      value: value !== null && Number.isFinite(value) ? value : null,
      severity: severity as AlertTransition['severity'],
      annotations: JSON.parse(annotations) as Record<string, string>,
      cause,
    }));
  }

  /** The SQL aligning channels on the first one's times (DuckDB ASOF JOIN), and its ids. */
  alignSql(request: z.output<typeof AlignRequest>, limit: number): string {
    const known = this.host.store.knownChannels();
    const ids = request.channels.map((name) => {
      const id = known.get(name);
      if (id === undefined) throw new Error(`align: no channel "${name}"`);
      return id;
    });
    const toleranceUs = Math.round(request.toleranceMs * 1000);
    const from = sqlTime(request.from);
    const to = sqlTime(request.to);
    const lookback = sqlTime(request.from - request.toleranceMs);
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const columns = request.channels
      .slice(1)
      .map(
        (name, k) =>
          `CASE WHEN epoch_us(b.ts) - epoch_us(j${k}.ts) <= ${toleranceUs} THEN j${k}.value END AS ${quote(name)}`,
      );
    const joins = ids
      .slice(1)
      .map(
        (id, k) =>
          `ASOF LEFT JOIN (SELECT ts, value FROM samples WHERE channel_id = ${id} AND ts >= ${lookback} AND ts < ${to}) j${k} ON b.ts >= j${k}.ts`,
      );
    return `SELECT epoch_us(b.ts)::DOUBLE / 1000 AS ts, b.value AS ${quote(request.channels[0]!)}, ${columns.join(', ')}
FROM (SELECT ts, value FROM samples WHERE channel_id = ${ids[0]} AND ts >= ${from} AND ts < ${to} ORDER BY ts LIMIT ${limit}) b
${joins.join('\n')}
ORDER BY b.ts`;
  }

  async align(request: z.output<typeof AlignRequest>): Promise<AlignResult & { sql: string }> {
    await this.host.store.flush();
    const rows = (await this.host.store.read(this.alignSql(request, request.maxRows + 1))) as (
      number | null
    )[][];
    const truncated = rows.length > request.maxRows;
    return {
      columns: ['ts', ...request.channels],
      rows: truncated ? rows.slice(0, request.maxRows) : rows,
      truncated,
      // For an export of every row (exportQuery, the SQL console's path).
      sql: this.alignSql(request, 1_000_000_000),
    };
  }

  /** Per-source counts of samples, records and quarantined input in buckets, and live alert transitions. */
  async timeline(request: z.output<typeof TimelineRequest>): Promise<TimelineDensity> {
    const store = this.host.store;
    let { from, to } = request;
    if (from === undefined || to === undefined) {
      const bounds = await storedBounds(store, { from, to });
      const q = (await store.read(
        `SELECT epoch_us(min(rx))::DOUBLE / 1000, epoch_us(max(rx))::DOUBLE / 1000 FROM quarantine`,
      )) as [number | null, number | null][];
      const [qlo, qhi] = q[0] ?? [null, null];
      from ??= Math.min(bounds.from, qlo ?? Infinity);
      to ??= Math.max(bounds.to, qhi ?? -Infinity);
      if (!Number.isFinite(from) || !Number.isFinite(to))
        return { from: 0, to: 0, bucketMs: 0, lanes: [], alerts: [] };
      if (!(to > from)) to = from + 1;
    }
    const fromUs = Math.round(from * 1000);
    const bucketUs = Math.max(1, Math.ceil(((to - from) * 1000) / request.buckets));
    const bucket = (col: string) => `((epoch_us(${col}) - ${fromUs}) // ${bucketUs})::BIGINT`;
    const inRange = (col: string) => `${col} >= ${sqlTime(from!)} AND ${col} <= ${sqlTime(to!)}`;
    const rows = (await store.read(
      `WITH s AS (SELECT channel_id, ${bucket('ts')} AS b, count(*) AS n FROM samples WHERE ${inRange('ts')} GROUP BY ALL)
       SELECT src.key, 'samples', s.b, sum(s.n)::DOUBLE FROM s JOIN channels c ON c.id = s.channel_id
         JOIN sources src ON src.id = c.source_id GROUP BY ALL
       UNION ALL
       SELECT src.key, 'records', ${bucket('r.ts')}, count(*)::DOUBLE FROM records r JOIN sources src ON src.id = r.source_id
         WHERE ${inRange('r.ts')} GROUP BY ALL
       UNION ALL
       SELECT src.key, 'quarantine', ${bucket('q.rx')}, count(*)::DOUBLE FROM quarantine q JOIN sources src ON src.id = q.source_id
         WHERE ${inRange('q.rx')} GROUP BY ALL`,
    )) as [string, TimelineDensity['lanes'][number]['kind'], number, number][];
    const lanes = new Map<string, TimelineDensity['lanes'][number]>();
    for (const [source, kind, b, n] of rows) {
      const key = `${kind}\u0000${source}`;
      let lane = lanes.get(key);
      if (!lane)
        lanes.set(key, (lane = { source, kind, counts: new Array<number>(request.buckets).fill(0) }));
      const i = Math.min(request.buckets - 1, Math.max(0, Number(b)));
      lane.counts[i]! += n;
    }
    const alerts = (await store.read(
      `SELECT epoch_us(ts)::DOUBLE / 1000, rule, state FROM alert_transitions
       WHERE mode = 'live' AND state IN ('firing', 'resolved') AND ${inRange('ts')} ORDER BY ts LIMIT 2000`,
    )) as [number, string, string][];
    return {
      from,
      to,
      bucketMs: bucketUs / 1000,
      lanes: [...lanes.values()].sort(
        (a, b) => a.source.localeCompare(b.source) || a.kind.localeCompare(b.kind),
      ),
      alerts: alerts.map(([ts, rule, state]) => ({ ts, rule, state })),
    };
  }

  /**
   * A source's topics as they were at `at`: each topic's newest recorded payload received at or
   * before it. Only sources that record raw messages (`record: true`) have them; for the others
   * `recorded` is false and the console says the values of that moment are not known.
   */
  async recordedTopics(
    request: z.output<typeof RecordedTopicsRequest>,
    sources: readonly { id: string; options: unknown }[],
  ): Promise<RecordedTopics> {
    const config = sources.find((s) => s.id === request.source);
    const recorded = (config?.options as { record?: unknown } | undefined)?.record === true;
    await this.host.store.flush();
    const rows = (await this.host.store.read(
      `SELECT r.key, epoch_us(max(r.rx))::DOUBLE / 1000, arg_max(r.payload, r.rx) FROM recordings r
       JOIN sources s ON s.id = r.source_id
       WHERE s.key = ? AND r.rx <= ${sqlTime(request.at)} AND starts_with(r.key, ?)
       GROUP BY r.key ORDER BY r.key LIMIT ${request.limit + 1}`,
      [request.source, request.prefix],
    )) as [string, number, unknown][];
    const truncated = rows.length > request.limit;
    const decoder = new TextDecoder();
    return {
      recorded: recorded || rows.length > 0,
      topics: rows.slice(0, request.limit).map(([topic, rx, payload]) => {
        const bytes = payloadBytes(payload);
        return { topic, rx, text: decoder.decode(bytes.subarray(0, 4096)), bytes: bytes.length };
      }),
      truncated,
    };
  }
}

/** A BLOB as store.read gives it back (hex text), as bytes. */
function payloadBytes(payload: unknown): Uint8Array {
  return typeof payload === 'string' ? Buffer.from(payload, 'hex') : new Uint8Array(0);
}
