// The client as the hub's specification shows it: run with UAH_BASE_URL, UAH_API_KEY and UAH_ORG_ID set,
// e.g. `node seed-usage.mjs` after `npm install @uah/client`. It creates a customer, subscribes to
// invoice.paid, invoices the customer, records the payment and waits for the event.
import { UniversalAccountingAPI } from '@uah/client';

const api = new UniversalAccountingAPI({
  baseUrl: process.env.UAH_BASE_URL ?? 'http://localhost:3000/v1',
  apiKey: process.env.UAH_API_KEY,
  timeout: 10_000,
});
const orgId = process.env.UAH_ORG_ID;

const customer = await api.customers.create(orgId, {
  firstName: 'John',
  lastName: 'Doe',
  email: 'john@example.com',
  tier: 'SMALL_BUSINESS',
});
console.log('customer', customer.id);

const subscription = api.subscribe(orgId, ['invoice.paid']);
const paid = new Promise((resolve) => subscription.on('invoice.paid', resolve));
await subscription.ready;

const draft = await api.invoices.create(orgId, {
  customerId: customer.id,
  lines: [{ description: 'Consulting, March', quantity: '10', unitPrice: 15_000 }],
});
const invoice = await api.invoices.issue(orgId, draft.id, {});
await api.payments.recordPayment(orgId, {
  customerId: customer.id,
  amount: invoice.total,
  method: 'BANK_TRANSFER',
  applications: [{ invoiceId: invoice.id, amount: invoice.total }],
});

const event = await paid;
console.log('invoice.paid', event.aggregateId, event.data.object.number);
subscription.close();
