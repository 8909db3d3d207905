// The engine: one workspace, its sources, the bus, the store and the live view. Every host (the
// Electron utility process, `opsdeck serve`, the CLI, the tests) runs this same class.
import path from 'node:path';
import type { z } from 'zod';
import type {
  AlertInstanceInfo,
  AlertTransitionInfo,
  PreviewRulesResult,
  TopicsRequest,
  PublishRequest,
  SendToSourceRequest,
  SerialPortInfo,
  SourceConsoleResult,
  TopicDetail,
  TopicsResult,
  ChannelInfo,
  EngineStatus,
  ExportRequest,
  LiveSubscription,
  Notice,
  QueryResult,
  SeriesResult,
  SourceState,
  SourceStatus,
  SparkplugNodesResult,
} from '../../shared/api';
import type { AlertRule, NotifierConfig } from '../../shared/alerts';
import type { NotifierTestResult } from '../../shared/api';
import { parseHex } from '../../shared/hex';
import { sendTestNotification, withNotifier, withoutNotifier } from './alerts/notify/edit';
import { describeZodError, type SourceConfig, WorkspaceConfig } from '../../shared/schemas';
import type { RecordBatch, SampleBatch } from './batch';
import { AuditLog, type AuditVerdict } from './alerts/audit';
import { evaluateStored } from './alerts/stored';
import { LiveAlerts } from './alerts/live';
import { AckBook, ackable, newSilenceId, SilenceBook, SilenceTable, type Silence } from './alerts/silences';
import { AlertNotifier, type NotifierStatus } from './alerts/notify/notifier';
import { alertLabels } from './alerts/notify/payload';
import { silenceStatus, type SilenceStatus } from '../../shared/silences';
import { Bus } from './bus';
import { SecondCounts } from './rate';
import { ChannelDirectory } from './channels/directory';
import { ConfigChanges } from './config/changes';
import { ConfigWatcher, sourceChanges } from './config/watch';
import { exportData, type ExportProgress } from './store/export';
import { LiveHub, type LiveSink } from './live/hub';
import { Calibration } from './pipeline/calibration';
import { IngestStage, PendingBudget, type PipelineStep } from './ingest/stage';
import { sourceFactories } from './sources/registry';
import { listSerialPorts } from './sources/serial/ports';
import { CHANNEL_REFUSED, type Source, type SourceContext } from './sources/source';
import { Secrets, secretRefs, type SecretVault } from './secrets';
import { ReadFlush } from './store/read-flush';
import { Store, type StoreNotice } from './store/store';
import { DATA_FILE, ensureWorkspace, readWorkspaceConfig, writeWorkspaceConfig } from './workspace';

export const ENGINE_VERSION = '0.1.0';

/** A rule preview answers with at most this many transitions (and the total). */
const PREVIEW_MAX_TRANSITIONS = 5_000;

type TopicsRequestOut = z.output<typeof TopicsRequest>;

function hexBytes(text: string): Uint8Array {
  const bytes = parseHex(text);
  if (!bytes) throw new Error('payload: not hex (pairs of 0-9, a-f)');
  return bytes;
}

function base64Bytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) throw new Error('payload: not base64');
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

export interface EngineOptions {
  readOnly?: boolean;
  /** Create the folder and a demo configuration when missing (default true unless read-only). */
  create?: boolean;
  /** Start enabled sources on open (default true unless read-only). */
  startSources?: boolean;
  now?: () => number;
  flushIntervalMs?: number;
  retentionIntervalMs?: number;
  liveRingCapacity?: number;
  /** Keeps secrets given in the console across sessions (the desktop's key store); else they last the session. */
  vault?: SecretVault;
  /** Pick up edits of opsdeck.json made while it runs (default true unless read-only). */
  watchConfig?: boolean;
}

class RateMeter {
  private lastCount = 0;
  private lastAt = 0;
  rate = 0;
  update(count: number, at: number): void {
    if (this.lastAt > 0 && at > this.lastAt)
      this.rate = ((count - this.lastCount) * 1000) / (at - this.lastAt);
    this.lastCount = count;
    this.lastAt = at;
  }
}

/** What the status shows of a source: a configured one, or an ingest feed (imports, benchmarks). */
interface SourceIdentity {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
}

class RunningSource {
  state: SourceState = 'starting';
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  lastErrorDetail: string | null = null;
  messages = 0;
  samples = 0;
  quarantined = 0;
  shed = 0;
  endpoint: string | null = null;
  warnings: string[] = [];
  /** Messages as the topic tree counts them too (rate.ts), so the two rates agree. */
  readonly messageArrivals = new SecondCounts();
  readonly sampleRate = new RateMeter();
  instance?: Source;
  /** The context of the running instance; closed once the instance has stopped. */
  lease?: { open: boolean };
  /** The running instance's ingest stage: stopped (everything handed over) after the instance. */
  stage?: IngestStage;
  /** A channel was refused (the source is at store.maxChannelsPerSource): told once. */
  channelLimitTold = false;
  /** Ingest batches the store could not keep (their rows are in the store's lost count). */
  failedBatches = 0;
  constructor(public config: SourceIdentity) {}

