// Where alerts go, in the alerts panel: every notifier of the workspace with its last delivery, to
// add, edit, test (in the editor) or remove.
import { useState } from 'react';
import type { NotifierConfig } from '../../../../shared/alerts';
import type { NotifierStatusInfo } from '../../../../shared/api';
import type { RpcClient } from '../../../../shared/rpc';
import type { SourceConfig } from '../../../../shared/schemas';
import { Timestamp } from '../../time-zone';
import { RowTools } from '../../widgets/RowTools';
import { useSubscription } from '../../useSubscription';
import { NotifierEditor } from './NotifierEditor';

function target(n: NotifierConfig): string {
  switch (n.kind) {
    case 'webhook':
      return n.url;
    case 'mqtt':
    case 'kafka':
      return `${n.source}: ${n.topic}`;
    case 'syslog':
      return `${n.transport}://${n.host}:${n.port}`;
    case 'command':
      return `${n.argv.join(' ')}${n.enabled ? '' : ' (off)'}`;
  }
}

export function NotifierList({
  client,
  notifiers,
  sources,
  onChanged,
}: {
  client: RpcClient | null;
  notifiers: readonly NotifierConfig[];
  sources: readonly SourceConfig[];
  onChanged(): void;
}) {
  const [editing, setEditing] = useState<{ existing: NotifierConfig | null } | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<NotifierStatusInfo[]>([]);
  useSubscription(client, 'notifiers', {}, setStatus);

  const remove = async (id: string) => {
    if (!client) return;
    setError(null);
    try {
      await client.call('removeNotifier', { id });
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setConfirm(null);
    }
  };

  return (
    <section
      className="alert-notifiers"
      aria-labelledby="alert-notifiers-title"
      data-testid="alert-notifiers"
    >
      <h3 id="alert-notifiers-title">
        Notifiers
        <button
          type="button"
          onClick={() => setEditing({ existing: null })}
          disabled={!client}
          data-testid="notifier-add"
        >
          Add notifier
        </button>
      </h3>
      {error && (
        <p className="alerts-problem" role="alert">
          {error}
        </p>
      )}
      {notifiers.length === 0 ? (
        <p className="empty">None: alerts show here and on the desktop only.</p>
      ) : (
        <table className="rule-table" data-testid="notifier-table">
          <thead>
            <tr>
              <th scope="col">Name and target</th>
              <th scope="col">Kind</th>
              <th scope="col">Last delivery</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {notifiers.map((n) => {
              const s = status.find((x) => x.id === n.id);
              return (
                <tr key={n.id} data-notifier={n.id}>
                  <th scope="row" title={`${n.id}: ${target(n)}`}>
                    <span className="alert-rule">{n.id}</span>
                    <span className="rule-condition">{target(n)}</span>
                  </th>
                  <td>{n.kind}</td>
                  <td title={s?.error ?? undefined}>
                    {!s || s.ok === null ? (
                      <span className="dim">none yet</span>
                    ) : (
                      <span className={s.ok ? 'ok' : 'panel-error'}>
                        {s.ok ? 'ok' : 'failed'} {s.at !== null && <Timestamp ms={s.at} now={Date.now()} />}
                      </span>
                    )}
                  </td>
                  <td className="alert-rule-tools">
                    <RowTools
                      name={n.id}
                      disabled={!client}
                      confirming={confirm === n.id}
                      question="Rules stop naming it."
                      editTitle="Edit or test"
                      editTestId={`notifier-edit-${n.id}`}
                      onEdit={() => setEditing({ existing: n })}
                      onAskRemove={() => setConfirm(n.id)}
                      onRemove={() => void remove(n.id)}
                      onKeep={() => setConfirm(null)}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editing && (
        <NotifierEditor
          client={client}
          existing={editing.existing}
          notifiers={notifiers}
          sources={sources}
          onSaved={onChanged}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  );
}
