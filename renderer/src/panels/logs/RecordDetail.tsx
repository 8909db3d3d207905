// One record in full: every field (each can filter by or exclude its value), the raw line, its
// file and line when the record names them, and the lines around it from the same source.
import { useEffect, useState } from 'react';
import type { RecordContext, RecordRow } from '../../../../shared/investigate';
import type { FilterTerm } from '../../../../shared/log-filter';
import type { RpcClient } from '../../../../shared/rpc';
import { errorText } from '../../format';
import { Timestamp } from '../../time-zone';
import { severityClass } from './severity';

export function RecordDetail({
  client,
  record,
  onTerm,
  onError,
}: {
  client: RpcClient | null;
  record: RecordRow;
  onTerm: (term: FilterTerm) => void;
  onError: (message: string) => void;
}) {
  const [context, setContext] = useState<RecordContext | null>(null);
  useEffect(() => setContext(null), [record.id]);
  let fields: [string, string][];
  try {
    const parsed = record.fields ? (JSON.parse(record.fields) as Record<string, unknown>) : {};
    fields = Object.entries(parsed ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  } catch {
    fields = [['fields', record.fields ?? '']];
  }
  const file = record.origin ?? fields.find(([k]) => k === 'file' || k === 'path')?.[1];
  const line = record.line ?? fields.find(([k]) => k === 'line' || k === 'lineno')?.[1];
  const filterable: [string, string][] = [
    ['severity', record.severity],
    ['source', record.source],
    ...fields,
  ];

  return (
    <aside className="record-detail" aria-label="Record detail" data-testid="record-detail">
      <h3>Record</h3>
      <dl>
        <dt>time</dt>
        <dd>
          <Timestamp ms={record.ts} precise now={0} />
        </dd>
        <dt>received</dt>
        <dd>
          <Timestamp ms={record.rx} precise now={0} />
        </dd>
        {file !== undefined && (
          <>
            <dt>file</dt>
            <dd data-testid="record-file">
              {file}
              {line !== undefined ? `:${line}` : ''}
            </dd>
          </>
        )}
        {filterable.map(([k, v]) => (
          <FieldLine key={k} name={k} value={v} onTerm={onTerm} />
        ))}
      </dl>
      <h4>Raw line</h4>
      <pre className="record-raw" data-testid="record-raw">
        {record.message}
      </pre>
      <button
        type="button"
        disabled={!client}
        onClick={() =>
          client
            ?.call('recordContext', { id: record.id, before: 10, after: 10 })
            .then(setContext, (e: unknown) => onError(errorText(e)))
        }
        data-testid="record-context-open"
      >
        Show surrounding lines
      </button>
      {context && (
        <ol className="record-context" data-testid="record-context">
          {context.rows.map((r, i) => (
            <li
              key={r.id}
              className={`${severityClass(r.severity)}${i === context.index ? ' selected' : ''}`}
              data-testid={i === context.index ? 'record-context-self' : 'record-context-line'}
            >
              <Timestamp ms={r.ts} precise /> {r.message}
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}

function FieldLine({
  name,
  value,
  onTerm,
}: {
  name: string;
  value: string;
  onTerm: (term: FilterTerm) => void;
}) {
  const term = (negated: boolean): FilterTerm => ({
    kind: 'compare',
    field: name,
    op: '=',
    values: [value],
    negated,
  });
  return (
    <>
      <dt>{name}</dt>
      <dd className="record-field">
        <span>{value}</span>
        <button
          type="button"
          title="Filter by this value"
          aria-label={`Filter by ${name} = ${value}`}
          onClick={() => onTerm(term(false))}
        >
          +
        </button>
        <button
          type="button"
          title="Exclude this value"
          aria-label={`Exclude ${name} = ${value}`}
          onClick={() => onTerm(term(true))}
        >
          −
        </button>
      </dd>
    </>
  );
}
