// Binds the contract (shared/api.ts) to one connection: validates every call's envelope and
// params, runs it on the engine, answers (`series` with a binary frame, the rest in JSON), and
// pushes status, notices, live frames and the connection's subscriptions (server/subscriptions.ts),
// which end when it closes. The same binding serves a MessagePort (Electron) and a WebSocket
// (`opsdeck serve`, the CLI).
import type { z } from 'zod';
import {
  answersInBinary,
  CallMessage,
  capabilityOf,
  ClientMessage,
  Methods,
  PROTOCOL_VERSION,
  type EventData,
  type EventName,
  type MethodName,
  type ParsedParams,
} from '../../../shared/api';
import { encodeFrame, type BucketSeries } from '../../../shared/frames';
import { describeZodError } from '../../../shared/schemas';
import { ENGINE_VERSION, type Engine } from '../engine';
import { subscriptionHub } from './feeds';
import { ConnectionSubscriptions } from './subscriptions';

/** A transport seen from the engine's side: `backlog` is bytes queued and not yet sent. */
export interface ServerTransport {
  send(data: string | ArrayBuffer): void;
  onMessage(handler: (data: string | ArrayBuffer) => void): void;
  onClose(handler: () => void): void;
  backlog(): number;
}

/** Frames are skipped (and resent merged on the next tick) while this many bytes wait to be sent. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** What a method's handler must produce: its result as it goes on the wire (defaults may be left to the client). */
type WireResult<M extends MethodName> = z.input<(typeof Methods)[M]['result']>;

