// The field sidebar (Kibana's): the records' fields, each a column to show or hide, and for the
// one opened its top values over the current filter; a value filters by it (+) or excludes it (−).
import { useEffect, useState } from 'react';
import type { FieldStats } from '../../../../shared/investigate';
import type { FilterTerm } from '../../../../shared/log-filter';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText } from '../../format';

export function FieldSidebar({
  client,
  scope,
  fields,
  columns,
  onColumns,
  onTerm,
  onError,
}: {
  client: RpcClient | null;
  scope: { filter: string; from?: number; to?: number };
  fields: readonly string[];
  columns: readonly string[];
  onColumns: (columns: string[]) => void;
  onTerm: (term: FilterTerm) => void;
  onError: (message: string) => void;
}) {
  const [open, setOpen] = useState<string | null>(null);
  const [stats, setStats] = useState<FieldStats | null>(null);
  useEffect(() => {
    setStats(null);
    if (!client || !open) return;
    let live = true;
    client.call('fieldStats', { ...scope, field: open, limit: 10 }).then(
      (s) => live && setStats(s),
      (e: unknown) => live && onError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [client, open, scope, onError]);

  const all = ['severity', 'source', ...fields];
  return (
    <aside className="field-sidebar" aria-label="Fields" data-testid="field-sidebar">
      <h3>Fields</h3>
      <ul>
        {all.map((field) => (
          <li key={field}>
            <div className="field-name-row">
              <button
                type="button"
                className="link"
                onClick={() => setOpen(open === field ? null : field)}
                aria-expanded={open === field}
                data-testid={`field-${field}`}
              >
                {field}
              </button>
              {field !== 'severity' && field !== 'source' && (
                <label title="Show as a column">
                  <input
                    type="checkbox"
                    checked={columns.includes(field)}
                    onChange={(e) =>
                      onColumns(e.target.checked ? [...columns, field] : columns.filter((c) => c !== field))
                    }
                    data-testid={`column-${field}`}
                  />
                  col
                </label>
              )}
            </div>
            {open === field && (
              <div className="field-stats" data-testid="field-stats">
                {stats === null ? (
                  <span className="dim">counting…</span>
                ) : (
                  <>
                    <span className="dim">
                      in {stats.present.toLocaleString()} of {stats.total.toLocaleString()}
                    </span>
                    {stats.values.map((v) => (
                      <div
                        key={v.value}
                        className="field-value"
                        data-testid="field-value"
                        data-value={v.value}
                      >
                        <span className="field-value-text" title={v.value}>
                          {v.value}
                        </span>
                        <span className="field-value-count">{v.count.toLocaleString()}</span>
                        <button
                          type="button"
                          title="Filter by this value"
                          aria-label={`Filter by ${field} = ${v.value}`}
                          onClick={() =>
                            onTerm({ kind: 'compare', field, op: '=', values: [v.value], negated: false })
                          }
                          data-testid="field-value-include"
                        >
                          +
                        </button>
                        <button
                          type="button"
                          title="Exclude this value"
                          aria-label={`Exclude ${field} = ${v.value}`}
                          onClick={() =>
                            onTerm({ kind: 'compare', field, op: '=', values: [v.value], negated: true })
                          }
                          data-testid="field-value-exclude"
                        >
                          −
                        </button>
                      </div>
                    ))}
                  </>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
