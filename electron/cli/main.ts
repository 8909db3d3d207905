// `opsdeck`: start the console, serve it to a browser, query and export a workspace.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MASK_RULE_NAMES, MaskingOptions, type MaskRuleName } from '../../shared/masking';
import { describeZodError } from '../../shared/schemas';
import { ExportTable, type JobProgress } from '../../shared/api';
import { verifyBundle, type TrustedKey } from '../engine/evidence/bundle';
import { isFingerprint, publicKeyFromPem, writeKeyPair } from '../engine/evidence/signing';
import { formatTransitions, readRulesFile } from '../engine/alerts/rules-file';
import { rulesFor } from '../engine/pipeline/masking';
import { scanFiles } from '../engine/pipeline/scan';
import { startEngineHost } from '../engine/host/run';
import { connectInProcess } from '../engine/server/in-process';
import { checkOwner } from '../engine/lock';
import { followJob, formatJobSummary } from './jobs';
import { ALLOW_REMOTE_FLAG, DEFAULT_PORT } from '../engine/server/http';
import { defaultWorkspaceDir, ensureEmptyWorkspace } from '../engine/workspace';
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

/** Exit codes of `opsdeck verify`: intact but not checked against a trusted key is not a pass. */
export const VERIFY_EXIT = { verified: 0, failed: 1, untrusted: 3 } as const;

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
does (and says which on stderr). Tables: samples, records, quarantine, channels, sources, notices,
captures (imported files) and capture_counts (their lines by minute and severity, counted before
their rows); views samples_v and records_v join in channel and source names, capture_counts_v
the file's path and SHA-256.`,
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
one line per transition, then (text) what live evaluation stored in the same range, under "# live".
Nothing is written and nobody is notified: the rules run in a replay session, as the console's
"what would have fired" does. When an engine has the workspace open, it runs there (over what it
has stored so far); otherwise on the closed workspace, read-only.`,
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
        // The replay path (replay/board.ts), the same as the console's "what would have fired".
        const result = await access.client.call('wouldHaveFired', request);
        process.stdout.write(
          format === 'json'
            ? JSON.stringify(result.transitions, null, 2) + '\n'
            : (result.transitions.length ? formatTransitions(result.transitions) + '\n' : '') +
                (result.live.length ? `# live\n${formatTransitions(result.live)}\n` : ''),
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
  scan: {
    summary: 'find sensitive data (e-mail, cards, keys, tokens…) in log files, without importing them',
    usage: `opsdeck scan <path…> [--rules LIST] [--pattern NAME=REGEX …] [--format text|json]

Reads the files (folders: every file under them) line by line and prints, for each match of a
masking rule, the file, the line number, the rule and the line with every match masked — the same
rules that mask what sources store. Nothing is imported or written. Exits 1 when anything was
found, 0 when nothing was, 2 when a path could not be read or the options are wrong: for scripts
that check logs before they leave a lower environment.

  --rules LIST      built-in rules, comma-separated (default: every one but ipv4 and ipv6; "all":
                    every one): ${MASK_RULE_NAMES.join(', ')}
  --pattern N=RE    a rule of your own (repeatable), refused when it can backtrack catastrophically
  --format F        text (default: file:line: rule: excerpt) or json`,
    options: {
      rules: { type: 'string', short: 'r' },
      pattern: { type: 'string', multiple: true },
      format: { type: 'string', short: 'f' },
    },
    async run(values, positionals) {
      if (positionals.length === 0) throw new UsageError('scan needs at least one file or folder');
      const format = String(values['format'] ?? 'text');
      if (!['text', 'json'].includes(format))
        throw new UsageError(`--format must be text or json, not "${format}"`);
      const given = values['rules'] === undefined ? undefined : String(values['rules']);
      const custom = ((values['pattern'] as unknown as string[] | undefined) ?? []).map((p) => {
        const eq = p.indexOf('=');
        if (eq <= 0) throw new UsageError(`--pattern "${p}" is not NAME=REGEX`);
        return { name: p.slice(0, eq), pattern: p.slice(eq + 1) };
      });
      const parsed = MaskingOptions.safeParse({
        ...(given === undefined
          ? {}
          : {
              rules:
                given === 'all'
                  ? [...MASK_RULE_NAMES]
                  : given.split(',').map((r) => r.trim() as MaskRuleName),
            }),
        custom,
      });
      if (!parsed.success) throw new UsageError(describeZodError(parsed.error));
      const summary = await scanFiles(
        positionals.map((p) => path.resolve(p)),
        rulesFor(parsed.data),
      );
      if (format === 'json') process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      else
        for (const f of summary.findings)
          process.stdout.write(`${f.file}:${f.line}: ${f.rule}: ${f.excerpt}\n`);
      for (const e of summary.errors) process.stderr.write(`opsdeck scan: cannot read ${e}\n`);
      process.stderr.write(
        `opsdeck scan: ${summary.findings.length}${summary.truncated ? '+' : ''} finding${summary.findings.length === 1 ? '' : 's'} in ${summary.lines} lines of ${summary.files} file${summary.files === 1 ? '' : 's'}\n`,
      );
      if (summary.errors.length) return 2;
      return summary.findings.length ? 1 : 0;
    },
  },
  import: {
    summary: 'import log files and folders (a job: progress, Ctrl-C cancels, resumes after a restart)',
    usage: `opsdeck import <workspace> <path…> [--format NAME] [--time-zone ZONE] [--again] [--no-masking]

Imports files and folders (recursively) into the workspace, through the engine that has it open,
or an engine started for the import. Gzip is read transparently; a file that is not UTF-8 is read
as Latin-1 (the summary says so). The format of each file is detected from its first lines, with a
confidence shown; --format overrules it (json, csv, kv, text). Lines that do not decode go to
quarantine with their file:line. Every record keeps its file and line (records_v.origin, .line);
every file's SHA-256 and size are kept (table captures). A file imported before (same SHA-256) is
skipped unless --again. Ctrl-C cancels: what was imported stays, and importing again goes on from
where it stopped. Progress goes to stderr (a bar on a terminal, a line every 2 s otherwise).

Sensitive values (e-mail addresses, card numbers, tokens, keys, passwords in URLs) are masked
before anything is stored, as for tail and syslog sources; --no-masking stores the lines as they are.

  --time-zone ZONE  the zone of timestamps that carry none (default UTC)`,
    options: {
      format: { type: 'string', short: 'f' },
      'time-zone': { type: 'string' },
      again: { type: 'boolean' },
      'no-masking': { type: 'boolean' },
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
        ...(values['no-masking'] === true ? { masking: { rules: [], custom: [] } } : {}),
      };
      const access = await openWorkspaceWritable(dir, true);
      try {
        const { job: id } = await access.client.call('importFiles', request);
        const ended = await followJob(access.client, id, 'what was imported stays');
        process.stdout.write(formatJobSummary(ended) + '\n');
        return ended.state === 'done' ? 0 : ended.state === 'cancelled' ? 130 : 1;
      } finally {
        await access.close();
      }
    },
  },
  export: {
    summary:
      'export samples, records, alert transitions or annotations of a time range (CSV, JSON Lines, Parquet)',
    usage: `opsdeck export <workspace> --from TIME --to TIME --format csv|jsonl|parquet --out PATH
                [--table samples|records|transitions|annotations|recordings] [--channels a,b] [--sources a,b]
                [--partition-by day,source]
opsdeck export <workspace> --recording NAME --format … --out PATH [--table …]

--recording takes the span and sources of a named recording ("opsdeck record"); --table recordings
exports the raw messages as received.

TIME is ISO 8601 (2026-11-25T10:00:00Z), epoch milliseconds, "now", or relative to now ("-15m",
"-2h", "-1d"). --table is samples by default. --channels takes full channel names (demo/temperature)
of samples; all channels by default. --partition-by writes hive partitions (day=…/source=…/) into
the folder PATH (new or empty), as Spark, Trino and DuckDB read them; day is the UTC day, source
exists for samples and records. Every export is an entry in the audit log of a running engine.
Progress goes to stderr.`,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', short: 'f' },
      out: { type: 'string', short: 'o' },
      channels: { type: 'string', short: 'c' },
      table: { type: 'string', short: 't' },
      'partition-by': { type: 'string' },
      sources: { type: 'string', short: 's' },
      recording: { type: 'string', short: 'r' },
    },
    async run(values, positionals) {
      const [dir] = positionals;
      if (!dir) throw new UsageError('export needs a workspace folder');
      const now = Date.now();
      let recording: { from: number; to: number | null; sources: string[] } | undefined;
      if (values['recording'] !== undefined) {
        const access = await openWorkspaceFolder(dir);
        try {
          recording = await access.client.call('namedRecording', { name: String(values['recording']) });
        } finally {
          await access.close();
        }
      }
      const from = recording ? recording.from : parseTime(requireOption(values, 'from'), now, '--from');
      const to = recording ? (recording.to ?? now) : parseTime(String(values['to'] ?? 'now'), now, '--to');
      const sources = values['sources'] ? listOption(values['sources']) : recording?.sources;
      const format = requireOption(values, 'format');
      if (format !== 'csv' && format !== 'jsonl' && format !== 'parquet')
        throw new UsageError(`--format must be csv, jsonl or parquet, not "${format}"`);
      const table = String(values['table'] ?? 'samples');
      if (!ExportTable.options.includes(table as ExportTable))
        throw new UsageError(`--table must be ${ExportTable.options.join(', ')}, not "${table}"`);
      const partitionBy = values['partition-by'] ? listOption(values['partition-by']) : undefined;
      for (const key of partitionBy ?? [])
        if (key !== 'day' && key !== 'source')
          throw new UsageError(`--partition-by takes day and source, not "${key}"`);
      const out = path.resolve(requireOption(values, 'out'));
      const channels = values['channels'] ? listOption(values['channels']) : undefined;
      const request = {
        from,
        to,
        format,
        table: table as ExportTable,
        path: out,
        channels,
        sources,
        partitionBy: partitionBy as ('day' | 'source')[] | undefined,
      } as const;
      const showProgress = (p: Pick<JobProgress, 'done' | 'total' | 'ratePerSecond' | 'etaSeconds'>) => {
        const pct = p.total ? ((100 * p.done) / p.total).toFixed(0) : '?';
        const eta = p.etaSeconds !== null ? `${p.etaSeconds.toFixed(0)} s left` : '';
        process.stderr.write(
          `\rexport: ${p.done}/${p.total ?? '?'} rows (${pct}%) ${Math.round(p.ratePerSecond)} rows/s ${eta}   `,
        );
      };
      const access = await openWorkspaceFolder(dir);
      // Ctrl-C cancels the engine's export job (nothing is written at the path), not just this
      // command: the engine would otherwise go on writing a file nobody waits for. Before the job
      // is known (or exporting in this process, from a closed workspace) it ends the command.
      let job = '';
      let interrupted = false;
      const cancel = () => {
        if (!job) process.exit(130);
        if (!interrupted)
          process.stderr.write(`\nopsdeck: cancelling the export (nothing is written to ${out})…\n`);
        interrupted = true;
        access.client.call('cancelJob', { id: job }).catch(() => undefined);
      };
      process.on('SIGINT', cancel);
      try {
        const off = access.client.on('progress', (p) => {
          if (p.job) job = p.job;
          if (p.total !== null) showProgress(p);
        });
        const result = await access.client.call('export', request).finally(off);
        process.stderr.write('\n');
        process.stdout.write(`exported ${result.rows} rows to ${result.path}\n`);
      } catch (error) {
        if (interrupted) {
          process.stderr.write(`opsdeck: export cancelled; nothing written to ${out}\n`);
          return 130;
        }
        throw error;
      } finally {
        process.off('SIGINT', cancel);
        await access.close();
      }
      return 0;
    },
  },
  keygen: {
    summary: 'make an Ed25519 key pair to sign evidence bundles',
    usage: `opsdeck keygen --out FILE
opsdeck keygen --vault NAME --workspace DIR [--public-out FILE]

Writes the private key to FILE (PEM, readable by you only) and the public key to FILE.pub, and
prints the key's fingerprint. Keep FILE outside every workspace: "opsdeck bundle" refuses a key
inside the workspace it bundles. Hand FILE.pub (or the fingerprint) to whoever verifies.

With --vault the private key goes into the desktop app's key store under NAME instead (through
the desktop app that has DIR open; never a file), and the public key is printed or written to
--public-out; "opsdeck bundle --key-vault NAME" signs with it. A key is never replaced.`,
    options: {
      out: { type: 'string', short: 'o' },
      vault: { type: 'string' },
      'public-out': { type: 'string' },
      ...workspaceOption,
    },
    async run(values) {
      if (values['vault'] !== undefined) {
        const dir = requireOption(values, 'workspace');
        const access = await openWorkspaceFolder(dir);
        try {
          if (access.via !== 'engine')
            throw new Error(
              `keygen --vault: no desktop app has ${path.resolve(dir)} open; the key store is the desktop's`,
            );
          const made = await access.client.call('keygenVault', { name: String(values['vault']) });
          if (values['public-out'] !== undefined) {
            fs.writeFileSync(path.resolve(String(values['public-out'])), made.publicKey, { flag: 'wx' });
            process.stdout.write(`public key: ${path.resolve(String(values['public-out']))}\n`);
          } else process.stdout.write(made.publicKey);
          process.stdout.write(
            `private key: in the key store as "${made.name}"\nfingerprint: ${made.fingerprint}\n`,
          );
        } finally {
          await access.close();
        }
        return 0;
      }
      const made = writeKeyPair(requireOption(values, 'out'));
      process.stdout.write(
        `private key: ${made.privateKeyFile} (mode 0600)\npublic key: ${made.publicKeyFile}\nfingerprint: ${made.fingerprint}\n`,
      );
      return 0;
    },
  },
  bundle: {
    summary: 'write a signed evidence bundle of a time range',
    usage: `opsdeck bundle <workspace> --from TIME --to TIME --key PRIVATE_KEY_FILE|--key-vault NAME --out DIR [--channels a,b]

Writes DIR (new or empty): the range's samples, records, alert transitions and annotations as
Parquet, the rules (rules.json), the audit log from the range's start to its head (audit.jsonl),
the imported capture files' hashes when the workspace has them, and manifest.json listing every
file with its SHA-256 and size, signed with the Ed25519 key (manifest.sig; signer.pub.pem beside
it). The key file must be outside the workspace ("opsdeck keygen" makes one); --key-vault takes the
key from the desktop app's key store ("opsdeck keygen --vault NAME"). TIME as for export.
Through a running engine the bundle is an audit entry; on a closed workspace (read-only) it is not.`,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      key: { type: 'string', short: 'k' },
      'key-vault': { type: 'string' },
      out: { type: 'string', short: 'o' },
      channels: { type: 'string', short: 'c' },
    },
    async run(values, positionals) {
      const [dir] = positionals;
      if (!dir) throw new UsageError('bundle needs a workspace folder');
      if ((values['key'] === undefined) === (values['key-vault'] === undefined))
        throw new UsageError('bundle needs --key FILE or --key-vault NAME (one of them)');
      const now = Date.now();
      const request = {
        from: parseTime(requireOption(values, 'from'), now, '--from'),
        to: parseTime(String(values['to'] ?? 'now'), now, '--to'),
        ...(values['key'] !== undefined
          ? { keyFile: path.resolve(String(values['key'])) }
          : { keyVault: String(values['key-vault']) }),
        out: path.resolve(requireOption(values, 'out')),
        channels: values['channels'] ? listOption(values['channels']) : undefined,
      };
      const access = await openWorkspaceFolder(dir);
      try {
        const result = await access.client.call('bundle', request);
        const rows = Object.entries(result.rows)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ');
        process.stdout.write(
          `bundle: ${result.path}\n${result.files.length} files (${rows}), manifest SHA-256 ${result.manifestSha256}\nsigned by ${result.fingerprint}\n`,
        );
        if (result.auditBroken)
          process.stderr.write(
            `opsdeck: WARNING: the workspace's audit log is broken at ${result.auditBroken}; the bundle carries it as it is, and verify will say so\n`,
          );
        if (!result.audited)
          process.stderr.write(
            'opsdeck: the workspace was open read-only, so this bundle is not in its audit log\n',
          );
      } finally {
        await access.close();
      }
      return 0;
    },
  },
  verify: {
    summary: 'check an evidence bundle: every hash, the file list and the signature',
    usage: `opsdeck verify <bundle> [--key PUBLIC_KEY_FILE|FINGERPRINT]

Checks every file's SHA-256 and size against manifest.json, that no file was added or removed, the
audit segment's hash chain, and the manifest's Ed25519 signature. With --key (the signer's public
key file, e.g. FILE.pub from "opsdeck keygen", or its fingerprint SHA256:…) it also checks the
bundle was signed by that key. Prints what it checked. Exit code: ${VERIFY_EXIT.verified} verified against the trusted key;
${VERIFY_EXIT.failed} something does not hold; ${VERIFY_EXIT.untrusted} intact but, without --key, not checked against a trusted key.`,
    options: { key: { type: 'string', short: 'k' } },
    async run(values, positionals) {
      const [bundleDir] = positionals;
      if (!bundleDir) throw new UsageError('verify needs a bundle folder');
      const keyArg = values['key'] !== undefined ? String(values['key']) : undefined;
      let trusted: TrustedKey | undefined;
      if (keyArg !== undefined) {
        if (isFingerprint(keyArg)) trusted = { fingerprint: keyArg, from: 'the fingerprint given' };
        else if (fs.existsSync(keyArg))
          trusted = {
            publicKey: publicKeyFromPem(fs.readFileSync(keyArg), keyArg),
            from: path.resolve(keyArg),
          };
        else throw new UsageError(`--key: "${keyArg}" is neither a key file nor a fingerprint (SHA256:…)`);
      }
      const verdict = verifyBundle(bundleDir, trusted);
      for (const line of verdict.checked) process.stdout.write(`ok: ${line}\n`);
      for (const line of verdict.problems) process.stdout.write(`FAILED: ${line}\n`);
      if (verdict.problems.length) {
        process.stderr.write(
          `opsdeck: ${path.resolve(bundleDir)} does NOT verify (${verdict.problems.length} problems)\n`,
        );
        return VERIFY_EXIT.failed;
      }
      if (!verdict.trustChecked) {
        process.stderr.write(
          `opsdeck: intact and signed by ${verdict.signer}, but NOT checked against a trusted key: give --key with the signer's public key or fingerprint\n`,
        );
        return VERIFY_EXIT.untrusted;
      }
      process.stderr.write(
        `opsdeck: ${path.resolve(bundleDir)} verifies: signed by the trusted key ${verdict.signer}\n`,
      );
      return VERIFY_EXIT.verified;
    },
  },
  record: {
    summary: 'start, stop or list named recordings of live sources',
    usage: `opsdeck record start <workspace> --name NAME --sources a,b [--actor NAME]
opsdeck record stop <workspace> --name NAME [--actor NAME]
opsdeck record list <workspace> [--format text|json]

A named recording marks when a run of live sources began and ended; while it runs, its sources
keep their raw messages (table recordings) even with their "record" option off, so the run can be
re-decoded ("opsdeck redecode") and exported ("opsdeck export --recording"). Starting and stopping
go through the engine whose sources run (the desktop app, opsdeck serve) and are audit entries;
listing works on a closed workspace too.`,
    options: {
      name: { type: 'string', short: 'n' },
      sources: { type: 'string', short: 's' },
      actor: { type: 'string' },
      format: { type: 'string', short: 'f' },
    },
    async run(values, positionals) {
      const [sub, dir] = positionals;
      if (!sub || !['start', 'stop', 'list'].includes(sub) || !dir)
        throw new UsageError('record needs start, stop or list and a workspace folder');
      const actor = String(values['actor'] ?? os.userInfo().username);
      const access = await openWorkspaceFolder(dir);
      try {
        if (sub !== 'list' && access.via !== 'engine')
          throw new Error(
            `record ${sub}: no engine has ${path.resolve(dir)} open; a recording records live sources, so start it where they run (the desktop app, opsdeck serve)`,
          );
        const show = (r: { name: string; sources: string[]; from: number; to: number | null }) =>
          `${r.name}: ${r.sources.join(', ')} from ${new Date(r.from).toISOString()} ${r.to === null ? '(recording)' : `to ${new Date(r.to).toISOString()}`}\n`;
        if (sub === 'start') {
          const started = await access.client.call('startRecording', {
            name: requireOption(values, 'name'),
            sources: listOption(requireOption(values, 'sources')),
            actor,
          });
          process.stdout.write(show(started));
        } else if (sub === 'stop') {
          process.stdout.write(
            show(await access.client.call('stopRecording', { name: requireOption(values, 'name'), actor })),
          );
        } else {
          const list = await access.client.call('namedRecordings', {});
          process.stdout.write(
            values['format'] === 'json' ? JSON.stringify(list, null, 2) + '\n' : list.map(show).join(''),
          );
        }
      } finally {
        await access.close();
      }
      return 0;
    },
  },
  redecode: {
    summary: 'decode recorded raw messages again into a derived source (a job)',
    usage: `opsdeck redecode <workspace> --recording NAME [--source ID] [--decoder NAME]
                 [--calibrate PATH=SCALE:OFFSET]… [--as SUFFIX]
opsdeck redecode <workspace> --source ID --from TIME --to TIME [same options]

Runs the raw messages a source recorded (record: true, or a named recording) through the decoders
again into the derived source ID~SUFFIX (default ID~redecoded), which must hold nothing yet: what
was stored is never written over. Without --decoder each message gets the decoder the source's
configuration chooses now; --calibrate sets the scale and offset of a channel (its path under the
source, e.g. rig/env/temp=2:0.5), otherwise the original channel's calibration carries over.
Recordings of MQTT sources can be re-decoded. Progress on stderr; Ctrl-C cancels.`,
    options: {
      recording: { type: 'string', short: 'r' },
      source: { type: 'string', short: 's' },
      from: { type: 'string' },
      to: { type: 'string' },
      decoder: { type: 'string', short: 'd' },
      calibrate: { type: 'string', multiple: true },
      as: { type: 'string' },
    },
    async run(values, positionals) {
      const [dir] = positionals;
      if (!dir) throw new UsageError('redecode needs a workspace folder');
      const now = Date.now();
      const calibration: Record<string, { scale: number; offset: number }> = {};
      for (const c of (values['calibrate'] as unknown as string[] | undefined) ?? []) {
        const m = /^(.+)=(-?[\d.e+-]+):(-?[\d.e+-]+)$/.exec(c);
        if (!m || !Number.isFinite(Number(m[2])) || !Number.isFinite(Number(m[3])))
          throw new UsageError(`--calibrate "${c}" is not PATH=SCALE:OFFSET (e.g. rig/env/temp=2:0.5)`);
        calibration[m[1]!] = { scale: Number(m[2]), offset: Number(m[3]) };
      }
      const params = {
        ...(values['recording'] !== undefined ? { recording: String(values['recording']) } : {}),
        ...(values['source'] !== undefined ? { source: String(values['source']) } : {}),
        ...(values['from'] !== undefined ? { from: parseTime(String(values['from']), now, '--from') } : {}),
        ...(values['to'] !== undefined ? { to: parseTime(String(values['to']), now, '--to') } : {}),
        ...(values['decoder'] !== undefined ? { decoder: String(values['decoder']) } : {}),
        ...(Object.keys(calibration).length ? { calibration } : {}),
        ...(values['as'] !== undefined ? { suffix: String(values['as']) } : {}),
      };
      const access = await openWorkspaceWritable(dir);
      try {
        const { jobs } = await access.client.call('redecodeRecording', params);
        let failed = 0;
        for (const id of jobs) {
          const ended = await followJob(access.client, id);
          process.stdout.write(formatJobSummary(ended) + '\n');
          if (ended.state !== 'done') failed++;
        }
        return failed ? 1 : 0;
      } finally {
        await access.close();
      }
    },
  },
  annotate: {
    summary: 'add, list or delete annotations on instants and ranges of the timeline',
    usage: `opsdeck annotate add <workspace> --at TIME [--to TIME] --text TEXT [--author NAME] [--channels a,b]
opsdeck annotate list <workspace> [--from TIME] [--to TIME] [--format text|json]
opsdeck annotate delete <workspace> <id> [--author NAME]

An annotation marks an instant (--at) or a range (--at … --to …) with text, its author (default:
your user name) and the channels it is about (none: the whole workspace). Adding and deleting go
through the engine that has the workspace open and are audit entries; listing works on a closed
workspace too. TIME as for export.`,
    options: {
      at: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      text: { type: 'string' },
      author: { type: 'string' },
      channels: { type: 'string', short: 'c' },
      format: { type: 'string', short: 'f' },
    },
    async run(values, positionals) {
      const [sub, dir, id] = positionals;
      if (!sub || !['add', 'list', 'delete'].includes(sub) || !dir)
        throw new UsageError('annotate needs add, list or delete and a workspace folder');
      if (sub === 'delete' && !id) throw new UsageError('annotate delete needs the annotation id');
      const now = Date.now();
      const author = String(values['author'] ?? os.userInfo().username);
      const access = await openWorkspaceFolder(dir);
      try {
        if (sub === 'add') {
          const added = await access.client.call('addAnnotation', {
            ts: parseTime(requireOption(values, 'at'), now, '--at'),
            tsEnd: values['to'] !== undefined ? parseTime(String(values['to']), now, '--to') : null,
            text: requireOption(values, 'text'),
            author,
            channels: values['channels'] ? listOption(values['channels']) : [],
          });
          process.stdout.write(`${added.id}\n`);
        } else if (sub === 'delete') {
          await access.client.call('deleteAnnotation', { id: id!, actor: author });
          process.stdout.write(`deleted ${id}\n`);
        } else {
          const list = await access.client.call('annotations', {
            ...(values['from'] !== undefined
              ? { from: parseTime(String(values['from']), now, '--from') }
              : {}),
            ...(values['to'] !== undefined ? { to: parseTime(String(values['to']), now, '--to') } : {}),
          });
          process.stdout.write(
            values['format'] === 'json'
              ? JSON.stringify(list, null, 2) + '\n'
              : list
                  .map(
                    (a) =>
                      `${new Date(a.ts).toISOString()}${a.tsEnd !== null ? `–${new Date(a.tsEnd).toISOString()}` : ''}  ${a.author}: ${a.text}` +
                      `${a.channels.length ? ` [${a.channels.join(', ')}]` : ''}  (${a.id})\n`,
                  )
                  .join(''),
          );
        }
      } finally {
        await access.close();
      }
      return 0;
    },
  },
  audit: {
    summary: "check the audit log's hash chain and name the first broken entry",
    usage: `opsdeck audit verify <workspace>

Walks the workspace's audit log (acks, silences, configuration changes, exports, bundles,
annotations removed, quarantine cleared) from its first entry, recomputing each hash and link.
Through the engine that has the workspace open, or read-only on its file when none does. Exit code
0 when the chain holds, 1 naming the first broken entry.`,
    options: {},
    async run(_values, positionals) {
      const [sub, dir] = positionals;
      if (sub !== 'verify' || !dir) throw new UsageError('audit verify needs a workspace folder');
      const access = await openWorkspaceFolder(dir);
      try {
        const v = await access.client.call('verifyAudit', {});
        if (v.ok) {
          process.stdout.write(`audit log intact: ${v.count} entries\n`);
          return 0;
        }
        process.stdout.write(`audit log BROKEN at entry ${v.brokenSeq} (of ${v.count}): ${v.reason}\n`);
        return 1;
      } finally {
        await access.close();
      }
    },
  },
};

function listOption(value: unknown): string[] {
  return String(value)
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
}

/**
 * The workspace's engine for a command that writes (an import; `create`: a new or empty folder
 * becomes a workspace with no sources): the running one when there is one,
 * else an engine started here for the command (its sources not started), owning the workspace —
 * lock and loopback API included, so other commands reach it meanwhile — until the command ends.
 */
async function openWorkspaceWritable(dir: string, create = false) {
  const absolute = path.resolve(dir);
  if (create && ensureEmptyWorkspace(absolute))
    process.stderr.write(
      `opsdeck: made a new workspace in ${absolute} (no sources: its data is what you import)\n`,
    );
  if (!fs.existsSync(path.join(absolute, 'opsdeck.json')))
    throw new Error(
      `${absolute} is not an OpsDeck workspace (no opsdeck.json), and not empty: name a new or empty folder to make one`,
    );
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
