// A workspace is a folder: `opsdeck.json` (the one source of truth for configuration) beside
// `data.duckdb`. Copy the closed folder and it opens anywhere. One engine owns it at a time and
// says so in `opsdeck.lock` (see lock.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeZodError, WORKSPACE_VERSION, WorkspaceConfig } from '../../shared/schemas';

export const CONFIG_FILE = 'opsdeck.json';
export const DATA_FILE = 'data.duckdb';

/** Steps from version N to N+1, applied in order to files written by older OpsDeck versions. */
const MIGRATIONS: Record<number, (raw: Record<string, unknown>) => Record<string, unknown>> = {};

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
      { name: 'demo/door', unit: '' },
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

/** Writes atomically (temp file, then rename) so a crash never leaves half a configuration. */
export function writeWorkspaceConfig(dir: string, config: WorkspaceConfig): void {
  const valid = WorkspaceConfig.parse(config);
  const file = path.join(dir, CONFIG_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(valid, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** Opens the workspace in `dir`, creating the folder and a demo configuration when there is none. */
export function ensureWorkspace(dir: string): WorkspaceConfig {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, CONFIG_FILE))) writeWorkspaceConfig(dir, defaultWorkspace());
  return readWorkspaceConfig(dir);
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
