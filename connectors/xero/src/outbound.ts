import { createKeyedQueue, minorToDecimal, type CreditNote, type Customer, type Invoice, type Payment } from '@uah/connector-sdk';
import { textOf, type Ctx, type XeroApi, type XeroRecord } from './api.js';

/** Work on one record runs one at a time in this worker (see createKeyedQueue). */
const queue = createKeyedQueue();
export const serially = <T>(key: string, work: () => Promise<T>): Promise<T> => queue.run(key, work);

const salesAccount = (ctx: Ctx): string => ctx.config.salesAccountCode ?? '200';

/** Xero's Contact fields from our customer. */
export function contactBody(customer: Customer): XeroRecord {
  const address = customer.billingAddress;
  return {
    Name: customer.displayName.slice(0, 255),
    ...(customer.firstName ? { FirstName: customer.firstName.slice(0, 255) } : {}),
    ...(customer.lastName ? { LastName: customer.lastName.slice(0, 255) } : {}),
    ...(customer.email ? { EmailAddress: customer.email } : {}),
    ...(customer.phone ? { Phones: [{ PhoneType: 'DEFAULT', PhoneNumber: customer.phone }] } : {}),
    ...(address ? { Addresses: [{ AddressType: 'POBOX', AddressLine1: address.line1, ...(address.line2 ? { AddressLine2: address.line2 } : {}), City: address.city, ...(address.region ? { Region: address.region } : {}), PostalCode: address.postalCode, Country: address.country }] } : {}),
    IsCustomer: true,
    ContactStatus: customer.status === 'ACTIVE' ? 'ACTIVE' : 'ARCHIVED',
  };
}

/** Creates or updates the contact (found by name the first time) and keeps the link. */
export function pushContact(ctx: Ctx, api: XeroApi, customer: Customer): Promise<{ id: string; created: boolean }> {
  return serially(`customer:${customer.id}`, async () => {
    let id = await ctx.mappings.externalIdOf('customer', customer.id);
    if (!id) {
      const [found] = await api.list('Contacts', { where: `Name=="${customer.displayName.replace(/"/g, '\\"')}"` });
      id = found ? textOf(found['ContactID']) || undefined : undefined;
    }
    const [saved] = await api.save('Contacts', 'POST', [{ ...contactBody(customer), ...(id ? { ContactID: id } : {}) }], `${customer.id}-${customer.updatedAt}`);
    const savedId = textOf(saved?.['ContactID']) || (id ?? '');
    await ctx.mappings.link('customer', customer.id, savedId);
    return { id: savedId, created: !id };
  });
}

async function contactRef(ctx: Ctx, api: XeroApi, customerId: string): Promise<string> {
  const known = await ctx.mappings.externalIdOf('customer', customerId);
  if (known) return known;
  const customer = await ctx.entities.customers.get(customerId);
  if (!customer) throw new Error(`customer ${customerId} does not exist in the hub`);
  return (await pushContact(ctx, api, customer)).id;
}

/** A sales invoice (ACCREC), AUTHORISED, its lines on the configured revenue account, amounts exclusive of tax. */
export async function invoiceBody(ctx: Ctx, api: XeroApi, invoice: Invoice): Promise<XeroRecord> {
  return {
    Type: 'ACCREC',
    Contact: { ContactID: await contactRef(ctx, api, invoice.customerId) },
    Date: invoice.issueDate,
    DueDate: invoice.dueDate,
    ...(invoice.number ? { InvoiceNumber: invoice.number } : {}),
    CurrencyCode: invoice.currency,
    LineAmountTypes: 'Exclusive',
    Status: 'AUTHORISED',
    LineItems: invoice.lines.map((line) => ({
      Description: line.description.slice(0, 4000),
      Quantity: Number(line.quantity),
      UnitAmount: minorToDecimal(line.unitPrice, invoice.currency),
      AccountCode: salesAccount(ctx),
      ...(line.discountAmount > 0 ? { DiscountAmount: minorToDecimal(line.discountAmount, invoice.currency) } : {}),
    })),
  };
}