  status(now: number): SourceStatus {
    return {
      id: this.config.id,
      kind: this.config.kind,
      name: this.config.name,
      state: this.config.enabled ? this.state : 'stopped',
      messageRate: this.messageArrivals.rate(now),
      sampleRate: this.sampleRate.rate,
      messages: this.messages,
      quarantined: this.quarantined,
      shed: this.shed,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      lastErrorDetail: this.lastError === null ? null : this.lastErrorDetail,
      endpoint: this.endpoint,
      warnings: this.warnings,
    };
  }
}

export class Engine {
  readonly bus = new Bus();
  readonly live: LiveHub;
  /** Alert rules evaluated on the data as it arrives; null on a read-only engine. */
  readonly alerts: LiveAlerts | null = null;
  /** Sends live firing/resolved alerts to the workspace's notifiers; null on a read-only engine. */
  readonly notifier: AlertNotifier | null = null;
  /** Hash-chained log of acks and silences; null on a read-only engine. */
  readonly audit: AuditLog | null = null;
  /** Silences (table `silences`), loaded at start; null on a read-only engine. */
  readonly silences: SilenceBook | null = null;
  private silenceTable: SilenceTable | null = null;
  private readonly calibration = new Calibration();
  /** Ingest work of every source not yet durable, bounded by store.maxPendingRows/maxPendingMb. */
  readonly pending: PendingBudget;
  readonly secrets = new Secrets();
  /** Tells the consoles what part of opsdeck.json changed, and who changed it. */
  readonly configChanges = new ConfigChanges();
  /** The channel browser's channels, with their workspace settings and last values. */
  readonly channelDirectory: ChannelDirectory;
  /** History reads flush what is pending first, at most once per short interval. */
  private readonly readFlush: ReadFlush;
  private readonly sources = new Map<string, RunningSource>();
  private readonly noticeLog: Notice[] = [];
  private readonly noticeListeners = new Set<(n: Notice) => void>();
  private readonly samplesRate = new RateMeter();
  private readonly recordsRate = new RateMeter();
  private timers: NodeJS.Timeout[] = [];
  private databaseBytes = 0;
  /** Lost rows already told in a notice, and when. */
  private toldLost = { rows: 0, at: 0 };
  private closed = false;
  private configWatcher: ConfigWatcher | null = null;
  readonly now: () => number;

  private constructor(
    readonly dir: string,
    public config: WorkspaceConfig,
    readonly store: Store,
    readonly options: EngineOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.live = new LiveHub(options.liveRingCapacity);
    this.pending = new PendingBudget(config.store.maxPendingRows, config.store.maxPendingMb * 1024 ** 2);
    // The store takes each batch whole and answers its ticket: durable, or why not.
    this.bus.add({
      onBatch: (batch) => {
        const store = this.store;
        if (batch.raw.length) store.appendRaw(batch.source, batch.raw);
        for (const entry of batch.quarantine) store.appendQuarantine(entry);
        if (batch.samples.n) store.appendSamples(batch.samples);
        if (batch.records.n) store.appendRecords(batch.records);
        if (batch.position) store.appendPosition({ source: batch.source, ...batch.position });
        return store.ticket(batch.soon);
      },
    });
    this.bus.add(this.live);
    this.readFlush = new ReadFlush(store, this.now);
    // It flushes only when a channel appeared since its last look, so its rows are there to read.
    this.channelDirectory = new ChannelDirectory(store, () => this.config.channels);
    this.bus.add(this.channelDirectory.lastValues);
    if (!store.readOnly) {
      // After the store, so a transition is never stored ahead of the samples that caused it.
      const audit = (this.audit = new AuditLog(store, this.now));
      const silences = (this.silences = new SilenceBook(this.now));
      this.silenceTable = new SilenceTable(store);
      this.notifier = new AlertNotifier({
        publish: (request) => this.publish(request),
        now: this.now,
        notice: (level, m) => this.notice(level, m),
        version: ENGINE_VERSION,
        silenced: (labels) => silences.silencedBy(labels).length > 0,
      });
      this.alerts = new LiveAlerts({
        store,
        now: this.now,
        notice: (level, m) => this.notice(level, m),
        notifier: this.notifier,
        ackCleared: (rule, labels, ack, reason) =>
          audit.append('opsdeck', 'alert.unack', { rule, labels, ackedBy: ack.by, reason }),
      });
      this.alerts.configure(config.rules, config.alerting);
      this.bus.add(this.alerts);
    }
    this.applyChannelConfig();
  }

