// `opsdeck`: start the console, serve it to a browser, query and export a workspace.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { JobProgress } from '../../shared/api';
import { formatTransitions, readRulesFile } from '../engine/alerts/rules-file';
import { startEngineHost } from '../engine/host/run';
import { connectInProcess } from '../engine/server/in-process';
import { checkOwner } from '../engine/lock';
import type { JobInfo } from '../../shared/jobs';
import { formatJobLine, formatJobSummary } from './jobs';
import { ALLOW_REMOTE_FLAG, DEFAULT_PORT } from '../engine/server/http';
import { defaultWorkspaceDir } from '../engine/workspace';
import { openWorkspace } from './connect';
import { formatCsv, formatJson, formatTable } from './format';

const here = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(here, '../..');
const rendererDir = path.resolve(here, '../renderer');

class UsageError extends Error {}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const workspaceOption = { workspace: { type: 'string', short: 'w' } } as const;

const commands: Record<string, Command> = {
  start: {
    summary: 'open the console: the desktop app where it can open a window, else the browser console',
    usage: `opsdeck start [--workspace DIR] [--port N]

Opens the desktop app when an Electron binary and a display are present; otherwise serves the
same console on http://127.0.0.1 and prints its address. Without --workspace it opens the
default workspace (a demo rig) in the user's data folder.

  --port N   the browser console's port where no window can open (default ${DEFAULT_PORT} or the
             next free one; 0: any free port); the desktop app needs none`,
    options: { ...workspaceOption, port: { type: 'string', short: 'p' } },
    async run(values) {
      const why = desktopUnavailable();
      if (why === null) {
        const binary = electronBinary()!;
        const args = [appRoot];
        if (values['workspace']) args.push(`--workspace=${path.resolve(String(values['workspace']))}`);
        const child = spawn(binary, args, { stdio: 'inherit' });
        return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
      }
      process.stderr.write(
        `opsdeck: no desktop window here (${why}); serving the console in the browser instead.\n`,
      );
      return commands['serve']!.run(values, []);
    },
  },
  serve: {
    summary: 'serve the console to a browser on loopback, with a per-launch token',
    usage: `opsdeck serve [--workspace DIR] [--port N] [--host ADDRESS] [${ALLOW_REMOTE_FLAG}]

Serves the console at http://127.0.0.1:PORT/?token=… (default port ${DEFAULT_PORT}, or the next free
one). --host listens on another address (0.0.0.0: every interface); beyond loopback, browsers on the
network reach it by this machine's addresses or host name, and the token is required there too.
There, calls that write, read or open paths of this machine or run programs (exports to a path,
sources with TLS files or a serial port) are refused unless ${ALLOW_REMOTE_FLAG} is given:
with it, anyone holding the URL may do them as you. Stop with Ctrl+C.`,
    options: {
      ...workspaceOption,
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      [ALLOW_REMOTE_FLAG.slice(2)]: { type: 'boolean' },
    },
    async run(values) {
      const dir = path.resolve(String(values['workspace'] ?? defaultWorkspaceDir()));
      if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
        throw new Error(`the console is not built (${rendererDir} is missing): run "npm run build" first`);
      }
      const bindHost = values['host'] ? String(values['host']) : '127.0.0.1';
      const allowRemote = values[ALLOW_REMOTE_FLAG.slice(2)] === true;
      const host = await startEngineHost(dir, {
        port: values['port'] !== undefined ? parsePort(String(values['port'])) : DEFAULT_PORT,
        host: bindHost,
        staticDir: rendererDir,
        allowRemoteFilesAndCommands: allowRemote,
      });
      // Listen for the stop signals before printing the URL: whoever reads it may stop us at once.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      if (host.server.wide)
        process.stderr.write(wideWarning(bindHost, host.server.port, host.server.token, allowRemote));
      else if (allowRemote)
        process.stderr.write(
          `opsdeck: ${ALLOW_REMOTE_FLAG} changes nothing on loopback, where whoever has the token is you.\n`,
        );
      process.stdout.write(`OpsDeck console: ${host.server.url}\nworkspace: ${host.engine.dir}\n`);
      await stopped;
      process.stderr.write('opsdeck: stopping…\n');
      await host.close();
      return 0;
    },
  },
  query: {
    summary: 'run read-only SQL on a workspace and print the result',
    usage: `opsdeck query <workspace> <sql> [--format table|csv|json] [--max-rows N]

Talks to the engine that has the workspace open, or opens its database read-only when none
does (and says which on stderr). Tables: samples, records, quarantine, channels, sources, notices;
views samples_v and records_v join in channel and source names.`,
    options: { format: { type: 'string', short: 'f' }, 'max-rows': { type: 'string' } },
    async run(values, positionals) {
      const [dir, sql] = positionals;
      if (!dir || !sql) throw new UsageError('query needs a workspace folder and an SQL statement');
      const format = String(values['format'] ?? 'table');
      if (!['table', 'csv', 'json'].includes(format))
        throw new UsageError(`--format must be table, csv or json, not "${format}"`);
      const maxRows =
        values['max-rows'] !== undefined
          ? parsePositiveInt(String(values['max-rows']), '--max-rows')
          : 10_000;
      const access = await openWorkspaceFolder(dir);
      // Ctrl-C stops the query in the engine too, not only this command.
      const id = `cli-${process.pid}`;
      const cancel = () => void access.client.call('cancelQuery', { id }).catch(() => undefined);
      process.once('SIGINT', cancel);
      try {
        const result = await access.client.call('query', { sql, maxRows, id });
        process.stdout.write(
          (format === 'csv'
            ? formatCsv(result)
            : format === 'json'
              ? formatJson(result)
              : formatTable(result)) + '\n',
        );
        if (result.truncatedBy === 'bytes')
          process.stderr.write(
            `opsdeck: stopped at ${result.rows.length} rows: the result reached store.queryMaxResultMb\n`,
          );
        else if (result.truncated) process.stderr.write(`opsdeck: stopped at ${maxRows} rows (--max-rows)\n`);
      } finally {
        process.off('SIGINT', cancel);
        await access.close();
      }
      return 0;
    },
  },
  rules: {
    summary: 'test alert rules over stored data and print the transitions',
    usage: `opsdeck rules test <workspace> <rules-file> [--from TIME] [--to TIME] [--format text|json]

Evaluates the rules in <rules-file> (a JSON array of rules, or an object with "rules", such as an
opsdeck.json) over the workspace's stored samples and records, in the order they were stored, with
the same lateness policy as live evaluation; time ends at --to (default: the newest data). Prints
one line per transition. Nothing is written. When an engine has the workspace open, it runs there
(over what it has stored so far); otherwise on the closed workspace, read-only.`,
    options: { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', short: 'f' } },
    async run(values, positionals) {
      const [sub, dir, file] = positionals;
      if (sub !== 'test' || !dir || !file)
        throw new UsageError('rules test needs a workspace folder and a rules file');
      const format = String(values['format'] ?? 'text');
      if (!['text', 'json'].includes(format))
        throw new UsageError(`--format must be text or json, not "${format}"`);
      const rules = readRulesFile(file);
      const now = Date.now();
      const from =
        values['from'] !== undefined ? parseTime(String(values['from']), now, '--from') : undefined;
      const to = values['to'] !== undefined ? parseTime(String(values['to']), now, '--to') : undefined;
      const request = { rules, from, to, defaultRange: 'allStored' as const };
      const access = await openWorkspaceFolder(dir);
      try {
        const result = await access.client.call('previewRules', request);
        process.stdout.write(
          format === 'json'
            ? JSON.stringify(result.transitions, null, 2) + '\n'
            : result.transitions.length
              ? formatTransitions(result.transitions) + '\n'
              : '',
        );
        const late = Object.entries(result.late).filter(([, n]) => n > 0);
        process.stderr.write(
          `opsdeck: ${rules.length} rules over ${result.samples} samples and ${result.records} records: ` +
            `${result.total} transitions` +
            (result.truncated ? ` (the first ${result.transitions.length} printed)` : '') +
            (late.length
              ? `; beyond lateness, not evaluated: ${late.map(([r, n]) => `${r} ${n}`).join(', ')}`
              : '') +
            (result.unknownChannels.length ? `; no such channel: ${result.unknownChannels.join(', ')}` : '') +
            '\n',
        );
      } finally {
        await access.close();
      }
      return 0;
    },
  },
  import: {
    summary: 'import log files and folders (a job: progress, Ctrl-C cancels, resumes after a restart)',
    usage: `opsdeck import <workspace> <path…> [--format NAME] [--time-zone ZONE] [--again]

Imports files and folders (recursively) into the workspace, through the engine that has it open,
or an engine started for the import. Gzip is read transparently; a file that is not UTF-8 is read
as Latin-1 (the summary says so). The format of each file is detected from its first lines, with a
confidence shown; --format overrules it (json, csv, kv, text). Lines that do not decode go to
quarantine with their file:line. Every record keeps its file and line (records_v.origin, .line);
every file's SHA-256 and size are kept (table captures). A file imported before (same SHA-256) is
skipped unless --again. Ctrl-C cancels: what was imported stays, and importing again goes on from
where it stopped. Progress goes to stderr (a bar on a terminal, a line every 2 s otherwise).

  --time-zone ZONE  the zone of timestamps that carry none (default UTC)`,
    options: {
      format: { type: 'string', short: 'f' },
      'time-zone': { type: 'string' },
      again: { type: 'boolean' },
    },
    async run(values, positionals) {
      const [dir, ...paths] = positionals;
      if (!dir || paths.length === 0)
        throw new UsageError('import needs a workspace folder and at least one path');
      const request = {
        paths: paths.map((p) => path.resolve(p)),
        ...(values['format'] ? { format: String(values['format']) } : {}),
        ...(values['time-zone'] ? { timeZone: String(values['time-zone']) } : {}),
        again: values['again'] === true,
      };
      const access = await openWorkspaceWritable(dir);
      const tty = process.stderr.isTTY === true;
      try {
        const { job: id } = await access.client.call('importFiles', request);
        let lastLine = 0;
        const ended = await new Promise<JobInfo>((resolve, reject) => {
          const cancel = () => {
            process.stderr.write(`\nopsdeck: cancelling ${id} (what was imported stays)…\n`);
            access.client.call('cancelJob', { id }).catch(reject);
          };
          process.once('SIGINT', cancel);
          const stop = access.client.subscribe(
            'jobs',
            {},
            {
              data: (jobs) => {
                const job = jobs.find((j) => j.id === id);
                if (!job) return;
                const now = Date.now();
                if (job.state === 'queued' || job.state === 'running') {
                  if (tty) process.stderr.write(`\r${formatJobLine(job, process.stderr.columns ?? 100)}`);
                  else if (now - lastLine >= 2_000) {
                    lastLine = now;
                    process.stderr.write(`${formatJobLine(job)}\n`);
                  }
                  return;
                }
                process.off('SIGINT', cancel);
                stop();
                resolve(job);
              },
              error: (message) => reject(new Error(message)),
            },
          );
        });
        if (tty) process.stderr.write('\n');
        process.stdout.write(formatJobSummary(ended) + '\n');
        return ended.state === 'done' ? 0 : ended.state === 'cancelled' ? 130 : 1;
      } finally {
        await access.close();
      }
    },
  },
  export: {
    summary: 'export samples over a time range to CSV or Parquet',
    usage: `opsdeck export <workspace> --from TIME --to TIME --format csv|parquet --out FILE [--channels a,b]

TIME is ISO 8601 (2026-11-25T10:00:00Z), epoch milliseconds, "now", or relative to now ("-15m",
"-2h", "-1d"). --channels takes full channel names (demo/temperature); all channels by default.
Progress goes to stderr.`,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      channels: { type: 'string', short: 'c' },
    },
    async run(values, positionals) {
      const [dir] = positionals;
      if (!dir) throw new UsageError('export needs a workspace folder');
      const now = Date.now();
      const from = parseTime(requireOption(values, 'from'), now, '--from');
      const to = parseTime(String(values['to'] ?? 'now'), now, '--to');
      const format = requireOption(values, 'format');
      if (format !== 'csv' && format !== 'parquet')
        throw new UsageError(`--format must be csv or parquet, not "${format}"`);
      const out = path.resolve(requireOption(values, 'out'));
      const channels = values['channels']
        ? String(values['channels'])
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean)
        : undefined;
      const request = { from, to, format, path: out, channels } as const;
      const showProgress = (p: Pick<JobProgress, 'done' | 'total' | 'ratePerSecond' | 'etaSeconds'>) => {
        const pct = p.total ? ((100 * p.done) / p.total).toFixed(0) : '?';
        const eta = p.etaSeconds !== null ? `${p.etaSeconds.toFixed(0)} s left` : '';
        process.stderr.write(
          `\rexport: ${p.done}/${p.total ?? '?'} rows (${pct}%) ${Math.round(p.ratePerSecond)} rows/s ${eta}   `,
        );
      };
      const access = await openWorkspaceFolder(dir);
      try {
        const off = access.client.on('progress', showProgress);
        const result = await access.client.call('export', request).finally(off);
        process.stderr.write('\n');
        process.stdout.write(`exported ${result.rows} rows to ${result.path}\n`);
      } finally {
        await access.close();
      }
      return 0;
    },
  },
};

