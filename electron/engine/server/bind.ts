// Binds the contract (shared/api.ts) to one connection: validates every call's envelope and
// params, runs it on the engine, answers, and pushes status, notices and live frames. The same
// binding serves a MessagePort (Electron) and a WebSocket (`opsdeck serve`, the CLI).
import {
  CallMessage,
  capabilityOf,
  Methods,
  PROTOCOL_VERSION,
  type EventData,
  type EventName,
  type MethodName,
} from '../../../shared/api';
import type { AlertRule } from '../../../shared/alerts';
import { describeZodError } from '../../../shared/schemas';
import { ENGINE_VERSION, type Engine } from '../engine';

/** A transport seen from the engine's side: `backlog` is bytes queued and not yet sent. */
export interface ServerTransport {
  send(data: string | ArrayBuffer): void;
  onMessage(handler: (data: string | ArrayBuffer) => void): void;
  onClose(handler: () => void): void;
  backlog(): number;
}

/** Frames are skipped (and resent merged on the next tick) while this many bytes wait to be sent. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

type Handler = (params: never) => Promise<unknown> | unknown;

/** The message of anything thrown, an Error or not. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface ConnectionOptions {
  /**
   * Set on a connection that may not make calls with `host` capability (shared/api.ts
   * MethodCapabilities): why not, and how the user allows them; the refusal quotes it.
   */
  refuseHostCapability?: string;
}

