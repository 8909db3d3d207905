// Serial ports as the OS lists them, and finding a saved device again in a fresh list (hot-plug):
// a USB device can come back under another path (ttyUSB0 → ttyUSB1, COM3 → COM7), so we look for
// what identifies it rather than where it was.
import type { SerialPortInfo } from '../../../../shared/api';

/** What we remember of a device to find it again. */
export interface DeviceIdentity {
  path: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

export type PortMatch = {
  port: SerialPortInfo;
  /**
   * serialNumber: the same USB serial number, under any path.
   * vendorProduct+path: a board without a serial number (CH340 clones) with the same ids at the same path.
   * vendorProduct-only: the same ids under a new path, when the old path is gone and no other port has those ids.
   * path: no USB identity to go by; the port at the configured path.
   */
  by: 'serialNumber' | 'vendorProduct+path' | 'vendorProduct-only' | 'path';
};

const norm = (s: string | null | undefined) => (s ? s.trim().toLowerCase().replace(/^0x/, '') : '');

/** serialport's list entry (strings or undefined) as ours: USB ids lower-case hex, empty values null. */
export function portInfo(raw: {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  pnpId?: string;
  locationId?: string;
}): SerialPortInfo {
  const opt = (s: string | undefined) => (s && s.trim() ? s.trim() : null);
  return {
    path: raw.path,
    manufacturer: opt(raw.manufacturer),
    serialNumber: opt(raw.serialNumber),
    vendorId: norm(raw.vendorId) || null,
    productId: norm(raw.productId) || null,
    pnpId: opt(raw.pnpId),
    locationId: opt(raw.locationId),
  };
}

/**
 * The identity of the port at `path` in a list, when it has one worth remembering (USB). A
 * "serial number" with `&` in it is a Windows instance id made up for a device without one (it
 * changes with the USB socket), so it does not count.
 */
export function identityAt(path: string, ports: readonly SerialPortInfo[]): DeviceIdentity | null {
  const p = ports.find((x) => x.path === path);
  const serialNumber = p?.serialNumber && !p.serialNumber.includes('&') ? p.serialNumber : null;
  if (!p || (!serialNumber && !(p.vendorId && p.productId))) return null;
  return {
    path,
    ...(serialNumber ? { serialNumber } : {}),
    ...(p.vendorId ? { vendorId: p.vendorId } : {}),
    ...(p.productId ? { productId: p.productId } : {}),
  };
}

/**
 * Where a saved device is in a fresh port list, or null when it is not plugged in. With a serial
 * number nothing else counts: a different board on the old path is not ours. Pure, so it is tested
 * over recorded lists.
 */
export function findDevice(identity: DeviceIdentity, ports: readonly SerialPortInfo[]): PortMatch | null {
  const idsMatch = (p: SerialPortInfo) =>
    (!identity.vendorId || norm(p.vendorId) === norm(identity.vendorId)) &&
    (!identity.productId || norm(p.productId) === norm(identity.productId));
  if (identity.serialNumber) {
    const port = ports.find((p) => norm(p.serialNumber) === norm(identity.serialNumber) && idsMatch(p));
    return port ? { port, by: 'serialNumber' } : null;
  }
  if (identity.vendorId || identity.productId) {
    const atPath = ports.find((p) => p.path === identity.path);
    if (atPath) return idsMatch(atPath) ? { port: atPath, by: 'vendorProduct+path' } : null;
    const same = ports.filter(idsMatch);
    return same.length === 1 ? { port: same[0]!, by: 'vendorProduct-only' } : null;
  }
  const port = ports.find((p) => p.path === identity.path);
  return port ? { port, by: 'path' } : null;
}

/** Ports present now. */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  const { SerialPort } = await import('serialport');
  const list = await SerialPort.list().catch(() => deviceNodes());
  return list.map(portInfo).sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
}

const SERIAL_NODE = /^tty(USB|ACM|AMA|S|XRUSB|CH343USB)\d+$|^rfcomm\d+$/;

/**
 * serialport lists Linux ports through `udevadm`; where it is missing (containers, minimal
 * installs) the device nodes are still there to open by path, only without their USB identity.
 */
async function deviceNodes(): Promise<{ path: string }[]> {
  if (process.platform !== 'linux') return [];
  const { readdir } = await import('node:fs/promises');
  const names = await readdir('/dev').catch(() => [] as string[]);
  return names.filter((n) => SERIAL_NODE.test(n)).map((n) => ({ path: `/dev/${n}` }));
}