/**
 * The workspace's engine for a command that writes (an import): the running one when there is one,
 * else an engine started here for the command (its sources not started), owning the workspace —
 * lock and loopback API included, so other commands reach it meanwhile — until the command ends.
 */
async function openWorkspaceWritable(dir: string) {
  const absolute = path.resolve(dir);
  if (!fs.existsSync(path.join(absolute, 'opsdeck.json')))
    throw new Error(`${absolute} is not an OpsDeck workspace (no opsdeck.json)`);
  const owner = await checkOwner(absolute);
  if (owner.state === 'owned') {
    const access = await openWorkspace(absolute);
    if (access.via === 'engine') {
      process.stderr.write(
        `opsdeck: using the running engine (pid ${access.pid}) that has ${absolute} open\n`,
      );
      return access;
    }
    await access.close();
  }
  const host = await startEngineHost(
    absolute,
    { host: '127.0.0.1', port: 0 },
    { startSources: false, watchConfig: false },
  );
  process.stderr.write(`opsdeck: no engine has ${absolute} open; opened it here (its sources not started)\n`);
  const client = connectInProcess(host.engine);
  return {
    client,
    close: async () => {
      client.close();
      await host.close();
    },
  };
}

async function openWorkspaceFolder(dir: string) {
  const absolute = path.resolve(dir);
  if (!fs.existsSync(path.join(absolute, 'opsdeck.json')))
    throw new Error(`${absolute} is not an OpsDeck workspace (no opsdeck.json)`);
  const access = await openWorkspace(absolute);
  process.stderr.write(
    access.via === 'engine'
      ? `opsdeck: using the running engine (pid ${access.pid}) that has ${absolute} open\n`
      : access.staleLock
        ? `opsdeck: not using the engine named in ${absolute}/opsdeck.lock (${access.staleLock}); opened its database read-only\n`
        : `opsdeck: no engine has ${absolute} open; opened its database read-only\n`,
  );
  return access;
}

