// A source kind as data: its options schema (labels and hints in `.meta()`), what it can do, and
// what it reaches on the machine. The engine (electron/engine/sources/registry.ts) and the console
// (the source form, the sources panel) read the same descriptor, so a kind is described once.
import { z } from 'zod';
import '../field-hints';
import { Id } from './fields';

/** What a source of this kind can do beyond taking data in; the console offers exactly these. */
export interface SourceCapabilities {
  /** A topic tree (`topics`, `topicDetail`), shown under the source. */
  topics: boolean;
  /** Sends messages to its peer (`publish`): the "Publish…" dialog. */
  publish: boolean;
  /** A view of its raw traffic and a way to send to the device (`sourceConsole`, `sendToSource`). */
  console: boolean;
  /** Its form lists the machine's serial ports (`serialPorts`). */
  ports: boolean;
  /** Reads Sparkplug B as a host application (`sparkplugNodes`, `sparkplugRebirth`). */
  sparkplug: boolean;
  /** A Kafka cluster to browse: topics, groups and recent messages (`kafkaCluster`). */
  cluster: boolean;
}

export interface SourceKindDescriptor<
  K extends string = string,
  O extends z.ZodType = z.ZodType,
  C extends z.ZodType = z.ZodType,
> {
  kind: K;
  /** How the "+ Source" form offers it. */
  label: string;
  /** The id suggested for the first new source of this kind (`broker`, then `broker2`, …). */
  idBase: string;
  options: O;
  /** The whole configuration of a source of this kind: id, name, enabled, kind and options. */
  config: C;
  capabilities: SourceCapabilities;
  /**
   * What a source of this kind reaches on the machine beyond the workspace — a device path it
   * opens, files it reads — in words for a refusal, or null. Every kind must decide (shared/api.ts
   * MethodCapabilities: a server bound beyond loopback refuses such sources unless allowed).
   */
  hostAccess(options: z.output<O>): string | null;
}

const NO_CAPABILITIES: SourceCapabilities = {
  topics: false,
  publish: false,
  console: false,
  ports: false,
  sparkplug: false,
  cluster: false,
};

/** Fields every source has, whatever its kind. */
export const sourceCommon = {
  id: Id.meta({
    label: 'Id',
    help: 'Used in channel names (<id>/<topic>/<field>); cannot be changed later.',
  }),
  name: z.string().min(1).max(120).meta({ label: 'Name' }),
  enabled: z.boolean().default(true).meta({ label: 'Enabled' }),
};

/** `schema.meta({ label })`, keeping the schema's own type (a generic one included). */
function labelled<T extends z.ZodType>(schema: T, label: string): T {
  return schema.meta({ label }) as T;
}

/**
 * A kind's descriptor, its configuration schema built from its options. `optionsMayBeOmitted`:
 * a source may leave `options` out (every field has a default, as the demo rig's).
 */
export function defineSourceKind<
  const K extends string,
  O extends z.ZodType,
  const Omittable extends boolean = false,
>(spec: {
  kind: K;
  label: string;
  idBase?: string;
  options: O;
  optionsMayBeOmitted?: Omittable;
  capabilities?: Partial<SourceCapabilities>;
  hostAccess(options: z.output<O>): string | null;
}) {
  const options = spec.optionsMayBeOmitted
    ? spec.options.default(spec.options.parse({}) as never)
    : spec.options;
  type ConfigOptions = Omittable extends true ? z.ZodDefault<O> : O;
  const config = z
    .object({
      ...sourceCommon,
      kind: z.literal(spec.kind).meta({ hidden: true }),
      options: labelled(options as ConfigOptions, 'Options'),
    })
    .strict() as z.ZodObject<
    typeof sourceCommon & { kind: z.ZodLiteral<K>; options: ConfigOptions },
    z.core.$strict
  >;
  return {
    kind: spec.kind,
    label: spec.label,
    idBase: spec.idBase ?? spec.kind,
    options: spec.options,
    config,
    capabilities: { ...NO_CAPABILITIES, ...spec.capabilities },
    hostAccess: spec.hostAccess,
  } satisfies SourceKindDescriptor<K, O, typeof config>;
}
