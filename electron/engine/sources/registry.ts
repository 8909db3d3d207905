// Every source kind, by the `kind` its configuration names. Adding a kind means a factory here and
// a variant in shared/schemas.ts SourceConfig; TypeScript refuses one without the other.
import type { SourceKind } from '../../../shared/schemas';
import { mqttBrokerSource } from './mqtt/broker';
import { mqttSource } from './mqtt/client';
import { serialSource } from './serial';
import { simSource } from './sim';
import type { SourceFactory } from './source';

export const sourceFactories: { [K in SourceKind]: SourceFactory<unknown> } = {
  sim: simSource as SourceFactory<unknown>,
  mqtt: mqttSource as SourceFactory<unknown>,
  'mqtt-broker': mqttBrokerSource as SourceFactory<unknown>,
  serial: serialSource as SourceFactory<unknown>,
};
