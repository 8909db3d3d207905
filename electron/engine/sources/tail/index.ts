// Tail: follows a file, or every file a glob names, as lines are appended — through rotation by
// rename (the old file is read to its end, then the new one from its start) and by copytruncate
// (a file shorter than where we were has been truncated: read it again from its start), picking up
// new files that match. Files are known by device and inode, so a file renamed within the glob
// (app.log → app.log.1) is not read twice.
//
// Exactly once across restarts and kills: only whole lines are handed to the ingest stage, each
// push with the position of every followed file (key `files`: inode → path, byte offset and a
// fingerprint of the file's first bytes), which the store commits in the same transaction as the
// rows of those lines. At start the saved offsets are taken up again for files whose inode and
// fingerprint match; a file that does not match (a new file, a reused inode, a file truncated and
// written again while the engine was down) is read from its start.
//
// Back-pressure: files can wait, so the source stops reading while the pending work is at its
// bound (policy `pause`).
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { LineFormat, TailOptions } from '../../../../shared/schemas';
import { TailOptions as TailOptionsSchema } from '../../../../shared/schemas';
import type { Decoder } from '../../decode/decoder';
import { csvDecoder, jsonDecoder, keyValueDecoder, textDecoder } from '../../decode/formats';
import { FrameDecoder, logDecoders } from '../../decode/registry';
import { LineFramer } from '../../ingest/framers/lines';
import type { IngestStage } from '../../ingest/stage';
import type { Source, SourceContext, SourceFactory } from '../source';
import { hasWildcards, matchFiles } from './files';

/** Bytes read at a time. Not measured: a few pages of a busy log, small beside the pending bound. */
const CHUNK_BYTES = 256 * 1024;
/** Bytes of a file's start kept as its fingerprint (a reused inode is another file). */
const HEAD_BYTES = 64;
/** A file rotated away is read until it has been quiet this long (a writer may not have reopened yet). */
const GONE_QUIET_MS = 1_000; // not measured: logrotate's postrotate signal usually lands within it
/** The position key under which all followed files are saved. */
export const TAIL_POSITION_KEY = 'files';

interface SavedFile {
  path: string;
  offset: number;
  head: string;
  headLength: number;
}

interface Followed extends SavedFile {
  id: string;
  fd: fs.FileHandle;
  /** Inside a line longer than maxLineBytes: the rest of it goes to quarantine. */
  overlong: boolean;
  /** When the file stopped matching (renamed out of the glob, deleted), or null. */
  goneAt: number | null;
  lastDataAt: number;
}

function fingerprint(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}

/** The decoders a log line may use: the forced one, or the log formats then the generic ones. */
export function lineDecoders(name: LineFormat): { candidates: readonly Decoder[]; forced?: string } {
  const candidates = [...logDecoders, jsonDecoder, keyValueDecoder, csvDecoder, textDecoder];
  return name === 'auto'
    ? { candidates: candidates.filter((d) => d !== csvDecoder) }
    : { candidates, forced: name };
}

class TailSource implements Source {
  private readonly files = new Map<string, Followed>();
  private stage: IngestStage | null = null;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> = Promise.resolve();
  private stopping = false;
  private saved = new Map<string, SavedFile>();
  /** No position was saved: files already there start at `startAt`. */
  private firstRun = false;
  private readonly framer: LineFramer;

  constructor(
    private readonly options: TailOptions,
    private readonly ctx: SourceContext,
  ) {
    this.framer = new LineFramer(options.maxLineBytes);
  }

