import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Notice } from '../../shared/api';
import type { ConnectionState, EngineConnection } from './connection';
import { LiveFeed } from './live-data';
import { NoticeLog } from './NoticeLog';
import { PlotPanel } from './PlotPanel';
import { SourcesPanel } from './SourcesPanel';
import { StatusBar } from './StatusBar';
import { useTheme } from './theme';
import { useEngineData, useNotices } from './useEngine';

export function App({ connection }: { connection: EngineConnection }) {
  const { client, state } = useSyncExternalStore(connection.subscribe, connection.getSnapshot);
  const [theme, toggleTheme] = useTheme();
  const [notices, addNotice] = useNotices();
  const reportError = useCallback(
    (message: string) => addNotice({ ts: Date.now(), level: 'error', message }),
    [addNotice],
  );
  // Only a greeted client is handed out: until `hello` answers, the engine may be the wrong one.
  const connected = state.phase === 'connected' ? client : null;
  const { status, workspace, channels } = useEngineData(connected, addNotice);
  const [feed] = useState(() => new LiveFeed(reportError));
  useEffect(() => feed.attach(connected), [feed, connected]);
  useConnectionNotices(state, addNotice);

  const layout = workspace?.layouts[0];
  return (
    <div className="app">
      <header className="top-bar">
        <h1>OpsDeck</h1>
        {workspace && <span className="workspace-name">{workspace.name}</span>}
        {layout && <span className="layout-name">{layout.name}</span>}
        <span className="spacer" />
        <button type="button" onClick={toggleTheme} aria-pressed={theme === 'light'}>
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </header>
      <ConnectionBanner state={state} />
      <main className="workbench">
        <aside className="sidebar">
          <SourcesPanel
            sources={status?.sources ?? null}
            client={connected}
            stale={!connected && status !== null}
            onError={reportError}
          />
          <NoticeLog notices={notices} />
        </aside>
        <div className="plots">
          {layout && layout.panels.length > 0 ? (
            layout.panels.map((panel) => (
              <PlotPanel
                key={panel.id}
                panel={panel}
                channels={channels}
                feed={feed}
                client={connected}
                theme={theme}
                onError={reportError}
              />
            ))
          ) : (
            <p className="empty plots-empty">
              {workspace
                ? 'This workspace has no plot panels in its first layout.'
                : 'Loading the workspace…'}
            </p>
          )}
        </div>
      </main>
      <StatusBar status={status} connection={state} />
    </div>
  );
}

/** Logs connection changes once each, not once per retry. */
function useConnectionNotices(state: ConnectionState, addNotice: (notice: Notice) => void): void {
  const previous = useRef<ConnectionState['phase'] | null>(null);
  const lost = useRef(false);
  useEffect(() => {
    const was = previous.current;
    previous.current = state.phase;
    if (was === state.phase) return;
    const ts = Date.now();
    if (state.phase === 'reconnecting') {
      lost.current = true;
      addNotice({ ts, level: 'error', message: `engine disconnected: ${state.reason}` });
    } else if (state.phase === 'failed') {
      addNotice({ ts, level: 'error', message: state.reason });
    } else if (state.phase === 'waiting-for-engine' && state.reason) {
      lost.current = true;
      addNotice({ ts, level: 'error', message: state.reason });
    } else if (state.phase === 'connected' && lost.current) {
      lost.current = false;
      addNotice({ ts, level: 'info', message: 'reconnected to the engine' });
    }
  }, [state, addNotice]);
}

function ConnectionBanner({ state }: { state: ConnectionState }) {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (state.phase !== 'reconnecting') return;
    const timer = window.setInterval(() => setTick((n) => n + 1), 1_000);
    return () => window.clearInterval(timer);
  }, [state.phase]);

  switch (state.phase) {
    case 'connected':
      return null;
    case 'connecting':
      return (
        <div className="banner banner-info" role="status">
          Connecting to the engine…
        </div>
      );
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
      return (
        <div className="banner banner-error" role="alert" data-testid="disconnected-banner">
          <strong>Engine disconnected — reconnecting</strong>
          <span>
            {seconds > 0 ? `next try in ${seconds} s` : 'trying now'} (attempt {state.attempt}).{' '}
            {state.reason}.
          </span>
          {state.attempt >= 4 && (
            <span>
              If the engine was restarted, open the new address it printed: the access token changes with
              every launch.
            </span>
          )}
        </div>
      );
    }
    case 'waiting-for-engine':
      return (
        <div className={`banner ${state.reason ? 'banner-error' : 'banner-info'}`} role="status">
          {state.reason ? <strong>{state.reason}</strong> : 'Waiting for the engine to start…'}
        </div>
      );
    case 'failed':
      return (
        <div className="banner banner-error" role="alert">
          <strong>Cannot connect to the engine.</strong> <span>{state.reason}</span>
        </div>
      );
  }
}