/** One handler per method, given its validated params: the compiler refuses a missing or mistyped one. */
export type Handlers = {
  [M in MethodName]: (params: ParsedParams<M>) => WireResult<M> | Promise<WireResult<M>>;
};

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
  /** Replays this connection opened: closed with it, so a console that goes away leaves none playing. */
  const replays = new Set<string>();
  const connection = engine.configChanges.connectionName();
  /** A save made for this connection: the change event names it, so other consoles know it was not theirs. */
  const saving = <T>(save: () => T): T => engine.configChanges.by(connection, 'console', save);
  const emit = <E extends EventName>(name: E, data: EventData<E>) =>
    transport.send(JSON.stringify({ t: 'event', name, data }));
  const hub = subscriptionHub(engine);
  const subscriptions = new ConnectionSubscriptions(hub, (id, push) =>
    transport.send(JSON.stringify({ t: 'push', id, ...push })),
  );

  const handlers: Handlers = {
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
    browseChannels: (p) => engine.channelDirectory.browse(p),
    channelsByName: (p) => engine.channelDirectory.byName(p.names),
    subscribeLive: (spec) => {
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
    series: (p) => engine.series(p.channels, p.from, p.to, p.maxPoints),
    query: (p) => engine.query(p.sql, p.maxRows, p.id),
    cancelQuery: (p) => ({ cancelled: engine.cancelQuery(p.id) }),
    records: (p) => engine.investigate.records(p),
    recordHistogram: (p) => engine.investigate.histogram(p),
    recordPosition: (p) => engine.investigate.position(p),
    fieldStats: (p) => engine.investigate.fieldStats(p),
    recordFields: () => engine.investigate.fields(),
    recordContext: (p) => engine.investigate.context(p),
    quarantine: (p) => engine.investigate.quarantine(p),
    exportQuery: (p) => engine.investigate.exportQuery(p),
    saveInvestigate: (p) => {
      saving(() => engine.saveInvestigate(p.investigate));
      return { ok: true };
    },
    setSourceEnabled: async (p) => {
      await saving(() => engine.setSourceEnabled(p.id, p.enabled));
      return { ok: true };
    },
    upsertSource: async (p) => {
      await saving(() => engine.upsertSource(p.source));
      return { ok: true };
    },
    scanFiles: (p) => engine.scanFiles(p),
    export: (p) => {
      // Progress names the export's job, so a client can cancel it (the CLI on Ctrl-C).
      let job = '';
      return engine.export(
        p,
        (progress) => emit('progress', { job, kind: 'export', ...progress }),
        `console ${connection}`,
        (id) => {
          job = id;
          emit('progress', {
            job,
            kind: 'export',
            done: 0,
            total: null,
            ratePerSecond: 0,
            etaSeconds: null,
            finished: false,
          });
        },
      );
    },
    bundle: (p) => engine.bundle(p, `console ${connection}`),
    clearQuarantine: (p) => engine.clearQuarantine(p),
    addAnnotation: (p) => engine.annotations.add(p),
    annotations: (p) => engine.annotations.list(p),
    deleteAnnotation: async (p) => {
      await engine.annotations.delete(p.id, p.actor);
      return { ok: true };
    },
    importFiles: async (p) => ({ job: await engine.importFiles(p) }),
    redecodeQuarantine: async (p) => ({ job: await engine.redecodeQuarantine(p) }),
    jobs: () => engine.jobs.list(),
    cancelJob: (p) => {
      engine.jobs.cancel(p.id);
      return { ok: true };
    },
    listDirectory: (p) => engine.listDirectory(p.path),
    startRecording: (p) => engine.startRecording(p),
    stopRecording: (p) => engine.stopRecording(p.name, p.actor),
    namedRecordings: () => engine.recordings.list(),
    namedRecording: (p) => engine.recordings.get(p.name),
    redecodeRecording: async (p) => ({ jobs: await engine.redecodeRecording(p) }),
    keygenVault: (p) => engine.keygenVault(p.name),
    replayOpen: async (p) => {
      const opened = await engine.replay.start(p);
      replays.add(opened.id);
      return opened;
    },
    replayControl: (p) => engine.replay.get(p.id).command(p.command),
    replayState: (p) => engine.replay.state(p.id, p.limit),
    replayClose: (p) => {
      engine.replay.close(p.id);
      replays.delete(p.id);
      return { ok: true };
    },
    replayFrame: (p) => engine.replay.frame(p),
    wouldHaveFired: (p) => engine.replay.wouldHaveFired(p),
    alignChannels: (p) => engine.replay.align(p),
    timeline: (p) => engine.replay.timeline(p),
    recordedTopics: (p) => engine.replay.recordedTopics(p, engine.config.sources),
    notices: () => engine.notices(),
    alerts: (p) => engine.alertsNow(p.limit),
    notifiers: () => engine.notifierStatus(),
    ackAlert: (p) => {
      engine.ackAlert(p);
      hub.changed('alerts');
      return { ok: true };
    },
    unackAlert: (p) => {
      engine.unackAlert(p);
      hub.changed('alerts');
      return { ok: true };
    },
    previewRules: (p) => engine.previewRules(p.rules, p),
    saveRules: (p) => {
      saving(() => engine.saveRules(p.rules));
      return { ok: true };
    },
    saveDisplay: (p) => {
      saving(() => engine.saveDisplay(p.display));
      return { ok: true };
    },
    saveNotifier: (p) => {
      saving(() => engine.saveNotifier(p.notifier, p.previousId));
      return { ok: true };
    },
    removeNotifier: (p) => {
      saving(() => engine.removeNotifier(p.id));
      return { ok: true };
    },
    testNotifier: (p) => engine.testNotifier(p.notifier),
    saveChannel: (p) => {
      saving(() => engine.saveChannel(p.channel));
      return { ok: true };
    },
    saveLayouts: (p) => {
      saving(() => engine.saveLayouts(p.layouts, p.activeLayout));
      return { ok: true };
    },
    silences: () => engine.silenceList(),
    createSilence: async (p) => {
      const silence = await engine.createSilence(p);
      hub.changed('alerts', 'silences');
      return silence;
    },
    expireSilence: async (p) => {
      await engine.expireSilence(p.id, p.actor);
      hub.changed('alerts', 'silences');
      return { ok: true };
    },
    verifyAudit: async () => {
      const v = await engine.verifyAudit();
      return v.ok
        ? { ok: true, count: v.count, brokenSeq: null, reason: null }
        : { ok: false, count: v.count, brokenSeq: v.brokenSeq, reason: v.reason };
    },
    removeSource: async (p) => {
      await saving(() => engine.removeSource(p.id));
      return { ok: true };
    },
    topics: (p) => engine.topics(p),
    topicDetail: (p) => engine.topicDetail(p.source, p.topic),
    sparkplugNodes: (p) => engine.sparkplugNodes(p.source),
    sparkplugRebirth: async (p) => {
      await engine.sparkplugRebirth(p);
      return { ok: true };
    },
    publish: async (p) => {
      await engine.publish(p);
      return { ok: true };
    },
    kafkaCluster: (p) => engine.kafkaCluster(p),
    kafkaProduce: async (p) => ({ ok: true, ...(await engine.kafkaProduce(p)) }),
    serialPorts: () => engine.serialPorts(),
    sourceConsole: (p) => engine.sourceConsole(p),
    sendToSource: async (p) => ({
      ok: true,
      bytes: await engine.sendToSource(p),
    }),
    subscribe: (p) => {
      subscriptions.subscribe(p.id, p.kind, p.params);
      return { ok: true };
    },
    unsubscribe: (p) => {
      subscriptions.unsubscribe(p.id);
      return { ok: true };
    },
    setSecret: async (p) => {
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
    const message = ClientMessage.safeParse(raw);
    if (message.success && message.data.t === 'ack') {
      subscriptions.ack(message.data.id);
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
      const handler = handlers[name] as (params: unknown) => unknown;
      const value = await handler(params.data);
      if (answersInBinary(name))
        transport.send(encodeFrame({ ...(value as BucketSeries), reset: true, replyTo: id }));
      else reply(id, { ok: true, value });
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
    subscriptions.close();
    for (const id of replays) engine.replay.close(id);
    replays.clear();
  };
  transport.onClose(dispose);
  return dispose;
}