  async start(): Promise<void> {
    const { candidates, forced } = lineDecoders(this.options.decoder);
    const decoder = new FrameDecoder(
      this.ctx.sourceId,
      {
        channel: (path, unit) => this.ctx.channel(path, unit),
        quarantine: (raw, reason, where) => this.ctx.quarantine(raw, reason, where),
        clockNotice: (_key, message) => this.ctx.notice('warn', `${this.ctx.sourceId}: ${message}`),
      },
      {
        candidates,
        choose: () => forced,
        channelPath: (_key, path) => path || 'value',
        memoDefaults: {
          timeZone: this.options.timeZone,
          futureToleranceMs: this.options.futureToleranceSeconds * 1000,
        },
      },
    );
    this.stage = this.ctx.ingest({ decoder, framer: this.framer, policy: 'pause' });
    const saved = (await this.ctx.positions()).get(TAIL_POSITION_KEY);
    this.firstRun = saved === undefined;
    if (saved !== undefined) {
      try {
        this.saved = new Map(Object.entries(JSON.parse(saved) as Record<string, SavedFile>));
      } catch {
        this.ctx.notice(
          'warn',
          `${this.ctx.sourceId}: its saved position could not be read; files are read from their start`,
        );
      }
    }
    this.ctx.setState('connected');
    this.describe();
    this.schedule(0);
  }

  private describe(): void {
    const n = this.files.size;
    const warnings =
      n === 0
        ? [`no file ${hasWildcards(this.options.path) ? 'matches' : 'at'} ${this.options.path} yet`]
        : [];
    this.ctx.describe(`tail ${this.options.path} (${n} file${n === 1 ? '' : 's'})`, warnings);
  }

