import { createKeyedQueue, minorToDecimal, type Customer, type Invoice, type Payment } from '@uah/connector-sdk';
import { DUPLICATE_NAME, faultCodes, saveCurrent, whereEquals, type Ctx, type QboApi, type QboEntity } from './api.js';

type SalesLine = Invoice['lines'][number];

/** Work on one record runs one at a time in this worker (see createKeyedQueue). */
const queue = createKeyedQueue();
export const serially = <T>(key: string, work: () => Promise<T>): Promise<T> => queue.run(key, work);

/** QuickBooks' Customer fields from ours. */
export function customerBody(customer: Customer): Record<string, unknown> {
  const address = customer.billingAddress;
  return {
    DisplayName: customer.displayName.slice(0, 500),
    ...(customer.firstName ? { GivenName: customer.firstName.slice(0, 100) } : {}),
    ...(customer.lastName ? { FamilyName: customer.lastName.slice(0, 100) } : {}),
    ...(customer.businessName ? { CompanyName: customer.businessName.slice(0, 100) } : {}),
    ...(customer.email ? { PrimaryEmailAddr: { Address: customer.email } } : {}),
    ...(customer.phone ? { PrimaryPhone: { FreeFormNumber: customer.phone } } : {}),
    ...(address ? { BillAddr: { Line1: address.line1, ...(address.line2 ? { Line2: address.line2 } : {}), City: address.city, ...(address.region ? { CountrySubDivisionCode: address.region } : {}), PostalCode: address.postalCode, Country: address.country } } : {}),
    Active: customer.status === 'ACTIVE',
  };
}

/** Creates or updates the customer in QuickBooks (found by DisplayName the first time) and keeps the link. */
export function pushCustomer(ctx: Ctx, api: QboApi, customer: Customer): Promise<{ id: string; created: boolean }> {
  return serially(`customer:${customer.id}`, async () => {
    let id = await ctx.mappings.externalIdOf('customer', customer.id);
    if (!id) {
      const [found] = await api.query(whereEquals('Customer', 'DisplayName', customer.displayName));
      if (!found) {
        try {
          const created = await api.save('Customer', customerBody(customer), { requestId: customer.id });
          await ctx.mappings.link('customer', customer.id, created.Id);
          return { id: created.Id, created: true };
        } catch (error) {
          // Another writer made it between the lookup and the create: use theirs.
          if (!faultCodes(error).includes(DUPLICATE_NAME)) throw error;
        }
      }
      id = found?.Id ?? (await api.query(whereEquals('Customer', 'DisplayName', customer.displayName)))[0]?.Id;
      if (!id) throw new Error(`QuickBooks has a customer named ${customer.displayName} but did not return it`);
      await ctx.mappings.link('customer', customer.id, id);
    }
    await saveCurrent(api, 'Customer', id, () => ({ ...customerBody(customer), sparse: true }));
    return { id, created: false };
  });
}

/** The QuickBooks id of our customer, pushing it first when it has none. */
export async function customerRef(ctx: Ctx, api: QboApi, customerId: string): Promise<string> {
  const known = await ctx.mappings.externalIdOf('customer', customerId);
  if (known) return known;
  const customer = await ctx.entities.customers.get(customerId);
  if (!customer) throw new Error(`customer ${customerId} does not exist in the hub`);
  return (await pushCustomer(ctx, api, customer)).id;
}

/**
 * The item of a line: the product's linked item, else the item named by `config.items[productId]`, the
 * product's name, or `config.defaultItemName`; an item missing in QuickBooks is created (a Service
 * crediting `config.incomeAccountId`).
 */
async function itemRef(ctx: Ctx, api: QboApi, line: SalesLine): Promise<{ value: string; name: string }> {
  const productId = line.productId ?? undefined;
  const linked = productId ? await ctx.mappings.externalIdOf('item', productId) : undefined;
  if (linked) return { value: linked, name: ctx.config.items?.[productId ?? ''] ?? linked };
  const product = productId && !ctx.config.items?.[productId] ? await ctx.entities.products.get(productId) : undefined;
  const name = (productId ? ctx.config.items?.[productId] : undefined) ?? product?.name ?? ctx.config.defaultItemName ?? 'Services';
  return serially(`item:${name}`, async () => {
    const [found] = await api.query(whereEquals('Item', 'Name', name));
    const item = found ?? (await api.save('Item', { Name: name.slice(0, 100), Type: 'Service', IncomeAccountRef: { value: ctx.config.incomeAccountId ?? '1' } }, { requestId: `item-${name}`.slice(0, 50) }));
    if (productId) await ctx.mappings.link('item', productId, item.Id);
    return { value: item.Id, name };
  });
}