/** What binding beyond loopback means, and the addresses other machines can use. */
function wideWarning(bindHost: string, port: number, token: string, allowRemote: boolean): string {
  const wildcard = bindHost === '0.0.0.0' || bindHost === '::';
  const addresses = wildcard
    ? Object.values(os.networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((a) => !a.internal && (bindHost === '::' || a.family === 'IPv4'))
        .map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address))
    : [bindHost.includes(':') ? `[${bindHost}]` : bindHost];
  return (
    `opsdeck: listening on ${bindHost}, beyond loopback: anyone who can reach this machine and has the ` +
    `token (it is in the URL) can use this console.\n` +
    (allowRemote
      ? `opsdeck: ${ALLOW_REMOTE_FLAG}: they may also make calls that write files anywhere you can ` +
        `(exports), read files or open devices (sources with TLS files, serial ports) or run programs, as you.\n`
      : `opsdeck: calls that write, read or open paths of this machine or run programs (exports to a ` +
        `path, sources with TLS files or a serial port) are refused; ${ALLOW_REMOTE_FLAG} allows them.\n`) +
    addresses.map((a) => `opsdeck: from another machine: http://${a}:${port}/?token=${token}\n`).join('')
  );
}

function requireOption(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0–65535, not "${text}"`);
  return port;
}

function parsePositiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a whole number above 0, not "${text}"`);
  return n;
}

