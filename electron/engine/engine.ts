// The engine: one workspace, its sources, the store and the live session. Every host (the
// Electron utility process, `opsdeck serve`, the CLI, the tests) runs this same class. It is the
// composition root and the facade: the source supervisor (supervisor.ts) runs the sources, the
// live session (session/session.ts) carries bus, live view, alert evaluation and clock, the alert
// service (alerts/service.ts) keeps acks, silences, audit and notifiers; replay sessions run beside.
import type { MaskingOptions } from '../../shared/masking';
import { DEFAULT_RULES, rulesFor } from './pipeline/masking';
import { scanFiles, type ScanSummary } from './pipeline/scan';
import path from 'node:path';
import type { z } from 'zod';
import type {
  BundleRequest,
  BundleResult,
  ClearQuarantineRequest,
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
  SparkplugNodesResult,
} from '../../shared/api';
import type { AlertRule, NotifierConfig } from '../../shared/alerts';
import type {
  KafkaClusterRequest,
  KafkaClusterResult,
  KafkaProduceRequest,
  NotifierTestResult,
} from '../../shared/api';
import { sendTestNotification, withNotifier, withoutNotifier } from './alerts/notify/edit';
import { type SourceConfig, WorkspaceConfig } from '../../shared/schemas';
import type { AuditLog, AuditVerdict } from './alerts/audit';
import { evaluateStored } from './alerts/stored';
import { ReplayBoard } from './replay/board';
import type { LiveAlerts } from './alerts/live';
import type { SilenceBook, Silence } from './alerts/silences';
import type { AlertNotifier, NotifierStatus } from './alerts/notify/notifier';
import { AlertService } from './alerts/service';
import type { SilenceStatus } from '../../shared/silences';
import type { Bus } from './bus';
import { ChannelDirectory } from './channels/directory';
import { configChangeDetail } from './config/audit';
import { ConfigChanges } from './config/changes';
import { ConfigWatcher, sourceChanges } from './config/watch';
import { Investigate } from './investigate';
import { Annotations } from './evidence/annotations';
import { writeBundle } from './evidence/bundle';
import { bundleRunner, exportRunner, signingKey, type WrittenBundle } from './jobs/evidence';
import { NamedRecordings } from './evidence/recordings';
import { newKeyPairPem } from './evidence/signing';
import {
  RecordingRedecodeRequest,
  type NamedRecording,
  type RedecodeRecordingParams,
  type StartRecordingRequest,
} from '../../shared/recordings';
import { exportData, type ExportProgress } from './store/export';
import type { LiveHub, LiveSink } from './live/hub';
import { PendingBudget } from './ingest/stage';
import { publishBytes, sendBytes } from './payload';
import { wallClock, type Clock } from './session/clock';
import { Session } from './session/session';
import { sourceFactories } from './sources/registry';
import { listSerialPorts } from './sources/serial/ports';
import type { SourceContext } from './sources/source';
import { RateMeter, SourceSupervisor } from './supervisor';
import { Secrets, secretRefs, type SecretVault } from './secrets';
import { ReadFlush } from './store/read-flush';
import { Store, type StoreNotice } from './store/store';
import { DATA_FILE, ensureWorkspace, readWorkspaceConfig, writeWorkspaceConfig } from './workspace';
import {
  ImportRequest as ImportRequestSchema,
  type DirectoryListing,
  type ImportRequest,
  type RedecodeRequest,
} from '../../shared/jobs';
import { listDirectory } from './import/directory';
import { importRunner } from './import/import';
import { recordingRedecodeRunner, redecodeRunner } from './jobs/redecode';
import { MaskingOptions as MaskingOptionsSchema } from '../../shared/masking';
import { JobBoard } from './jobs/board';

export const ENGINE_VERSION = '0.1.0';

/** A rule preview answers with at most this many transitions (and the total). */
const PREVIEW_MAX_TRANSITIONS = 5_000;

type TopicsRequestOut = z.output<typeof TopicsRequest>;

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

