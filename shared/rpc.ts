// The client side of the contract, shared by the renderer, the CLI and the tests. It works over any
// `Transport` (a MessagePort in Electron, a WebSocket in the browser host and the CLI), validates
// every result and event against shared/api.ts, and never logs payloads.
import {
  type CallMessage,
  Events,
  Methods,
  ServerMessage,
  type EventData,
  type EventName,
  type MethodName,
  type Params,
  type Result,
  type SubscriptionData,
  type SubscriptionKind,
  type SubscriptionParams,
  Subscriptions,
} from './api';
import { decodeFrame, type LiveFrame } from './frames';
import { describeZodError } from './schemas';

/** A message channel carrying JSON text envelopes and binary live frames. */
export interface Transport {
  send(data: string | ArrayBuffer): void;
  /** Called for every message; `ArrayBuffer` for binary ones. */
  onMessage(handler: (data: string | ArrayBuffer) => void): void;
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/** What a subscriber hears: each push's data, and why there is none (a failed read, a refused subscription). */
export interface SubscriptionHandlers<K extends SubscriptionKind> {
  data(data: SubscriptionData<K>): void;
  error?(message: string): void;
}

interface ActiveSubscription {
  kind: SubscriptionKind;
  handlers: SubscriptionHandlers<never>;
}

interface Pending {
  method: MethodName;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventHandlers = new Map<string, Set<(data: unknown) => void>>();
  private readonly frameHandlers = new Set<(frame: LiveFrame) => void>();
  private readonly subscriptions = new Map<string, ActiveSubscription>();
  private nextSubscription = 1;
  private closedReason: string | null = null;

  constructor(private readonly transport: Transport) {
    transport.onMessage((data) => this.receive(data));
    transport.onClose((reason) => {
      this.closedReason = reason || 'connection closed';
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: ${this.closedReason}`));
      this.pending.clear();
      for (const h of this.eventHandlers.get('close') ?? []) h(this.closedReason);
      this.subscriptions.clear();
    });
  }

  /**
   * Subscribes to `kind` with `params` (shared/api.ts Subscriptions): `handlers.data` hears the
   * current value and then every change the engine pushes. Returns how to end it. A subscription
   * lives as long as this client: after a reconnect the console makes a new client, and whoever
   * subscribed subscribes again on it.
   */
  subscribe<K extends SubscriptionKind>(
    kind: K,
    params: SubscriptionParams<K>,
    handlers: SubscriptionHandlers<K>,
  ): () => void {
    const id = `s${this.nextSubscription++}`;
    const fail = (error: Error) => {
      if (this.subscriptions.has(id)) handlers.error?.(error.message);
    };
    if (this.closedReason) {
      queueMicrotask(() => handlers.error?.(`subscribe ${kind}: ${this.closedReason}`));
      return () => undefined;
    }
    this.subscriptions.set(id, { kind, handlers: handlers as unknown as SubscriptionHandlers<never> });
    this.call('subscribe', { id, kind, params }).catch(fail);
    return () => {
      if (!this.subscriptions.delete(id) || this.closedReason) return;
      this.call('unsubscribe', { id }).catch(() => undefined); // closing meanwhile ends it anyway
    };
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.closedReason) return Promise.reject(new Error(`${method}: ${this.closedReason}`));
    const id = this.nextId++;
    const message: CallMessage = { t: 'call', id, method, params };
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
      this.transport.send(JSON.stringify(message));
    });
  }

  on<E extends EventName>(name: E, handler: (data: EventData<E>) => void): () => void {
    let set = this.eventHandlers.get(name);
    if (!set) this.eventHandlers.set(name, (set = new Set()));
    const h = handler as (data: unknown) => void;
    set.add(h);
    return () => set.delete(h);
  }

  onClose(handler: (reason: string) => void): void {
    let set = this.eventHandlers.get('close');
    if (!set) this.eventHandlers.set('close', (set = new Set()));
    set.add(handler as (data: unknown) => void);
  }

  onFrame(handler: (frame: LiveFrame) => void): () => void {
    this.frameHandlers.add(handler);
    return () => this.frameHandlers.delete(handler);
  }

  close(): void {
    this.transport.close();
  }

  private receive(data: string | ArrayBuffer): void {
    if (typeof data !== 'string') {
      let frame: LiveFrame;
      try {
        frame = decodeFrame(data);
      } catch (error) {
        this.emitLocal('notice', { ts: Date.now(), level: 'error', message: (error as Error).message });
        return;
      }
      if (frame.replyTo !== undefined) {
        // A call answered in binary (`series`): the same buckets as a live frame.
        this.settle(frame.replyTo, {
          ok: true,
          value: { bucketMs: frame.bucketMs, channels: frame.channels },
        });
        return;
      }
      for (const h of this.frameHandlers) h(frame);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.emitLocal('notice', {
        ts: Date.now(),
        level: 'error',
        message: 'engine sent a message that is not JSON',
      });
      return;
    }
    const envelope = ServerMessage.safeParse(parsed);
    if (!envelope.success) {
      this.emitLocal('notice', {
        ts: Date.now(),
        level: 'error',
        message: `engine message: ${describeZodError(envelope.error)}`,
      });
      return;
    }
    const msg = envelope.data;
    if (msg.t === 'push') {
      const sub = this.subscriptions.get(msg.id);
      if (!sub) return; // ended here while the push was on its way
      // Acknowledged at once: the engine sends the next push of this subscription only after this.
      this.transport.send(JSON.stringify({ t: 'ack', id: msg.id }));
      if (!msg.ok) {
        sub.handlers.error?.(msg.error);
        return;
      }
      const data = Subscriptions[sub.kind].data.safeParse(msg.data);
      if (data.success) sub.handlers.data(data.data as never);
      else sub.handlers.error?.(`${sub.kind}: ${describeZodError(data.error)}`);
      return;
    }
    if (msg.t === 'event') {
      const schema = Events[msg.name as EventName];
      if (!schema) return; // an event from a newer engine: ignore it rather than fail
      const ev = schema.safeParse(msg.data);
      if (!ev.success) {
        this.emitLocal('notice', {
          ts: Date.now(),
          level: 'error',
          message: `event ${msg.name}: ${describeZodError(ev.error)}`,
        });
        return;
      }
      this.emitLocal(msg.name, ev.data);
      return;
    }
    if (msg.id === null) {
      // The engine could not read one of our messages: a bug on this side, shown rather than lost.
      this.emitLocal('notice', {
        ts: Date.now(),
        level: 'error',
        message: `engine refused a message: ${msg.ok ? 'no id' : msg.error}`,
      });
      return;
    }
    this.settle(msg.id, msg.ok ? { ok: true, value: msg.value } : { ok: false, error: msg.error });
  }

  private settle(id: number, answer: { ok: true; value: unknown } | { ok: false; error: string }): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (!answer.ok) {
      p.reject(new Error(answer.error));
      return;
    }
    const result = Methods[p.method].result.safeParse(answer.value);
    if (result.success) p.resolve(result.data);
    else p.reject(new Error(`${p.method} result: ${describeZodError(result.error)}`));
  }

  private emitLocal(name: string, data: unknown): void {
    for (const h of this.eventHandlers.get(name) ?? []) h(data);
  }
}
