// Which names a request may use for this server (the `Host` and `Origin` checks against DNS
// rebinding and other pages), and whether a bind address is loopback. Bound to loopback, only the
// loopback names are accepted; bound wider, so are this machine's own addresses and names, read
// when asked because interfaces come and go (DHCP, Wi-Fi).
import net from 'node:net';
import os from 'node:os';

/** localhost, 127.0.0.0/8, ::1, and IPv4-mapped 127.x in any spelling a URL parser accepts. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  if (net.isIPv6(name)) {
    const canonical = new URL(`http://[${name}]`).hostname; // "[::1]", "[::ffff:7f00:1]"
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  }
  return false;
}

/** The names a browser puts in `Host` for this machine, lower-case, IPv6 in brackets. */
function machineNames(): string[] {
  const names: string[] = [];
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) names.push(a.family === 'IPv6' ? `[${a.address}]` : a.address);
  }
  const hostname = os.hostname().toLowerCase();
  if (hostname) {
    names.push(hostname);
    if (!hostname.includes('.')) names.push(`${hostname}.local`);
  }
  return names;
}

/** `name[:port]` as a browser sends it: a DNS name, dotted IPv4, or bracketed IPv6; nothing else. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

export interface HostPolicy {
  /** The server listens beyond loopback. */
  readonly wide: boolean;
  /** A `Host` header naming this server: an accepted name and the port it listens on. */
  allowsHost(header: string | undefined): boolean;
  /** An `Origin` of a page this server served (`http://` + an accepted host). */
  allowsOrigin(origin: string): boolean;
}

export function hostPolicy(bindHost: string, port: () => number): HostPolicy {
  const wide = !isLoopbackHost(bindHost);
  const bound = bindHost.toLowerCase();
  const fixed = new Set(['127.0.0.1', 'localhost', '[::1]', bound.includes(':') ? `[${bound}]` : bound]);
  const allowsHost = (header: string | undefined): boolean => {
    const m = HOST_HEADER.exec((header ?? '').toLowerCase());
    if (!m) return false;
    if (Number(m[2] ?? 80) !== port()) return false;
    const name = m[1]!;
    return fixed.has(name) || (wide && machineNames().includes(name));
  };
  return {
    wide,
    allowsHost,
    allowsOrigin: (origin) => origin.startsWith('http://') && allowsHost(origin.slice('http://'.length)),
  };
}
