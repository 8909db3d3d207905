// Which bind addresses are loopback, and which Host/Origin headers a server accepts: loopback names
// only when bound to loopback; also this machine's own addresses and names when bound wider.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { hostPolicy, isLoopbackHost } from '../../electron/engine/server/hosts';

/** A non-loopback address of this machine as a Host header names it (IPv6 in brackets), if any. */
function machineAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (!a.internal) return a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return undefined;
}

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    'localhost',
    'LOCALHOST',
    'app.localhost',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true));
  it.each([
    '0.0.0.0',
    '::',
    '192.0.2.2',
    '10.0.0.1',
    'fd00::2',
    '::ffff:10.0.0.1',
    'myhost',
    'localhost.example',
    '128.0.0.1',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false));
});

describe('hostPolicy', () => {
  const port = 7781;
  const loopback = hostPolicy('127.0.0.1', () => port);
  const wide = hostPolicy('0.0.0.0', () => port);
  const name = os.hostname().toLowerCase();

  it('bound to loopback: the loopback names on its port, nothing else', () => {
    expect(loopback.wide).toBe(false);
    for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`])
      expect(loopback.allowsHost(h), h).toBe(true);
    for (const h of [
      `127.0.0.1:${port + 1}`,
      '127.0.0.1',
      `${name}:${port}`,
      `rebind.example:${port}`,
      undefined,
      '',
    ])
      expect(loopback.allowsHost(h), String(h)).toBe(false);
    const address = machineAddress();
    if (address) expect(loopback.allowsHost(`${address}:${port}`)).toBe(false);
  });

  it("bound wider: also this machine's addresses and names", () => {
    expect(wide.wide).toBe(true);
    expect(wide.allowsHost(`127.0.0.1:${port}`)).toBe(true);
    expect(wide.allowsHost(`0.0.0.0:${port}`)).toBe(true);
    expect(wide.allowsHost(`${name}:${port}`)).toBe(true);
    if (!name.includes('.')) expect(wide.allowsHost(`${name}.local:${port}`)).toBe(true);
    const address = machineAddress();
    if (address) {
      expect(wide.allowsHost(`${address}:${port}`)).toBe(true);
      expect(wide.allowsOrigin(`http://${address}:${port}`)).toBe(true);
      expect(wide.allowsHost(`${address}:${port + 1}`)).toBe(false);
    }
  });

  it('never a name that is not this machine, nor a header a browser would not send', () => {
    for (const h of [
      `rebind.example:${port}`,
      `a@127.0.0.1:${port}`,
      `127.0.0.1:${port}:${port}`,
      `127.0.0.1:${port}/x`,
      `[::1:${port}`,
      `${name}.example:${port}`,
      ` 127.0.0.1:${port}`,
    ])
      expect(wide.allowsHost(h), h).toBe(false);
    expect(wide.allowsOrigin('null')).toBe(false);
    expect(wide.allowsOrigin(`https://127.0.0.1:${port}`)).toBe(false);
    expect(wide.allowsOrigin(`http://evil.example:${port}`)).toBe(false);
  });
});
