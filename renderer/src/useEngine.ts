// What the console shows of the engine besides plots: status (pushed every second), the workspace,
// the plotted channels (looked up by name until every one exists), notices, and workspace changes.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChannelInfo, EngineStatus, Notice, WorkspaceChanged } from '../../shared/api';
import type { RpcClient } from '../../shared/rpc';
import type { WorkspaceConfig } from '../../shared/schemas';

const MAX_NOTICES = 200;
/** Channels appear with their first sample: ask often until the plotted ones are all known, then rarely. */
const CHANNELS_POLL_MS = 2_000;
const CHANNELS_IDLE_POLL_MS = 15_000;

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
  /** Re-reads the plotted channels now rather than at the next poll. */
  refreshChannels(): void;
}

/**
 * `client` is null while disconnected; what was last known stays on screen meanwhile. `wanted`:
 * channel names the plots show; the list is re-read often until they all exist.
 */
export function useEngineData(
  client: RpcClient | null,
  addNotice: (notice: Notice) => void,
  wanted: readonly string[] | null = null,
): EngineData {
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [workspace, setWorkspace] = useState<WorkspaceConfig | null>(null);
  const [channels, setChannels] = useState<ChannelInfo[]>([]);
  const wantedRef = useRef(wanted);
  const reloadRef = useRef<() => void>(() => {});
  const pollNowRef = useRef<() => void>(() => {});
  // A channel newly plotted is looked up at once, not at the next (idle) poll.
  useEffect(() => {
    wantedRef.current = wanted;
    pollNowRef.current();
  }, [wanted]);

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

    let timer: number | undefined;
    let polling = false;
    let pollAgain = false;
    const pollChannels = async () => {
      if (polling) {
        pollAgain = true;
        return;
      }
      polling = true;
      let complete = false;
      try {
        // Only the channels the plots name: the whole list can be tens of thousands (the channel
        // browser pages through it instead).
        const names = wantedRef.current;
        const list =
          names && names.length > 0 ? await client.call('channelsByName', { names: [...names] }) : [];
        if (cancelled) return;
        setChannels((old) => (sameChannels(old, list) ? old : list));
        const known = new Set(list.map((c) => c.name));
        complete = names !== null && names.every((name) => known.has(name));
      } catch (error) {
        report('reading the channel list')(error as Error);
      } finally {
        polling = false;
      }
      if (cancelled) return;
      const delay = pollAgain ? 0 : complete ? CHANNELS_IDLE_POLL_MS : CHANNELS_POLL_MS;
      pollAgain = false;
      timer = window.setTimeout(pollChannels, delay);
    };
    void pollChannels();
    pollNowRef.current = () => {
      window.clearTimeout(timer);
      void pollChannels();
    };

    return () => {
      cancelled = true;
      reloadRef.current = () => {};
      pollNowRef.current = () => {};
      offStatus();
      offNotice();
      window.clearTimeout(timer);
    };
  }, [client, addNotice]);

  const reloadWorkspace = useCallback(() => reloadRef.current(), []);
  const refreshChannels = useCallback(() => pollNowRef.current(), []);
  return { status, workspace, channels, reloadWorkspace, refreshChannels };
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
