// The console's file browser: a folder of the engine's machine, folders first, for picking what to
// import (a browser page cannot read local files; the engine reads them by path).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DirectoryListing } from '../../../shared/jobs';

const MAX_ENTRIES = 2_000;

export function listDirectory(dir?: string): DirectoryListing {
  const absolute = path.resolve(dir && dir.trim() ? dir : os.homedir());
  let names: string[];
  try {
    names = fs.readdirSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${absolute}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (error as Error).message}`,
      { cause: error },
    );
  }
  const entries: DirectoryListing['entries'] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    try {
      const stat = fs.statSync(path.join(absolute, name));
      if (!stat.isDirectory() && !stat.isFile()) continue;
      entries.push({
        name,
        kind: stat.isDirectory() ? 'dir' : 'file',
        size: stat.isFile() ? stat.size : 0,
        modified: stat.mtimeMs,
      });
    } catch {
      // a dangling link or one we may not read: not offered
    }
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const parent = path.dirname(absolute);
  return {
    path: absolute,
    parent: parent === absolute ? null : parent,
    entries: entries.slice(0, MAX_ENTRIES),
    truncated: entries.length > MAX_ENTRIES,
  };
}