  static async open(dir: string, options: EngineOptions = {}): Promise<Engine> {
    const readOnly = options.readOnly ?? false;
    const absolute = path.resolve(dir);
    const config =
      readOnly || options.create === false ? readWorkspaceConfig(absolute) : ensureWorkspace(absolute);
    // The store reports notices while it opens (a damaged write-ahead log, a memory limit raised
    // to replay it), before the engine exists: they are kept and told once it does.
    const early: { engine?: Engine; notices: StoreNotice[] } = { notices: [] };
    const store = await Store.open(path.join(absolute, DATA_FILE), {
      settings: config.store,
      // Held while a commit runs or the database recovers: what the pending bound lets in, with
      // room for the batch that reached it (an emit may overshoot the bound by one batch).
      holdMaxRows: Math.max(1_000_000, 2 * config.store.maxPendingRows),
      readOnly,
      flushIntervalMs: options.flushIntervalMs,
      onNotice: (n) => (early.engine ? early.engine.notice(n.level, n.message) : early.notices.push(n)),
    });
    const engine = (early.engine = new Engine(absolute, config, store, options));
    for (const n of early.notices) engine.notice(n.level, n.message);
    if (!readOnly) {
      await engine.audit!.load();
      await engine.silenceTable!.load(engine.silences!);
      await engine.alerts!.restore();
      engine.sweepSilences();
      engine.timers.push(setInterval(() => engine.sweepSilences(), config.alerting.tickMs));
      engine.live.start();
      engine.timers.push(
        setInterval(() => void engine.runRetention(), options.retentionIntervalMs ?? 60_000),
      );
      void engine.runRetention();
    }
    engine.timers.push(setInterval(() => void engine.refreshStats(), 1_000));
    for (const t of engine.timers) t.unref();
    await engine.refreshStats();
    if (options.vault && !readOnly) {
      const names = [
        ...secretRefs(WorkspaceConfig, config),
        ...config.sources.flatMap((s) => secretRefs(sourceFactories[s.kind].options, s.options)),
      ];
      await engine.secrets.useVault(options.vault, names, (m) => engine.notice('warn', m));
    }
    if (!readOnly && (options.startSources ?? true)) {
      for (const source of config.sources) await engine.addSource(source);
    }
    if (!readOnly && (options.watchConfig ?? true)) {
      engine.configWatcher = new ConfigWatcher(absolute, {
        current: () => engine.config,
        adopt: (next) => engine.adoptEditedConfig(next),
        notice: (level, message) => engine.notice(level, message),
      });
      engine.configWatcher.start();
    }
    return engine;
  }

  get readOnly(): boolean {
    return this.store.readOnly;
  }

  // ---- sources -------------------------------------------------------------------------------

  private async addSource(config: SourceConfig): Promise<void> {
    const running = new RunningSource(config);
    this.sources.set(config.id, running);
    if (config.enabled) await this.startSource(running);
  }

  private async startSource(running: RunningSource): Promise<void> {
    const config = this.config.sources.find((s) => s.id === running.config.id);
    if (!config) return; // an ingest feed: nothing to start
    const factory = sourceFactories[config.kind];
    const parsed = factory.options.safeParse(config.options);
    if (!parsed.success) {
      this.setSourceError(running, `options: ${describeZodError(parsed.error)}`);
      return;
    }
    const lease = { open: true };
    const ctx = this.contextFor(running, lease);
    running.state = 'starting';
    try {
      running.lease = lease;
      running.instance = factory.create(parsed.data as never, ctx);
      await running.instance.start();
    } catch (error) {
      const detail = (error as { detail?: unknown }).detail;
      this.setSourceError(running, (error as Error).message, typeof detail === 'string' ? detail : undefined);
    }
  }

  private setSourceError(running: RunningSource, message: string, detail?: string): void {
    running.state = 'error';
    running.lastError = message;
    running.lastErrorAt = this.now();
    running.lastErrorDetail = detail ?? null;
    this.notice('error', `source ${running.config.id}: ${message}${detail ? ` (${detail})` : ''}`);
  }

  /**
   * A context for feeding data in from outside a configured source (imports, benchmarks): the same
   * path as a source's, calibration and bus included. Counts show under `id` in the status.
   */
  ingestContext(id: string, kind: string): SourceContext {
    let running = this.sources.get(id);
    if (!running) {
      running = new RunningSource({ id, kind, name: id, enabled: true });
      this.sources.set(id, running);
    }
    this.store.sourceId(id, kind);
    running.state = 'connected';
    running.instance = { start: async () => undefined, stop: async () => undefined };
    running.lease = { open: true };
    return this.contextFor(running, running.lease);
  }

