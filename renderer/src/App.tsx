import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ChannelInfo, Notice } from '../../shared/api';
import type { SourceConfig } from '../../shared/schemas';
import { AlertsPanel, useDesktopNotifications } from './panels/alerts/AlertsPanel';
import type { ConnectionState, EngineConnection } from './connection';
import { LiveFeed } from './live-data';
import { NoticeLog } from './NoticeLog';
import { ChannelSettingsDialog } from './channel-browser/ChannelSettingsDialog';
import { useChannelPage } from './channel-browser/useChannelPage';
import { ExportDialog } from './ExportDialog';
import { RecordingControl } from './panels/recordings/RecordingControl';
import { ImportDialog } from './panels/jobs/ImportDialog';
import { ScanDialog } from './panels/scan/ScanDialog';
import { LayoutBar } from './layout/LayoutBar';
import { activeLayout, plottedChannels } from './layout/layout-state';
import { PlotTargetDialog } from './layout/PlotTargetDialog';
import { useLayouts } from './layout/useLayouts';
import { PlotPanel, type AlertMark } from './panels/plot/PlotPanel';
import { PublishDialog } from './panels/topics/PublishDialog';
import { SourceConsolePanel } from './panels/source-console/SourceConsole';
import { SourceForm } from './panels/sources/SourceForm';
import { SourcesPanel } from './panels/sources/SourcesPanel';
import { StatusBar } from './StatusBar';
import { useTheme } from './theme';
import { TimeFormatProvider, useDisplayTimeZone } from './time-zone';
import { TopicDetailPanel, type TopicField } from './panels/topics/TopicDetail';
import { isFiring, useAlerts } from './panels/alerts/useAlerts';
import { useEngineData, useNotices, useWorkspaceChanges } from './useEngine';
import { ConsoleTimeProvider, ConsoleTimeStore } from './console-time';
import type { InvestigateSettings } from '../../shared/investigate';
import { LogsPanel } from './panels/logs/LogsPanel';
import { QuarantineBrowser } from './panels/quarantine/QuarantineBrowser';
import { SqlConsole } from './panels/sql/SqlConsole';
import { KafkaClusterPanel } from './panels/kafka-cluster/KafkaClusterPanel';
import { Timeline } from './panels/timeline/Timeline';
import { AlignView } from './panels/align/AlignView';

/** What the centre of the workbench shows. */
type View = 'plots' | 'logs' | 'sql' | 'quarantine' | 'align';
const VIEWS: readonly { view: View; label: string }[] = [
  { view: 'plots', label: 'Plots' },
  { view: 'logs', label: 'Logs' },
  { view: 'sql', label: 'SQL' },
  { view: 'quarantine', label: 'Quarantine' },
  { view: 'align', label: 'Align' },
];

