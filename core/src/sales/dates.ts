/**
 * Calendar dates (`YYYY-MM-DD`) of sales documents. The database returns `date` columns as Date objects:
 * node-pg at local midnight, PGlite at UTC midnight; both are read back as the same calendar day.
 */
export function dateOnly(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  const utcMidnight = value.getUTCHours() === 0 && value.getUTCMinutes() === 0 && value.getUTCSeconds() === 0;
  const [y, m, d] = utcMidnight ? [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate()] : [value.getFullYear(), value.getMonth() + 1, value.getDate()];
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Today's date in UTC: the default accounting date of documents. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00.000Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

export const timestampOrNull = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());