  /**
   * The context one instance of a source works through. `lease` closes when that instance has
   * stopped: whatever it emits until then (its final flush included) is taken.
   */
  private contextFor(running: RunningSource, lease: { open: boolean }): SourceContext {
    const sourceId = running.config.id;
    this.store.sourceId(sourceId, running.config.kind);
    const steps: PipelineStep[] = [
      {
        name: 'refused channels',
        apply: (batch) => {
          if (running.channelLimitTold) this.dropRefused(batch.samples, running);
        },
      },
      { name: 'calibration', apply: (batch) => this.calibration.apply(batch.samples) },
    ];
    const stage = new IngestStage({
      source: sourceId,
      budget: this.pending,
      now: this.now,
      submit: (batch) => {
        if (this.closed || !lease.open)
          return Promise.reject(new Error(`not stored: source ${sourceId} was stopped`));
        for (const step of steps) step.apply(batch);
        running.samples += batch.samples.n;
        return this.bus.batch(batch) ?? Promise.resolve();
      },
      received: (count) => {
        running.messages += count;
        running.messageArrivals.add(count, this.now());
      },
      shed: (count) => {
        running.shed += count;
      },
      quarantined: (count) => {
        running.quarantined += count;
      },
      failed: () => {
        running.failedBatches++; // the store counted the rows and told the user why
      },
    });
    running.stage = stage;
    return {
      sourceId,
      channel: (localPath, unit = '') => this.channelId(`${sourceId}/${localPath}`, running, unit),
      ingest: (setup) => stage.configure(setup),
      positions: () => this.store.positions(sourceId),
      emitSamples: (batch: SampleBatch) => {
        if (this.closed || !lease.open) return;
        return stage.emit(batch, null);
      },
      emitRecords: (rows: RecordBatch) => {
        if (this.closed || !lease.open) return;
        return stage.emit(null, rows);
      },
      quarantine: (raw, reason, where = '') => {
        if (this.closed || !lease.open) return;
        stage.addQuarantine(raw, reason, where);
      },
      received: (count) => {
        running.messages += count;
        running.messageArrivals.add(count, this.now());
      },
      shed: (count) => {
        running.shed += count;
      },
      setState: (state, error, detail) => {
        running.state = state;
        if (error) {
          running.lastError = error;
          running.lastErrorAt = this.now();
          running.lastErrorDetail = detail ?? null;
        } else if (state === 'connected') {
          running.lastError = null;
        }
      },
      describe: (endpoint, warnings = []) => {
        running.endpoint = endpoint;
        running.warnings = warnings;
      },
      secret: (name) => this.secrets.get(name),
      recordRaw: (messages) => {
        if (!this.closed && lease.open) stage.addRaw(messages);
      },
      now: this.now,
      notice: (level, message) => this.notice(level, message),
    };
  }

  /**
   * Stops the running instance and only then closes its context: a source's last flush (what
   * its peer was already told was received) must still reach the store.
   */
  private async stopSource(running: RunningSource): Promise<void> {
    const instance = running.instance;
    const lease = running.lease;
    const stage = running.stage;
    try {
      if (instance) await instance.stop();
      await stage?.stop(); // what the source took in (and told its peer it has) is handed over
    } catch (error) {
      this.notice('error', `source ${running.config.id}: stopping failed: ${(error as Error).message}`);
    } finally {
      if (lease) lease.open = false;
      // A start while this one stopped owns the source now: leave its instance alone.
      if (running.instance === instance) {
        running.instance = undefined;
        running.lease = undefined;
        running.state = 'stopped';
      }
    }
  }

  async setSourceEnabled(id: string, enabled: boolean): Promise<void> {
    const running = this.sources.get(id);
    const configured = this.config.sources.find((s) => s.id === id);
    if (!running || !configured) throw new Error(`no configured source with id "${id}"`);
    if (running.config.enabled === enabled) return;
    running.config = { ...running.config, enabled };
    this.saveConfig({
      ...this.config,
      sources: this.config.sources.map((s) => (s.id === id ? { ...configured, enabled } : s)),
    });
    if (enabled) await this.startSource(running);
    else await this.stopSource(running);
  }

  async upsertSource(config: SourceConfig): Promise<void> {
    const previous = this.config.sources.find((s) => s.id === config.id);
    const existing = this.sources.get(config.id);
    const replaced = this.config.sources.map((s) => (s.id === config.id ? config : s));
    const next = previous ? replaced : [...this.config.sources, config];
    // A running source that can take the change in place (an MQTT subscription edit) keeps its
    // connection; anything else is stopped and started again with the new configuration.
    if (
      existing?.instance?.reconfigure &&
      previous?.kind === config.kind &&
      previous.enabled &&
      config.enabled
    ) {
      const factory = sourceFactories[config.kind];
      const parsed = factory.options.safeParse(config.options);
      if (!parsed.success) throw new Error(`options: ${describeZodError(parsed.error)}`);
      if (await existing.instance.reconfigure(parsed.data)) {
        existing.config = { ...existing.config, name: config.name };
        this.saveConfig({ ...this.config, sources: next });
        return;
      }
    }
    if (existing) {
      await this.stopSource(existing);
      this.sources.delete(config.id);
    }
    this.saveConfig({ ...this.config, sources: next });
    await this.addSource(config);
  }

  async removeSource(id: string): Promise<void> {
    const running = this.sources.get(id);
    if (!running || !this.config.sources.some((s) => s.id === id))
      throw new Error(`no configured source with id "${id}"`);
    await this.stopSource(running);
    this.sources.delete(id);
    this.saveConfig({ ...this.config, sources: this.config.sources.filter((s) => s.id !== id) });
  }

  /** The running instance of a source, or an error naming why there is none. */
  private liveSource(id: string): Source {
    const running = this.sources.get(id);
    if (!running) throw new Error(`no source with id "${id}"`);
    if (!running.instance)
      throw new Error(`source "${id}" is not running (${running.status(this.now()).state})`);
    return running.instance;
  }

