// Alert rules as they live in the workspace file (`rules` in opsdeck.json). Parsed with zod like
// every other configuration, so a wrong field is reported by its path ("rules.0.above: …").
import { z } from 'zod';
import { Matcher } from './silences';

// Not imported from ./schemas: that module imports this one for WorkspaceConfig.
const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"');

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from "250ms", "10s", "5m", "1h", "2d" or "1m30s"; null when the text is not one. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(t)) return null;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

/** 90000 → "1m30s": the text parseDuration reads back, as the rule editor's fields show a duration. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const n = unit === 'ms' ? rest : Math.floor(rest / UNIT_MS[unit]!);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * UNIT_MS[unit]!;
  }
  return out;
}

/** A duration: milliseconds as a number, or text like "5m" (see parseDuration). */
export const Duration = z
  .union([z.number(), z.string()], { error: 'a duration: milliseconds, or text like "5m"' })
  .transform((v, ctx) => {
    const ms = typeof v === 'number' ? v : parseDuration(v);
    if (ms === null || !Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          typeof v === 'number'
            ? 'a duration in milliseconds must be 0 or more'
            : `not a duration: "${v}" (use e.g. 500ms, 10s, 5m, 1h, 2d)`,
      });
      return z.NEVER;
    }
    return ms;
  });

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;

/** States an instance can be in. `resolved` behaves as `normal` but says the alert had fired. */
export const ALERT_STATES = [
  'normal',
  'pending',
  'firing',
  'recovering',
  'resolved',
  'nodata',
  'error',
] as const;
export type AlertState = (typeof ALERT_STATES)[number];

const LabelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name: letters, digits, "_"');

const ruleCommon = {
  id: Id,
  enabled: z.boolean().default(true),
  severity: z.enum(ALERT_SEVERITIES).default('warning'),
  /** Identity of the alert instance (with the rule id and, for log rules, the group). */
  labels: z.record(LabelName, z.string()).default({}),
  /** Templates: {{value}}, {{channel}}, {{rule}}, {{severity}}, {{labels.site}}. Not identity. */
  annotations: z.record(z.string(), z.string()).default({}),
  /** The condition must hold this long before pending becomes firing (Prometheus `for`). */
  for: Duration.default(0),
  /** Once false, the alert stays firing (state recovering) this long (Prometheus `keep_firing_for`). */
  keepFiringFor: Duration.default(0),
  /** Samples older than the newest seen minus this are stored but not evaluated. */
  lateness: Duration.default(5_000),
  /** What no data / an error does to the instance (Grafana): its own state, firing, normal, or nothing. */
  noDataState: z.enum(['nodata', 'alerting', 'normal', 'keep_last']).default('nodata'),
  errorState: z.enum(['error', 'alerting', 'normal', 'keep_last']).default('error'),
  /** Notifier ids (alerting.notifiers) told when an instance fires and when it resolves; live only. */
  notify: z.array(Id).optional(),
};

/**
 * Fires when the value goes above `above` or below `below` (both: outside the band). Hysteresis:
 * once active, the condition holds until the value drops below `clearBelow` (default `above`) or
 * rises above `clearAbove` (default `below`), so a value hovering at the threshold does not flap.
 */
const thresholdFields = {
  above: z.number().finite().optional(),
  below: z.number().finite().optional(),
  clearBelow: z.number().finite().optional(),
  clearAbove: z.number().finite().optional(),
};

const channelRule = {
  ...ruleCommon,
  /** Full channel name, e.g. `demo/temperature`. */
  channel: z.string().min(1).max(512),
  /** Silence longer than this puts the instance in no data (mapped by noDataState); unset: never. */
  noDataAfter: Duration.optional(),
};

export const ThresholdRule = z
  .object({ ...channelRule, kind: z.literal('threshold'), ...thresholdFields })
  .strict();

/** Change per second between the oldest sample within `window` and the newest. */
export const RateRule = z
  .object({ ...channelRule, kind: z.literal('rate'), window: Duration.default(60_000), ...thresholdFields })
  .strict();

/** Fires when the channel is silent for longer than `after`. */
export const NoDataRule = z
  .object({
    ...ruleCommon,
    kind: z.literal('nodata'),
    channel: z.string().min(1).max(512),
    after: Duration.refine((ms) => ms > 0, 'must be more than 0'),
  })
  .strict();

