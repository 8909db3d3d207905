// Jobs as the engine pushes them: a progress bar with bytes, rows/s, time left and rows
// quarantined while one runs, a Cancel button, and its summary (files, notes) once it ends.
import type { JobInfo } from '../../../../shared/jobs';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText, formatBytes, formatCount, formatDuration, formatRate } from '../../format';

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
