// Every source kind's factory, by the `kind` its configuration names. A kind is described once, in
// shared/sources/ (options, labels, capabilities); its factory here must take exactly those
// options and its sources must offer what the descriptor promises the console.
import type { z } from 'zod';
import type {
  BUILT_IN_SOURCE_KINDS,
  SourceCapabilities,
  SourceKind,
  SourceKindDescriptor,
} from '../../../shared/schemas';
import { registerSourceDescriptor, sourceKindOf } from '../../../shared/schemas';
import { kafkaSource } from './kafka';
import { mqttBrokerSource } from './mqtt/broker';
import { mqttSource } from './mqtt/client';
import { serialSource } from './serial';
import { simSource } from './sim';
import { syslogSource } from './syslog';
import { tailSource } from './tail';
import type { Source, SourceFactory } from './source';

type Factories = { readonly [K in SourceKind]: SourceFactory<unknown> } & {
  readonly [kind: string]: SourceFactory<unknown> | undefined;
};

/** What each capability needs a source to implement. */
const CAPABILITY_METHODS: { [C in keyof SourceCapabilities]: (keyof Source)[] } = {
  topics: ['topics', 'topicDetail'],
  publish: ['publish'],
  console: ['console', 'send'],
  ports: [],
  sparkplug: ['sparkplugNodes'],
  cluster: ['kafkaCluster'],
};

/** The factory checked against its kind's descriptor, its sources against the capabilities declared. */
function checked(descriptor: SourceKindDescriptor, factory: SourceFactory<unknown>): SourceFactory<unknown> {
  if (factory.kind !== descriptor.kind)
    throw new Error(`source factory "${factory.kind}" registered as kind "${descriptor.kind}"`);
  if (factory.options !== descriptor.options)
    throw new Error(`source kind "${descriptor.kind}": the factory's options are not its descriptor's`);
  return {
    ...factory,
    create(options, ctx) {
      const source = factory.create(options, ctx);
      for (const [capability, methods] of Object.entries(CAPABILITY_METHODS)) {
        if (!descriptor.capabilities[capability as keyof SourceCapabilities]) continue;
        const missing = methods.filter((m) => typeof source[m] !== 'function');
        if (missing.length)
          throw new Error(
            `source kind "${descriptor.kind}" declares ${capability} but its source lacks ${missing.join(', ')}`,
          );
      }
      return source;
    },
  };
}

/** The options a built-in kind's sources take, as its descriptor's schema outputs them. */
type OptionsOf<K extends SourceKind> = z.output<
  Extract<(typeof BUILT_IN_SOURCE_KINDS)[number], { kind: K }>['options']
>;

function builtIn(factories: { [K in SourceKind]: SourceFactory<OptionsOf<K>> }): Factories {
  return Object.fromEntries(
    Object.entries(factories).map(([kind, factory]) => [
      kind,
      checked(sourceKindOf(kind)!, factory as SourceFactory<unknown>),
    ]),
  ) as Factories;
}

/** One entry per kind of shared/sources/index.ts; TypeScript refuses a kind without its factory. */
export const sourceFactories: Factories = builtIn({
  sim: simSource,
  mqtt: mqttSource,
  'mqtt-broker': mqttBrokerSource,
  kafka: kafkaSource,
  serial: serialSource,
  tail: tailSource,
  syslog: syslogSource,
});

/**
 * Adds a kind from its folder at run time: its descriptor (the console's lists and SourceConfig take
 * it) and its factory (the engine starts sources of it). One call; a test's kind uses it too.
 */
export function registerSourceKind<D extends SourceKindDescriptor>(kind: {
  descriptor: D;
  factory: SourceFactory<z.output<D['options']>>;
}): void {
  const factory = checked(kind.descriptor, kind.factory as SourceFactory<unknown>);
  registerSourceDescriptor(kind.descriptor);
  (sourceFactories as Record<string, SourceFactory<unknown>>)[kind.descriptor.kind] = factory;
}
