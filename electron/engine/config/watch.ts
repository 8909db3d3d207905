// Edits of opsdeck.json made while the engine runs (an editor, a script, a copy from another
// machine) are picked up: the file is watched, read a moment after it stops changing, checked like
// any workspace file, and applied — or refused with a notice naming the field, the running
// configuration kept. A file equal to what the engine runs is nothing new: that is how the
// engine's own writes (atomic renames, which the watch sees too) are told from the user's.
import fs from 'node:fs';
import path from 'node:path';
import type { SourceConfig, WorkspaceConfig } from '../../../shared/schemas';
import { CONFIG_FILE, readWorkspaceConfig } from '../workspace';

/** Writes come in bursts (an editor's save, the engine's temp file and rename): read once they settle. */
export const CONFIG_SETTLE_MS = 250;
/** Some file systems (network folders) send no change events: look at the file's stat this often too. */
const STAT_POLL_MS = 2_000;

export interface ConfigWatchHost {
  /** The configuration running now. */
  current(): WorkspaceConfig;
  /** Applies an edited configuration (valid, and different from the running one). */
  adopt(next: WorkspaceConfig): Promise<void>;
  notice(level: 'info' | 'warn' | 'error', message: string): void;
}

/** The sources to stop, and to start (anew) from their edited configuration. */
export function sourceChanges(
  before: readonly SourceConfig[],
  after: readonly SourceConfig[],
): { removed: string[]; started: SourceConfig[] } {
  const old = new Map(before.map((s) => [s.id, JSON.stringify(s)]));
  return {
    removed: before.filter((s) => !after.some((a) => a.id === s.id)).map((s) => s.id),
    started: after.filter((s) => old.get(s.id) !== JSON.stringify(s)),
  };
}

export class ConfigWatcher {
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  /** The text last refused, so a refusal is said once, not at every poll. */
  private refused: string | null = null;
  private closed = false;
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly host: ConfigWatchHost,
  ) {
    this.file = path.join(dir, CONFIG_FILE);
  }

  start(): void {
    try {
      // The folder, not the file: an atomic save replaces the file (and its inode).
      // Not persistent: watching never keeps a process alive that has nothing else to do.
      this.watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null || name === CONFIG_FILE) this.schedule();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // No change events here: the stat poll alone notices edits.
    }
    fs.watchFile(this.file, { interval: STAT_POLL_MS, persistent: false }, () => this.schedule());
  }

  /** Reads and applies the file now (after pending work); resolves when done. */
  check(): Promise<void> {
    this.running = this.running.then(() => this.read()).catch(() => undefined);
    return this.running;
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    fs.unwatchFile(this.file);
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, CONFIG_SETTLE_MS);
    this.timer.unref();
  }

  private async read(): Promise<void> {
    if (this.closed) return;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return; // between an editor's delete and its write: the next event reads it
    }
    let next: WorkspaceConfig;
    try {
      next = readWorkspaceConfig(this.dir);
    } catch (error) {
      if (this.refused === text) return;
      this.refused = text;
      this.host.notice(
        'error',
        `opsdeck.json was edited but not applied (the running configuration is kept): ${(error as Error).message.replace(`${this.file}: `, '')}`,
      );
      return;
    }
    this.refused = null;
    if (JSON.stringify(next) === JSON.stringify(this.host.current())) return; // our own write, or no change
    await this.host.adopt(next);
  }
}
