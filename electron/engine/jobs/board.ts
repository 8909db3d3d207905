// The engine's jobs (shared/jobs.ts): long work with progress, cancel, a row in the `jobs` table
// and an audit entry when it ends. One runner per kind does the work; the board runs jobs one at a
// time in the order asked (an import holds the pending-work budget; two would only share it).
//
// Invariants:
// - A job's row is written before it runs and updated when it ends, so a job the engine did not
//   finish (closed, killed) is found at the next open and run again with the same id and spec:
//   its runner resumes from what it saved with its rows (an import: its positions).
// - `cancel` stops a job at its next check; what it finished stays. Closing the engine stops the
//   running job too, but leaves it `running` in the table: it is interrupted, not cancelled.
// - Listeners hear of every change; progress changes are many, so subscribers are coalesced by
//   the subscription hub, not here.
import { randomUUID } from 'node:crypto';
import type { JobInfo, JobKind, JobState } from '../../../shared/jobs';
import type { AuditLog } from '../alerts/audit';
import type { Store } from '../store/store';

/** How many ended jobs the board keeps in memory (the table keeps them all). */
const KEEP_ENDED = 50;
/** Rate over this window: a job's rows/s is what it did lately, not since it started. */
const RATE_WINDOW_MS = 5_000;

/** What a runner gets: its job to report on, and a signal that says stop. */
export interface JobHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  /** The job's info, changed in place by the runner; call `changed()` after. */
  readonly info: JobInfo;
  changed(): void;
  note(line: string): void;
  /**
   * The work is whole (an export renamed into place): a cancel arriving from now on is too late,
   * and the job ends done. Without it a cancel during the runner's last steps said "cancelled"
   * over a file that was written.
   */
  complete(): void;
}

export type JobRunner<S> = (spec: S, job: JobHandle) => Promise<void>;

interface Entry {
  info: JobInfo;
  spec: unknown;
  abort: AbortController;
  /** Why it stops: the user's cancel, or the engine closing. */
  stopping: 'cancel' | 'close' | null;
  /** The runner said its work is whole (JobHandle.complete). */
  completed: boolean;
  /** (time, rows, bytes) samples for the rates. */
  rates: [number, number, number][];
}

export interface JobBoardHost {
  store: Store;
  audit: () => AuditLog | null;
  now: () => number;
}

