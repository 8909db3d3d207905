// Every source kind, in the order the "+ Source" form offers them. Adding a kind: its folder
// (shared/sources/<kind>.ts for the descriptor, electron/engine/sources/<kind>/ for the source)
// and its line here; the engine's registry refuses to build without a factory for every kind.
import { z } from 'zod';
import type { SourceKindDescriptor } from './descriptor';
import { kafkaKind } from './kafka';
import { mqttKind } from './mqtt';
import { mqttBrokerKind } from './mqtt-broker';
import { serialKind } from './serial';
import { simKind } from './sim';
import { syslogKind } from './syslog';
import { tailKind } from './tail';

export const BUILT_IN_SOURCE_KINDS = [
  mqttKind,
  mqttBrokerKind,
  kafkaKind,
  serialKind,
  tailKind,
  syslogKind,
  simKind,
] as const;

type BuiltInKind = (typeof BUILT_IN_SOURCE_KINDS)[number];
export type SourceKind = BuiltInKind['kind'];

const kinds = new Map<string, SourceKindDescriptor>(BUILT_IN_SOURCE_KINDS.map((k) => [k.kind, k]));

/** Every kind this process knows, built in or registered, in the order they were added. */
export function sourceKinds(): readonly SourceKindDescriptor[] {
  return [...kinds.values()];
}

export function sourceKindOf(kind: string): SourceKindDescriptor | undefined {
  return kinds.get(kind);
}

/**
 * Adds a kind's descriptor at run time (a plug-in kind, or a test's): SourceConfig, WorkspaceConfig
 * and the console's lists take it from then on. The engine registers a kind with its source through
 * `registerSourceKind` (electron/engine/sources/registry.ts), which calls this.
 */
export function registerSourceDescriptor(descriptor: SourceKindDescriptor): void {
  const known = kinds.get(descriptor.kind);
  if (known && known !== descriptor)
    throw new Error(`source kind "${descriptor.kind}" is registered already`);
  kinds.set(descriptor.kind, descriptor);
}

/**
 * A source's configuration, checked with its kind's schema. A discriminated union in its types
 * (narrowing on `kind` gives that kind's options); at run time it looks the kind up, so a
 * registered kind parses too. Issues keep their paths (`options.url: …`).
 */
export const SourceConfig = z.unknown().transform((value, ctx) => {
  const kind = value !== null && typeof value === 'object' ? (value as { kind?: unknown }).kind : undefined;
  const descriptor = typeof kind === 'string' ? kinds.get(kind) : undefined;
  if (!descriptor) {
    ctx.issues.push({
      code: 'custom',
      path: ['kind'],
      input: kind,
      message: `${typeof kind === 'string' ? `unknown source kind "${kind}"` : 'missing source kind'}: one of ${[...kinds.keys()].join(', ')}`,
    });
    return z.NEVER;
  }
  const parsed = descriptor.config.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: value } as never);
    return z.NEVER;
  }
  return parsed.data;
}) as unknown as z.ZodType<z.output<BuiltInKind['config']>, z.input<BuiltInKind['config']>>;
export type SourceConfig = z.output<typeof SourceConfig>;
