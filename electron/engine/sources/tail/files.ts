// Which files a tail source follows: a path, or a glob with wildcards in the file name only.
import fs from 'node:fs/promises';
import path from 'node:path';

/** The file-name part of a glob as a regex: `*` any run, `?` one character, `[…]` a class. */
export function globRegex(name: string): RegExp {
  let out = '^';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = name.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        const body = name
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

export function hasWildcards(pattern: string): boolean {
  return /[*?[]/.test(path.basename(pattern));
}

/** The regular files the pattern names now, sorted (a missing folder or file: none). */
export async function matchFiles(pattern: string): Promise<string[]> {
  if (!hasWildcards(pattern)) {
    const stat = await fs.stat(pattern).catch(() => null);
    return stat?.isFile() ? [pattern] : [];
  }
  const dir = path.dirname(pattern);
  const re = globRegex(path.basename(pattern));
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const files: string[] = [];
  for (const name of names.filter((n) => re.test(n)).sort()) {
    const full = path.join(dir, name);
    const stat = await fs.stat(full).catch(() => null);
    if (stat?.isFile()) files.push(full);
  }
  return files;
}