type Dialog =
  | { kind: 'source'; existing: SourceConfig | null }
  | { kind: 'publish'; sourceId: string; topic: string }
  | { kind: 'plot'; channels: readonly string[]; title: string }
  | { kind: 'export' }
  | { kind: 'import' }
  | { kind: 'scan' }
  | { kind: 'channel'; channel: ChannelInfo };

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
  const readOnly = state.phase === 'connected' && state.info.readOnly;
  // The layouts live here (saved to the workspace as they change), so a topic field or a serial
  // source's channels can be plotted from the side panels.
  const [workspaceRead, setWorkspaceRead] = useState<Parameters<typeof useLayouts>[1]>(null);
  const layouts = useLayouts(connected, workspaceRead, readOnly, reportError);
  const shownLayout = layouts.state ? activeLayout(layouts.state) : null;
  const panels = shownLayout?.panels ?? null;
  const wanted = useMemo(() => panels?.flatMap((p) => p.channels) ?? null, [panels]);
  const { status, workspace, channels, reloadWorkspace } = useEngineData(connected, addNotice, wanted);
  useEffect(() => setWorkspaceRead(workspace), [workspace]);
  useWorkspaceChanges(
    connected,
    state.phase === 'connected' ? state.info.connection : '',
    reloadWorkspace,
    addNotice,
  );
  const timeZone = useDisplayTimeZone(connected, workspace, reloadWorkspace, reportError);
  const [feed] = useState(() => new LiveFeed(reportError));
  useEffect(() => feed.attach(connected), [feed, connected]);
  useConnectionNotices(state, addNotice);
  const notifications = useDesktopNotifications();
  const alerts = useAlerts(connected, notifications.notify);
  const firingCount = alerts.instances?.filter((i) => isFiring(i.state)).length ?? 0;

  const [selected, setSelected] = useState<{ source: string; topic: string } | null>(null);
  /** The source whose console is open, in the place of the topic detail. */
  const [consoleFor, setConsoleFor] = useState<string | null>(null);
  /** The alerts panel is open, in the same place. */
  const [alertsOpen, setAlertsOpen] = useState(false);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [view, setView] = useState<View>('plots');
  const [consoleTime] = useState(() => new ConsoleTimeStore());
  const saveInvestigate = useCallback(
    async (investigate: InvestigateSettings) => {
      if (!connected) throw new Error('not connected to the engine');
      await connected.call('saveInvestigate', { investigate });
      reloadWorkspace();
    },
    [connected, reloadWorkspace],
  );
  /** The Kafka source whose cluster browser is open, in the same place. */
  const [clusterFor, setClusterFor] = useState<string | null>(null);
  const selectTopic = useCallback((source: string, topic: string) => {
    setClusterFor(null);
    setConsoleFor(null);
    setAlertsOpen(false);
    setSelected({ source, topic });
  }, []);
  const toggleConsole = useCallback((source: string) => {
    setClusterFor(null);
    setSelected(null);
    setAlertsOpen(false);
    setConsoleFor((open) => (open === source ? null : source));
  }, []);
  const alertsButtonRef = useRef<HTMLButtonElement>(null);
  const toggleAlerts = useCallback(() => {
    setClusterFor(null);
    setSelected(null);
    setConsoleFor(null);
    setAlertsOpen((open) => !open);
  }, []);
  const toggleCluster = useCallback((source: string) => {
    setSelected(null);
    setConsoleFor(null);
    setAlertsOpen(false);
    setClusterFor((open) => (open === source ? null : source));
  }, []);
  const closeAlerts = useCallback(() => {
    setAlertsOpen(false);
    alertsButtonRef.current?.focus();
  }, []);

  // Transitions of the rules on a panel's channels, drawn on it as markers.
  const rules = useMemo(() => workspace?.rules ?? [], [workspace]);
  const alertMarks = useMemo(() => {
    const byPanel = new Map<string, AlertMark[]>();
    for (const panel of panels ?? []) {
      const ids = new Set(
        rules.filter((r) => 'channel' in r && panel.channels.includes(r.channel)).map((r) => r.id),
      );
      if (ids.size === 0) continue;
      byPanel.set(
        panel.id,
        alerts.transitions
          .filter((t) => ids.has(t.rule))
          .map((t) => ({ ts: t.ts, rule: t.rule, from: t.from, state: t.state }))
          .sort((a, b) => a.ts - b.ts),
      );
    }
    return byPanel;
  }, [panels, rules, alerts.transitions]);
  const dispatchLayout = layouts.dispatch;
  const setPanelChannels = useCallback(
    (panelId: string, names: readonly string[]) => {
      dispatchLayout({ type: 'setChannels', panel: panelId, channels: names });
    },
    [dispatchLayout],
  );

  const plotted = useMemo(
    () => (layouts.state ? plottedChannels(layouts.state) : new Set<string>()),
    [layouts.state],
  );
  /** "Plot" asks which panel (or a new one) gets the channels. */
  const askPlot = useCallback((names: readonly string[], title: string) => {
    if (names.length > 0) setDialog({ kind: 'plot', channels: names, title });
  }, []);
  const plotField = useCallback((field: TopicField) => askPlot([field.channel], field.channel), [askPlot]);

  const sources = status?.sources ?? null;
  const selectedSource = selected ? sources?.find((s) => s.id === selected.source) : undefined;
  // A removed source takes its selected topic, or its open console, with it.
  useEffect(() => {
    if (selected && sources && !sources.some((s) => s.id === selected.source)) setSelected(null);
    if (consoleFor && sources && !sources.some((s) => s.id === consoleFor)) setConsoleFor(null);
    if (clusterFor && sources && !sources.some((s) => s.id === clusterFor)) setClusterFor(null);
  }, [selected, consoleFor, clusterFor, sources]);
  const consoleStatus = consoleFor ? sources?.find((s) => s.id === consoleFor) : undefined;
  // The open console's source's channels, from the channel browser's paged API (a device has few).
  const consolePage = useChannelPage(connected, consoleFor ? { source: consoleFor, flat: true } : null);
  const consoleChannels = useMemo(
    () => (consoleFor ? consolePage.nodes.flatMap((n) => (n.channel ? [n.channel] : [])) : []),
    [consolePage.nodes, consoleFor],
  );

  /** A serial source's channels: the user picks the panel, as for a topic field. */
  const plotSourceChannels = useCallback(
    (title: string, names: readonly string[]) =>
      askPlot(
        names.filter((n) => !plotted.has(n)),
        title,
      ),
    [askPlot, plotted],
  );
  const publishSource =
    dialog?.kind === 'publish' ? sources?.find((s) => s.id === dialog.sourceId) : undefined;

  const page = (
    <div className="app">
      <header className="top-bar">
        <h1>OpsDeck</h1>
        {workspace && <span className="workspace-name">{workspace.name}</span>}
        {layouts.state && (
          <LayoutBar state={layouts.state} saving={layouts.saving} onLayout={layouts.dispatch} />
        )}
        <nav className="view-tabs" aria-label="Views">
          {VIEWS.map((v) => (
            <button
              key={v.view}
              type="button"
              aria-pressed={view === v.view}
              onClick={() => setView(v.view)}
              data-testid={`view-${v.view}`}
            >
              {v.label}
            </button>
          ))}
        </nav>
        {readOnly && <span className="badge badge-warn">read-only</span>}
        <span className="spacer" />
        <button
          type="button"
          ref={alertsButtonRef}
          className={`alerts-button${firingCount > 0 ? ' has-firing' : ''}`}
          onClick={toggleAlerts}
          aria-pressed={alertsOpen}
          aria-label={`Alerts: ${firingCount} firing`}
          data-testid="alerts-button"
        >
          Alerts
          <span
            className={`badge ${firingCount > 0 ? 'badge-danger' : 'badge-quiet'}`}
            data-testid="alerts-firing-count"
            data-value={alerts.instances === null ? '' : firingCount}
            title="alert instances firing"
          >
            {alerts.instances === null ? '–' : firingCount}
          </span>
        </button>
        <RecordingControl
          client={readOnly ? null : connected}
          sources={workspace?.sources ?? []}
          onError={reportError}
        />
        <button
          type="button"
          onClick={() => setDialog({ kind: 'import' })}
          disabled={!connected || readOnly}
          data-testid="import-open"
        >
          Import
        </button>
        <button
          type="button"
          onClick={() => setDialog({ kind: 'scan' })}
          disabled={!connected}
          data-testid="scan-open"
          title="Look for e-mail addresses, card numbers, keys and tokens in files before they leave"
        >
          Scan
        </button>
        <button
          type="button"
          onClick={() => setDialog({ kind: 'export' })}
          disabled={!connected}
          data-testid="export-open"
        >
          Export
        </button>
        <button type="button" onClick={toggleTheme} aria-pressed={theme === 'light'}>
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </header>
      <ConnectionBanner state={state} />
      <main
        className={`workbench${selected || alertsOpen ? ' with-detail' : consoleFor ? ' with-detail with-console' : clusterFor ? ' with-detail with-cluster' : ''}`}
      >
        <aside className="sidebar">
          <SourcesPanel
            sources={sources}
            configs={workspace?.sources ?? null}
            client={connected}
            stale={!connected && status !== null}
            readOnly={readOnly}
            selected={selected}
            onSelectTopic={selectTopic}
            consoleSource={consoleFor}
            onToggleConsole={toggleConsole}
            clusterSource={clusterFor}
            onToggleCluster={toggleCluster}
            onAdd={() => setDialog({ kind: 'source', existing: null })}
            onEdit={(existing) => setDialog({ kind: 'source', existing })}
            onPublish={(sourceId, topic) => setDialog({ kind: 'publish', sourceId, topic })}
            onChanged={reloadWorkspace}
            onError={reportError}
          />
          <NoticeLog notices={notices} />
        </aside>
        {view === 'logs' && (
          <LogsPanel
            client={connected}
            settings={workspace?.investigate ?? null}
            storedRecords={status?.storedRecords ?? 0}
            onSaveSettings={saveInvestigate}
            onError={reportError}
          />
        )}
        {view === 'sql' && (
          <SqlConsole
            client={connected}
            settings={workspace?.investigate ?? null}
            onSaveSettings={saveInvestigate}
            onError={reportError}
          />
        )}
        {view === 'quarantine' && (
          <QuarantineBrowser
            client={connected}
            readOnly={readOnly}
            statusQuarantined={status?.quarantined ?? 0}
            onError={reportError}
          />
        )}
        {view === 'align' && <AlignView client={connected} />}
        <div className="plots" hidden={view !== 'plots'}>
          {panels && panels.length > 0 ? (
            panels.map((panel, index) => (
              <PlotPanel
                key={`${shownLayout!.name}\u0000${panel.id}`}
                panel={panel}
                position={{ index, count: panels.length }}
                onLayout={dispatchLayout}
                channels={channels}
                feed={feed}
                client={connected}
                theme={theme}
                alertMarks={alertMarks.get(panel.id)}
                onChannelsChange={setPanelChannels}
                onChannelSettings={(channel) => setDialog({ kind: 'channel', channel })}
                onError={reportError}
              />
            ))
          ) : (
            <p className="empty plots-empty">
              {workspace
                ? 'This layout has no plot panels. Add one with “+ Panel”, select a topic and click one of its numeric fields, or open a serial source’s console and click “Plot channels”.'
                : 'Loading the workspace…'}
            </p>
          )}
        </div>
        {selected && (
          <TopicDetailPanel
            key={`${selected.source}\u0000${selected.topic}`}
            client={connected}
            sourceId={selected.source}
            sourceName={selectedSource?.name ?? selected.source}
            topic={selected.topic}
            plotted={plotted}
            onPlot={plotField}
            onPublish={(topic) => setDialog({ kind: 'publish', sourceId: selected.source, topic })}
            onClose={() => setSelected(null)}
          />
        )}
        {consoleFor && (
          <SourceConsolePanel
            key={consoleFor}
            client={connected}
            sourceId={consoleFor}
            status={consoleStatus}
            channels={consoleChannels}
            plotted={plotted}
            onPlotChannels={(names) => plotSourceChannels(consoleStatus?.name ?? consoleFor, names)}
            onClose={() => setConsoleFor(null)}
          />
        )}
        {clusterFor && (
          <KafkaClusterPanel
            key={clusterFor}
            client={connected}
            sourceId={clusterFor}
            sourceName={sources?.find((s) => s.id === clusterFor)?.name ?? clusterFor}
            onClose={() => setClusterFor(null)}
          />
        )}
        {alertsOpen && (
          <AlertsPanel
            alerts={alerts}
            client={readOnly ? null : connected}
            rules={rules}
            notifiers={workspace?.alerting.notifiers ?? []}
            sources={workspace?.sources ?? []}
            stale={!connected}
            notifications={notifications}
            onRulesChanged={reloadWorkspace}
            onClose={closeAlerts}
          />
        )}
      </main>
      <Timeline client={connected} onError={reportError} />
      <StatusBar status={status} connection={state} timeZone={timeZone} />
      {dialog?.kind === 'source' && (
        <SourceForm
          client={connected}
          existing={dialog.existing}
          takenIds={workspace?.sources.map((s) => s.id) ?? []}
          onClose={() => setDialog(null)}
          onChanged={reloadWorkspace}
        />
      )}
      {dialog?.kind === 'channel' && (
        <ChannelSettingsDialog
          client={readOnly ? null : connected}
          channel={dialog.channel}
          saved={workspace?.channels.find((c) => c.name === dialog.channel.name)}
          onSaved={() => {
            reloadWorkspace();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'export' && <ExportDialog client={connected} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'import' && <ImportDialog client={connected} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'scan' && <ScanDialog client={connected} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'plot' && shownLayout && (
        <PlotTargetDialog
          layout={shownLayout}
          channels={dialog.channels}
          suggestedTitle={dialog.title}
          onPlot={(panel, title) => {
            if (dispatchLayout({ type: 'plot', panel, channels: dialog.channels, title })) {
              setDialog(null);
            }
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog?.kind === 'publish' && (
        <PublishDialog
          client={connected}
          sourceId={dialog.sourceId}
          sourceName={publishSource?.name ?? dialog.sourceId}
          kafka={publishSource?.kind === 'kafka'}
          initialTopic={dialog.topic}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
  // Every time on the page is shown on the clock the workspace chose.
  return (
    <TimeFormatProvider value={timeZone.format}>
      <ConsoleTimeProvider value={consoleTime}>{page}</ConsoleTimeProvider>
    </TimeFormatProvider>
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
