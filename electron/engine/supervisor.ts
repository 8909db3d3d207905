// The source supervisor: starts, stops and reconfigures the workspace's sources, each through an
// ingest stage onto the live session's bus; holds their leases (a stopped instance's late emits are
// not taken), their channels (with the per-source limit and calibration) and their status.
import { describeZodError, type SourceConfig, type WorkspaceConfig } from '../../shared/schemas';
import type { Notice, SourceState, SourceStatus } from '../../shared/api';
import type { RecordBatch, SampleBatch } from './batch';
import type { Bus } from './bus';
import { IngestStage, type PendingBudget, type PipelineStep } from './ingest/stage';
import { Calibration } from './pipeline/calibration';
import { Masker } from './pipeline/masking';
import { MaskingOptions } from '../../shared/masking';
import { SecondCounts } from './rate';
import type { Secrets } from './secrets';
import { sourceFactories } from './sources/registry';
import { CHANNEL_REFUSED, type Source, type SourceContext } from './sources/source';
import type { Store } from './store/store';

export interface SupervisorHost {
  store: Store;
  /** The live session's bus, which every source's batches go onto. */
  bus(): Bus;
  pending: PendingBudget;
  secrets: Secrets;
  config(): WorkspaceConfig;
  /** Writes opsdeck.json (and applies what else follows from it). */
  saveConfig(next: WorkspaceConfig): void;
  now(): number;
  notice(level: Notice['level'], message: string): void;
  /** The engine is closing: nothing more is taken. */
  closed(): boolean;
  /** Whether a named recording running now includes the source (evidence/recordings.ts). */
  isRecording(sourceId: string): boolean;
}

export class RateMeter {
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
  /** The running instance's masking, whose counts the status shows. */
  masker?: Masker;
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
      masked: { ...this.masker?.counts },
    };
  }
}

export class SourceSupervisor {
  private readonly sources = new Map<string, RunningSource>();
  private readonly calibration = new Calibration();

  constructor(private readonly host: SupervisorHost) {}

  /** Status of every source (configured, or an ingest feed). */
  statuses(now: number): SourceStatus[] {
    return [...this.sources.values()].map((s) => s.status(now));
  }

  /** Sample rates per source, on the engine's stats tick. */
  updateRates(at: number): void {
    for (const s of this.sources.values()) s.sampleRate.update(s.samples, at);
  }

  async stopAll(): Promise<void> {
    for (const running of this.sources.values()) await this.stopSource(running);
  }

  /** Restarts the sources an edit of opsdeck.json changed, stops the removed ones. */
  async adopt(removed: string[], started: SourceConfig[]): Promise<void> {
    for (const id of [...removed, ...started.map((s) => s.id)]) {
      const running = this.sources.get(id);
      if (running) await this.stopSource(running);
      this.sources.delete(id);
    }
    for (const source of started) await this.addSource(source);
  }

  async addSource(config: SourceConfig): Promise<void> {
    const running = new RunningSource(config);
    this.sources.set(config.id, running);
    if (config.enabled) await this.startSource(running);
  }

  private async startSource(running: RunningSource): Promise<void> {
    const config = this.host.config().sources.find((s) => s.id === running.config.id);
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
    running.lastErrorAt = this.host.now();
    running.lastErrorDetail = detail ?? null;
    this.host.notice('error', `source ${running.config.id}: ${message}${detail ? ` (${detail})` : ''}`);
  }

  /**
   * A context for feeding data in from outside a configured source (imports, benchmarks): the same
   * path as a source's, calibration and bus included. Counts show under `id` in the status.
   */
  ingestContext(id: string, kind: string, masking?: MaskingOptions): SourceContext {
    let running = this.sources.get(id);
    if (!running) {
      running = new RunningSource({ id, kind, name: id, enabled: true });
      this.sources.set(id, running);
    }
    this.host.store.sourceId(id, kind);
    running.state = 'connected';
    running.instance = { start: async () => undefined, stop: async () => undefined };
    running.lease = { open: true };
    return this.contextFor(running, running.lease, masking);
  }

