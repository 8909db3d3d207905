// Import captures: paths on the engine's machine, typed or picked in a file browser the engine
// serves (a browser page cannot read local files, and the engine reads them where they lie, at
// disk speed, instead of receiving them in chunks), and the jobs with their progress and cancel.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { DirectoryListing, JobInfo } from '../../../../shared/jobs';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText, formatBytes } from '../../format';
import { useSubscription } from '../../useSubscription';
import { Modal } from '../../widgets/Modal';
import { JobList } from './JobList';

export function ImportDialog({ client, onClose }: { client: RpcClient | null; onClose(): void }) {
  const [paths, setPaths] = useState('');
  const [format, setFormat] = useState('');
  const [again, setAgain] = useState(false);
  const [masking, setMasking] = useState(true);
  const [folder, setFolder] = useState<DirectoryListing | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [jobs, setJobs] = useState<JobInfo[] | null>(null);
  useSubscription(client, 'jobs', client ? {} : null, setJobs, setProblem);

  const browse = useCallback(
    (path?: string) => {
      if (!client) return;
      client.call('listDirectory', path ? { path } : {}).then(setFolder, (e) => setProblem(errorText(e)));
    },
    [client],
  );
  useEffect(() => browse(), [browse]);

  const chosen = paths
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  const add = (path: string) =>
    setPaths((text) => (chosen.includes(path) ? text : [...chosen, path].join('\n')));

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!client || chosen.length === 0) return;
    setProblem(null);
    try {
      await client.call('importFiles', {
        paths: chosen,
        again,
        ...(format ? { format } : {}),
        ...(masking ? {} : { masking: { rules: [], custom: [] } }),
      });
      setPaths('');
    } catch (error) {
      setProblem(errorText(error));
    }
  };

  return (
    <Modal title="Import captures" onClose={onClose} testId="import-dialog" wide>
      <form className="form" onSubmit={(e) => void start(e)} noValidate>
        <div className="form-body">
          <label className="form-row">
            <span className="form-label">Files and folders</span>
            <span className="form-control">
              <textarea
                rows={3}
                value={paths}
                onChange={(e) => setPaths(e.target.value)}
                placeholder="/media/usb/evidence (one path a line, on the machine the engine runs on)"
                spellCheck={false}
                data-testid="import-paths"
              />
              <button
                type="button"
                onClick={() => browse(chosen[chosen.length - 1])}
                disabled={chosen.length === 0}
                data-testid="import-browse"
              >
                Browse to the last path
              </button>
            </span>
          </label>
          {folder && (
            <div className="form-row">
              <span className="form-label">Browse</span>
              <span className="form-control file-browser" data-testid="import-browser">
                <span className="file-browser-path">
                  {folder.parent && (
                    <button type="button" onClick={() => browse(folder.parent!)} title="the folder above">
                      ↑
                    </button>
                  )}{' '}
                  <code>{folder.path}</code>{' '}
                  <button type="button" onClick={() => add(folder.path)} data-testid="import-add-folder">
                    Add this folder
                  </button>
                </span>
                <ul className="file-browser-list">
                  {folder.entries.map((entry) => {
                    const full = `${folder.path.replace(/\/$/, '')}/${entry.name}`;
                    return (
                      <li key={entry.name}>
                        {entry.kind === 'dir' ? (
                          <button type="button" className="link" onClick={() => browse(full)}>
                            {entry.name}/
                          </button>
                        ) : (
                          <span>
                            {entry.name} <small>{formatBytes(entry.size)}</small>
                          </span>
                        )}{' '}
                        <button
                          type="button"
                          onClick={() => add(full)}
                          data-testid={`import-add-${entry.name}`}
                        >
                          Add
                        </button>
                      </li>
                    );
                  })}
                  {folder.truncated && <li>… more entries than shown: type the path</li>}
                </ul>
              </span>
            </div>
          )}
          <label className="form-row">
            <span className="form-label">Format</span>
            <span className="form-control">
              <input
                type="text"
                value={format}
                onChange={(e) => setFormat(e.target.value.trim())}
                placeholder="detected from the first lines (or: syslog, json, csv, zeek, …)"
                spellCheck={false}
              />
            </span>
          </label>
          <label className="form-row">
            <span className="form-label">Masking</span>
            <span className="form-control">
              <input type="checkbox" checked={masking} onChange={(e) => setMasking(e.target.checked)} /> mask
              e-mail addresses, card numbers, tokens and keys before storing
            </span>
          </label>
          <label className="form-row">
            <span className="form-label">Again</span>
            <span className="form-control">
              <input type="checkbox" checked={again} onChange={(e) => setAgain(e.target.checked)} /> import
              files already imported (same SHA-256) once more
            </span>
          </label>
          <div className="form-row">
            <span className="form-label">Jobs</span>
            <span className="form-control">
              <JobList client={client} jobs={jobs} onError={setProblem} />
            </span>
          </div>
        </div>
        <footer className="form-foot">
          <div className="form-buttons">
            <span role={problem ? 'alert' : 'status'} data-testid="import-problem">
              {problem ?? ''}
            </span>
            <span className="spacer" />
            <button type="button" onClick={onClose}>
              Close
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!client || chosen.length === 0}
              data-testid="import-start"
            >
              Import
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}
