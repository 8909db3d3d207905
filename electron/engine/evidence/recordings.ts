// Named recordings (shared/recordings.ts, table `named_recordings`, migration 6): the user starts
// and stops a recording of live sources by name. While one runs, its sources keep their raw
// messages (`isRecording`, asked by the sources through their context) as if `record` were on, so
// the span can be re-decoded later. Starting and stopping are audit entries. A recording still
// running when the engine stops goes on when it reopens (the sources were told to record; the gap
// while it was closed holds no data to miss).
import type { NamedRecording, StartRecordingRequest } from '../../../shared/recordings';
import type { Store } from '../store/store';

type Audit = (actor: string, action: string, detail: Record<string, unknown>) => void;

const COLUMNS = `name, sources::VARCHAR, epoch_ms(started_at)::DOUBLE, epoch_ms(stopped_at)::DOUBLE, started_by, stopped_by`;

function rowToRecording(row: unknown[]): NamedRecording {
  const [name, sources, from, to, startedBy, stoppedBy] = row;
  return {
    name: name as string,
    sources: JSON.parse(sources as string) as string[],
    from: from as number,
    to: (to as number | null) ?? null,
    startedBy: startedBy as string,
    stoppedBy: (stoppedBy as string | null) ?? null,
  };
}

export interface RecordingsHost {
  store: Store;
  now: () => number;
  audit: Audit;
  /** Ids of the configured sources. */
  sourceIds: () => string[];
}

export class NamedRecordings {
  /** Running recordings by name: asked on every message, so kept in memory. */
  private readonly running = new Map<string, NamedRecording>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly host: RecordingsHost) {}

  /** Loads the recordings still running (the engine stopped while they ran). */
  async load(): Promise<void> {
    if (!(await this.hasTable())) return;
    const rows = await this.host.store.read(
      `SELECT ${COLUMNS} FROM named_recordings WHERE stopped_at IS NULL`,
    );
    for (const row of rows) {
      const r = rowToRecording(row);
      this.running.set(r.name, r);
    }
  }

  /** Whether a running recording includes the source: its raw messages are kept. */
  isRecording(sourceId: string): boolean {
    for (const r of this.running.values()) if (r.sources.includes(sourceId)) return true;
    return false;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every recording, newest first. */
  async list(): Promise<NamedRecording[]> {
    if (!(await this.hasTable())) return [];
    const rows = await this.host.store.read(
      `SELECT ${COLUMNS} FROM named_recordings ORDER BY started_at DESC, name`,
    );
    return rows.map(rowToRecording);
  }

  async get(name: string): Promise<NamedRecording> {
    const rows = (await this.hasTable())
      ? await this.host.store.read(`SELECT ${COLUMNS} FROM named_recordings WHERE name = $1`, [name])
      : [];
    if (!rows[0]) throw new Error(`no recording named "${name}"`);
    return rowToRecording(rows[0]);
  }

  async start(request: StartRecordingRequest): Promise<NamedRecording> {
    this.assertWritable();
    const known = new Set(this.host.sourceIds());
    const unknown = request.sources.filter((s) => !known.has(s));
    if (unknown.length)
      throw new Error(
        `recording "${request.name}": no configured source ${unknown.map((s) => `"${s}"`).join(', ')}`,
      );
    const exists = await this.host.store.read(`SELECT 1 FROM named_recordings WHERE name = $1`, [
      request.name,
    ]);
    if (exists.length)
      throw new Error(`a recording named "${request.name}" exists already: give the new one another name`);
    const recording: NamedRecording = {
      name: request.name,
      sources: [...new Set(request.sources)],
      from: Math.round(this.host.now()),
      to: null,
      startedBy: request.actor,
      stoppedBy: null,
    };
    await this.host.store.write(
      `INSERT INTO named_recordings VALUES ($1, $2::JSON, make_timestamp($3::BIGINT), NULL, $4, NULL)`,
      [recording.name, JSON.stringify(recording.sources), recording.from * 1000, recording.startedBy],
      'a recording',
    );
    this.running.set(recording.name, recording);
    this.host.audit(request.actor, 'recording.start', { name: recording.name, sources: recording.sources });
    this.changed();
    return recording;
  }

  async stop(name: string, actor: string): Promise<NamedRecording> {
    this.assertWritable();
    const recording = this.running.get(name);
    if (!recording) {
      const stored = await this.get(name); // says "no recording named" when there is none
      throw new Error(`recording "${name}" stopped already (at ${new Date(stored.to ?? 0).toISOString()})`);
    }
    // At least a millisecond long, so its range [from, to) is never empty.
    const to = Math.max(recording.from + 1, Math.round(this.host.now()));
    await this.host.store.write(
      `UPDATE named_recordings SET stopped_at = make_timestamp($2::BIGINT), stopped_by = $3 WHERE name = $1`,
      [name, to * 1000, actor],
      'a recording',
    );
    this.running.delete(name);
    const stopped = { ...recording, to, stoppedBy: actor };
    this.host.audit(actor, 'recording.stop', { name, sources: recording.sources, from: recording.from, to });
    this.changed();
    return stopped;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private assertWritable(): void {
    if (this.host.store.readOnly)
      throw new Error(
        'recordings: the workspace is open read-only here; record through the engine that has it open',
      );
  }

  private hasTable(): Promise<boolean> {
    return this.host.store.hasTable('named_recordings');
  }
}
