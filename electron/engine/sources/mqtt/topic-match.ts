// MQTT topic filter matching: `+` matches one whole level, `#` (last) matches the rest, including
// the parent level itself ("a/#" matches "a"). Topics starting with `$` are not matched by a
// filter starting with a wildcard (MQTT 3.1.1 §4.7.2).
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
