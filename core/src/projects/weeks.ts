/** ISO 8601 weeks (Monday to Sunday; week 1 holds the year's first Thursday) of calendar dates. */

const DAY_MS = 86_400_000;
const utc = (date: string): Date => new Date(`${date}T00:00:00.000Z`);
const ymd = (d: Date): string => d.toISOString().slice(0, 10);

export interface IsoWeek {
  /** `2026-W10` */
  week: string;
  /** The Monday. */
  start: string;
  /** The Sunday. */
  end: string;
}

export function isoWeekOf(date: string): IsoWeek {
  const d = utc(date);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const monday = new Date(d.getTime() - weekday * DAY_MS);
  const thursday = new Date(monday.getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const firstThursday = utc(`${year}-01-04`);
  const firstMonday = new Date(firstThursday.getTime() - ((firstThursday.getUTCDay() + 6) % 7) * DAY_MS);
  const number = Math.round((monday.getTime() - firstMonday.getTime()) / (7 * DAY_MS)) + 1;
  return { week: `${year}-W${String(number).padStart(2, '0')}`, start: ymd(monday), end: ymd(new Date(monday.getTime() + 6 * DAY_MS)) };
}
