/** Minor units as the currency's decimal string, built from the integer (no float arithmetic on money). */
export function decimalOf(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** `123456, 'USD'` → `$1,234.56`: Intl formats the exact decimal string. */
export function money(minor: number, currency: string): string {
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency }).format as (value: string) => string;
  return format(decimalOf(minor, currency));
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

export function firstOfYear(): string {
  return `${new Date().getUTCFullYear()}-01-01`;
}

export function daysAgo(days: number): string {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}
