// The Sparkplug B host application of an MQTT source. The decoder keeps what a host knows of each
// edge node in its memo for the node (decode/sparkplug.ts: online state from births and deaths,
// bdSeq, seq gaps, why a rebirth is wanted); this reads it for the console, and does what needs
// the connection — only when the source may publish to the plant's broker (`sparkplug.allowPublish`,
// off by default, since that is production):
// - a Rebirth request (NCMD with `Node Control/Rebirth` = true) to a node that needs one, within
//   a second, and again every `rebirthIntervalSeconds` while it still does;
// - with `hostId`, the primary host's STATE (Sparkplug 3.0): `{"online":true,"timestamp":t}`
//   retained on `spBv1.0/STATE/<hostId>` after each connect, the same with `false` as the will and
//   before a clean stop, `t` being that connection's.
import type { IClientOptions, MqttClient } from 'mqtt';
import type { SparkplugNode, SparkplugNodesResult } from '../../../../shared/api';
import type { SparkplugHostOptions } from '../../../../shared/schemas';
import type { FrameDecoder } from '../../decode/registry';
import { encodeSparkplug, type EdgeNode } from '../../decode/sparkplug';
import type { SourceContext } from '../source';

/** Publishes through the source's connection; rejects when it is not connected. */
export type PlantPublisher = (
  topic: string,
  payload: Uint8Array,
  options: { qos: 0 | 1 | 2; retain: boolean },
) => Promise<void>;

/** How often nodes that owe a rebirth are looked for. */
const SCAN_MS = 1_000;

/** How long a clean stop waits for the broker to take the offline STATE. */
const GOODBYE_MS = 2_000;

interface Asked {
  /** Rebirth requests sent, and when the last went (ms, the source's clock). */
  count: number;
  at: number | null;
  /** The user was told that a rebirth is wanted but may not be asked for. */
  toldWithheld: boolean;
}

function edgeNodeIn(memo: Record<string, unknown> | undefined): EdgeNode | undefined {
  return memo?.['edgeNode'] as EdgeNode | undefined;
}

export class SparkplugHost {
  private readonly asked = new Map<string, Asked>();
  private timer: NodeJS.Timeout | undefined;
  /** The timestamp of this connection's STATE birth and will. */
  private stateTimestamp = 0;
  private client: MqttClient | null = null;

  constructor(
    private readonly ctx: SourceContext,
    private readonly frames: FrameDecoder,
    private readonly options: SparkplugHostOptions | undefined,
    private readonly publish: PlantPublisher | null,
  ) {}

  private get allowPublish(): boolean {
    return this.options?.allowPublish === true && this.publish !== null;
  }

  private get stateTopic(): string | null {
    return this.allowPublish && this.options?.hostId ? `spBv1.0/STATE/${this.options.hostId}` : null;
  }

  private statePayload(online: boolean): Buffer {
    return Buffer.from(JSON.stringify({ online, timestamp: this.stateTimestamp }));
  }

  /** The will for a connection about to be made: the primary host's offline STATE, if it publishes one. */
  will(): IClientOptions['will'] | undefined {
    const topic = this.stateTopic;
    if (!topic) return undefined;
    this.stateTimestamp = this.ctx.now();
    return { topic, payload: this.statePayload(false), qos: 1, retain: true };
  }

  /** Follows a client: a fresh will before each reconnect, the online STATE after each connect. */
  attach(client: MqttClient): void {
    this.client = client;
    const topic = this.stateTopic;
    if (!topic) return;
    client.on('reconnect', () => {
      client.options.will = this.will();
    });
    client.on('connect', () => {
      this.publish!(topic, this.statePayload(true), { qos: 1, retain: true }).catch((error: Error) =>
        this.ctx.notice(
          'warn',
          `${this.ctx.sourceId}: publishing STATE to ${topic} failed: ${error.message}`,
        ),
      );
    });
  }