export class Engine {
  /** The live session: the bus every source feeds, the live view, alert evaluation, the clock. */
  readonly session: Session;
  /** Acks, silences, their audit log and the notifiers (none of it on a read-only engine). */
  readonly alertService: AlertService;
  /** Notes on instants and ranges of the timeline (evidence/annotations.ts). */
  readonly annotations: Annotations;
  /** Ingest work of every source not yet durable, bounded by store.maxPendingRows/maxPendingMb. */
  readonly pending: PendingBudget;
  readonly secrets = new Secrets();
  /** Tells the consoles what part of opsdeck.json changed, and who changed it. */
  readonly configChanges = new ConfigChanges();
  /** The channel browser's channels, with their workspace settings and last values. */
  readonly channelDirectory: ChannelDirectory;
  /** Imports (exports and replays to come): progress, cancel, resumed after a restart. */
  readonly jobs: JobBoard;
  /** Recordings the user starts and stops by name (evidence/recordings.ts). */
  readonly recordings: NamedRecordings;
  /** What a bundle job wrote, for the call that waits for it (taken once read). */
  private readonly bundleResults = new Map<string, WrittenBundle>();
  /** History reads flush what is pending first, at most once per short interval. */
  private readonly readFlush: ReadFlush;
  /** The log view, quarantine browser and SQL console exports. */
  readonly investigate: Investigate;
  private readonly supervisor: SourceSupervisor;
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
  /** Replay sessions made here and not yet closed: the engine closes them with itself. */
  private readonly replays = new Set<Session>();
  /** Open replays of stored data, what-would-have-fired, aligned channels, the timeline (replay/board.ts). */
  readonly replay: ReplayBoard;
  readonly now: () => number;

