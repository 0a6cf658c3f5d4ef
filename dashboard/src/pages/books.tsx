import { useCallback, useRef, useState, type FormEvent } from 'react';
import type { Event, ReportSection } from '@uah/schemas';
import { daysAgo, firstOfYear, money, today } from '../format.js';
import type { SignedIn } from '../session.js';
import { Badge, Empty, ErrorNotice, Loading, PageTitle, TableScroll, useAsync } from '../ui.js';
import { AgingChart } from './aging-chart.js';
import { LiveFeed } from './live-feed.js';

/** Events after which the reports and lists are read again (once the burst has settled). */
const BOOK_EVENTS = /^(invoice|payment|journal_entry|credit_note|bill)\./;
const SETTLE_MS = 800;

function Section({ title, section, currency }: { title: string; section: ReportSection; currency: string }) {
  return (
    <>
      <tr className="section-row"><th scope="rowgroup" colSpan={2}>{title}</th></tr>
      {section.accounts.map((line) => (
        <tr key={line.accountId}>
          <td>{line.code} {line.name}</td>
          <td className="num">{money(line.amount, currency)}</td>
        </tr>
      ))}
      <tr className="total-row"><td>Total {title.toLowerCase()}</td><td className="num">{money(section.total, currency)}</td></tr>
    </>
  );
}