export function bindConnection(
  engine: Engine,
  transport: ServerTransport,
  options: ConnectionOptions = {},
): () => void {
  let unsubscribeLive: (() => void) | null = null;
  const connection = engine.configChanges.connectionName();
  /** A save made for this connection: the change event names it, so other consoles know it was not theirs. */
  const saving = <T>(save: () => T): T => engine.configChanges.by(connection, 'console', save);
  const emit = <E extends EventName>(name: E, data: EventData<E>) =>
    transport.send(JSON.stringify({ t: 'event', name, data }));

  const handlers: { [M in MethodName]: Handler } = {
    hello: () => ({
      dir: engine.dir,
      name: engine.config.name,
      readOnly: engine.readOnly,
      engineVersion: ENGINE_VERSION,
      protocol: PROTOCOL_VERSION,
      connection,
    }),
    status: () => engine.status(),
    channels: () => engine.channels(),
    workspace: () => engine.config,
    browseChannels: (p: Parameters<Engine['channelDirectory']['browse']>[0]) =>
      engine.channelDirectory.browse(p),
    channelsByName: (p: { names: string[] }) => engine.channelDirectory.byName(p.names),
    subscribeLive: (spec: never) => {
      unsubscribeLive?.();
      unsubscribeLive = engine.subscribeLive(spec, {
        send(frame) {
          if (transport.backlog() > MAX_BACKLOG_BYTES) return false;
          transport.send(frame);
          return true;
        },
      });
      return { ok: true };
    },
    unsubscribeLive: () => {
      unsubscribeLive?.();
      unsubscribeLive = null;
      return { ok: true };
    },
    series: (p: { channels: number[]; from: number; to: number; maxPoints: number }) =>
      engine.series(p.channels, p.from, p.to, p.maxPoints),
    query: (p: { sql: string; maxRows: number; id?: string }) => engine.query(p.sql, p.maxRows, p.id),
    cancelQuery: (p: { id: string }) => ({ cancelled: engine.cancelQuery(p.id) }),
    setSourceEnabled: async (p: { id: string; enabled: boolean }) => {
      await saving(() => engine.setSourceEnabled(p.id, p.enabled));
      return { ok: true };
    },
    upsertSource: async (p: { source: Parameters<Engine['upsertSource']>[0] }) => {
      await saving(() => engine.upsertSource(p.source));
      return { ok: true };
    },
    export: (p: Parameters<Engine['export']>[0]) => {
      const job = `export-${Date.now()}`;
      return engine.export(p, (progress) => emit('progress', { job, kind: 'export', ...progress }));
    },
    notices: () => engine.notices(),
    alerts: (p: { limit: number }) => engine.alertsNow(p.limit),
    notifiers: () => engine.notifierStatus(),
    ackAlert: (p: Parameters<Engine['ackAlert']>[0]) => {
      engine.ackAlert(p);
      return { ok: true };
    },
    unackAlert: (p: Parameters<Engine['unackAlert']>[0]) => {
      engine.unackAlert(p);
      return { ok: true };
    },
    previewRules: (p: {
      rules: AlertRule[];
      from?: number;
      to?: number;
      defaultRange: 'lastHour' | 'allStored';
    }) => engine.previewRules(p.rules, p),
    saveRules: (p: { rules: AlertRule[] }) => {
      saving(() => engine.saveRules(p.rules));
      return { ok: true };
    },
    saveDisplay: (p: { display: Parameters<Engine['saveDisplay']>[0] }) => {
      saving(() => engine.saveDisplay(p.display));
      return { ok: true };
    },
    saveNotifier: (p: { notifier: Parameters<Engine['saveNotifier']>[0]; previousId?: string }) => {
      saving(() => engine.saveNotifier(p.notifier, p.previousId));
      return { ok: true };
    },
    removeNotifier: (p: { id: string }) => {
      saving(() => engine.removeNotifier(p.id));
      return { ok: true };
    },
    testNotifier: (p: { notifier: Parameters<Engine['testNotifier']>[0] }) => engine.testNotifier(p.notifier),
    saveChannel: (p: { channel: Parameters<Engine['saveChannel']>[0] }) => {
      saving(() => engine.saveChannel(p.channel));
      return { ok: true };
    },
    saveLayouts: (p: { layouts: Parameters<Engine['saveLayouts']>[0]; activeLayout: string }) => {
      saving(() => engine.saveLayouts(p.layouts, p.activeLayout));
      return { ok: true };
    },
    silences: () => engine.silenceList(),
    createSilence: (p: Parameters<Engine['createSilence']>[0]) => engine.createSilence(p),
    expireSilence: async (p: { id: string; actor: string }) => {
      await engine.expireSilence(p.id, p.actor);
      return { ok: true };
    },
    verifyAudit: async () => {
      const v = await engine.verifyAudit();
      return v.ok
        ? { ok: true, count: v.count, brokenSeq: null, reason: null }
        : { ok: false, count: v.count, brokenSeq: v.brokenSeq, reason: v.reason };
    },
    removeSource: async (p: { id: string }) => {
      await saving(() => engine.removeSource(p.id));
      return { ok: true };
    },
    topics: (p: Parameters<Engine['topics']>[0]) => engine.topics(p),
    topicDetail: (p: { source: string; topic: string }) => engine.topicDetail(p.source, p.topic),
    sparkplugNodes: (p: { source: string }) => engine.sparkplugNodes(p.source),
    sparkplugRebirth: async (p: Parameters<Engine['sparkplugRebirth']>[0]) => {
      await engine.sparkplugRebirth(p);
      return { ok: true };
    },
    publish: async (p: Parameters<Engine['publish']>[0]) => {
      await engine.publish(p);
      return { ok: true };
    },
    serialPorts: () => engine.serialPorts(),
    sourceConsole: (p: Parameters<Engine['sourceConsole']>[0]) => engine.sourceConsole(p),
    sendToSource: async (p: Parameters<Engine['sendToSource']>[0]) => ({
      ok: true,
      bytes: await engine.sendToSource(p),
    }),
    setSecret: async (p: { name: string; value: string }) => {
      await engine.setSecret(p.name, p.value);
      return { ok: true };
    },
  };

  const reply = (
    id: number | null,
    result: { ok: true; value: unknown } | { ok: false; error: string },
  ): void => {
    let text: string;
    try {
      text = JSON.stringify({ t: 'result', id, ...result });
    } catch (error) {
      // A value JSON cannot carry (a BigInt, a cycle) is the engine's bug; the caller still gets an answer.
      text = JSON.stringify({
        t: 'result',
        id,
        ok: false,
        error: `result not sendable: ${messageOf(error)}`,
      });
    }
    transport.send(text);
  };

  const receive = async (data: string | ArrayBuffer): Promise<void> => {
    if (typeof data !== 'string') {
      reply(null, { ok: false, error: 'bad call: binary messages are not calls; send a JSON text message' });
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch (error) {
      reply(null, { ok: false, error: `bad call: not JSON (${messageOf(error)})` });
      return;
    }
    const call = CallMessage.safeParse(raw);
    if (!call.success) {
      // Answer to the id when it is one, so the caller's pending call fails instead of hanging.
      const id = CallMessage.shape.id.safeParse((raw as { id?: unknown } | null)?.id);
      reply(id.success ? id.data : null, {
        ok: false,
        error: `bad call: ${describeZodError(call.error)}`,
      });
      return;
    }
    const { id, method } = call.data;
    if (!Object.hasOwn(Methods, method)) {
      reply(id, { ok: false, error: `unknown method "${method}"` });
      return;
    }
    const name = method as MethodName;
    const params = Methods[name].params.safeParse(call.data.params ?? {});
    if (!params.success) {
      reply(id, { ok: false, error: `${name}: ${describeZodError(params.error)}` });
      return;
    }
    const capability = capabilityOf(name, params.data as never);
    if (capability !== 'workspace' && options.refuseHostCapability !== undefined) {
      reply(id, {
        ok: false,
        error: `${name}: refused: this call ${capability.host}; ${options.refuseHostCapability}`,
      });
      return;
    }
    try {
      const value = await handlers[name](params.data as never);
      reply(id, { ok: true, value });
    } catch (error) {
      reply(id, { ok: false, error: messageOf(error) || `${name} failed` });
    }
  };
  transport.onMessage((data) => {
    receive(data).catch(() => undefined); // receive answers every failure itself; nothing may escape
  });

  const statusTimer = setInterval(() => emit('status', engine.status()), 1_000);
  statusTimer.unref();
  const offNotice = engine.onNotice((n) => emit('notice', n));
  const offConfig = engine.configChanges.on((change) => emit('workspaceChanged', change));
  const offAlert =
    engine.alerts?.onTransition((t) =>
      emit('alert', { ...t, value: Number.isFinite(t.value) ? t.value : null, cause: t.cause ?? null }),
    ) ?? (() => undefined);
  const dispose = () => {
    clearInterval(statusTimer);
    offNotice();
    offConfig();
    offAlert();
    unsubscribeLive?.();
    unsubscribeLive = null;
  };
  transport.onClose(dispose);
  return dispose;
}