  topics(request: TopicsRequestOut): TopicsResult {
    const source = this.liveSource(request.source);
    if (!source.topics) throw new Error(`source "${request.source}" has no topics`);
    return source.topics(request);
  }

  topicDetail(sourceId: string, topic: string): TopicDetail {
    const source = this.liveSource(sourceId);
    if (!source.topicDetail) throw new Error(`source "${sourceId}" has no topics`);
    const detail = source.topicDetail(topic);
    if (!detail) throw new Error(`source "${sourceId}" has seen no message on "${topic}"`);
    return detail;
  }

  sparkplugNodes(sourceId: string): SparkplugNodesResult {
    const source = this.liveSource(sourceId);
    if (!source.sparkplugNodes) throw new Error(`source "${sourceId}" reads no Sparkplug B`);
    return source.sparkplugNodes();
  }

  async sparkplugRebirth(request: { source: string; group: string; node: string }): Promise<void> {
    const source = this.liveSource(request.source);
    if (!source.sparkplugRebirth)
      throw new Error(`source "${request.source}" cannot ask for a Sparkplug rebirth`);
    await source.sparkplugRebirth(request.group, request.node);
  }

  async publish(request: PublishRequest): Promise<void> {
    const source = this.liveSource(request.source);
    if (!source.publish) throw new Error(`source "${request.source}" cannot publish`);
    const bytes =
      request.encoding === 'utf8'
        ? new TextEncoder().encode(request.payload)
        : request.encoding === 'hex'
          ? hexBytes(request.payload)
          : base64Bytes(request.payload);
    await source.publish({ ...request, bytes });
  }

  async serialPorts(): Promise<{ ts: number; ports: SerialPortInfo[] }> {
    return { ts: this.now(), ports: await listSerialPorts() };
  }

  sourceConsole(request: { source: string; after?: number; limit: number }): SourceConsoleResult {
    const source = this.liveSource(request.source);
    if (!source.console) throw new Error(`source "${request.source}" has no console`);
    return source.console(request.after, request.limit);
  }

  /** Sends `data` (text or hex) with the line ending to the source's device; answers the bytes written. */
  async sendToSource(request: SendToSourceRequest): Promise<number> {
    const source = this.liveSource(request.source);
    if (!source.send) throw new Error(`source "${request.source}" cannot send`);
    const body = request.encoding === 'hex' ? hexBytes(request.data) : new TextEncoder().encode(request.data);
    const ending = new TextEncoder().encode(
      { none: '', lf: '\n', cr: '\r', crlf: '\r\n' }[request.lineEnding],
    );
    const bytes = new Uint8Array(body.length + ending.length);
    bytes.set(body);
    bytes.set(ending, body.length);
    await source.send(bytes);
    return bytes.length;
  }

  /** Stores a secret for this session and restarts the sources that were waiting for it. */
  async setSecret(name: string, value: string): Promise<void> {
    await this.secrets.set(name, value);
    for (const running of this.sources.values()) {
      const config = this.config.sources.find((s) => s.id === running.config.id);
      if (!config || !config.enabled || running.state !== 'error') continue;
      if (!JSON.stringify(config.options).includes(JSON.stringify(name))) continue;
      await this.stopSource(running);
      await this.startSource(running);
    }
  }

  private saveConfig(next: WorkspaceConfig): void {
    if (this.readOnly) throw new Error('the workspace is open read-only');
    // What the file now says (defaults filled), so a watcher reading it back sees no change.
    const written = writeWorkspaceConfig(this.dir, next);
    const before = this.config;
    this.config = written;
    this.applyChannelConfig();
    this.alerts?.configure(written.rules, written.alerting);
    this.configChanges.saved(before, written);
  }

  // ---- channels ------------------------------------------------------------------------------

  /**
   * Id of a source's channel, created on first use — unless the source already has
   * `store.maxChannelsPerSource` channels: then CHANNEL_REFUSED, and a notice the first time.
   */
  private channelId(name: string, running: RunningSource, defaultUnit: string): number {
    const sourceId = running.config.id;
    const limit = this.config.store.maxChannelsPerSource;
    if (!this.store.knownChannels().has(name) && this.store.channelCount(sourceId) >= limit) {
      if (!running.channelLimitTold) {
        running.channelLimitTold = true;
        this.notice(
          'warn',
          `source ${sourceId}: reached its limit of ${limit} channels (store.maxChannelsPerSource); messages that would add more (first: "${name}") go to quarantine`,
        );
      }
      return CHANNEL_REFUSED;
    }
    const configured = this.config.channels.find((c) => c.name === name);
    const id = this.store.channelId(name, sourceId, configured?.unit ?? defaultUnit);
    if (configured) this.calibration.set(id, configured.scale, configured.offset);
    return id;
  }

  /**
   * Takes samples on refused channels out of a batch, in place: a source that cannot quarantine
   * the whole message they came in sheds them (counted) rather than store them on no channel.
   */
  private dropRefused(batch: SampleBatch, running: RunningSource): void {
    const { channel, ts, value } = batch;
    let kept = 0;
    for (let i = 0; i < batch.n; i++) {
      if (channel[i] === CHANNEL_REFUSED) continue;
      if (kept !== i) {
        channel[kept] = channel[i]!;
        ts[kept] = ts[i]!;
        value[kept] = value[i]!;
      }
      kept++;
    }
    running.shed += batch.n - kept;
    batch.n = kept;
  }

