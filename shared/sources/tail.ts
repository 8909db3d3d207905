// Tail: follow a log file, or every file a glob names, as lines are appended; through rotation.
import { z } from 'zod';
import { maskingOption } from '../masking';
import { defineSourceKind } from './descriptor';
import { deviceClockOptions } from './fields';

/** How a log line is read: detected per file, or one format for every line. */
export const LineFormat = z.enum(['auto', 'syslog', 'cef', 'leef', 'json', 'kv', 'csv', 'text']);
export type LineFormat = z.infer<typeof LineFormat>;

export const TailOptions = z
  .object({
    /** A file, or a glob whose wildcards (`*`, `?`, `[abc]`) are in the file name only. */
    path: z
      .string()
      .min(1)
      .max(4096)
      .refine((p) => !/[*?[]/.test(p.slice(0, Math.max(p.lastIndexOf('/'), 0))), {
        message: 'wildcards only in the file name (the last part of the path), e.g. /var/log/app/*.log',
      })
      .meta({ label: 'File or glob', placeholder: '/var/log/app/*.log' }),
    /** Where to start in files that were there before the source first ran (later files: their start). */
    startAt: z
      .enum(['end', 'beginning'])
      .default('end')
      .meta({
        label: 'Files already there',
        choiceLabels: { end: 'only what is appended from now on', beginning: 'read from the beginning' },
      }),
    decoder: LineFormat.default('auto').meta({ label: 'Line format' }),
    /** How often the files are looked at (appends, rotation, new files matching the glob). */
    pollMs: z
      .number()
      .int()
      .min(20)
      .max(60_000)
      .default(250)
      .meta({ label: 'Look every (ms)', advanced: true }),
    /** A longer line is kept in quarantine in pieces, not decoded. */
    maxLineBytes: z
      .number()
      .int()
      .min(256)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024)
      .meta({ label: 'Longest line (bytes)', advanced: true }),
    masking: maskingOption,
    ...deviceClockOptions,
  })
  .strict();
export type TailOptions = z.infer<typeof TailOptions>;

export const tailKind = defineSourceKind({
  kind: 'tail',
  label: 'Tail log files',
  idBase: 'logs',
  options: TailOptions,
  hostAccess: (o) => `reads the files ${o.path} names`,
});