export const LogRule = z
  .object({
    ...ruleCommon,
    kind: z.literal('log'),
    /** Source id the records must come from; unset: any. */
    source: z.string().min(1).optional(),
    /** JavaScript regular expression over the message (or `field`). */
    pattern: z.string().refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression'),
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'flags: any of i, m, s, u')
      .default(''),
    /** Match this field of the record's fields instead of the message. */
    field: z.string().min(1).optional(),
    minSeverity: z.enum(['debug', 'info', 'notice', 'warning', 'error', 'critical']).optional(),
    /** Fires when at least `count` matches fall within `window`. */
    count: z.number().int().min(1).default(1),
    window: Duration.default(60_000),
    /** A record field: one alert instance per value, labelled with it. */
    groupBy: LabelName.optional(),
  })
  .strict();

/** Rolling z-score over the last `window` samples, or an EWMA band; quiet during warm-up. */
export const AnomalyRule = z
  .object({
    ...channelRule,
    kind: z.literal('anomaly'),
    method: z.enum(['zscore', 'ewma']).default('zscore'),
    /** zscore: samples in the rolling window. */
    window: z.number().int().min(2).max(1_000_000).default(60),
    /** ewma: weight of the newest sample. */
    alpha: z.number().gt(0).lt(1).default(0.1),
    /** Fires beyond this many standard deviations; clears inside `clearZ` (default `z`). */
    z: z.number().positive().default(3),
    clearZ: z.number().positive().optional(),
    /** Samples seen before the rule may fire (default: the window, or 1/alpha for ewma). */
    warmup: z.number().int().min(1).optional(),
  })
  .strict();

export const AlertRule = z
  .discriminatedUnion('kind', [ThresholdRule, RateRule, NoDataRule, LogRule, AnomalyRule])
  .superRefine((r, ctx) => {
    if (r.kind === 'threshold' || r.kind === 'rate') {
      if (r.above === undefined && r.below === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['above'],
          message: 'set above, below, or both (outside a band)',
        });
      if (r.above !== undefined && r.below !== undefined && r.below >= r.above)
        ctx.addIssue({ code: 'custom', path: ['below'], message: 'a band needs below < above' });
      if (r.clearBelow !== undefined && (r.above === undefined || r.clearBelow > r.above))
        ctx.addIssue({
          code: 'custom',
          path: ['clearBelow'],
          message: 'clearBelow needs above, and at most above',
        });
      if (r.clearAbove !== undefined && (r.below === undefined || r.clearAbove < r.below))
        ctx.addIssue({
          code: 'custom',
          path: ['clearAbove'],
          message: 'clearAbove needs below, and at least below',
        });
    }
    if (r.kind === 'anomaly' && r.clearZ !== undefined && r.clearZ > r.z)
      ctx.addIssue({ code: 'custom', path: ['clearZ'], message: 'clearZ must be at most z' });
  });
export type AlertRule = z.infer<typeof AlertRule>;
export type AlertRuleInput = z.input<typeof AlertRule>;

