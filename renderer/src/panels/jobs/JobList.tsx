// Jobs as the engine pushes them: a progress bar with bytes, rows/s, time left and rows
// quarantined while one runs, a Cancel button, and its summary (files, notes) once it ends.
import type { ImportedFile, JobInfo } from '../../../../shared/jobs';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText, formatBytes, formatCount, formatDuration, formatRate } from '../../format';
import { Timestamp } from '../../time-zone';

export function JobList({
  client,
  jobs,
  onError,
}: {
  client: RpcClient | null;
  jobs: JobInfo[] | null;
  onError(message: string): void;
}) {
  if (jobs === null) return <span className="empty">Loading jobs…</span>;
  if (jobs.length === 0) return <span className="empty">No jobs yet.</span>;
  return (
    <ul className="job-list" data-testid="job-list">
      {jobs.map((job) => {
        const running = job.state === 'queued' || job.state === 'running';
        // By bytes when known ahead (imports, re-decodes); an export knows its rows instead.
        const fraction = job.bytesTotal
          ? Math.min(1, job.bytesDone / job.bytesTotal)
          : job.rowsTotal
            ? Math.min(1, job.rows / job.rowsTotal)
            : 0;
        return (
          <li key={job.id} data-testid={`job-${job.id}`} data-state={job.state}>
            <div className="job-head">
              <strong>{job.label}</strong> <span className="job-state">{job.state}</span>
              {running && client && (
                <button
                  type="button"
                  onClick={() =>
                    void client.call('cancelJob', { id: job.id }).catch((e) => onError(errorText(e)))
                  }
                  data-testid="job-cancel"
                >
                  Cancel
                </button>
              )}
            </div>
            <progress
              max={1}
              value={job.state === 'done' ? 1 : fraction}
              aria-label={`${job.label}: ${Math.floor(fraction * 100)}%`}
              data-testid="job-progress"
            />
            <div className="job-figures" data-testid="job-figures">
              {job.rowsTotal === null
                ? `${formatBytes(job.bytesDone)} of ${job.bytesTotal === null ? '?' : formatBytes(job.bytesTotal)} · `
                : ''}
              {formatCount(job.rows)}
              {job.rowsTotal !== null && ` of ${formatCount(job.rowsTotal)}`} rows
              {running && ` · ${formatRate(job.rowsPerSecond)} rows/s`}
              {running && job.secondsLeft !== null && ` · ${formatDuration(job.secondsLeft * 1000)} left`}
              {` · ${formatCount(job.quarantined)} quarantined`}
            </div>
            <div className="job-detail">{job.error ?? job.detail}</div>
            {job.files.map(
              // Nothing counted (a JSON file of numbers only makes samples, no record): nothing shown.
              (f) =>
                f.counted &&
                f.counted.lines > 0 && <FirstCounts key={f.path} path={f.path} counted={f.counted} />,
            )}
            {!running && (
              <details>
                <summary>{job.files.length} files</summary>
                <ul>
                  {job.files.map((f) => (
                    <li key={f.path}>
                      <code>{f.path}</code> — {f.state}
                      {f.format &&
                        `, ${f.format}${f.confidence !== null && f.confidence < 1 ? ` (${f.confidence})` : ''}`}
                      , {formatCount(f.rows)} rows
                      {f.quarantined > 0 && `, ${formatCount(f.quarantined)} quarantined`}
                      {f.note && <div className="job-note">{f.note}</div>}
                    </li>
                  ))}
                </ul>
                {job.notes.map((n, i) => (
                  <div key={i} className="job-note">
                    {n}
                  </div>
                ))}
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'notice', 'info', 'debug'];

/**
 * A file's first answers, from the import's first pass and before its rows: lines by severity
 * and a histogram of them over the file's time span (engine/import/quick-counts.ts).
 */
function FirstCounts({ path, counted }: { path: string; counted: NonNullable<ImportedFile['counted']> }) {
  const peak = Math.max(1, ...counted.histogram);
  const name = path.split(/[\\/]/).pop();
  return (
    <div className="first-counts" data-testid="first-counts">
      <span className="job-note">
        {name}: {formatCount(counted.lines)} lines
        {SEVERITY_ORDER.filter((s) => counted.bySeverity[s]).map((s) => (
          <span key={s} className={`severity-${s}`} data-severity={s}>
            {' · '}
            {s} {formatCount(counted.bySeverity[s]!)}
          </span>
        ))}
        {counted.quarantined > 0 && ` · ${formatCount(counted.quarantined)} to quarantine`}
      </span>
      {counted.from !== null && counted.to !== null && counted.histogram.length > 0 && (
        <div className="first-counts-histogram">
          <svg
            viewBox={`0 0 ${counted.histogram.length} 20`}
            preserveAspectRatio="none"
            role="img"
            aria-label={`${name}: lines over time`}
          >
            {counted.histogram.map((n, i) => (
              <rect key={i} x={i + 0.1} width={0.8} y={20 - (n / peak) * 20} height={(n / peak) * 20} />
            ))}
          </svg>
          <span className="job-note">
            <Timestamp ms={counted.from} now={0} /> – <Timestamp ms={counted.to} now={0} />
          </span>
        </div>
      )}
    </div>
  );
}
