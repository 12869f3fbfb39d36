// One notion of truth for `when`, `changed_when`, `failed_when`, `until` and the and/or/not
// helpers: YAML and INI values arrive as strings as often as booleans.

export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || Number.isNaN(value)) return false;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    return s !== '' && s !== 'false' && s !== '0';
  }
  if (Array.isArray(value)) return value.length > 0;
  return true;
}
