// What the console shows of the engine besides plots: status (pushed every second), the workspace,
// the plotted channels (a subscription by name: pushed as they appear), notices, and workspace changes.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChannelInfo, EngineStatus, Notice, WorkspaceChanged } from '../../shared/api';
import type { RpcClient } from '../../shared/rpc';
import { useSubscription } from './useSubscription';
import type { WorkspaceConfig } from '../../shared/schemas';

const MAX_NOTICES = 200;

export interface LocalNotice extends Notice {
  key: string;
}

export function useNotices(): [LocalNotice[], (notice: Notice) => void] {
  const [notices, setNotices] = useState<LocalNotice[]>([]);
  const add = useCallback((notice: Notice) => {
    const key = `${notice.ts}|${notice.level}|${notice.message}`;
    setNotices((list) =>
      list.some((n) => n.key === key) ? list : [{ ...notice, key }, ...list].slice(0, MAX_NOTICES),
    );
  }, []);
  return [notices, add];
}

export interface EngineData {
  status: EngineStatus | null;
  workspace: WorkspaceConfig | null;
  channels: ChannelInfo[];
  /** Re-reads the workspace (after a source was added, changed or removed). */
  reloadWorkspace(): void;
}

/**
 * `client` is null while disconnected; what was last known stays on screen meanwhile. `wanted`:
 * channel names the plots show.
 */
export function useEngineData(
  client: RpcClient | null,
  addNotice: (notice: Notice) => void,
  wanted: readonly string[] | null = null,
): EngineData {
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [workspace, setWorkspace] = useState<WorkspaceConfig | null>(null);
  const [channels, setChannels] = useState<ChannelInfo[]>([]);
  const reloadRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!client) return;
    let cancelled = false;
    const report = (what: string) => (error: Error) => {
      if (!cancelled)
        addNotice({ ts: Date.now(), level: 'error', message: `${what} failed: ${error.message}` });
    };
    const offStatus = client.on('status', setStatus);
    const offNotice = client.on('notice', addNotice);
    client
      .call('status', {})
      .then((s) => !cancelled && setStatus(s))
      .catch(report('reading the engine status'));
    client
      .call('notices', {})
      .then((list) => {
        if (!cancelled) for (const n of list.slice(-50)) addNotice(n);
      })
      .catch(report('reading notices'));
    const readWorkspace = () =>
      client
        .call('workspace', {})
        .then((ws) => {
          if (cancelled) return;
          setWorkspace(ws);
        })
        .catch(report('reading the workspace'));
    void readWorkspace();
    reloadRef.current = () => void readWorkspace();

    return () => {
      cancelled = true;
      reloadRef.current = () => {};
      offStatus();
      offNotice();
    };
  }, [client, addNotice]);

  // Only the channels the plots name (the whole list can be tens of thousands; the channel browser
  // pages through it instead), pushed again when one of them appears or its settings change.
  useSubscription(
    client,
    'channels',
    wanted && wanted.length > 0 ? { names: [...wanted] } : null,
    (list) => setChannels((old) => (sameChannels(old, list) ? old : list)),
    (message) =>
      addNotice({ ts: Date.now(), level: 'error', message: `reading the channel list failed: ${message}` }),
  );

  const reloadWorkspace = useCallback(() => reloadRef.current(), []);
  return { status, workspace, channels, reloadWorkspace };
}

function sameChannels(a: ChannelInfo[], b: ChannelInfo[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (c, i) =>
        c.id === b[i]!.id &&
        c.name === b[i]!.name &&
        c.unit === b[i]!.unit &&
        c.displayName === b[i]!.displayName &&
        c.decimals === b[i]!.decimals,
    )
  );
}

const SECTION_WORDS: Record<WorkspaceChanged['sections'][number], string> = {
  name: 'the workspace name',
  sources: 'sources',
  channels: 'channel settings',
  layouts: 'plot layouts',
  rules: 'alert rules',
  alerting: 'notifiers and alerting settings',
  display: 'display settings',
  investigate: 'saved searches and SQL history',
  retention: 'retention',
  store: 'database settings',
};

/**
 * Every change of the workspace's configuration is read again at once; one this console did not
 * make (another console's save, an edit of opsdeck.json) is also said, naming what changed.
 */
export function useWorkspaceChanges(
  client: RpcClient | null,
  ownConnection: string,
  reloadWorkspace: () => void,
  addNotice: (notice: Notice) => void,
): void {
  useEffect(() => {
    if (!client) return;
    return client.on('workspaceChanged', (change) => {
      reloadWorkspace();
      if (change.origin === 'console' && change.connection === ownConnection) return;
      const what = change.sections.map((s) => SECTION_WORDS[s]).join(', ');
      addNotice({
        ts: Date.now(),
        level: 'info',
        message:
          change.origin === 'file'
            ? `opsdeck.json was edited: ${what} now as in the file`
            : `another console changed ${what}: showing its version`,
      });
    });
  }, [client, ownConnection, reloadWorkspace, addNotice]);
}
