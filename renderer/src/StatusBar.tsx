import type { EngineStatus } from '../../shared/api';
import type { ConnectionState } from './connection';
import { formatBytes, formatCount, formatRate } from './format';
import { TimeZoneToggle, type DisplayTimeZoneControl } from './time-zone';

const CONNECTION_WORDS: Record<ConnectionState['phase'], string> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  'waiting-for-engine': 'waiting for engine',
  failed: 'not connected',
};

export function StatusBar({
  status,
  connection,
  timeZone,
}: {
  status: EngineStatus | null;
  connection: ConnectionState;
  timeZone: DisplayTimeZoneControl;
}) {
  const stale = connection.phase !== 'connected';
  const figure = (value: number | undefined, format: (n: number) => string = formatCount) =>
    value === undefined ? '—' : format(value);
  return (
    <footer className={`status-bar${stale ? ' stale' : ''}`} data-testid="status-bar">
      <span className="status-item">
        <span className={`dot conn-${connection.phase}`} aria-hidden="true" />
        <span data-testid="connection-state">{CONNECTION_WORDS[connection.phase]}</span>
      </span>
      <span className="status-item" title="samples ingested per second">
        <b>{figure(status?.samplesPerSecond, formatRate)}</b> samples/s
      </span>
      <span className="status-item" title="samples in the database">
        <b data-testid="stored-samples" data-value={status?.storedSamples ?? ''}>
          {figure(status?.storedSamples)}
        </b>{' '}
        stored samples
      </span>
      <span className="status-item" title="records in the database">
        <b data-testid="stored-records" data-value={status?.storedRecords ?? ''}>
          {figure(status?.storedRecords)}
        </b>{' '}
        records
      </span>
      <span className="status-item" title="messages dropped because a consumer fell behind">
        <b>{figure(status?.shed)}</b> shed
      </span>
      <span
        className="status-item"
        title="rows the database could not store (a full disk, too little memory): the notices say why"
      >
        {status && status.lostRows > 0 ? (
          <b className="badge badge-danger" data-testid="lost-rows" data-value={status.lostRows}>
            {formatCount(status.lostRows)} lost
          </b>
        ) : (
          <>
            <b data-testid="lost-rows" data-value={status?.lostRows ?? ''}>
              {figure(status?.lostRows)}
            </b>{' '}
            lost
          </>
        )}
      </span>
      {status && status.failedWrites > 0 ? (
        <span className="status-item" title="writes to the database that failed: the notices say why">
          <b className="badge badge-danger" data-testid="failed-writes" data-value={status.failedWrites}>
            {formatCount(status.failedWrites)} failed writes
          </b>
        </span>
      ) : null}
      <span className="status-item" title="messages that could not be decoded">
        <b>{figure(status?.quarantined)}</b> quarantined
      </span>
      <span className="status-item" title="rows removed by retention since the engine started">
        <b>{figure(status?.retentionDropped)}</b> retention dropped
      </span>
      <span className="status-item" title="database size on disk">
        <b>{figure(status?.databaseBytes, formatBytes)}</b> database
      </span>
      <TimeZoneToggle control={timeZone} />
    </footer>
  );
}
