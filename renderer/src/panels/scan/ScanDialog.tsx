// The sensitive-data scan from the console (`opsdeck scan`'s twin, the `scanFiles` call): files or
// folders on the engine's machine, checked with the masking rules before logs leave a lower
// environment. Nothing is imported; the findings show file, line, rule and a masked excerpt.
import { useState, type FormEvent } from 'react';
import type { Result } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import { formatCount } from '../../format';
import { Modal } from '../../widgets/Modal';

type Outcome = { ok: true; scan: Result<'scanFiles'> } | { ok: false; message: string };

export function ScanDialog({ client, onClose }: { client: RpcClient | null; onClose(): void }) {
  const [paths, setPaths] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const list = paths
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!client || list.length === 0) return;
    setBusy(true);
    setOutcome(null);
    try {
      setOutcome({ ok: true, scan: await client.call('scanFiles', { paths: list }) });
    } catch (error) {
      setOutcome({ ok: false, message: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const scan = outcome?.ok ? outcome.scan : null;
  return (
    <Modal title="Scan files for sensitive data" onClose={onClose} testId="scan-dialog" wide>
      <form className="form" onSubmit={(e) => void run(e)} noValidate>
        <div className="form-body">
          <label className="form-row">
            <span className="form-label">Files or folders</span>
            <span className="form-control">
              <textarea
                rows={3}
                value={paths}
                onChange={(e) => setPaths(e.target.value)}
                placeholder="/media/usb/logs (one per line, on the machine the engine runs on)"
                spellCheck={false}
                data-testid="scan-paths"
              />
            </span>
          </label>
          {scan && (
            <table className="scan-findings" data-testid="scan-findings">
              <thead>
                <tr>
                  <th>file:line</th>
                  <th>rule</th>
                  <th>excerpt (masked)</th>
                </tr>
              </thead>
              <tbody>
                {scan.findings.map((f, i) => (
                  <tr key={i} data-testid="scan-finding">
                    <td>
                      {f.file}:{f.line}
                    </td>
                    <td>{f.rule}</td>
                    <td>
                      <code>{f.excerpt}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <footer className="form-foot">
          <div className="form-buttons">
            <span role={outcome && !outcome.ok ? 'alert' : 'status'} data-testid="scan-result">
              {outcome === null
                ? ''
                : outcome.ok
                  ? `${formatCount(outcome.scan.findings.length)}${outcome.scan.truncated ? '+' : ''} finding${outcome.scan.findings.length === 1 ? '' : 's'} in ${formatCount(outcome.scan.lines)} lines of ${formatCount(outcome.scan.files)} file${outcome.scan.files === 1 ? '' : 's'}${outcome.scan.errors.length ? `; could not read ${outcome.scan.errors.join(', ')}` : ''}.`
                  : `Not scanned: ${outcome.message}`}
            </span>
            <span className="spacer" />
            <button type="button" onClick={onClose}>
              Close
            </button>
            <button
              type="submit"
              className="primary"
              disabled={busy || !client || list.length === 0}
              data-testid="scan-run"
            >
              {busy ? 'Scanning…' : 'Scan'}
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}
