import type { ConnectorEntities, Invoice, Payment } from '@uah/connector-sdk';

/**
 * Invoices and payments kept in memory for the connector's own tests, following the core's rules this
 * connector relies on (only PENDING/PROCESSING complete or fail, only COMPLETED refunds or disputes).
 * The end-to-end test runs the same flows against the real books.
 */
export function fakeBooks(invoice: Partial<Invoice> & { id: string; customerId: string }): { entities: Partial<ConnectorEntities>; payments: Payment[]; calls: string[] } {
  const payments: Payment[] = [];
  const calls: string[] = [];
  const inv = { status: 'SENT', currency: 'USD', balance: 10_000, total: 10_000, number: 'INV-0001', exchangeRate: null, ...invoice } as Invoice;
  const find = (id: string): Payment => {
    const p = payments.find((x) => x.id === id);
    if (!p) throw new Error(`no payment ${id}`);
    return p;
  };
  const must = (p: Payment, ...states: Array<Payment['status']>): void => {
    if (!states.includes(p.status)) throw new Error(`payment ${p.id} is ${p.status}`);
  };
  const payable = (p: Payment): void => {
    for (const a of p.applications) inv.balance -= a.amount;
    inv.status = inv.balance === 0 ? 'PAID' : 'PARTIALLY_PAID';
  };
  const payments_: ConnectorEntities['payments'] = {
    get: async (id) => payments.find((p) => p.id === id),
    list: async (q) => ({ data: payments.filter((p) => !q?.invoiceId || p.applications.some((a) => a.invoiceId === q.invoiceId)), nextCursor: null }),
    record: async (input) => {
      calls.push(`record ${input.status ?? 'COMPLETED'}`);
      const p = { id: `pay_${payments.length + 1}`, status: input.status ?? 'COMPLETED', method: input.method, depositAccount: input.depositAccount, amount: input.amount, currency: input.currency, fees: input.fees ?? 0, net: input.amount - (input.fees ?? 0), amountRefunded: 0, reference: input.reference ?? null, metadata: input.metadata ?? {}, failureReason: null, dispute: null, refunds: [], applications: (input.applications ?? []).map((a) => ({ ...a, amountRefunded: 0, appliedAt: null })) } as unknown as Payment;
      payments.push(p);
      if (p.status === 'COMPLETED') payable(p);
      return p;
    },
    complete: async (id, input) => {
      calls.push('complete');
      const p = find(id);
      must(p, 'PENDING', 'PROCESSING');
      Object.assign(p, { status: 'COMPLETED', fees: input?.fees ?? p.fees, net: p.amount - (input?.fees ?? p.fees) });
      payable(p);
      return p;
    },
    process: async (id) => {
      calls.push('process');
      const p = find(id);
      must(p, 'PENDING');
      return Object.assign(p, { status: 'PROCESSING' });
    },
    fail: async (id, input) => {
      calls.push('fail');
      const p = find(id);
      must(p, 'PENDING', 'PROCESSING');
      return Object.assign(p, { status: 'FAILED', failureReason: input?.reason ?? null });
    },
    refund: async (id, input) => {
      calls.push('refund');
      const p = find(id);
      must(p, 'COMPLETED');
      const amount = input.amount ?? p.amount - p.amountRefunded;
      p.refunds.push({ id: `rfd_${p.refunds.length + 1}`, amount } as Payment['refunds'][number]);
      return Object.assign(p, { amountRefunded: p.amountRefunded + amount, status: p.amountRefunded + amount >= p.amount ? 'REFUNDED' : 'COMPLETED' });
    },
    dispute: async (id, input) => {
      calls.push('dispute');
      const p = find(id);
      must(p, 'COMPLETED');
      return Object.assign(p, { status: 'DISPUTED', dispute: { amount: input.amount, reason: input.reason, status: 'OPEN' } });
    },
    resolveDispute: () => Promise.reject(new Error('not used')),
    apply: () => Promise.reject(new Error('not used')),
  };
  const invoices = { get: async (id: string) => (id === inv.id ? inv : undefined) } as unknown as ConnectorEntities['invoices'];
  return { entities: { payments: payments_, invoices }, payments, calls };
}