export function BooksPage({ s }: { s: SignedIn }) {
  const [asOf, setAsOf] = useState(today());
  const [from, setFrom] = useState(firstOfYear());
  const [to, setTo] = useState(today());
  const [applied, setApplied] = useState({ asOf, from, to });
  const { client } = s;
  const books = useAsync(async () => {
    const [trialBalance, profitAndLoss, balanceSheet, aging, invoices, payments] = await Promise.all([
      client.reports.trialBalance({ asOf: applied.asOf }),
      client.reports.profitAndLoss({ from: applied.from, to: applied.to }),
      client.reports.balanceSheet({ asOf: applied.asOf }),
      client.reports.arAging({ asOf: applied.asOf }),
      client.invoices.list({ limit: 10, order: 'desc', issuedFrom: daysAgo(90) }),
      client.payments.list({ limit: 10, order: 'desc' }),
    ]);
    return { trialBalance, profitAndLoss, balanceSheet, aging, invoices: invoices.data, payments: payments.data };
  }, [applied]);

  const settle = useRef<ReturnType<typeof setTimeout>>(undefined);
  const { reload } = books;
  const onEvent = useCallback((event: Event) => {
    if (!BOOK_EVENTS.test(event.type)) return;
    clearTimeout(settle.current);
    settle.current = setTimeout(reload, SETTLE_MS);
  }, [reload]);

  const apply = (event: FormEvent): void => {
    event.preventDefault();
    setApplied({ asOf, from, to });
  };
  const data = books.data;
  const currency = data?.trialBalance.currency ?? 'USD';

  return (
    <main id="main" className="books">
      <PageTitle>Books at a glance</PageTitle>
      <form className="period" onSubmit={apply} aria-label="Report dates">
        <div>
          <label htmlFor="as-of">Balances as of</label>
          <input id="as-of" type="date" value={asOf} onChange={(e) => setAsOf(e.target.value)} />
        </div>
        <div>
          <label htmlFor="pl-from">Profit and loss from</label>
          <input id="pl-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div>
          <label htmlFor="pl-to">to</label>
          <input id="pl-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <button type="submit">Show</button>
      </form>
      <div className="books-grid">
        <div className="books-main">
          {books.loading && <Loading label={data ? 'Updating…' : 'Loading the books…'} />}
          <ErrorNotice error={books.error} onRetry={books.reload} />
          {data && (
            <>
              <section aria-labelledby="aging-heading" className="panel">
                <h2 id="aging-heading">Receivables aging <span className="muted small">as of {data.aging.asOf}</span></h2>
                {data.aging.totals.total === 0 ? <Empty title="Nothing is owed to you."><p>Issued invoices that are not paid show here by how late they are.</p></Empty> : <AgingChart totals={data.aging.totals} currency={data.aging.currency} />}
              </section>
              <section aria-labelledby="pl-heading" className="panel">
                <h2 id="pl-heading">Profit and loss <span className="muted small">{data.profitAndLoss.from} to {data.profitAndLoss.to}</span></h2>
                <TableScroll label="Profit and loss">
                  <table>
                    <tbody>
                      <Section title="Revenue" section={data.profitAndLoss.revenue} currency={currency} />
                      <Section title="Expenses" section={data.profitAndLoss.expenses} currency={currency} />
                      <tr className="grand-total"><th scope="row">Net income</th><td className="num">{money(data.profitAndLoss.netIncome, currency)}</td></tr>
                    </tbody>
                  </table>
                </TableScroll>
              </section>
              <section aria-labelledby="bs-heading" className="panel">
                <h2 id="bs-heading">Balance sheet <span className="muted small">as of {data.balanceSheet.asOf}</span> <Badge value={data.balanceSheet.balanced ? 'BALANCED' : 'UNBALANCED'} /></h2>
                <TableScroll label="Balance sheet">
                  <table>
                    <tbody>
                      <Section title="Assets" section={data.balanceSheet.assets} currency={currency} />
                      <Section title="Liabilities" section={data.balanceSheet.liabilities} currency={currency} />
                      <tr className="section-row"><th scope="rowgroup" colSpan={2}>Equity</th></tr>
                      {data.balanceSheet.equity.accounts.map((line) => (
                        <tr key={line.accountId}><td>{line.code} {line.name}</td><td className="num">{money(line.amount, currency)}</td></tr>
                      ))}
                      <tr><td>Current earnings (not yet closed)</td><td className="num">{money(data.balanceSheet.equity.currentEarnings, currency)}</td></tr>
                      <tr className="total-row"><td>Total equity</td><td className="num">{money(data.balanceSheet.equity.total, currency)}</td></tr>
                      <tr className="grand-total"><th scope="row">Liabilities and equity</th><td className="num">{money(data.balanceSheet.totalLiabilitiesAndEquity, currency)}</td></tr>
                    </tbody>
                  </table>
                </TableScroll>
              </section>
              <section aria-labelledby="tb-heading" className="panel">
                <h2 id="tb-heading">Trial balance <span className="muted small">as of {data.trialBalance.asOf}</span> <Badge value={data.trialBalance.balanced ? 'BALANCED' : 'UNBALANCED'} /></h2>
                <TableScroll label="Trial balance">
                  <table>
                    <thead><tr><th scope="col">Account</th><th scope="col" className="num">Debit</th><th scope="col" className="num">Credit</th></tr></thead>
                    <tbody>
                      {data.trialBalance.accounts.filter((a) => a.debit !== 0 || a.credit !== 0).map((a) => (
                        <tr key={a.accountId}><td>{a.code} {a.name}</td><td className="num">{a.debit ? money(a.debit, currency) : ''}</td><td className="num">{a.credit ? money(a.credit, currency) : ''}</td></tr>
                      ))}
                      <tr className="grand-total"><th scope="row">Totals</th><td className="num">{money(data.trialBalance.totals.debit, currency)}</td><td className="num">{money(data.trialBalance.totals.credit, currency)}</td></tr>
                    </tbody>
                  </table>
                </TableScroll>
                {data.trialBalance.totals.debit === 0 && <p className="muted small">No posting yet: issue an invoice or post a journal entry and the accounts fill in.</p>}
              </section>
              <section aria-labelledby="invoices-heading" className="panel">
                <h2 id="invoices-heading">Recent invoices</h2>
                {data.invoices.length === 0 ? <Empty title="No invoice in the last 90 days."><p>Invoices created through the API or a connector show here.</p></Empty> : (
                  <TableScroll label="Recent invoices">
                    <table>
                      <thead><tr><th scope="col">Number</th><th scope="col">Status</th><th scope="col">Issued</th><th scope="col">Due</th><th scope="col" className="num">Total</th><th scope="col" className="num">Balance</th></tr></thead>
                      <tbody>
                        {data.invoices.map((invoice) => (
                          <tr key={invoice.id}><td>{invoice.number ?? 'draft'}</td><td><Badge value={invoice.status} /></td><td>{invoice.issueDate}</td><td>{invoice.dueDate}</td><td className="num">{money(invoice.total, invoice.currency)}</td><td className="num">{money(invoice.balance, invoice.currency)}</td></tr>
                        ))}
                      </tbody>
                    </table>
                  </TableScroll>
                )}
              </section>
              <section aria-labelledby="payments-heading" className="panel">
                <h2 id="payments-heading">Recent payments</h2>
                {data.payments.length === 0 ? <Empty title="No payment yet."><p>Payments recorded through the API, a connector or a bank reconciliation show here.</p></Empty> : (
                  <TableScroll label="Recent payments">
                    <table>
                      <thead><tr><th scope="col">Method</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col" className="num">Amount</th></tr></thead>
                      <tbody>
                        {data.payments.map((payment) => (
                          <tr key={payment.id}><td>{payment.method.replace(/_/g, ' ').toLowerCase()}</td><td><Badge value={payment.status} /></td><td>{payment.createdAt.slice(0, 10)}</td><td className="num">{money(payment.amount, payment.currency)}</td></tr>
                        ))}
                      </tbody>
                    </table>
                  </TableScroll>
                )}
              </section>
            </>
          )}
        </div>
        <aside className="books-side">
          <LiveFeed s={s} onEvent={onEvent} />
        </aside>
      </div>
    </main>
  );
}
