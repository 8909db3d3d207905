// Export stored samples to a CSV or Parquet file on the engine's machine: channels chosen in the
// channel browser, a range back from now or a named recording's span and sources, a path. The
// export is a job: its progress and Cancel show below (with other exports and bundles), and a
// cancelled one leaves nothing at the path. Says what the engine wrote, or why not.
import { useState, type FormEvent } from 'react';
import type { JobInfo } from '../../shared/jobs';
import type { NamedRecording } from '../../shared/recordings';
import type { RpcClient } from '../../shared/rpc';
import { ChannelBrowser } from './channel-browser/ChannelBrowser';
import { formatCount, formatDuration } from './format';
import { JobList } from './panels/jobs/JobList';
import { useSubscription } from './useSubscription';
import { Modal } from './widgets/Modal';

const RANGES = [900_000, 3_600_000, 86_400_000, 7 * 86_400_000];
type Outcome = { ok: true; path: string; rows: number } | { ok: false; message: string };

export function ExportDialog({ client, onClose }: { client: RpcClient | null; onClose(): void }) {
  const [channels, setChannels] = useState<string[]>([]);
  const [rangeMs, setRangeMs] = useState(RANGES[1]!);
  const [format, setFormat] = useState<'csv' | 'parquet'>('csv');
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  /** A named recording's name: its span and sources instead of a range back from now. */
  const [recording, setRecording] = useState('');
  const [recordings, setRecordings] = useState<NamedRecording[]>([]);
  const [jobs, setJobs] = useState<JobInfo[] | null>(null);
  useSubscription(client, 'recordings', client ? {} : null, setRecordings);
  useSubscription(client, 'jobs', client ? {} : null, (all) =>
    setJobs(all.filter((j) => j.kind === 'export' || j.kind === 'bundle')),
  );
  const toggle = (name: string) =>
    setChannels((list) => (list.includes(name) ? list.filter((n) => n !== name) : [...list, name]));

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!client || !path.trim()) return;
    setBusy(true);
    setOutcome(null);
    const now = Date.now();
    const chosen = recordings.find((r) => r.name === recording);
    const span = chosen
      ? { from: chosen.from, to: chosen.to ?? now, sources: chosen.sources }
      : { from: now - rangeMs, to: now };
    try {
      const r = await client.call('export', {
        ...span,
        format,
        path: path.trim(),
        ...(channels.length > 0 ? { channels } : {}),
      });
      setOutcome({ ok: true, ...r });
    } catch (error) {
      setOutcome({ ok: false, message: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Export stored data" onClose={onClose} testId="export-dialog" wide>
      <form className="form" onSubmit={(e) => void run(e)} noValidate>
        <div className="form-body">
          <div className="form-row">
            <span className="form-label">Channels</span>
            <span className="form-control">
              <span data-testid="export-chosen">
                {channels.length === 0 ? 'every channel' : channels.join(', ')}
              </span>
              <ChannelBrowser
                client={client}
                mode="check"
                isSelected={(name) => channels.includes(name)}
                onPick={(c) => toggle(c.name)}
                testId="export-channels"
              />
            </span>
          </div>
          <label className="form-row">
            <span className="form-label">Range</span>
            <span className="form-control">
              <select
                value={recording ? `rec:${recording}` : rangeMs}
                onChange={(e) => {
                  const v = e.target.value;
                  if (v.startsWith('rec:')) setRecording(v.slice(4));
                  else {
                    setRecording('');
                    setRangeMs(Number(v));
                  }
                }}
                data-testid="export-range"
              >
                {RANGES.map((ms) => (
                  <option key={ms} value={ms}>
                    last {formatDuration(ms)}
                  </option>
                ))}
                {recordings.map((r) => (
                  <option key={r.name} value={`rec:${r.name}`}>
                    recording {r.name} ({r.sources.join(', ')}){r.to === null ? ', still recording' : ''}
                  </option>
                ))}
              </select>
            </span>
          </label>
          <label className="form-row">
            <span className="form-label">Format</span>
            <span className="form-control">
              <select value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'parquet')}>
                <option value="csv">CSV</option>
                <option value="parquet">Parquet</option>
              </select>
            </span>
          </label>
          <label className="form-row">
            <span className="form-label">File</span>
            <span className="form-control">
              <input
                type="text"
                value={path}
                onChange={(e) => setPath(e.target.value)}
                placeholder="/home/me/rig.csv (on the machine the engine runs on)"
                spellCheck={false}
                data-testid="export-path"
              />
            </span>
          </label>
          <div className="form-row">
            <span className="form-label">Jobs</span>
            <span className="form-control" data-testid="export-jobs">
              <JobList
                client={client}
                jobs={jobs}
                onError={(message) => setOutcome({ ok: false, message })}
              />
            </span>
          </div>
        </div>
        <footer className="form-foot">
          <div className="form-buttons">
            <span role={outcome && !outcome.ok ? 'alert' : 'status'} data-testid="export-result">
              {outcome === null
                ? ''
                : outcome.ok
                  ? `Wrote ${formatCount(outcome.rows)} rows to ${outcome.path}.`
                  : `Not exported: ${outcome.message}`}
            </span>
            <span className="spacer" />
            <button type="button" onClick={onClose}>
              Close
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!client || busy || !path.trim()}
              data-testid="export-run"
            >
              {busy ? 'Exporting…' : 'Export'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}
