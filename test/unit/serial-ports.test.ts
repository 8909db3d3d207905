// Finding a saved serial device again in a fresh port list (hot-plug), over port lists in the
// shape serialport's `SerialPort.list()` returns (test/fixtures/serial).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDevice, identityAt, portInfo } from '../../electron/engine/sources/serial/ports';

const load = (name: string) =>
  (
    JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/serial', name), 'utf8')) as Parameters<
      typeof portInfo
    >[0][]
  ).map(portInfo);

const before = load('ports-linux-before.json');
const after = load('ports-linux-after.json');
const windows = load('ports-windows.json');

describe('port list', () => {
  it('keeps what users recognise a device by, USB ids in lower-case hex, absent values null', () => {
    expect(before.find((p) => p.path === '/dev/ttyS0')).toEqual({
      path: '/dev/ttyS0',
      manufacturer: null,
      serialNumber: null,
      vendorId: null,
      productId: null,
      pnpId: null,
      locationId: null,
    });
    expect(windows[0]).toMatchObject({ path: 'COM3', vendorId: '1a86', productId: '7523' });
    expect(portInfo({ path: '/dev/x', vendorId: '0x0403', serialNumber: '  ' })).toMatchObject({
      vendorId: '0403',
      serialNumber: null,
    });
  });
});

describe('finding a device again', () => {
  it('by USB serial number, under a new path after re-enumeration', () => {
    const ftdi = identityAt('/dev/ttyUSB1', before)!;
    expect(ftdi).toEqual({
      path: '/dev/ttyUSB1',
      serialNumber: 'A50285BI',
      vendorId: '0403',
      productId: '6001',
    });
    expect(findDevice(ftdi, before)).toMatchObject({ port: { path: '/dev/ttyUSB1' }, by: 'serialNumber' });
    expect(findDevice(ftdi, after)).toMatchObject({ port: { path: '/dev/ttyUSB2' }, by: 'serialNumber' });
    // The same FTDI on Windows, where the ids are upper-case.
    expect(findDevice(ftdi, windows)).toMatchObject({ port: { path: 'COM7' }, by: 'serialNumber' });
  });

  it('never takes another board for one with a serial number, even at its old path', () => {
    const ftdi = { path: '/dev/ttyUSB1', serialNumber: 'A50285BI' };
    const unplugged = after.filter((p) => p.serialNumber !== 'A50285BI');
    expect(unplugged.find((p) => p.path === '/dev/ttyUSB1')).toBeDefined(); // the CH340 took its path
    expect(findDevice(ftdi, unplugged)).toBeNull();
    expect(findDevice({ ...ftdi, vendorId: '2341' }, before)).toBeNull(); // serial right, ids wrong
  });

  it('finds a CH340 without a serial number by vendor/product id at its path', () => {
    const ch340 = identityAt('/dev/ttyUSB0', before)!;
    expect(ch340).toEqual({ path: '/dev/ttyUSB0', vendorId: '1a86', productId: '7523' });
    expect(findDevice(ch340, before)).toMatchObject({
      port: { path: '/dev/ttyUSB0' },
      by: 'vendorProduct+path',
    });
    // Replugged under ttyUSB1 and ttyUSB0 is gone: it is the only CH340, so it is ours.
    expect(findDevice(ch340, after)).toMatchObject({
      port: { path: '/dev/ttyUSB1' },
      by: 'vendorProduct-only',
    });
  });

  it('does not guess between two identical boards, nor take a different board at the path', () => {
    const ch340 = { path: '/dev/ttyUSB0', vendorId: '1a86', productId: '7523' };
    const twoClones = [
      ...after,
      { ...after.find((p) => p.vendorId === '1a86')!, path: '/dev/ttyUSB3', pnpId: null },
    ];
    expect(findDevice(ch340, twoClones)).toBeNull();
    const ftdiAtPath = after.map((p) => (p.path === '/dev/ttyUSB2' ? { ...p, path: '/dev/ttyUSB0' } : p));
    expect(findDevice(ch340, ftdiAtPath)).toBeNull();
  });

  it('falls back to the path for ports with no USB identity', () => {
    expect(identityAt('/dev/ttyS0', before)).toBeNull();
    expect(findDevice({ path: '/dev/ttyS0' }, before)).toMatchObject({ by: 'path' });
    // A pty is never listed: the source opens its path directly.
    expect(identityAt('/tmp/opsdeck/dev', before)).toBeNull();
    expect(findDevice({ path: '/tmp/opsdeck/dev' }, before)).toBeNull();
  });

  it('does not learn a Windows instance id as a serial number', () => {
    expect(identityAt('COM3', windows)).toEqual({ path: 'COM3', vendorId: '1a86', productId: '7523' });
  });
});
