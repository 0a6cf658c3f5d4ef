import { decimalQuantity, decimalToMinor, mapFields, resolveConflict, type Customer, type CustomerCreate, type Invoice, type SyncJob, type SyncResult } from '@uah/connector-sdk';
import { dayOf, msDate, textOf, xero, xeroMessage, type Ctx, type XeroApi, type XeroRecord } from './api.js';
import { pushContact, pushInvoice, serially } from './outbound.js';

type DataType = 'customer' | 'invoice' | 'payment';
type Outcome = 'created' | 'updated' | 'skipped';
interface Run {
  ctx: Ctx;
  api: XeroApi;
  job: SyncJob;
  result: Required<Pick<SyncResult, 'created' | 'updated' | 'skipped' | 'failed' | 'errors' | 'conflicts'>>;
}

/** Our customer fields ← Xero paths; the organization's field mappings for `customer` are laid over them. */
const CUSTOMER_FIELDS = { businessName: 'Name', firstName: 'FirstName', lastName: 'LastName', email: 'EmailAddress' };
const COLLECTION: Record<DataType, 'Contacts' | 'Invoices' | 'Payments'> = { customer: 'Contacts', invoice: 'Invoices', payment: 'Payments' };
const ID_OF: Record<DataType, string> = { customer: 'ContactID', invoice: 'InvoiceID', payment: 'PaymentID' };
const cursorKey = (type: DataType): string => `modified.${type}`;

const idOf = (type: DataType, record: XeroRecord): string => textOf(record[ID_OF[type]]);
const updatedAtOf = (record: XeroRecord): string => msDate(record['UpdatedDateUTC']) ?? new Date(0).toISOString();
const isVoided = (record: XeroRecord): boolean => record['Status'] === 'VOIDED' || record['Status'] === 'DELETED';
const strings = (fields: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0));
const differing = (ours: Record<string, unknown>, theirs: Record<string, unknown>): string[] => Object.keys(theirs).filter((k) => (ours[k] ?? null) !== (theirs[k] ?? null));
const invoiceFields = (remote: XeroRecord): Record<string, string> => strings({ issueDate: dayOf(remote, 'Date'), dueDate: dayOf(remote, 'DueDate') });

/** One Xero record is brought in by one call at a time (pulls of several data types run together). */
const once = (type: DataType, pullOne: (run: Run, remote: XeroRecord) => Promise<Outcome>) => (run: Run, remote: XeroRecord): Promise<Outcome> => serially(`pull:${type}:${idOf(type, remote)}`, () => pullOne(run, remote));

const pullContact = once('customer', async (run, remote) => {
  const { ctx, job } = run;
  const id = idOf('customer', remote);
  const fields: Partial<CustomerCreate> = strings(mapFields(remote, CUSTOMER_FIELDS, job.fieldMappings));
  const ours = await ctx.mappings.internalIdOf('customer', id);
  if (!ours) {
    const created = await ctx.entities.customers.create({ ...fields, metadata: { xeroContactId: id } });
    await ctx.mappings.link('customer', created.id, id);
    return 'created';
  }
  const current = await ctx.entities.customers.get(ours);
  if (!current) return 'skipped';
  const changed = differing(current as unknown as Record<string, unknown>, fields);
  if (changed.length === 0) return 'skipped';
  const winner = resolveConflict(job.conflictResolution ?? 'MASTER_WINS', { updatedAt: current.updatedAt }, { updatedAt: updatedAtOf(remote) });
  run.result.conflicts.push({ externalId: id, internalId: current.id, winner });
  if (winner === 'remote') {
    await ctx.entities.customers.update(current.id, Object.fromEntries(changed.map((k) => [k, (fields as Record<string, unknown>)[k]])));
    return 'updated';
  }
  await pushContact(ctx, run.api, current);
  return 'skipped';
});

