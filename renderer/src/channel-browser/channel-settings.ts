// The channel editor's checks, in words a technician understands, for the fields touched.

export type ChannelField = 'displayName' | 'unit' | 'scale' | 'offset' | 'decimals';

/** What is wrong with each field, in words (only for fields the user has touched). */
export function channelFieldErrors(
  form: Record<ChannelField, string>,
): Partial<Record<ChannelField, string>> {
  const errors: Partial<Record<ChannelField, string>> = {};
  const number = (text: string) => (text.trim() === '' ? NaN : Number(text));
  if (!Number.isFinite(number(form.scale))) errors.scale = 'enter a number, e.g. 1 or 0.01';
  else if (number(form.scale) === 0) errors.scale = 'a scale of 0 would make every value 0';
  if (!Number.isFinite(number(form.offset))) errors.offset = 'enter a number, e.g. 0 or -273.15';
  if (form.unit.length > 32) errors.unit = 'a unit has at most 32 characters';
  if (form.displayName.trim().length > 120) errors.displayName = 'a name has at most 120 characters';
  return errors;
}
