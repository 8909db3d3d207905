// The header's recording control: the named recordings running now, each with Stop, and "Record"
// to start one (a name, the sources to record: the enabled ones by default). While a recording
// runs its sources keep their raw messages, so the run can be re-decoded and handed over.
import { useState, type FormEvent } from 'react';
import type { NamedRecording } from '../../../../shared/recordings';
import type { RpcClient } from '../../../../shared/rpc';
import type { SourceConfig } from '../../../../shared/schemas';
import { errorText } from '../../format';
import { useSubscription } from '../../useSubscription';
import { Modal } from '../../widgets/Modal';
import { actorName, useActor } from '../alerts/AlertActions';

export function RecordingControl({
  client,
  sources,
  onError,
}: {
  /** Null when the console may not record (read-only, disconnected). */
  client: RpcClient | null;
  sources: SourceConfig[];
  onError(message: string): void;
}) {
  const [recordings, setRecordings] = useState<NamedRecording[]>([]);
  const [starting, setStarting] = useState(false);
  const [actor] = useActor();
  useSubscription(client, 'recordings', client ? {} : null, setRecordings, onError);
  const running = recordings.filter((r) => r.to === null);

  const stop = (name: string) =>
    void client
      ?.call('stopRecording', { name, actor: actorName(actor) })
      .catch((e: unknown) => onError(errorText(e)));

  return (
    <span className="recording-control" data-testid="recording-control">
      {running.map((r) => (
        <span key={r.name} className="badge badge-danger" data-testid={`recording-${r.name}`}>
          ● {r.name}{' '}
          <button type="button" onClick={() => stop(r.name)} disabled={!client} data-testid="recording-stop">
            Stop
          </button>
        </span>
      ))}
      <button
        type="button"
        onClick={() => setStarting(true)}
        disabled={!client || sources.length === 0}
        data-testid="recording-open"
        title="Record live sources under a name: their raw messages are kept, to decode again and hand over"
      >
        Record
      </button>
      {starting && client && (
        <StartRecordingDialog
          client={client}
          sources={sources}
          actor={actorName(actor)}
          taken={recordings.map((r) => r.name)}
          onClose={() => setStarting(false)}
        />
      )}
    </span>
  );
}

function StartRecordingDialog({
  client,
  sources,
  actor,
  taken,
  onClose,
}: {
  client: RpcClient;
  sources: SourceConfig[];
  actor: string;
  taken: string[];
  onClose(): void;
}) {
  const [name, setName] = useState(() => `run ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`);
  const [chosen, setChosen] = useState(() => sources.filter((s) => s.enabled).map((s) => s.id));
  const [problem, setProblem] = useState<string | null>(null);
  const toggle = (id: string) =>
    setChosen((list) => (list.includes(id) ? list.filter((s) => s !== id) : [...list, id]));
  const clash = taken.includes(name.trim());

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    try {
      await client.call('startRecording', { name: name.trim(), sources: chosen, actor });
      onClose();
    } catch (error) {
      setProblem(errorText(error));
    }
  };

  return (
    <Modal title="Start a recording" onClose={onClose} testId="recording-dialog">
      <form className="form" onSubmit={(e) => void start(e)} noValidate>
        <div className="form-body">
          <label className="form-row">
            <span className="form-label">Name</span>
            <span className="form-control">
              <input
                type="text"
                value={name}
                onChange={(e) => setName(e.target.value)}
                spellCheck={false}
                data-testid="recording-name"
              />
              {clash && <span className="form-problem">a recording has this name already</span>}
            </span>
          </label>
          <div className="form-row">
            <span className="form-label">Sources</span>
            <span className="form-control">
              {sources.map((s) => (
                <label key={s.id} className="check-row">
                  <input
                    type="checkbox"
                    checked={chosen.includes(s.id)}
                    onChange={() => toggle(s.id)}
                    data-testid={`recording-source-${s.id}`}
                  />{' '}
                  {s.name} <small>({s.id})</small>
                </label>
              ))}
            </span>
          </div>
        </div>
        <footer className="form-foot">
          <div className="form-buttons">
            <span role="alert" data-testid="recording-problem">
              {problem ?? ''}
            </span>
            <span className="spacer" />
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!name.trim() || clash || chosen.length === 0}
              data-testid="recording-start"
            >
              Start recording
            </button>
          </div>
        </footer>
      </form>
    </Modal>
  );
}
