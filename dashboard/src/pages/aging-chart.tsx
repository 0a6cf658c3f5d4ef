import type { ArAgingBuckets } from '@uah/schemas';
import { money } from '../format.js';

const BUCKETS: Array<[keyof Omit<ArAgingBuckets, 'total'>, string]> = [
  ['current', 'Not yet due'],
  ['days1To30', '1–30 days'],
  ['days31To60', '31–60 days'],
  ['days61To90', '61–90 days'],
  ['over90', 'Over 90 days'],
];

/** Receivables by days past due as horizontal bars: an SVG with a text equivalent (the figures are also in the labels). */
export function AgingChart({ totals, currency }: { totals: ArAgingBuckets; currency: string }) {
  const largest = Math.max(1, ...BUCKETS.map(([key]) => Math.abs(totals[key])));
  const row = 28;
  const summary = BUCKETS.map(([key, label]) => `${label}: ${money(totals[key], currency)}`).join('; ');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 400 ${BUCKETS.length * row}`} role="img" aria-label={`Receivables aging. ${summary}. Total ${money(totals.total, currency)}.`} preserveAspectRatio="xMinYMin meet">
        {BUCKETS.map(([key, label], n) => {
          const width = Math.round((Math.abs(totals[key]) / largest) * 200);
          return (
            <g key={key} transform={`translate(0 ${n * row})`}>
              <text x="0" y="18" className="chart-label">{label}</text>
              <rect x="110" y="6" width={Math.max(width, totals[key] === 0 ? 0 : 2)} height="16" className={`bar bar-${key}`} />
              <text x={116 + width} y="18" className="chart-value">{money(totals[key], currency)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>Total outstanding: <strong>{money(totals.total, currency)}</strong></figcaption>
    </figure>
  );
}
