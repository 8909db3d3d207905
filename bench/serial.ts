// Serial: lines/s decoded from a pty at the fastest rate the pty carries, beside `cat` reading the
// same pty to /dev/null in the same run. A pty has no baud rate: the writer is held back only by
// its reader, so each figure is its reader's own ceiling.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../electron/engine/engine';
import { PtyPair } from '../test/helpers/pty';
import { waitFor } from '../test/helpers/tmp';
import { figure, note } from './report';

const LINES = 400_000;
const FIELDS = 3;

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr}`)),
    );
  });
}

export async function benchSerial(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsdeck-bench-serial-'));
  const file = path.join(dir, 'lines.txt');
  // Arduino plotter lines; the first newline ends any half line left from opening.
  let text = '\n';
  for (let i = 0; i < LINES; i++)
    text += `temp:${(21 + (i % 100) / 100).toFixed(2)} hum:${40 + (i % 7)} p:1013.${i % 10}\n`;
  fs.writeFileSync(file, text);
  const pty = await PtyPair.start(dir, 'tty');
  try {
    // Baseline: cat reads the device end as fast as the pty carries.
    const reader = spawn('sh', ['-c', `exec cat "${pty.dev}" > /dev/null`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300)); // let cat open the device before writing
    let started = performance.now();
    await run('sh', ['-c', `cat "${file}" > "${pty.peer}"`]);
    const catRate = LINES / ((performance.now() - started) / 1000);
    reader.kill('SIGTERM');
    await new Promise((r) => reader.once('exit', r));

    const ws = path.join(dir, 'ws');
    fs.mkdirSync(ws);
    fs.writeFileSync(
      path.join(ws, 'opsdeck.json'),
      JSON.stringify({
        version: 1,
        sources: [
          {
            id: 'rig',
            kind: 'serial',
            name: 'Bench',
            options: { path: pty.dev, baudRate: 1_000_000, lineDecoder: 'plotter' },
          },
        ],
      }),
    );
    const engine = await Engine.open(ws);
    try {
      await waitFor('the serial source open', () => engine.status().sources[0]?.state === 'connected');
      started = performance.now();
      await run('sh', ['-c', `cat "${file}" > "${pty.peer}"`]);
      await waitFor('every sample stored', () => engine.status().storedSamples >= LINES * FIELDS, 300_000);
      const engineRate = LINES / ((performance.now() - started) / 1000);
      const quarantined = engine.status().quarantined;
      if (quarantined > 0) note(`serial: ${quarantined} lines quarantined`);
      figure('serial.engine', engineRate, 'lines/s (decoded and stored)');
      figure('serial.baseline.cat', catRate, 'lines/s');
      figure('serial.ratio', engineRate / catRate, '');
    } finally {
      await engine.close();
    }
  } finally {
    await pty.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
