// The parts of kafkajs's internals OpsDeck uses: its protocol's request definitions, so a Fetch
// goes out through kafkajs's broker with its records read by fetch.ts (kafkajs's consumer has no
// manual assignment, its issue #373, and decodes every message into objects).
declare module 'kafkajs/src/protocol/requests/index.js' {
  export const requests: { Fetch: unknown };
}