function linesOf(remote: XeroRecord, currency: string): Array<{ description: string; quantity: string; unitPrice: number }> {
  return ((remote['LineItems'] as XeroRecord[] | undefined) ?? []).map((l) => ({
    description: (textOf(l['Description']) || 'Item').slice(0, 500),
    quantity: decimalQuantity(l['Quantity']),
    unitPrice: decimalToMinor(textOf(l['UnitAmount']) || '0', currency),
  }));
}

const sameLines = (ours: Invoice, theirs: ReturnType<typeof linesOf>): boolean =>
  ours.lines.length === theirs.length && ours.lines.every((l, i) => l.description === theirs[i]?.description && Number(l.quantity) === Number(theirs[i]?.quantity) && l.unitPrice === theirs[i]?.unitPrice);

async function ourCustomer(run: Run, contact: unknown): Promise<Customer> {
  const id = textOf((contact as { ContactID?: unknown } | undefined)?.ContactID);
  const linked = await run.ctx.mappings.internalIdOf('customer', id);
  const known = linked ? await run.ctx.entities.customers.get(linked) : undefined;
  if (known) return known;
  const remote = await run.api.get('Contacts', id);
  if (!remote) throw new Error(`Xero contact ${id} was not found`);
  await pullContact(run, remote);
  const created = await run.ctx.mappings.internalIdOf('customer', id);
  const customer = created ? await run.ctx.entities.customers.get(created) : undefined;
  if (!customer) throw new Error(`Xero contact ${id} could not be brought into the hub`);
  return customer;
}

async function createInvoice(run: Run, remote: XeroRecord, replaces?: Invoice): Promise<Invoice> {
  const id = idOf('invoice', remote);
  const customer = replaces ? { id: replaces.customerId, currency: replaces.currency } : await ourCustomer(run, remote['Contact']);
  const metadata: Record<string, string> = { xeroInvoiceId: id, ...(textOf(remote['InvoiceNumber']) ? { xeroInvoiceNumber: textOf(remote['InvoiceNumber']) } : {}), ...(replaces ? { replaces: replaces.id } : {}) };
  const draft = await run.ctx.entities.invoices.createDraft({ customerId: customer.id, currency: customer.currency, ...invoiceFields(remote), lines: linesOf(remote, customer.currency), metadata });
  const issued = await run.ctx.entities.invoices.issue(draft.id, {});
  await run.ctx.mappings.link('invoice', issued.id, id);
  return issued;
}

/** Xero's version of an issued invoice: voided with it, or (unpaid) voided and replaced by one with Xero's lines and dates. */
async function takeRemoteInvoice(run: Run, current: Invoice, remote: XeroRecord): Promise<Outcome> {
  if (isVoided(remote)) {
    await run.ctx.entities.invoices.void(current.id, { reason: 'Voided in Xero' });
    return 'updated';
  }
  if (current.amountPaid > 0 || current.amountCredited > 0) throw new Error(`invoice ${current.number ?? current.id} changed in Xero but has payments or credits in the hub: correct it by hand`);
  await run.ctx.entities.invoices.void(current.id, { reason: `Replaced by Xero's changed invoice ${idOf('invoice', remote)}` });
  await createInvoice(run, remote, current);
  return 'updated';
}

const pullInvoice = once('invoice', async (run, remote) => {
  const { ctx, job } = run;
  if (remote['Type'] !== 'ACCREC' || remote['Status'] === 'DRAFT' || remote['Status'] === 'SUBMITTED') return 'skipped';
  const ours = await ctx.mappings.internalIdOf('invoice', idOf('invoice', remote));
  if (!ours) {
    if (isVoided(remote)) return 'skipped';
    await createInvoice(run, remote);
    return 'created';
  }
  const current = await ctx.entities.invoices.get(ours);
  if (!current || current.status === 'CANCELLED' || current.status === 'DRAFT') return 'skipped';
  const unchanged = !isVoided(remote) && differing(current as unknown as Record<string, unknown>, invoiceFields(remote)).length === 0 && sameLines(current, linesOf(remote, current.currency));
  if (unchanged) return 'skipped';
  const winner = resolveConflict(job.conflictResolution ?? 'MASTER_WINS', { updatedAt: current.updatedAt }, { updatedAt: updatedAtOf(remote) });
  run.result.conflicts.push({ externalId: idOf('invoice', remote), internalId: current.id, winner });
  if (winner === 'remote') return serially(`invoice:${current.id}`, () => takeRemoteInvoice(run, current, remote));
  if (!isVoided(remote)) await pushInvoice(ctx, run.api, current);
  return 'skipped';
});

