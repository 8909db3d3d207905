// A device that publishes the numbers 0…count-1 (as text) at QoS 1 on one topic at a steady rate,
// as a separate process so it never shares an event loop with the engine under test. It rides
// out broker restarts: mqtt.js keeps every unacknowledged QoS 1 message and sends it again after
// reconnecting, and queues what is published while disconnected. It prints one JSON line when
// every message is acknowledged: {"acked":N,"reconnects":K}. It exits when its parent goes away.
import mqtt from 'mqtt';

const spec = JSON.parse(process.argv[2] ?? '{}');
const { url, topic, count, rate } = spec;
process.stdin.on('end', () => process.exit(2));
process.stdin.resume();

const client = mqtt.connect(url, {
  protocolVersion: 4,
  clean: false,
  clientId: spec.clientId ?? `seq-pub-${process.pid}`,
  reconnectPeriod: 200,
  connectTimeout: 5_000,
});
let acked = 0;
let reconnects = 0;
client.on('reconnect', () => reconnects++);
client.on('error', () => undefined); // connection refused while the broker is down: keep trying
await new Promise((resolve) => client.once('connect', resolve));

const started = performance.now();
let next = 0;
await new Promise((resolve) => {
  const tick = () => {
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate));
    while (next < due) {
      client.publish(topic, String(next++), { qos: 1 }, (error) => {
        if (!error && ++acked === count) resolve();
      });
    }
    if (next < count) setTimeout(tick, 2);
  };
  tick();
});
process.stdout.write(`${JSON.stringify({ acked, reconnects })}\n`);
await client.endAsync();
process.exit(0);
