// A workspace is a folder: `opsdeck.json` (the one source of truth for configuration) beside
// `data.duckdb`. Copy the closed folder and it opens anywhere. One engine owns it at a time and
// says so in `opsdeck.lock` (see lock.ts). What OpsDeck creates there is the user's alone: the
// folder 0700, its files 0600.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeZodError, WORKSPACE_VERSION, WorkspaceConfig } from '../../shared/schemas';

export const CONFIG_FILE = 'opsdeck.json';
export const DATA_FILE = 'data.duckdb';

/** Steps from version N to N+1, applied in order to files written by older OpsDeck versions. */
const MIGRATIONS: Record<number, (raw: Record<string, unknown>) => Record<string, unknown>> = {
  // Version 2: a channel has a display name and a number of decimals. Version 1 showed every
  // channel by its name with as many decimals as its values' range needs: said explicitly now.
  1: (doc) => ({
    ...doc,
    ...(Array.isArray(doc['channels'])
      ? {
          channels: (doc['channels'] as unknown[]).map((c) =>
            typeof c === 'object' && c !== null && !Array.isArray(c)
              ? { displayName: '', decimals: null, ...(c as Record<string, unknown>) }
              : c,
          ),
        }
      : {}),
  }),
};

export function migrate(raw: unknown, file: string): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${file}: expected a JSON object`);
  let doc = raw as Record<string, unknown>;
  let version = doc['version'];
  if (typeof version !== 'number' || !Number.isInteger(version))
    throw new Error(`${file}: version: expected a whole number, got ${JSON.stringify(version)}`);
  if (version > WORKSPACE_VERSION)
    throw new Error(
      `${file}: version ${version} was written by a newer OpsDeck (this one reads up to ${WORKSPACE_VERSION})`,
    );
  while (version < WORKSPACE_VERSION) {
    const step = MIGRATIONS[version];
    if (!step) throw new Error(`${file}: version ${version} is too old to migrate`);
    doc = { ...step(doc), version: version + 1 };
    version++;
  }
  return doc;
}

export function defaultWorkspace(): WorkspaceConfig {
  return WorkspaceConfig.parse({
    version: WORKSPACE_VERSION,
    name: 'Demo workspace',
    sources: [{ id: 'demo', kind: 'sim', name: 'Demo rig', options: { seed: 1 } }],
    channels: [
      { name: 'demo/temperature', unit: '°C' },
      { name: 'demo/humidity', unit: '%RH' },
      { name: 'demo/vibration', unit: 'g' },
      { name: 'demo/door', unit: '', displayName: 'Cold-room door', decimals: 0 },
    ],
    layouts: [
      {
        name: 'Demo rig',
        panels: [
          {
            kind: 'plot',
            id: 'climate',
            title: 'Temperature and humidity',
            channels: ['demo/temperature', 'demo/humidity'],
            windowMs: 120_000,
          },
          {
            kind: 'plot',
            id: 'vibration',
            title: 'Vibration',
            channels: ['demo/vibration'],
            windowMs: 10_000,
          },
          {
            kind: 'plot',
            id: 'door',
            title: 'Cold-room door (1 = open)',
            channels: ['demo/door'],
            windowMs: 600_000,
            // An event channel: it speaks only when the door moves, so its line never breaks.
            gapFactor: 0,
            height: 220,
          },
        ],
      },
    ],
    // The demo temperature crosses 25 °C about 30 s after start, so a new user sees this fire
    // within the first minute (pending at ~30 s, firing 10 s later).
    rules: [
      {
        id: 'demo-temperature-high',
        kind: 'threshold',
        channel: 'demo/temperature',
        above: 25,
        clearBelow: 24.5,
        for: '10s',
        severity: 'warning',
        labels: { site: 'demo' },
        annotations: {
          summary: '{{channel}} at {{value}} °C, above 25 °C for 10 s ({{labels.site}})',
        },
      },
    ],
  });
}

export function readWorkspaceConfig(dir: string): WorkspaceConfig {
  const file = path.join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  // Windows editors (Notepad before 2019, PowerShell's Out-File) start UTF-8 files with a BOM.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = WorkspaceConfig.safeParse(migrate(raw, file));
  if (!parsed.success) throw new Error(`${file}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * Writes atomically (temp file, then rename) so a crash never leaves half a configuration. Answers
 * what was written: the configuration as a reader of the file will parse it.
 */
export function writeWorkspaceConfig(dir: string, config: WorkspaceConfig): WorkspaceConfig {
  const valid = WorkspaceConfig.parse(config);
  const file = path.join(dir, CONFIG_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(valid, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return valid;
}

/**
 * Throws a clear error when `dir` (or, before it exists, the folder it would be made in) cannot
 * be written: a read-only file system says so, instead of the ENOENT a recursive mkdir reports.
 */
export function assertWritable(dir: string): void {
  let existing = path.resolve(dir);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  try {
    fs.accessSync(existing, fs.constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS')
      throw new Error(
        `workspace ${dir} is on a read-only file system (${existing}): copy the folder somewhere writable to open it, or read it with "opsdeck query"`,
        { cause: error },
      );
    throw new Error(`workspace ${dir}: cannot write in ${existing} (${code ?? (error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * Opens the workspace in `dir` for writing, creating the folder (0700) and a demo configuration
 * when there is none. A folder that already exists keeps its mode: it may be one the user shares.
 */
export function ensureWorkspace(dir: string): WorkspaceConfig {
  assertWritable(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(path.join(dir, CONFIG_FILE))) writeWorkspaceConfig(dir, defaultWorkspace());
  return readWorkspaceConfig(dir);
}

/**
 * Makes a workspace with no sources in `dir` (a case folder an import starts: its data is what is
 * imported), when `dir` does not exist or is an empty folder; answers whether it made one. A folder
 * with other things in it is left alone: it may be the evidence itself, named by mistake.
 */
export function ensureEmptyWorkspace(dir: string): boolean {
  if (fs.existsSync(path.join(dir, CONFIG_FILE))) return false;
  if (fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) return false;
  assertWritable(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeWorkspaceConfig(
    dir,
    WorkspaceConfig.parse({
      version: WORKSPACE_VERSION,
      name: path.basename(path.resolve(dir)),
      sources: [],
    }),
  );
  return true;
}

/** The per-user default: `$XDG_DATA_HOME/opsdeck/default` or its platform equivalent. */
export function defaultWorkspaceDir(): string {
  const home = os.homedir();
  const base =
    process.env['OPSDECK_HOME'] ??
    (process.platform === 'win32'
      ? path.join(process.env['APPDATA'] ?? path.join(home, 'AppData', 'Roaming'), 'OpsDeck')
      : process.platform === 'darwin'
        ? path.join(home, 'Library', 'Application Support', 'OpsDeck')
        : path.join(process.env['XDG_DATA_HOME'] ?? path.join(home, '.local', 'share'), 'opsdeck'));
  return path.join(base, 'workspaces', 'default');
}