  private applyChannelConfig(): void {
    const known = this.store.knownChannels();
    for (const c of this.config.channels) {
      const id = known.get(c.name);
      if (id !== undefined) this.calibration.set(id, c.scale, c.offset);
    }
  }

  /** Every channel (the CLI's list); a console browses them a page at a time (`channelDirectory`). */
  async channels(): Promise<ChannelInfo[]> {
    return this.channelDirectory.all();
  }

  // ---- queries -------------------------------------------------------------------------------

  /** User SQL: it can change nothing, times out, can be cancelled by `id` (store/user-sql.ts). */
  query(sql: string, maxRows = 1000, id?: string): Promise<QueryResult> {
    return this.store.query({ sql, maxRows, id });
  }

  cancelQuery(id: string): boolean {
    return this.store.cancelQuery(id);
  }

  async series(channels: number[], from: number, to: number, maxPoints: number): Promise<SeriesResult> {
    await this.readFlush.beforeRead();
    return this.store.series(channels, from, to, maxPoints);
  }

  subscribeLive(spec: LiveSubscription, sink: LiveSink): () => void {
    return this.live.subscribe(spec, sink);
  }

  async export(
    request: ExportRequest,
    onProgress?: (p: ExportProgress) => void,
  ): Promise<{ path: string; rows: number }> {
    await this.store.flush();
    const rows = await exportData(this.store, request, onProgress);
    if (!this.readOnly) await this.store.saveNotice('info', `exported ${rows} rows to ${request.path}`);
    return { path: request.path, rows };
  }

  // ---- alerts --------------------------------------------------------------------------------

  /** Live alert instances now, and the newest live transitions from the store (newest first). */
  async alertsNow(
    limit: number,
  ): Promise<{ instances: AlertInstanceInfo[]; transitions: AlertTransitionInfo[] }> {
    await this.alerts?.writer.drain();
    const instances = (this.alerts?.instances() ?? []).map((i) => {
      const ack = this.alerts?.acks.get(i.rule, i.labels);
      return {
        ...i,
        value: Number.isFinite(i.value) ? i.value : null,
        acknowledged: ack !== undefined,
        acknowledgedBy: ack?.by ?? null,
        acknowledgedAt: ack?.at ?? null,
        ackComment: ack?.comment ?? '',
        silencedBy: this.silences?.silencedBy(alertLabels(i)) ?? [],
      };
    });
    const rows = await this.store.read(
      // `cause` through to_json: a file from before that column, opened read-only, has none.
      `SELECT epoch_us(ts)::DOUBLE / 1000, rule, labels::VARCHAR, from_state, state, value, severity, annotations::VARCHAR,
         to_json(t)->>'cause'
       FROM alert_transitions t WHERE mode = 'live' ORDER BY ts DESC LIMIT ${Math.trunc(limit)}`,
    );
    const transitions = rows.map(([ts, rule, labels, from, state, value, severity, annotations, cause]) => ({
      ts: ts as number,
      rule: rule as string,
      labels: JSON.parse(labels as string) as Record<string, string>,
      from: from as AlertTransitionInfo['from'],
      state: state as AlertTransitionInfo['state'],
      value: value as number | null,
      severity: severity as AlertTransitionInfo['severity'],
      annotations: JSON.parse(annotations as string) as Record<string, string>,
      cause: (cause as string | null) ?? null,
    }));
    return { instances, transitions };
  }

  /**
   * Rules evaluated over stored data, nothing written: the console's preview and `opsdeck rules
   * test` (through a running engine or on a closed workspace). An absent end of the range is the
   * hour before now, or with `allStored` the stored data's own ends.
   */
  async previewRules(
    rules: readonly AlertRule[],
    range: {
      from?: number | undefined;
      to?: number | undefined;
      defaultRange?: 'lastHour' | 'allStored';
    } = {},
  ): Promise<PreviewRulesResult> {
    let { from, to } = range;
    if ((range.defaultRange ?? 'lastHour') === 'lastHour') {
      to ??= this.now();
      from ??= to - 3_600_000;
    }
    const result = await evaluateStored(this.store, rules, { from, to });
    const kept = result.transitions.slice(0, PREVIEW_MAX_TRANSITIONS);
    return {
      // NaN when nothing is stored and the range was left to the data.
      from: Number.isFinite(result.from) ? result.from : 0,
      to: Number.isFinite(result.to) ? result.to : 0,
      transitions: kept.map((t) => ({
        ...t,
        value: Number.isFinite(t.value) ? t.value : null,
        cause: t.cause ?? null,
      })),
      total: result.transitions.length,
      firings: result.transitions.filter((t) => t.state === 'firing').length,
      truncated: kept.length < result.transitions.length,
      samples: result.samples,
      records: result.records,
      unknownChannels: result.unknownChannels,
      late: result.late,
    };
  }