  private constructor(
    readonly dir: string,
    public config: WorkspaceConfig,
    readonly store: Store,
    readonly options: EngineOptions,
  ) {
    const clock: Clock = options.now ? { now: options.now } : wallClock;
    this.now = options.now ?? Date.now;
    this.pending = new PendingBudget(config.store.maxPendingRows, config.store.maxPendingMb * 1024 ** 2);
    this.readFlush = new ReadFlush(store, this.now);
    this.investigate = new Investigate(store, this.readFlush, () => this.audit, store.readOnly);
    // It flushes only when a channel appeared since its last look, so its rows are there to read.
    this.channelDirectory = new ChannelDirectory(store, () => this.config.channels);
    const notice = (level: Notice['level'], message: string) => this.notice(level, message);
    this.alertService = AlertService.for({
      store,
      now: this.now,
      notice,
      publish: (request) => this.publish(request),
      kafkaProduce: (request) => this.kafkaProduce(request),
      version: ENGINE_VERSION,
    });
    this.annotations = new Annotations(store, this.now, (actor, action, detail) =>
      this.recordAudit(actor, action, detail),
    );
    this.session = Session.live({
      store,
      clock,
      notifier: this.alertService.notifier,
      alerting: !store.readOnly,
      resolveChannel: (name) => store.knownChannels().get(name),
      notice,
      ackCleared: this.alertService.ackCleared,
      consumers: [this.channelDirectory.lastValues],
      liveRingCapacity: options.liveRingCapacity,
    });
    this.session.configureAlerts(config.rules, config.alerting);
    this.recordings = new NamedRecordings({
      store,
      now: this.now,
      audit: (actor, action, detail) => this.recordAudit(actor, action, detail),
      sourceIds: () => this.config.sources.map((s) => s.id),
    });
    this.supervisor = new SourceSupervisor({
      store,
      bus: () => this.session.bus,
      pending: this.pending,
      secrets: this.secrets,
      config: () => this.config,
      saveConfig: (next) => this.saveConfig(next),
      now: this.now,
      notice,
      closed: () => this.closed,
      isRecording: (id) => this.recordings.isRecording(id),
    });
    this.supervisor.applyChannelConfig();
    this.jobs = new JobBoard({ store, audit: () => this.audit, now: this.now });
    this.replay = new ReplayBoard({
      store,
      // Channels keep the store's ids in a replay: a console's subscriptions mean the same channels.
      openSession: (c, rules) =>
        this.replaySession(c, rules, { resolveChannel: (name) => store.knownChannels().get(name) }),
      rules: () => this.config.rules,
      now: this.now,
    });
    this.jobs.register(
      'import',
      importRunner({
        store,
        ingestContext: (id, kind, masking) => this.ingestContext(id, kind, masking),
        now: this.now,
      }),
    );
    this.jobs.register(
      'redecode',
      redecodeRunner({ store, ingestContext: (id, kind) => this.ingestContext(id, kind) }),
    );
    this.jobs.register(
      'redecode-recording',
      recordingRedecodeRunner({
        store,
        ingestContext: (id, kind, masking) => this.ingestContext(id, kind, masking),
        sourceConfig: (id) => this.config.sources.find((s) => s.id === id),
        maskingOf: (id) => {
          const options = this.config.sources.find((s) => s.id === id)?.options as
            { masking?: unknown } | undefined;
          return options?.masking === undefined ? undefined : MaskingOptionsSchema.parse(options.masking);
        },
        calibrationOf: (name) => this.config.channels.find((c) => c.name === name),
        calibrate: (id, scale, offset) => this.supervisor.calibrate(id, scale, offset),
      }),
    );
    const audit = (actor: string, action: string, detail: Record<string, unknown>) =>
      this.recordAudit(actor, action, detail);
    this.jobs.register('export', exportRunner({ store, audit }));
    this.jobs.register(
      'bundle',
      bundleRunner({
        store,
        source: () => this.bundleSource(),
        vault: options.vault,
        audit,
        written: this.bundleResults,
      }),
    );
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
      await engine.alertService.start(engine.session.alerts, config.alerting.tickMs);
      engine.session.live.start();
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
    if (!readOnly) await engine.recordings.load(); // before the sources: they ask whether to record
    if (!readOnly && (options.startSources ?? true)) {
      for (const source of config.sources) await engine.supervisor.addSource(source);
    }
    if (!readOnly) {
      const resumed = await engine.jobs.resume();
      if (resumed) engine.notice('info', `resuming ${resumed} job(s) the engine did not finish`);
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

  /** The live session's bus, live view and alert evaluation (null on a read-only engine). */
  get bus(): Bus {
    return this.session.bus;
  }
  get live(): LiveHub {
    return this.session.live;
  }
  get alerts(): LiveAlerts | null {
    return this.session.alerts;
  }
  /** Sends live firing/resolved alerts to the workspace's notifiers; null on a read-only engine. */
  get notifier(): AlertNotifier | null {
    return this.alertService.notifier;
  }
  /** Hash-chained log of acks and silences; null on a read-only engine. */
  get audit(): AuditLog | null {
    return this.alertService.audit;
  }
  /** Silences (table `silences`), loaded at start; null on a read-only engine. */
  get silences(): SilenceBook | null {
    return this.alertService.silences;
  }

  /**
   * A replay session beside the live one: this workspace's rules (or `rules`) evaluated on `clock`
   * (a VirtualClock), nothing stored and nothing sent. The caller closes it (else the engine's close does).
   */
  replaySession(
    clock: Clock,
    rules: readonly AlertRule[] = this.config.rules,
    options: { resolveChannel?: (name: string) => number | undefined } = {},
  ): Session {
    if (this.closed) throw new Error('replaySession: the engine is closed');
    for (const s of this.replays) if (s.isClosed) this.replays.delete(s);
    const session = Session.replay({
      clock,
      rules,
      alerting: this.config.alerting,
      ...(options.resolveChannel ? { resolveChannel: options.resolveChannel } : {}),
      ...(this.options.liveRingCapacity ? { liveRingCapacity: this.options.liveRingCapacity } : {}),
    });
    this.replays.add(session);
    return session;
  }

  // ---- sources -------------------------------------------------------------------------------

  /**
   * A context for feeding data in from outside a configured source (imports, benchmarks): the same
   * path as a source's, calibration and bus included. Counts show under `id` in the status.
   * `masking`: the rules its records, quarantine and recordings are masked with (none if absent).
   */
  ingestContext(id: string, kind: string, masking?: MaskingOptions): SourceContext {
    return this.supervisor.ingestContext(id, kind, masking);
  }

  setSourceEnabled(id: string, enabled: boolean): Promise<void> {
    return this.supervisor.setSourceEnabled(id, enabled);
  }

  upsertSource(config: SourceConfig): Promise<void> {
    return this.supervisor.upsertSource(config);
  }

  removeSource(id: string): Promise<void> {
    return this.supervisor.removeSource(id);
  }

  topics(request: TopicsRequestOut): TopicsResult {
    const source = this.supervisor.liveSource(request.source);
    if (!source.topics) throw new Error(`source "${request.source}" has no topics`);
    return source.topics(request);
  }

  topicDetail(sourceId: string, topic: string): TopicDetail {
    const source = this.supervisor.liveSource(sourceId);
    if (!source.topicDetail) throw new Error(`source "${sourceId}" has no topics`);
    const detail = source.topicDetail(topic);
    if (!detail) throw new Error(`source "${sourceId}" has seen no message on "${topic}"`);
    return detail;
  }

  sparkplugNodes(sourceId: string): SparkplugNodesResult {
    const source = this.supervisor.liveSource(sourceId);
    if (!source.sparkplugNodes) throw new Error(`source "${sourceId}" reads no Sparkplug B`);
    return source.sparkplugNodes();
  }

  async sparkplugRebirth(request: { source: string; group: string; node: string }): Promise<void> {
    const source = this.supervisor.liveSource(request.source);
    if (!source.sparkplugRebirth)
      throw new Error(`source "${request.source}" cannot ask for a Sparkplug rebirth`);
    await source.sparkplugRebirth(request.group, request.node);
  }

  async publish(request: PublishRequest): Promise<void> {
    const source = this.supervisor.liveSource(request.source);
    if (!source.publish) throw new Error(`source "${request.source}" cannot publish`);
    await source.publish({ ...request, bytes: publishBytes(request) });
  }

  async kafkaCluster(request: KafkaClusterRequest): Promise<KafkaClusterResult> {
    const source = this.supervisor.liveSource(request.source);
    if (!source.kafkaCluster) throw new Error(`source "${request.source}" is not a Kafka source`);
    return source.kafkaCluster(request);
  }

  async kafkaProduce(request: KafkaProduceRequest): Promise<{ partition: number; offset: number }> {
    const source = this.supervisor.liveSource(request.source);
    if (!source.kafkaProduce) throw new Error(`source "${request.source}" is not a Kafka source`);
    return source.kafkaProduce({ ...request, bytes: publishBytes(request) });
  }

  async serialPorts(): Promise<{ ts: number; ports: SerialPortInfo[] }> {
    return { ts: this.now(), ports: await listSerialPorts() };
  }

  sourceConsole(request: { source: string; after?: number; limit: number }): SourceConsoleResult {
    const source = this.supervisor.liveSource(request.source);
    if (!source.console) throw new Error(`source "${request.source}" has no console`);
    return source.console(request.after, request.limit);
  }

  /** Sends `data` (text or hex) with the line ending to the source's device; answers the bytes written. */
  async sendToSource(request: SendToSourceRequest): Promise<number> {
    const source = this.supervisor.liveSource(request.source);
    if (!source.send) throw new Error(`source "${request.source}" cannot send`);
    const bytes = sendBytes(request);
    await source.send(bytes);
    return bytes.length;
  }

  /** Stores a secret for this session and restarts the sources that were waiting for it. */
  setSecret(name: string, value: string): Promise<void> {
    return this.supervisor.setSecret(name, value);
  }

  private saveConfig(next: WorkspaceConfig): void {
    if (this.readOnly) throw new Error('the workspace is open read-only');
    // What the file now says (defaults filled), so a watcher reading it back sees no change.
    const written = writeWorkspaceConfig(this.dir, next);
    const before = this.config;
    this.config = written;
    this.supervisor.applyChannelConfig();
    this.session.configureAlerts(written.rules, written.alerting);
    this.configChanges.saved(before, written);
    this.auditConfigChange(before, written);
  }

  /** Every configuration change but a layout's is an audit entry: who, and what before and after. */
  private auditConfigChange(before: WorkspaceConfig, after: WorkspaceConfig): void {
    const detail = configChangeDetail(before, after);
    if (!detail) return;
    const { origin, connection } = this.configChanges.origin();
    const actor = origin === 'file' ? 'opsdeck.json' : `console${connection ? ` ${connection}` : ''}`;
    this.recordAudit(actor, 'config.change', detail);
  }

  /**
   * Appends an entry to the audit log (never a secret in `detail`). A read-only engine keeps no
   * log: the engine that owns the workspace does; answers whether the entry was made.
   */
  recordAudit(actor: string, action: string, detail: Record<string, unknown>): boolean {
    const audit = this.alertService.audit;
    if (!audit) return false;
    audit.append(actor, action, detail);
    return true;
  }

  // ---- jobs ------------------------------------------------------------------------------------

  /** Starts importing files and folders (a job); answers its id at once. */
  async importFiles(input: z.input<typeof ImportRequestSchema>): Promise<string> {
    const request: ImportRequest = ImportRequestSchema.parse(input);
    if (this.readOnly)
      throw new Error('the workspace is open read-only: import through the engine that owns it');
    const label =
      request.paths.length === 1
        ? request.paths[0]!
        : `${request.paths.length} paths from ${path.dirname(request.paths[0]!)}`;
    return this.jobs.start('import', request, `import ${label}`);
  }

  /** Decodes quarantined items of a source again with another decoder (a job); answers its id. */
  async redecodeQuarantine(request: RedecodeRequest): Promise<string> {
    if (this.readOnly)
      throw new Error('the workspace is open read-only: re-decode through the engine that owns it');
    return this.jobs.start(
      'redecode',
      request,
      `re-decode ${request.ids.length} quarantined item${request.ids.length === 1 ? '' : 's'} of ${request.source} with ${request.decoder}`,
    );
  }

  listDirectory(dir?: string): DirectoryListing {
    return listDirectory(dir);
  }

  // ---- channels ------------------------------------------------------------------------------

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

  /** The sensitive-data scan of files (pipeline/scan.ts), with the masking rules asked for. */
  scanFiles(request: {
    paths: string[];
    masking?: MaskingOptions | undefined;
    maxFindings: number;
  }): Promise<ScanSummary> {
    const rules = request.masking ? rulesFor(request.masking) : DEFAULT_RULES;
    return scanFiles(request.paths, rules, request.maxFindings);
  }

  /**
   * Exports a range (store/export.ts) as a job: on the jobs board with progress and cancel, an
   * audit entry when it ends, nothing at the path unless it finished. Resolves once it has ended,
   * or rejects saying why not (cancelled, failed). A read-only engine has no jobs: it exports directly.
   */
  async export(
    request: ExportRequest,
    onProgress?: (p: ExportProgress) => void,
    actor = 'console',
    onJob?: (id: string) => void,
  ): Promise<{ path: string; rows: number; job?: string }> {
    if (this.readOnly) {
      const rows = await exportData(this.store, request, onProgress);
      return { path: request.path, rows };
    }
    const table = request.table ?? 'samples';
    const id = await this.jobs.start(
      'export',
      { request, actor },
      `export ${table} as ${request.format} to ${path.resolve(request.path)}`,
    );
    onJob?.(id);
    const started = performance.now();
    const off = this.jobs.onChange(() => {
      const job = this.jobs.get(id);
      if (!onProgress || job?.state !== 'running' || job.rowsTotal === null) return;
      const seconds = (performance.now() - started) / 1000;
      onProgress({
        done: job.rows,
        total: job.rowsTotal,
        ratePerSecond: seconds > 0 ? job.rows / seconds : 0,
        etaSeconds: job.secondsLeft,
        finished: false,
      });
    });
    const ended = await this.jobs.wait(id).finally(off);
    if (ended.state !== 'done')
      throw new Error(ended.error ?? `export ${ended.state}: nothing written to ${request.path}`);
    return { path: request.path, rows: ended.rows, job: id };
  }

  /** Makes an Ed25519 key pair in the desktop's vault (never replacing one); answers its public half. */
  async keygenVault(name: string): Promise<{ name: string; publicKey: string; fingerprint: string }> {
    const vault = this.options.vault;
    if (!vault)
      throw new Error(
        'keygen: no key store here (the desktop app keeps one); write a key file outside the workspace with "opsdeck keygen --out FILE"',
      );
    if ((await vault.get(name)) !== undefined)
      throw new Error(`keygen: the key store has a "${name}" already; a key is never replaced`);
    const pair = newKeyPairPem();
    await vault.set(name, pair.privateKey);
    this.recordAudit('console', 'key.create', { vault: name, fingerprint: pair.fingerprint });
    return { name, publicKey: pair.publicKey, fingerprint: pair.fingerprint };
  }

  /**
   * Writes a signed evidence bundle of [from, to) (evidence/bundle.ts) as a job, recorded in the
   * audit log; resolves once it has ended. A read-only engine writes it directly, unaudited.
   */
  async bundle(request: BundleRequest, actor = 'console'): Promise<z.input<typeof BundleResult>> {
    let written;
    let job: string | undefined;
    if (this.readOnly) {
      const key = await signingKey(request, this.dir, this.options.vault);
      written = { ...(await writeBundle(this.bundleSource(), request, key)), audited: false };
    } else {
      job = await this.jobs.start('bundle', { request, actor }, `bundle to ${path.resolve(request.out)}`);
      const ended = await this.jobs.wait(job);
      written = this.bundleResults.get(job);
      this.bundleResults.delete(job);
      if (ended.state !== 'done' || !written)
        throw new Error(ended.error ?? `bundle ${ended.state}: nothing written to ${request.out}`);
    }
    const { path: out, manifest, manifestSha256, auditBroken, audited } = written;
    return {
      path: out,
      fingerprint: manifest.signer.fingerprint,
      manifestSha256,
      files: manifest.files,
      rows: manifest.rows,
      audited,
      auditBroken,
      ...(job ? { job } : {}),
    };
  }

  private bundleSource() {
    return {
      store: this.store,
      dir: this.dir,
      name: this.config.name,
      rules: this.config.rules,
      now: this.now,
    };
  }

  // ---- recordings ------------------------------------------------------------------------------

  /** Starts a named recording of live sources: they keep their raw messages while it runs. */
  startRecording(request: StartRecordingRequest): Promise<NamedRecording> {
    return this.recordings.start(request);
  }

  stopRecording(name: string, actor: string): Promise<NamedRecording> {
    return this.recordings.stop(name, actor);
  }

  /**
   * Decodes recorded raw messages again into derived sources, one job per source: a named
   * recording's sources (or the one named) over its span, or a source over [from, to).
   */
  async redecodeRecording(params: RedecodeRecordingParams): Promise<string[]> {
    if (this.readOnly)
      throw new Error('the workspace is open read-only: re-decode through the engine that owns it');
    let sources: string[];
    let from: number;
    let to: number;
    let what: string;
    if (params.recording !== undefined) {
      const recording = await this.recordings.get(params.recording);
      if (params.source !== undefined && !recording.sources.includes(params.source))
        throw new Error(`recording "${recording.name}" does not record ${params.source}`);
      sources = params.source !== undefined ? [params.source] : recording.sources;
      from = params.from ?? recording.from;
      to = params.to ?? recording.to ?? this.now();
      what = `recording "${recording.name}"`;
    } else {
      sources = [params.source!];
      from = params.from!;
      to = params.to!;
      what = `${new Date(from).toISOString()}–${new Date(to).toISOString()}`;
    }
    const jobs: string[] = [];
    for (const source of sources) {
      const request = RecordingRedecodeRequest.parse({
        source,
        from,
        to,
        ...(params.decoder !== undefined ? { decoder: params.decoder } : {}),
        ...(params.calibration !== undefined ? { calibration: params.calibration } : {}),
        ...(params.masking !== undefined ? { masking: params.masking } : {}),
        target: `${source}~${params.suffix ?? 'redecoded'}`,
      });
      jobs.push(
        await this.jobs.start(
          'redecode-recording',
          request,
          `re-decode ${source} of ${what} into ${request.target}${params.decoder ? ` with ${params.decoder}` : ''}`,
        ),
      );
    }
    return jobs;
  }

  /** Removes quarantined input the user has dealt with; the clear is an audit entry. */
  async clearQuarantine(request: z.output<typeof ClearQuarantineRequest>): Promise<{ removed: number }> {
    // Any source that stored something: configured ones, and derived ones (an import, a re-decode).
    if (
      request.source !== undefined &&
      (await this.store.read('SELECT 1 FROM sources WHERE key = ?', [request.source])).length === 0
    )
      throw new Error(`clearQuarantine: no source "${request.source}"`);
    const removed = await this.store.clearQuarantine({ source: request.source, beforeMs: request.before });
    this.recordAudit(request.actor, 'quarantine.clear', {
      source: request.source ?? null,
      before: request.before ?? null,
      removed,
    });
    return { removed };
  }

  // ---- alerts --------------------------------------------------------------------------------

  /** Live alert instances now, and the newest live transitions from the store (newest first). */
  alertsNow(limit: number): Promise<{ instances: AlertInstanceInfo[]; transitions: AlertTransitionInfo[] }> {
    return this.alertService.now(limit);
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
  /** Replaces the rules in opsdeck.json (validated as the whole file is); live evaluation follows. */
  saveRules(rules: AlertRule[]): void {
    this.saveConfig({ ...this.config, rules });
  }

  /** Replaces the display preferences in opsdeck.json, so every console on the workspace shows times alike. */
  saveDisplay(display: WorkspaceConfig['display']): void {
    this.saveConfig({ ...this.config, display });
  }

  /** Replaces the investigate views' saved searches and SQL history (`investigate` in opsdeck.json). */
  saveInvestigate(investigate: WorkspaceConfig['investigate']): void {
    this.saveConfig({ ...this.config, investigate });
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
      kafkaProduce: (request) => this.kafkaProduce(request),
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

  /** Acknowledges a live instance (not normal or resolved) until it resolves. */
  ackAlert(p: { rule: string; labels: Record<string, string>; actor: string; comment: string }): void {
    this.alertService.ack(p);
  }

  unackAlert(p: { rule: string; labels: Record<string, string>; actor: string }): void {
    this.alertService.unack(p);
  }

  createSilence(p: {
    matchers: Silence['matchers'];
    startsAt?: number;
    endsAt: number;
    createdBy: string;
    comment: string;
  }): Promise<Silence & { status: SilenceStatus }> {
    return this.alertService.createSilence(p);
  }

  expireSilence(id: string, actor: string): Promise<void> {
    return this.alertService.expireSilence(id, actor);
  }

  silenceList(): (Silence & { status: SilenceStatus })[] {
    return this.alertService.silenceList();
  }

  verifyAudit(): Promise<AuditVerdict> {
    return this.alertService.verifyAudit();
  }

  /** Delivery status of each configured notifier. */
  notifierStatus(): NotifierStatus[] {
    return this.alertService.notifierStatus();
  }

  // ---- status and notices --------------------------------------------------------------------

  status(): EngineStatus {
    const now = this.now();
    const sources = this.supervisor.statuses(now);
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
    this.supervisor.updateRates(at);
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
      if (this.closed) return; // closing interrupted it: the next start trims again
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
      this.supervisor.applyChannelConfig();
      this.session.configureAlerts(next.rules, next.alerting);
      this.configChanges.saved(before, next);
      this.auditConfigChange(before, next);
    });
    const { removed, started } = sourceChanges(before.sources, next.sources);
    await this.supervisor.adopt(removed, started);
    if (JSON.stringify(before.store) !== JSON.stringify(next.store))
      this.notice('warn', 'opsdeck.json: the new store settings apply when the workspace is next opened');
  }

  reloadConfig(): void {
    this.config = readWorkspaceConfig(this.dir);
    this.supervisor.applyChannelConfig();
    this.session.configureAlerts(this.config.rules, this.config.alerting);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.jobs.close(); // a running import stops with its rows and position saved
    await this.configWatcher?.stop();
    await this.alertService.closeNotifier(); // before the sources: an MQTT notifier publishes through one
    await this.supervisor.stopAll();
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.replay.closeAll();
    for (const replay of this.replays) replay.close();
    this.session.close();
    await this.alertService.close();
    await this.store.close();
  }
}