/** A payment made in Xero on a sales invoice: recorded once in the hub and applied to it. */
const pullPayment = once('payment', async (run, remote) => {
  const { ctx } = run;
  const id = idOf('payment', remote);
  if (remote['Status'] === 'DELETED' || (await ctx.mappings.internalIdOf('payment', id))) return 'skipped';
  const xeroInvoice = remote['Invoice'] as XeroRecord | undefined;
  const xeroInvoiceId = textOf(xeroInvoice?.['InvoiceID']);
  if (!xeroInvoiceId) return 'skipped';
  let invoiceId = await ctx.mappings.internalIdOf('invoice', xeroInvoiceId);
  if (!invoiceId) {
    const full = await run.api.get('Invoices', xeroInvoiceId);
    if (!full || full['Type'] !== 'ACCREC') return 'skipped';
    await pullInvoice(run, full);
    invoiceId = await ctx.mappings.internalIdOf('invoice', xeroInvoiceId);
  }
  const invoice = invoiceId ? await ctx.entities.invoices.get(invoiceId) : undefined;
  if (!invoice) throw new Error(`Xero invoice ${xeroInvoiceId} could not be brought into the hub`);
  const amount = decimalToMinor(textOf(remote['Amount']) || '0', invoice.currency);
  const date = dayOf(remote, 'Date');
  const payment = await ctx.entities.payments.record({
    customerId: invoice.customerId, amount, currency: invoice.currency, method: 'BANK_TRANSFER', status: 'COMPLETED',
    ...(date ? { date } : {}),
    ...(textOf(remote['Reference']) ? { reference: textOf(remote['Reference']).slice(0, 200) } : {}),
    applications: [{ invoiceId: invoice.id, amount }],
    metadata: { xeroPaymentId: id },
  });
  await ctx.mappings.link('payment', payment.id, id);
  return 'created';
});

const PULL: Record<DataType, (run: Run, remote: XeroRecord) => Promise<Outcome>> = { customer: pullContact, invoice: pullInvoice, payment: pullPayment };

/**
 * A pull: the records Xero changed since the cursor (`If-Modified-Since`), or all of them on a full pass.
 * The cursor moves to the newest `UpdatedDateUTC` seen once every record was handled.
 */
export async function pull(ctx: Ctx, job: SyncJob, type: DataType): Promise<SyncResult> {
  const api = await xero(ctx);
  const run: Run = { ctx, api, job, result: { created: 0, updated: 0, skipped: 0, failed: 0, errors: [], conflicts: [] } };
  const cursor = (await ctx.syncState.get(cursorKey(type))) as string | undefined;
  const since = job.full ? undefined : cursor ?? job.since ?? undefined;
  const records = await api.list(COLLECTION[type], { since, ...(type === 'invoice' ? { where: 'Type=="ACCREC"' } : {}) });
  let newest = since ?? '';
  for (const remote of records) {
    if (ctx.signal.aborted) break;
    try {
      run.result[await PULL[type](run, remote)] += 1;
      const at = updatedAtOf(remote);
      if (at > newest) newest = at;
    } catch (error) {
      run.result.failed += 1;
      run.result.errors.push({ externalId: idOf(type, remote), message: xeroMessage(error) });
    }
  }
  if (run.result.failed === 0 && !ctx.signal.aborted && newest) await ctx.syncState.set(cursorKey(type), newest);
  return run.result;
}