  /** Replaces the rules in opsdeck.json (validated as the whole file is); live evaluation follows. */
  saveRules(rules: AlertRule[]): void {
    this.saveConfig({ ...this.config, rules });
  }

  /** Replaces the display preferences in opsdeck.json, so every console on the workspace shows times alike. */
  saveDisplay(display: WorkspaceConfig['display']): void {
    this.saveConfig({ ...this.config, display });
  }

  /** Adds or replaces (or renames, from `previousId`) a notifier; rules follow a rename. */
  saveNotifier(notifier: NotifierConfig, previousId?: string): void {
    this.saveConfig(withNotifier(this.config, notifier, previousId));
  }

  /** Removes a notifier; rules stop naming it. */
  removeNotifier(id: string): void {
    this.saveConfig(withoutNotifier(this.config, id));
  }

  /** One test notification through `notifier` (saved or not), and what came of it. */
  testNotifier(notifier: NotifierConfig): Promise<NotifierTestResult> {
    return sendTestNotification(notifier, {
      publish: (request) => this.publish(request),
      now: this.now,
      version: ENGINE_VERSION,
    });
  }

  /** Sets one channel's settings (by name); scale and offset apply to values from now on. */
  saveChannel(channel: WorkspaceConfig['channels'][number]): void {
    const others = this.config.channels.filter((c) => c.name !== channel.name);
    this.saveConfig({ ...this.config, channels: [...others, channel] });
  }

  /** Replaces the plot layouts and the one shown; a layout change is not an audit entry. */
  saveLayouts(layouts: WorkspaceConfig['layouts'], activeLayout: string): void {
    if (!layouts.some((l) => l.name === activeLayout))
      throw new Error(`activeLayout: no layout named "${activeLayout}"`);
    this.saveConfig({ ...this.config, layouts, activeLayout });
  }

  private alerting(): { alerts: LiveAlerts; audit: AuditLog; silences: SilenceBook; table: SilenceTable } {
    if (!this.alerts || !this.audit || !this.silences || !this.silenceTable)
      throw new Error('the workspace is open read-only');
    return { alerts: this.alerts, audit: this.audit, silences: this.silences, table: this.silenceTable };
  }

  /** Acknowledges a live instance (not normal or resolved) until it resolves. */
  ackAlert(p: { rule: string; labels: Record<string, string>; actor: string; comment: string }): void {
    const { alerts, audit } = this.alerting();
    const key = AckBook.key(p.rule, p.labels);
    const inst = alerts.instances().find((i) => AckBook.key(i.rule, i.labels) === key);
    if (!inst) throw new Error(`ackAlert: no live instance of rule "${p.rule}" with these labels`);
    if (!ackable(inst.state)) throw new Error(`ackAlert: ${p.rule} is ${inst.state}: nothing to acknowledge`);
    alerts.acks.set(inst.rule, inst.labels, { by: p.actor, at: this.now(), comment: p.comment });
    audit.append(p.actor, 'alert.ack', {
      rule: inst.rule,
      labels: inst.labels,
      state: inst.state,
      comment: p.comment,
    });
  }

  unackAlert(p: { rule: string; labels: Record<string, string>; actor: string }): void {
    const { alerts, audit } = this.alerting();
    const ack = alerts.acks.delete(p.rule, p.labels);
    if (!ack) throw new Error(`unackAlert: ${p.rule} with these labels is not acknowledged`);
    audit.append(p.actor, 'alert.unack', {
      rule: p.rule,
      labels: p.labels,
      ackedBy: ack.by,
      reason: 'by hand',
    });
  }

  async createSilence(p: {
    matchers: Silence['matchers'];
    startsAt?: number;
    endsAt: number;
    createdBy: string;
    comment: string;
  }): Promise<Silence & { status: SilenceStatus }> {
    const { audit, silences, table } = this.alerting();
    const now = this.now();
    const startsAt = p.startsAt ?? now;
    if (p.endsAt <= Math.max(startsAt, now)) throw new Error('createSilence: endsAt must be in the future');
    const silence: Silence = {
      id: newSilenceId(),
      matchers: p.matchers,
      startsAt,
      endsAt: p.endsAt,
      createdBy: p.createdBy,
      comment: p.comment,
      createdAt: now,
    };
    await table.insert(silence);
    silences.add(silence);
    audit.append(p.createdBy, 'silence.create', { ...silence });
    return { ...silence, status: silenceStatus(silence, now) };
  }

  async expireSilence(id: string, actor: string): Promise<void> {
    const { audit, silences, table } = this.alerting();
    if (!silences.get(id)) throw new Error(`expireSilence: no silence "${id}"`);
    const ended = silences.expire(id);
    if (!ended) throw new Error(`expireSilence: silence "${id}" has already expired`);
    await table.updateEnds(ended);
    audit.append(actor, 'silence.expire', { id, endsAt: ended.endsAt });
    this.notifier?.resume();
  }

  silenceList(): (Silence & { status: SilenceStatus })[] {
    return this.silences?.list() ?? [];
  }