  /**
   * The context one instance of a source works through. `lease` closes when that instance has
   * stopped: whatever it emits until then (its final flush included) is taken.
   */
  private contextFor(
    running: RunningSource,
    lease: { open: boolean },
    masking: MaskingOptions | undefined = this.maskingOf(running),
  ): SourceContext {
    const sourceId = running.config.id;
    this.host.store.sourceId(sourceId, running.config.kind);
    // Masking runs before anything leaves the stage: records, quarantine and recordings alike.
    running.masker = masking ? Masker.of(masking) : undefined;
    const steps: PipelineStep[] = [
      ...(running.masker ? [running.masker.step()] : []),
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
      budget: this.host.pending,
      now: this.host.now,
      submit: (batch) => {
        if (this.host.closed() || !lease.open)
          return Promise.reject(new Error(`not stored: source ${sourceId} was stopped`));
        for (const step of steps) step.apply(batch);
        running.samples += batch.samples.n;
        return this.host.bus().batch(batch) ?? Promise.resolve();
      },
      received: (count) => {
        running.messages += count;
        running.messageArrivals.add(count, this.host.now());
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
      positions: () => this.host.store.positions(sourceId),
      emitSamples: (batch: SampleBatch) => {
        if (this.host.closed() || !lease.open) return;
        return stage.emit(batch, null);
      },
      emitRecords: (rows: RecordBatch) => {
        if (this.host.closed() || !lease.open) return;
        return stage.emit(null, rows);
      },
      quarantine: (raw, reason, where = '') => {
        if (this.host.closed() || !lease.open) return;
        stage.addQuarantine(raw, reason, where);
      },
      received: (count) => {
        running.messages += count;
        running.messageArrivals.add(count, this.host.now());
      },
      shed: (count) => {
        running.shed += count;
      },
      setState: (state, error, detail) => {
        running.state = state;
        if (error) {
          running.lastError = error;
          running.lastErrorAt = this.host.now();
          running.lastErrorDetail = detail ?? null;
        } else if (state === 'connected') {
          running.lastError = null;
        }
      },
      describe: (endpoint, warnings = []) => {
        running.endpoint = endpoint;
        running.warnings = warnings;
      },
      secret: (name) => this.host.secrets.get(name),
      recordRaw: (messages) => {
        if (!this.host.closed() && lease.open) stage.addRaw(messages);
      },
      recordingNamed: () => this.host.isRecording(sourceId),
      now: this.host.now,
      notice: (level, message) => this.host.notice(level, message),
    };
  }

  /** The masking a configured source's options ask for (`options.masking`), if its kind has any. */
  private maskingOf(running: RunningSource): MaskingOptions | undefined {
    const config = this.host.config().sources.find((s) => s.id === running.config.id);
    const options = config?.options as { masking?: unknown } | undefined;
    if (options?.masking === undefined) return undefined;
    return MaskingOptions.parse(options.masking); // the kind's schema checked it already
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
      this.host.notice('error', `source ${running.config.id}: stopping failed: ${(error as Error).message}`);
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
    const configured = this.host.config().sources.find((s) => s.id === id);
    if (!running || !configured) throw new Error(`no configured source with id "${id}"`);
    if (running.config.enabled === enabled) return;
    running.config = { ...running.config, enabled };
    this.host.saveConfig({
      ...this.host.config(),
      sources: this.host.config().sources.map((s) => (s.id === id ? { ...configured, enabled } : s)),
    });
    if (enabled) await this.startSource(running);
    else await this.stopSource(running);
  }

  async upsertSource(config: SourceConfig): Promise<void> {
    const previous = this.host.config().sources.find((s) => s.id === config.id);
    const existing = this.sources.get(config.id);
    const replaced = this.host.config().sources.map((s) => (s.id === config.id ? config : s));
    const next = previous ? replaced : [...this.host.config().sources, config];
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
        this.host.saveConfig({ ...this.host.config(), sources: next });
        return;
      }
    }
    if (existing) {
      await this.stopSource(existing);
      this.sources.delete(config.id);
    }
    this.host.saveConfig({ ...this.host.config(), sources: next });
    await this.addSource(config);
  }

  async removeSource(id: string): Promise<void> {
    const running = this.sources.get(id);
    if (!running || !this.host.config().sources.some((s) => s.id === id))
      throw new Error(`no configured source with id "${id}"`);
    await this.stopSource(running);
    this.sources.delete(id);
    this.host.saveConfig({
      ...this.host.config(),
      sources: this.host.config().sources.filter((s) => s.id !== id),
    });
  }

  /** The running instance of a source, or an error naming why there is none. */
  liveSource(id: string): Source {
    const running = this.sources.get(id);
    if (!running) throw new Error(`no source with id "${id}"`);
    if (!running.instance)
      throw new Error(`source "${id}" is not running (${running.status(this.host.now()).state})`);
    return running.instance;
  }

  /** Stores a secret for this session and restarts the sources that were waiting for it. */
  async setSecret(name: string, value: string): Promise<void> {
    await this.host.secrets.set(name, value);
    for (const running of this.sources.values()) {
      const config = this.host.config().sources.find((s) => s.id === running.config.id);
      if (!config || !config.enabled || running.state !== 'error') continue;
      if (!JSON.stringify(config.options).includes(JSON.stringify(name))) continue;
      await this.stopSource(running);
      await this.startSource(running);
    }
  }

  // ---- channels ------------------------------------------------------------------------------

  /**
   * Id of a source's channel, created on first use — unless the source already has
   * `store.maxChannelsPerSource` channels: then CHANNEL_REFUSED, and a notice the first time.
   */
  private channelId(name: string, running: RunningSource, defaultUnit: string): number {
    const sourceId = running.config.id;
    const limit = this.host.config().store.maxChannelsPerSource;
    if (!this.host.store.knownChannels().has(name) && this.host.store.channelCount(sourceId) >= limit) {
      if (!running.channelLimitTold) {
        running.channelLimitTold = true;
        this.host.notice(
          'warn',
          `source ${sourceId}: reached its limit of ${limit} channels (store.maxChannelsPerSource); messages that would add more (first: "${name}") go to quarantine`,
        );
      }
      return CHANNEL_REFUSED;
    }
    const configured = this.host.config().channels.find((c) => c.name === name);
    const id = this.host.store.channelId(name, sourceId, configured?.unit ?? defaultUnit);
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

  /** Sets the scale and offset applied to a channel's samples before they are stored (a re-decode's). */
  calibrate(channelId: number, scale: number, offset: number): void {
    this.calibration.set(channelId, scale, offset);
  }

  applyChannelConfig(): void {
    const known = this.host.store.knownChannels();
    for (const c of this.host.config().channels) {
      const id = known.get(c.name);
      if (id !== undefined) this.calibration.set(id, c.scale, c.offset);
    }
  }
}
