// How the CLI shows a job: one progress line (a bar on a terminal), and its summary when it ends.
import type { JobInfo } from '../../shared/jobs';
import type { RpcClient } from '../../shared/rpc';

const BAR_WIDTH = 24;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** `import [######----] 42% 12.0/28.5 MB 51,000 rows 12,000 rows/s 2 s left, 3 quarantined`. */
export function formatJobLine(job: JobInfo, width?: number): string {
  // By bytes when known ahead (imports, re-decodes); an export knows its rows instead.
  const fraction = job.bytesTotal
    ? Math.min(1, job.bytesDone / job.bytesTotal)
    : job.rowsTotal
      ? Math.min(1, job.rows / job.rowsTotal)
      : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const parts = [
    `${job.kind} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}%`,
    `${megabytes(job.bytesDone)}/${job.bytesTotal === null ? '?' : megabytes(job.bytesTotal)}`,
    `${job.rows.toLocaleString('en')} rows`,
    `${Math.round(job.rowsPerSecond).toLocaleString('en')} rows/s`,
    job.secondsLeft === null ? '' : `${duration(job.secondsLeft)} left`,
    job.quarantined ? `${job.quarantined.toLocaleString('en')} quarantined` : '',
  ].filter(Boolean);
  const line = parts.join(' ');
  // On a terminal: the line fills its width (erasing what a longer one left) and never wraps.
  return width ? line.slice(0, width - 1).padEnd(width - 1) : line;
}

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'notice', 'info', 'debug'];

/** A file's first answers, counted before its rows: `first counts, f.log: 12 lines: error 2 · info 10`. */
export function formatFirstCounts(f: JobInfo['files'][number]): string | null {
  const c = f.counted;
  if (!c || c.lines === 0) return null; // a JSON file of numbers only: samples, no record
  const by = SEVERITY_ORDER.filter((s) => c.bySeverity[s])
    .map((s) => `${s} ${c.bySeverity[s]!.toLocaleString('en')}`)
    .join(' · ');
  const span =
    c.from !== null && c.to !== null
      ? `, ${new Date(c.from).toISOString().slice(0, 16)}Z – ${new Date(c.to).toISOString().slice(0, 16)}Z`
      : '';
  return (
    `first counts, ${f.path}: ${c.lines.toLocaleString('en')} lines${by ? `: ${by}` : ''}` +
    `${c.quarantined ? ` · ${c.quarantined.toLocaleString('en')} to quarantine` : ''}${span}` +
    ` (before its rows; by minute in capture_counts_v)`
  );
}

export function formatJobSummary(job: JobInfo): string {
  const lines = [`${job.id}: ${job.state}${job.error ? `: ${job.error}` : ''}`];
  for (const f of job.files)
    lines.push(
      `  ${f.state.padEnd(9)} ${f.path} (${megabytes(f.size)}${f.format ? `, ${f.format}` : ''}` +
        `${f.confidence !== null && f.confidence < 1 ? ` ${f.confidence}` : ''}): ${f.rows} rows` +
        `${f.quarantined ? `, ${f.quarantined} quarantined` : ''}${f.sha256 ? `, sha256 ${f.sha256}` : ''}` +
        `${f.note ? ` — ${f.note}` : ''}`,
    );
  for (const n of job.notes) lines.push(`  ${n}`);
  return lines.join('\n');
}

/**
 * Waits for a job of the engine behind `client` to end, showing its progress on stderr (a line
 * that rewrites itself on a terminal, a line every 2 s otherwise, and the last one as it ended);
 * Ctrl-C asks the engine to cancel it, saying `onCancel` (what cancelling keeps).
 */
export async function followJob(client: RpcClient, id: string, onCancel?: string): Promise<JobInfo> {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const counted = new Set<string>();
  const ended = await new Promise<JobInfo>((resolve, reject) => {
    const cancel = () => {
      process.stderr.write(`\nopsdeck: cancelling ${id}${onCancel ? ` (${onCancel})` : ''}…\n`);
      client.call('cancelJob', { id }).catch(reject);
    };
    process.once('SIGINT', cancel);
    const stop = client.subscribe(
      'jobs',
      {},
      {
        data: (jobs) => {
          const job = jobs.find((j) => j.id === id);
          if (!job) return;
          // The first answers as soon as a file has them, long before its rows are in.
          for (const f of job.files) {
            const first = counted.has(f.path) ? null : formatFirstCounts(f);
            if (first === null) continue;
            counted.add(f.path);
            process.stderr.write(`${tty ? '\r\x1b[K' : ''}${first}\n`);
          }
          if (job.state === 'queued' || job.state === 'running') {
            const now = Date.now();
            if (tty) process.stderr.write(`\r${formatJobLine(job, process.stderr.columns ?? 100)}`);
            else if (now - lastLine >= 2_000) {
              lastLine = now;
              process.stderr.write(`${formatJobLine(job)}\n`);
            }
            return;
          }
          // The last line too: a job shorter than the 2 s step would show only its first.
          if (tty) process.stderr.write(`\r${formatJobLine(job, process.stderr.columns ?? 100)}`);
          else process.stderr.write(`${formatJobLine(job)}\n`);
          process.off('SIGINT', cancel);
          stop();
          resolve(job);
        },
        error: (message) => reject(new Error(message)),
      },
    );
  });
  if (tty) process.stderr.write('\n');
  return ended;
}