/** Creates or updates the issued invoice in Xero; a cancelled one is voided there. */
export function pushInvoice(ctx: Ctx, api: XeroApi, invoice: Invoice): Promise<{ id: string; created: boolean }> {
  return serially(`invoice:${invoice.id}`, async () => {
    const known = await ctx.mappings.externalIdOf('invoice', invoice.id);
    if (invoice.status === 'CANCELLED') {
      if (known) await api.save('Invoices', 'POST', [{ InvoiceID: known, Status: 'VOIDED' }], `${invoice.id}-void`);
      return { id: known ?? '', created: false };
    }
    if (invoice.status === 'DRAFT') return { id: known ?? '', created: false };
    const body = await invoiceBody(ctx, api, invoice);
    const [saved] = await api.save('Invoices', 'POST', [{ ...body, ...(known ? { InvoiceID: known } : {}) }], `${invoice.id}-${invoice.updatedAt}`);
    const id = textOf(saved?.['InvoiceID']) || (known ?? '');
    await ctx.mappings.link('invoice', invoice.id, id);
    return { id, created: !known };
  });
}

async function invoiceRef(ctx: Ctx, api: XeroApi, invoiceId: string): Promise<string> {
  const known = await ctx.mappings.externalIdOf('invoice', invoiceId);
  if (known) return known;
  const invoice = await ctx.entities.invoices.get(invoiceId);
  if (!invoice) throw new Error(`invoice ${invoiceId} does not exist in the hub`);
  const pushed = await pushInvoice(ctx, api, invoice);
  if (!pushed.id) throw new Error(`invoice ${invoiceId} is not issued: Xero takes payments on authorised invoices only`);
  return pushed.id;
}

/** A completed payment: one Xero payment per invoice it settles, to the configured bank account (the first one linked). */
export function pushPayment(ctx: Ctx, api: XeroApi, payment: Payment): Promise<{ id: string; created: boolean }> {
  return serially(`payment:${payment.id}`, async () => {
    const known = await ctx.mappings.externalIdOf('payment', payment.id);
    if (known) return { id: known, created: false };
    const records: XeroRecord[] = [];
    for (const application of payment.applications) {
      records.push({
        Invoice: { InvoiceID: await invoiceRef(ctx, api, application.invoiceId) },
        Account: { Code: ctx.config.paymentAccountCode ?? '1100' },
        Date: payment.date,
        Amount: minorToDecimal(application.amount - application.amountRefunded, payment.currency),
        ...(payment.reference ? { Reference: payment.reference.slice(0, 255) } : {}),
      });
    }
    if (records.length === 0) return { id: '', created: false };
    const saved = await api.save('Payments', 'PUT', records, payment.id);
    const id = textOf(saved[0]?.['PaymentID']);
    await ctx.mappings.link('payment', payment.id, id);
    return { id, created: true };
  });
}

/** A credit note against an issued invoice: an authorised ACCRECCREDIT, allocated to the invoice. */
export function pushCreditNote(ctx: Ctx, api: XeroApi, note: CreditNote): Promise<void> {
  return serially(`credit_note:${note.id}`, async () => {
    if (await ctx.mappings.externalIdOf('credit_note', note.id)) return;
    const invoiceId = await invoiceRef(ctx, api, note.invoiceId);
    const lines = note.lines.length > 0
      ? note.lines.map((l) => ({ Description: l.description.slice(0, 4000), Quantity: Number(l.quantity), UnitAmount: minorToDecimal(l.unitPrice, note.currency), AccountCode: salesAccount(ctx), ...(l.discountAmount > 0 ? { DiscountAmount: minorToDecimal(l.discountAmount, note.currency) } : {}) }))
      : [{ Description: note.reason ?? `Credit on ${note.number}`, Quantity: 1, UnitAmount: minorToDecimal(note.total, note.currency), AccountCode: salesAccount(ctx) }];
    const [saved] = await api.save('CreditNotes', 'PUT', [{
      Type: 'ACCRECCREDIT', Contact: { ContactID: await contactRef(ctx, api, note.customerId) }, Date: note.date, CreditNoteNumber: note.number, Reference: note.reason ?? note.number,
      CurrencyCode: note.currency, LineAmountTypes: 'Exclusive', Status: 'AUTHORISED', LineItems: lines,
    }], note.id);
    const creditNoteId = textOf(saved?.['CreditNoteID']);
    await api.save(`CreditNotes/${creditNoteId}/Allocations`, 'PUT', [{ Invoice: { InvoiceID: invoiceId }, Amount: minorToDecimal(note.total, note.currency), Date: note.date }], `${note.id}-allocation`);
    await ctx.mappings.link('credit_note', note.id, creditNoteId);
  });
}