/** QuickBooks' Invoice fields from ours: a SalesItemLineDetail line per line of ours, net of its discount. */
export async function invoiceBody(ctx: Ctx, api: QboApi, invoice: Invoice): Promise<Record<string, unknown>> {
  const lines = [];
  for (const line of invoice.lines) {
    lines.push({
      Amount: minorToDecimal(line.netAmount, invoice.currency),
      Description: line.description.slice(0, 4000),
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: await itemRef(ctx, api, line), Qty: Number(line.quantity), UnitPrice: minorToDecimal(line.unitPrice, invoice.currency) },
    });
  }
  return {
    CustomerRef: { value: await customerRef(ctx, api, invoice.customerId) },
    TxnDate: invoice.issueDate,
    DueDate: invoice.dueDate,
    ...(invoice.number ? { DocNumber: invoice.number.slice(0, 21) } : {}),
    Line: lines,
  };
}

/** Creates or updates the invoice in QuickBooks; a cancelled one is voided there. */
export function pushInvoice(ctx: Ctx, api: QboApi, invoice: Invoice): Promise<{ id: string; created: boolean }> {
  return serially(`invoice:${invoice.id}`, async () => {
    const known = await ctx.mappings.externalIdOf('invoice', invoice.id);
    if (invoice.status === 'CANCELLED') {
      if (known) await voidRemote(api, known);
      return { id: known ?? '', created: false };
    }
    const body = await invoiceBody(ctx, api, invoice);
    if (known) {
      await saveCurrent(api, 'Invoice', known, () => ({ ...body, sparse: true }));
      return { id: known, created: false };
    }
    const created = await api.save('Invoice', body, { requestId: invoice.id });
    await ctx.mappings.link('invoice', invoice.id, created.Id);
    return { id: created.Id, created: true };
  });
}

async function voidRemote(api: QboApi, id: string): Promise<QboEntity> {
  return saveCurrent(api, 'Invoice', id, () => ({}), { operation: 'void' });
}

/** The invoice's QuickBooks id, pushing it first when it has none. */
async function invoiceRef(ctx: Ctx, api: QboApi, invoiceId: string): Promise<string> {
  const known = await ctx.mappings.externalIdOf('invoice', invoiceId);
  if (known) return known;
  const invoice = await ctx.entities.invoices.get(invoiceId);
  if (!invoice) throw new Error(`invoice ${invoiceId} does not exist in the hub`);
  return (await pushInvoice(ctx, api, invoice)).id;
}

/** Records a completed payment in QuickBooks once, linked (LinkedTxn) to the invoices it settles. */
export function pushPayment(ctx: Ctx, api: QboApi, payment: Payment): Promise<{ id: string; created: boolean }> {
  return serially(`payment:${payment.id}`, async () => {
    const known = await ctx.mappings.externalIdOf('payment', payment.id);
    if (known) return { id: known, created: false };
    const lines = [];
    for (const application of payment.applications) {
      lines.push({ Amount: minorToDecimal(application.amount - application.amountRefunded, payment.currency), LinkedTxn: [{ TxnId: await invoiceRef(ctx, api, application.invoiceId), TxnType: 'Invoice' }] });
    }
    const body = {
      CustomerRef: { value: await customerRef(ctx, api, payment.customerId) },
      TotalAmt: minorToDecimal(payment.amount - payment.amountRefunded, payment.currency),
      TxnDate: payment.date,
      ...(payment.reference ? { PaymentRefNum: payment.reference.slice(0, 21) } : {}),
      ...(lines.length > 0 ? { Line: lines } : {}),
    };
    const created = await api.save('Payment', body, { requestId: payment.id });
    await ctx.mappings.link('payment', payment.id, created.Id);
    return { id: created.Id, created: true };
  });
}

/** Voids the invoice's QuickBooks copy, if it has one. */
export function voidInvoice(ctx: Ctx, api: QboApi, invoice: Invoice): Promise<void> {
  return serially(`invoice:${invoice.id}`, async () => {
    const known = await ctx.mappings.externalIdOf('invoice', invoice.id);
    if (known) await voidRemote(api, known);
  });
}