export function parseTime(text: string, now: number, name: string): number {
  if (text === 'now') return now;
  const relative = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (relative) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      relative[2] as 'ms' | 's' | 'm' | 'h' | 'd'
    ];
    return now - Number(relative[1]) * unit;
  }
  if (/^\d{10,16}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed))
    throw new UsageError(`${name}: "${text}" is not a time (use ISO 8601, epoch ms, "now" or "-15m")`);
  return parsed;
}

/** The Electron binary, if the npm package has one on disk. Never requires 'electron' (that downloads). */
export function electronBinary(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = path.dirname(require.resolve('electron/package.json'));
    const rel = fs.readFileSync(path.join(pkgDir, 'path.txt'), 'utf8').trim();
    const binary = path.join(pkgDir, 'dist', rel);
    return fs.existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Why no desktop window can open here, or null when one can. */
export function desktopUnavailable(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string | null {
  if (env['OPSDECK_NO_DESKTOP']) return 'OPSDECK_NO_DESKTOP is set';
  if (!electronBinary()) return 'the Electron binary is not installed';
  if (platform === 'linux' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY'])
    return 'no DISPLAY or WAYLAND_DISPLAY';
  return null;
}

/**
 * `--from -1h` reads naturally but parseArgs takes `-1h` for an option: join such values to their
 * option (`--from=-1h`) when the option takes a value and the value looks like a negative number.
 */
function joinDashValues(args: string[], options: Command['options']): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `opsdeck — an offline operations console

Usage: opsdeck <command> [options]   (opsdeck <command> --help for details)

${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name = 'start', ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`opsdeck: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: joinDashValues(rest, command.options),
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values['help']) {
      process.stdout.write(command.usage + '\n');
      return 0;
    }
    return await command.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`opsdeck ${name}: ${(error as Error).message}\n`);
    if (usage) process.stderr.write(`\n${command.usage}\n`);
    return usage ? 2 : 1;
  }
}

// Run when executed as the CLI (bin/opsdeck.mjs imports and calls main).