  /** Before a clean stop: the offline STATE, as the will would have said it. */
  async goodbye(): Promise<void> {
    const topic = this.stateTopic;
    if (!topic || !this.client?.connected) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.publish!(topic, this.statePayload(false), { qos: 1, retain: true }).catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, GOODBYE_MS))),
    ]);
    clearTimeout(timer);
  }

  /** Starts looking, once a second, for nodes that owe a rebirth. */
  start(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.scan(), SCAN_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Asks each node that owes a rebirth for one, if the source may ask (else says once that it may
   * not). A scan a second rather than a look per message: messages cost nothing more, and a
   * rebirth is asked for within a second of the gap or alias that called for it.
   */
  scan(): void {
    for (const memo of this.frames.memosOf('sparkplug')) {
      const node = edgeNodeIn(memo);
      if (node) this.consider(node);
    }
  }

  private consider(node: EdgeNode): void {
    const key = `${node.group}/${node.node}`;
    let asked = this.asked.get(key);
    if (!node.rebirth) {
      if (asked) asked.toldWithheld = false;
      return;
    }
    if (!asked) this.asked.set(key, (asked = { count: 0, at: null, toldWithheld: false }));
    if (!this.allowPublish) {
      if (!asked.toldWithheld) {
        asked.toldWithheld = true;
        this.ctx.notice(
          'warn',
          `${this.ctx.sourceId}: edge node ${key} needs a rebirth (${node.rebirth}); not asked, since the source may not publish to the broker (sparkplug.allowPublish is off)`,
        );
      }
      return;
    }
    const interval = (this.options?.rebirthIntervalSeconds ?? 30) * 1000;
    if (asked.at !== null && this.ctx.now() - asked.at < interval) return;
    void this.rebirth(node.group, node.node, node.rebirth).catch((error: Error) =>
      this.ctx.notice(
        'warn',
        `${this.ctx.sourceId}: asking edge node ${key} for a rebirth failed: ${error.message}`,
      ),
    );
  }

  /** Asks a node for its births again, now; refused unless the source may publish. */
  async requestRebirth(group: string, node: string): Promise<void> {
    if (!this.allowPublish)
      throw new Error(
        `source "${this.ctx.sourceId}" may not publish to the plant's broker: turn on sparkplug.allowPublish in its options`,
      );
    await this.rebirth(group, node, 'asked by hand');
  }

  private async rebirth(group: string, node: string, why: string): Promise<void> {
    const key = `${group}/${node}`;
    let asked = this.asked.get(key);
    if (!asked) this.asked.set(key, (asked = { count: 0, at: null, toldWithheld: false }));
    asked.at = this.ctx.now();
    asked.count++;
    const payload = encodeSparkplug({
      timestamp: this.ctx.now(),
      metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }],
    });
    await this.publish!(`spBv1.0/${group}/NCMD/${node}`, payload, { qos: 0, retain: false });
    this.ctx.notice('info', `${this.ctx.sourceId}: asked edge node ${key} for a rebirth (${why})`);
  }

  /** Every edge node seen, with its devices, sorted by group and node. */
  nodes(): SparkplugNodesResult {
    const nodes: SparkplugNode[] = [];
    for (const memo of this.frames.memosOf('sparkplug')) {
      const n = edgeNodeIn(memo);
      if (!n) continue;
      const asked = this.asked.get(`${n.group}/${n.node}`);
      nodes.push({
        group: n.group,
        node: n.node,
        online: n.online,
        bdSeq: n.bdSeq,
        seqGaps: n.seqGaps,
        lastBirth: n.lastBirth,
        lastDeath: n.lastDeath,
        rebirthWanted: n.rebirth,
        rebirthsRequested: asked?.count ?? 0,
        lastRebirthRequest: asked?.at ?? null,
        devices: [...n.devices]
          .map(([device, d]) => ({ device, ...d }))
          .sort((a, b) => byName.compare(a.device, b.device)),
      });
    }
    nodes.sort((a, b) => byName.compare(a.group, b.group) || byName.compare(a.node, b.node));
    return { allowPublish: this.allowPublish, hostId: this.stateTopic ? this.options!.hostId! : null, nodes };
  }
}

const byName = new Intl.Collator('en', { numeric: true });