export class JobBoard {
  private readonly entries = new Map<string, Entry>();
  private readonly runners = new Map<JobKind, JobRunner<unknown>>();
  private readonly listeners = new Set<() => void>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly host: JobBoardHost) {}

  register<S>(kind: JobKind, runner: JobRunner<S>): void {
    this.runners.set(kind, runner as JobRunner<unknown>);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Newest first. */
  list(): JobInfo[] {
    return [...this.entries.values()]
      .map((e) => structuredClone(e.info))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  get(id: string): JobInfo | undefined {
    const e = this.entries.get(id);
    return e && structuredClone(e.info);
  }

  /** Queues a job; resolves with its id once its row is written. */
  async start(kind: JobKind, spec: unknown, label: string): Promise<string> {
    if (this.closed) throw new Error('the engine is closing: no new jobs');
    if (!this.runners.has(kind)) throw new Error(`no runner for jobs of kind "${kind}"`);
    const id = `${kind}-${randomUUID().slice(0, 8)}`;
    const createdAt = this.host.now();
    await this.host.store.write(
      `INSERT INTO jobs VALUES ($1, $2, $3::JSON, 'queued', make_timestamp($4::BIGINT), NULL, NULL)`,
      [id, kind, JSON.stringify({ label, spec }), Math.round(createdAt * 1000)],
      'a job',
    );
    this.enqueue(this.entry(id, kind, label, spec, createdAt));
    return id;
  }

  /** Runs again the jobs a previous engine left queued or running (a restart, a kill). */
  async resume(): Promise<number> {
    const rows = await this.host.store.read(
      `SELECT id, kind, spec::VARCHAR, epoch_ms(created_at)::DOUBLE FROM jobs
       WHERE state IN ('queued', 'running') ORDER BY created_at`,
    );
    for (const [id, kind, specJson, createdAt] of rows) {
      const { label, spec } = JSON.parse(specJson as string) as { label: string; spec: unknown };
      if (!this.runners.has(kind as JobKind)) continue;
      const entry = this.entry(id as string, kind as JobKind, label, spec, createdAt as number);
      entry.info.notes.push('resumed after the engine restarted');
      this.enqueue(entry);
    }
    return rows.length;
  }

  /** Resolves with the job's info once it has ended (done, cancelled, failed or interrupted). */
  wait(id: string): Promise<JobInfo> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.entries.get(id);
        if (!e) {
          off();
          reject(new Error(`no job "${id}"`));
          return true;
        }
        if (e.info.state === 'queued' || e.info.state === 'running') return false;
        off();
        resolve(structuredClone(e.info));
        return true;
      };
      const off = this.onChange(() => void check());
      check();
    });
  }

  cancel(id: string): void {
    const e = this.entries.get(id);
    if (!e) throw new Error(`no job "${id}"`);
    if ((e.info.state !== 'queued' && e.info.state !== 'running') || e.completed) return;
    e.stopping = 'cancel';
    e.abort.abort(new Error('cancelled'));
  }

  /** Stops the running job (it stays `running` in the table, to resume) and waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) {
      if (e.info.state !== 'queued' && e.info.state !== 'running') continue;
      e.stopping ??= 'close';
      e.abort.abort(new Error('the engine is closing'));
    }
    await this.queue;
  }

  private entry(id: string, kind: JobKind, label: string, spec: unknown, createdAt: number): Entry {
    const info: JobInfo = {
      id,
      kind,
      label,
      state: 'queued',
      createdAt,
      finishedAt: null,
      bytesDone: 0,
      bytesTotal: null,
      rows: 0,
      rowsTotal: null,
      quarantined: 0,
      rowsPerSecond: 0,
      secondsLeft: null,
      detail: 'waiting for the job before it',
      notes: [],
      error: null,
      files: [],
    };
    const entry: Entry = {
      info,
      spec,
      abort: new AbortController(),
      stopping: null,
      completed: false,
      rates: [],
    };
    this.entries.set(id, entry);
    this.forgetOld();
    this.changed(entry);
    return entry;
  }

  private enqueue(entry: Entry): void {
    this.queue = this.queue.then(() => this.run(entry));
  }

  private async run(entry: Entry): Promise<void> {
    const { info } = entry;
    if (entry.stopping)
      return this.end(entry, entry.stopping === 'cancel' ? 'cancelled' : 'interrupted', null);
    info.state = 'running';
    info.detail = 'starting';
    entry.rates = [[this.host.now(), info.rows, info.bytesDone]];
    this.changed(entry);
    await this.setState(info.id, 'running', null);
    const handle: JobHandle = {
      id: info.id,
      signal: entry.abort.signal,
      info,
      changed: () => this.changed(entry),
      note: (line) => {
        info.notes.push(line);
        this.changed(entry);
      },
      complete: () => {
        entry.completed = true;
      },
    };
    let state: JobState = 'done';
    let error: string | null = null;
    try {
      await this.runners.get(info.kind)!(entry.spec, handle);
      if (entry.stopping && !entry.completed)
        state = entry.stopping === 'cancel' ? 'cancelled' : 'interrupted';
    } catch (e) {
      if (entry.stopping) state = entry.stopping === 'cancel' ? 'cancelled' : 'interrupted';
      else {
        state = 'failed';
        error = (e as Error).message;
      }
    }
    await this.end(entry, state, error);
  }

  private async end(entry: Entry, state: JobState, error: string | null): Promise<void> {
    const { info } = entry;
    // Its row and audit entry first, then its state in memory: whoever sees the job ended (a
    // caller waiting for it, a test polling) finds both written.
    if (state !== 'interrupted') {
      const summary = {
        label: info.label,
        state,
        rows: info.rows,
        quarantined: info.quarantined,
        bytes: info.bytesDone,
        notes: info.notes,
        error,
        files: info.files.map((f) => ({
          path: f.path,
          size: f.size,
          sha256: f.sha256,
          format: f.format,
          state: f.state,
          rows: f.rows,
          quarantined: f.quarantined,
        })),
      };
      await this.setState(info.id, state, summary).catch(() => undefined);
      this.host.audit()?.append('opsdeck', `job.${info.kind}.${state}`, { job: info.id, ...summary });
    } // an interrupted job's row stays `running`: the next open resumes it
    info.state = state;
    info.error = error;
    info.rowsPerSecond = 0;
    info.secondsLeft = null;
    info.detail =
      state === 'done'
        ? 'finished'
        : state === 'cancelled'
          ? 'cancelled: what it finished is kept'
          : state === 'interrupted'
            ? 'interrupted: it resumes when the workspace is next opened'
            : `failed: ${error}`;
    if (state !== 'interrupted') info.finishedAt = this.host.now();
    this.changed(entry);
  }

  private async setState(id: string, state: JobState, summary: unknown): Promise<void> {
    const ended = state !== 'queued' && state !== 'running';
    await this.host.store.write(
      `UPDATE jobs SET state = $2, finished_at = ${ended ? 'now()::TIMESTAMP' : 'NULL'}, summary = $3::JSON WHERE id = $1`,
      [id, state, summary === null ? null : JSON.stringify(summary)],
      'a job',
    );
  }

  private changed(entry: Entry): void {
    const { info } = entry;
    if (info.state === 'running') {
      const now = this.host.now();
      const rates = entry.rates;
      const last = rates[rates.length - 1];
      if (!last || now - last[0] >= 250) rates.push([now, info.rows, info.bytesDone]);
      while (rates.length > 2 && now - rates[1]![0] > RATE_WINDOW_MS) rates.shift();
      const [t0, r0, b0] = rates[0]!;
      const [t1, r1, b1] = rates[rates.length - 1]!;
      const seconds = (t1 - t0) / 1000;
      info.rowsPerSecond = seconds > 0 ? (r1 - r0) / seconds : 0;
      // Time left from bytes, which are known ahead (rows are not, but for an export, which counts them).
      const bytesPerSecond = seconds > 0 ? (b1 - b0) / seconds : 0;
      info.secondsLeft =
        info.bytesTotal !== null && bytesPerSecond > 0
          ? Math.max(0, (info.bytesTotal - info.bytesDone) / bytesPerSecond)
          : info.rowsTotal !== null && info.rowsPerSecond > 0
            ? Math.max(0, (info.rowsTotal - info.rows) / info.rowsPerSecond)
            : null;
    }
    for (const l of this.listeners) l();
  }

  private forgetOld(): void {
    const ended = [...this.entries.values()]
      .filter((e) => e.info.state !== 'queued' && e.info.state !== 'running')
      .sort((a, b) => a.info.createdAt - b.info.createdAt);
    for (const e of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) this.entries.delete(e.info.id);
  }
}