export const AlertRules = z.array(AlertRule).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id))
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate rule id "${r.id}"` });
    seen.add(r.id);
  });
});

// ---- notifiers ---------------------------------------------------------------------------------

/** Labels to group by: names, or `...` for all labels (Alertmanager `group_by`). */
const GroupBy = z.array(
  z.union([z.literal('...'), z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name')]),
);
/** Alertmanager's `repeat_interval` must be more than 0 (it would repeat without end). */
const RepeatInterval = Duration.refine((ms) => ms > 0, 'must be more than 0');

/** Alertmanager's defaults: one group per alertname, 30 s, 5 m, 4 h. */
export const GROUPING_DEFAULTS = {
  groupBy: ['alertname'] as string[],
  groupWait: 30_000,
  groupInterval: 300_000,
  repeatInterval: 14_400_000,
};

/** Grouping of notifications (Alertmanager route timing); unset fields fall back to the defaults. */
const grouping = {
  /** Alerts with equal values of these labels go out together, one notification per group. */
  groupBy: GroupBy.optional(),
  /** How long a new group waits for more alerts before its first notification. */
  groupWait: Duration.optional(),
  /** How long a group waits after a notification before telling of changes (new or resolved alerts). */
  groupInterval: Duration.optional(),
  /** An unchanged firing group is sent again after this long (not its acknowledged or silenced alerts). */
  repeatInterval: RepeatInterval.optional(),
};

/**
 * Alertmanager inhibition: while an alert matching `sourceMatchers` fires, alerts matching
 * `targetMatchers` with the same values of the `equal` labels are not notified.
 */
export const InhibitRule = z
  .object({
    sourceMatchers: z.array(Matcher).min(1).max(64),
    targetMatchers: z.array(Matcher).min(1).max(64),
    equal: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name')).default([]),
  })
  .strict();
export type InhibitRule = z.infer<typeof InhibitRule>;

const notifierCommon = {
  id: Id,
  /** Overrides the workspace's grouping (`alerting.groupBy`, …) for this notifier. */
  ...grouping,
  /** Delivery attempts per notification (1: no retry), with doubling backoff from `backoffMs`. */
  attempts: z.number().int().min(1).max(20).default(4),
  backoffMs: z.number().int().min(0).max(600_000).default(1_000),
  /** Give up one attempt after this long. */
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  /** Also notify when the alert resolves (Alertmanager `send_resolved`). */
  sendResolved: z.boolean().default(true),
};

/** JSON POST to an on-prem endpoint: OpsDeck's own payload, or Alertmanager's webhook payload (v4). */
export const WebhookNotifier = z
  .object({
    ...notifierCommon,
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
    format: z.enum(['opsdeck', 'alertmanager']).default('opsdeck'),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** The alert as JSON, published through an MQTT source of this workspace. */
export const MqttNotifier = z
  .object({
    ...notifierCommon,
    kind: z.literal('mqtt'),
    source: Id,
    topic: z
      .string()
      .min(1)
      .max(65_535)
      .refine((t) => !/[#+]/.test(t), 'a topic to publish to has no wildcards'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
    retain: z.boolean().default(false),
  })
  .strict();

/** The alert as JSON, produced through a Kafka source of this workspace; keyed by the alert's fingerprint. */
export const KafkaNotifier = z
  .object({
    ...notifierCommon,
    kind: z.literal('kafka'),
    source: Id,
    topic: z
      .string()
      .min(1)
      .max(249)
      .regex(/^[A-Za-z0-9._-]+$/, 'a Kafka topic name: letters, digits, ".", "_" or "-"'),
  })
  .strict();

/** RFC 5424 syslog over UDP or TCP (RFC 6587 octet counting); the MSG as text or CEF. */
export const SyslogNotifier = z
  .object({
    ...notifierCommon,
    kind: z.literal('syslog'),
    host: z.string().min(1).max(255),
    port: z.number().int().min(1).max(65_535).default(514),
    transport: z.enum(['udp', 'tcp']).default('udp'),
    /** Facility code 0-23 (16: local0). */
    facility: z.number().int().min(0).max(23).default(16),
    format: z.enum(['text', 'cef']).default('text'),
  })
  .strict();

/** Runs argv (no shell) with the alert JSON on stdin. Off unless `enabled: true`. */
export const CommandNotifier = z
  .object({
    ...notifierCommon,
    kind: z.literal('command'),
    argv: z.array(z.string().min(1)).min(1),
    enabled: z.boolean().default(false),
  })
  .strict();

export const NotifierConfig = z.discriminatedUnion('kind', [
  WebhookNotifier,
  MqttNotifier,
  KafkaNotifier,
  SyslogNotifier,
  CommandNotifier,
]);
export type NotifierConfig = z.infer<typeof NotifierConfig>;

/** Workspace-wide alerting settings. */
export const AlertingSettings = z
  .object({
    enabled: z.boolean().default(true),
    /** How often live evaluation advances no-data rules with the engine clock (1 s: not measured). */
    tickMs: z.number().int().min(100).max(60_000).default(1_000),
    ...grouping,
    /** Inhibition rules (Alertmanager `inhibit_rules`). */
    inhibit: z.array(InhibitRule).optional(),
    /** Where firing and resolved alerts are sent; rules pick them with `notify`. */
    notifiers: z
      .array(NotifierConfig)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((n, i) => {
          if (seen.has(n.id))
            ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate notifier id "${n.id}"` });
          seen.add(n.id);
        });
      })
      .optional(),
  })
  .strict();
export type AlertingSettings = z.infer<typeof AlertingSettings>;

/** One state change of one alert instance, with the value that caused it. */
export interface AlertTransition {
  /** Event time, epoch ms. */
  ts: number;
  rule: string;
  /** Instance identity: the rule's labels plus the group label of a log rule. */
  labels: Record<string, string>;
  from: AlertState;
  state: AlertState;
  /** The value (sample, rate, match count, z-score or silence ms) that caused it; NaN when none. */
  value: number;
  severity: (typeof ALERT_SEVERITIES)[number];
  annotations: Record<string, string>;
  /** Why an instance ended other than by its condition ("rule edited", "rule removed"). */
  cause?: string;
}