  private schedule(delay: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.cycle = this.poll()
        .catch((error: Error) => this.ctx.setState('error', `${this.options.path}: ${error.message}`))
        .finally(() => this.schedule(this.options.pollMs));
    }, delay);
  }

  /** One look: which files match now, then everything new in each (files rotated away first). */
  private async poll(): Promise<void> {
    const paths = await matchFiles(this.options.path);
    const seen = new Set<string>();
    for (const path of paths) {
      const stat = await fs.stat(path, { bigint: true }).catch(() => null);
      if (!stat) continue;
      const id = `${stat.dev}:${stat.ino}`;
      seen.add(id);
      const known = this.files.get(id);
      if (known) {
        known.path = path;
        known.goneAt = null;
      } else await this.follow(id, path, Number(stat.size));
      if (this.stopping) return;
    }
    const now = this.ctx.now();
    for (const f of this.files.values()) if (!seen.has(f.id)) f.goneAt ??= now;
    this.saved.clear(); // what was saved is taken up by now, or belongs to files no longer there
    this.firstRun = false; // files that appear from now on are new: read from their start
    const order = [...this.files.values()].sort(
      (a, b) => Number(b.goneAt !== null) - Number(a.goneAt !== null),
    );
    for (const f of order) {
      if (this.stopping) return;
      await this.readNew(f);
      if (f.goneAt !== null && now - Math.max(f.goneAt, f.lastDataAt) >= GONE_QUIET_MS) await this.forget(f);
    }
    this.describe();
  }

  /** Starts following a file: where a saved position says, or at its start (or end, on a first run). */
  private async follow(id: string, path: string, size: number): Promise<void> {
    const fd = await fs.open(path, 'r').catch(() => null);
    if (!fd) return;
    const head = await this.head(fd, size);
    const saved = this.saved.get(id);
    let offset = 0;
    if (saved && saved.offset <= size && saved.headLength <= size) {
      const then =
        saved.headLength === head.length ? head.hash : (await this.head(fd, saved.headLength)).hash;
      if (then === saved.head) offset = saved.offset;
    } else if (!saved && this.firstRun && this.options.startAt === 'end') offset = size;
    this.files.set(id, {
      id,
      path,
      fd,
      offset,
      head: head.hash,
      headLength: head.length,
      overlong: false,
      goneAt: null,
      lastDataAt: this.ctx.now(),
    });
  }

  private async head(fd: fs.FileHandle, size: number): Promise<{ hash: string; length: number }> {
    const length = Math.min(size, HEAD_BYTES);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await fd.read(bytes, 0, length, 0);
    return { hash: fingerprint(bytes.subarray(0, bytesRead)), length: bytesRead };
  }

  /** Everything appended since the last look, whole lines only. */
  private async readNew(f: Followed): Promise<void> {
    let size = Number((await f.fd.stat()).size);
    if (size < f.offset) {
      // Copytruncate: the file was cut short under us; what is in it now is new.
      f.offset = 0;
      f.overlong = false;
    }
    if (f.headLength < HEAD_BYTES && size > f.headLength) {
      const head = await this.head(f.fd, size);
      f.head = head.hash;
      f.headLength = head.length;
    }
    let want = CHUNK_BYTES;
    while (f.offset < size && !this.stopping) {
      const length = Math.min(size - f.offset, want, this.options.maxLineBytes);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await f.fd.read(buffer, 0, length, f.offset);
      if (bytesRead === 0) break;
      const bytes = buffer.subarray(0, bytesRead);
      f.lastDataAt = this.ctx.now();
      const consumed = this.take(f, bytes);
      if (consumed === 0) {
        if (bytesRead < size - f.offset && want < this.options.maxLineBytes) {
          want *= 4; // a line longer than a chunk: read more of it at once
          continue;
        }
        break; // a line still being written
      }
      want = CHUNK_BYTES;
      if (this.stage!.full) await this.stage!.pauseUntilRoom();
      size = Math.max(size, Number((await f.fd.stat()).size));
    }
  }

  /** Hands the whole lines of `bytes` (read at `f.offset`) to the stage; the bytes it consumed. */
  private take(f: Followed, bytes: Buffer): number {
    const where = f.path;
    const origin = { rx: this.ctx.now(), key: f.path, where };
    if (f.overlong) {
      const nl = bytes.indexOf(0x0a);
      const end = nl < 0 ? bytes.length : nl + 1;
      this.stage!.addQuarantine(
        new Uint8Array(bytes.subarray(0, end)),
        `end of a line longer than ${this.options.maxLineBytes} bytes`,
        where,
      );
      f.offset += end;
      if (nl >= 0) f.overlong = false;
      this.stage!.pushBytes(new Uint8Array(0), origin, this.position());
      return end;
    }
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end === 0) {
      if (bytes.length < this.options.maxLineBytes) return 0;
      this.stage!.addQuarantine(
        new Uint8Array(bytes),
        `no line end within ${this.options.maxLineBytes} bytes`,
        where,
      );
      f.offset += bytes.length;
      f.overlong = true;
      this.stage!.pushBytes(new Uint8Array(0), origin, this.position());
      return bytes.length;
    }
    f.offset += end;
    this.stage!.pushBytes(new Uint8Array(bytes.subarray(0, end)), origin, this.position());
    return end;
  }

  /** A file rotated away and quiet: its last line, when it had no line end, goes in; then it is closed. */
  private async forget(f: Followed): Promise<void> {
    const size = Number((await f.fd.stat()).size);
    if (size > f.offset && !f.overlong) {
      const rest = Buffer.alloc(size - f.offset);
      const { bytesRead } = await f.fd.read(rest, 0, rest.length, f.offset);
      f.offset += bytesRead;
      this.files.delete(f.id);
      this.stage!.pushBytes(
        new Uint8Array(Buffer.concat([rest.subarray(0, bytesRead), Buffer.from('\n')])),
        { rx: this.ctx.now(), key: f.path, where: f.path },
        this.position(),
      );
    } else {
      this.files.delete(f.id);
      this.stage!.pushBytes(
        new Uint8Array(0),
        { rx: this.ctx.now(), key: f.path, where: f.path },
        this.position(),
      );
    }
    await f.fd.close().catch(() => undefined);
  }

  /** Where every followed file is, as saved with the rows. */
  private position(): { key: string; value: string } {
    const files: Record<string, SavedFile> = {};
    for (const f of this.files.values())
      files[f.id] = { path: f.path, offset: f.offset, head: f.head, headLength: f.headLength };
    return { key: TAIL_POSITION_KEY, value: JSON.stringify(files) };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.cycle.catch(() => undefined);
    for (const f of this.files.values()) await f.fd.close().catch(() => undefined);
    this.files.clear();
    await this.stage?.stop();
    this.ctx.setState('stopped');
  }
}

export const tailSource: SourceFactory<TailOptions> = {
  kind: 'tail',
  options: TailOptionsSchema,
  create: (options, ctx) => new TailSource(options, ctx),
};
