// The built-in MQTT broker: devices connect to OpsDeck itself, for sites with none.
import { z } from 'zod';
import { defineSourceKind } from './descriptor';
import { SecretRef } from './fields';
import { mqttPayloadOptions } from './mqtt';

export const MqttBrokerOptions = z
  .object({
    /** Loopback unless the user names an interface. */
    host: z.string().min(1).default('127.0.0.1').meta({
      label: 'Listen on (host)',
      help: '127.0.0.1 accepts only this machine; 0.0.0.0 every interface.',
    }),
    port: z.number().int().min(1).max(65_535).default(1883).meta({ label: 'Port' }),
    /** When set, clients must log in with this username and the secret `password`. */
    username: z.string().min(1).max(256).optional().meta({ label: 'Username' }),
    password: SecretRef.optional().meta({ label: 'Password' }),
    ...mqttPayloadOptions,
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.username === undefined) !== (o.password === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [o.username ? 'password' : 'username'],
        message: 'username and password go together',
      });
  });
export type MqttBrokerOptions = z.infer<typeof MqttBrokerOptions>;

export const mqttBrokerKind = defineSourceKind({
  kind: 'mqtt-broker',
  label: 'Built-in MQTT broker (devices connect here)',
  idBase: 'broker',
  options: MqttBrokerOptions,
  capabilities: { topics: true, publish: true, sparkplug: true },
  hostAccess: () => null,
});