  /** Silences that ran out since the last look: in the audit log, and their alerts notify again. */
  private sweepSilences(): void {
    if (this.closed || !this.silences || !this.audit) return;
    const expired = this.silences.sweep();
    for (const s of expired) this.audit.append('opsdeck', 'silence.expired', { id: s.id, endsAt: s.endsAt });
    if (expired.length > 0) this.notifier?.resume();
  }

  async verifyAudit(): Promise<AuditVerdict> {
    if (!this.audit) {
      const r = await this.store.read('SELECT count(*)::DOUBLE FROM audit');
      return { ok: true, count: r[0]?.[0] as number };
    }
    return this.audit.verify();
  }

  /** Delivery status of each configured notifier. */
  notifierStatus(): NotifierStatus[] {
    return this.notifier?.status() ?? [];
  }

  // ---- status and notices --------------------------------------------------------------------

  status(): EngineStatus {
    const now = this.now();
    const sources = [...this.sources.values()].map((s) => s.status(now));
    return {
      ts: now,
      sources,
      samplesPerSecond: this.samplesRate.rate,
      recordsPerSecond: this.recordsRate.rate,
      storedSamples: this.store.storedSamples,
      storedRecords: this.store.storedRecords,
      quarantined: this.store.storedQuarantine,
      shed: sources.reduce((sum, s) => sum + s.shed, 0),
      databaseBytes: this.databaseBytes,
      retentionDropped: this.store.retentionDropped,
      pendingRows: this.store.pendingRows,
      lostRows: this.store.lostRows,
      failedWrites: this.store.failedWrites,
      pendingWork: {
        rows: this.pending.rows,
        bytes: this.pending.bytes,
        maxRows: this.pending.maxRows,
        maxBytes: this.pending.maxBytes,
      },
      userQueries: this.store.userQueries,
    };
  }

  private async refreshStats(): Promise<void> {
    if (this.closed) return;
    const at = this.now();
    this.samplesRate.update(this.store.storedSamples + this.store.retentionDropped, at);
    this.recordsRate.update(this.store.storedRecords, at);
    for (const s of this.sources.values()) {
      s.sampleRate.update(s.samples, at);
    }
    this.tellLostRows(at);
    this.databaseBytes = await this.store.databaseBytes().catch(() => this.databaseBytes);
  }

  /** Rows the store could not keep are an error notice whenever their count grows (at most every 10 s). */
  private tellLostRows(at: number): void {
    const lost = this.store.lostRows;
    if (lost <= this.toldLost.rows || at - this.toldLost.at < 10_000) return;
    const failure = this.store.failed;
    this.notice(
      'error',
      `store: ${lost - this.toldLost.rows} more rows could not be stored (${lost} since the engine started)${failure ? `; the database is recovering from: ${failure}` : ''}`,
    );
    this.toldLost = { rows: lost, at };
  }

  private async runRetention(): Promise<void> {
    if (this.closed) return;
    try {
      await this.store.applyRetention(this.config.retention, this.now());
    } catch (error) {
      this.notice('error', `retention failed: ${(error as Error).message}`);
    }
  }

  notice(level: Notice['level'], message: string): void {
    const notice: Notice = { ts: this.now(), level, message };
    this.noticeLog.push(notice);
    if (this.noticeLog.length > 200) this.noticeLog.shift();
    for (const l of this.noticeListeners) l(notice);
    if (level !== 'info') void this.store.saveNotice(level, message).catch(() => undefined);
  }

  notices(): Notice[] {
    return [...this.noticeLog];
  }

  onNotice(listener: (n: Notice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }

  /**
   * Runs a configuration edited in opsdeck.json (already checked): rules, channels, layouts and
   * display at once, changed sources restarted, removed ones stopped; every console is told.
   */
  async adoptEditedConfig(next: WorkspaceConfig): Promise<void> {
    if (this.closed) return;
    const before = this.config;
    this.configChanges.by(null, 'file', () => {
      this.config = next;
      this.applyChannelConfig();
      this.alerts?.configure(next.rules, next.alerting);
      this.configChanges.saved(before, next);
    });
    const { removed, started } = sourceChanges(before.sources, next.sources);
    for (const id of [...removed, ...started.map((s) => s.id)]) {
      const running = this.sources.get(id);
      if (running) await this.stopSource(running);
      this.sources.delete(id);
    }
    for (const source of started) await this.addSource(source);
    if (JSON.stringify(before.store) !== JSON.stringify(next.store))
      this.notice('warn', 'opsdeck.json: the new store settings apply when the workspace is next opened');
  }

  reloadConfig(): void {
    this.config = readWorkspaceConfig(this.dir);
    this.applyChannelConfig();
    this.alerts?.configure(this.config.rules, this.config.alerting);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.configWatcher?.stop();
    await this.notifier?.close(); // before the sources: an MQTT notifier publishes through one
    for (const running of this.sources.values()) await this.stopSource(running);
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.live.stop();
    this.alerts?.stop();
    this.alerts?.saveState();
    await this.alerts?.writer.drain();
    await this.alerts?.stateTable.drain();
    await this.audit?.drain();
    await this.store.close();
  }
}
