import { decimalQuantity, decimalToMinor, mapFields, resolveConflict, type Customer, type CustomerCreate, type Invoice, type SyncJob, type SyncResult } from '@uah/connector-sdk';
import { ENTITY_OF, faultMessage, qbo, textOf, type Ctx, type QboApi, type QboEntity } from './api.js';
import { pushCustomer, pushInvoice, serially } from './outbound.js';

type DataType = 'customer' | 'invoice' | 'payment';
type Outcome = 'created' | 'updated' | 'skipped';
interface Run {
  ctx: Ctx;
  api: QboApi;
  job: SyncJob;
  result: Required<Pick<SyncResult, 'created' | 'updated' | 'skipped' | 'failed' | 'errors' | 'conflicts'>>;
}

/** Our customer fields ← QuickBooks paths; the organization's field mappings for `customer` are laid over them. */
const CUSTOMER_FIELDS = { businessName: 'CompanyName', firstName: 'GivenName', lastName: 'FamilyName', email: 'PrimaryEmailAddr.Address', phone: 'PrimaryPhone.FreeFormNumber' };
/** Our invoice fields ← QuickBooks paths (lines are compared on their own). */
const INVOICE_FIELDS = { issueDate: 'TxnDate', dueDate: 'DueDate' };
/** QuickBooks keeps Change Data Capture for 30 days; older cursors read everything again. */
const CDC_DAYS = 30;
const cursorKey = (type: DataType): string => `cdc.${type}`;

const updatedAtOf = (remote: QboEntity): string => remote.MetaData?.LastUpdatedTime ?? new Date(0).toISOString();
const isVoided = (remote: QboEntity): boolean => remote['PrivateNote'] === 'Voided' && Number(remote['TotalAmt'] ?? 0) === 0;
const strings = (fields: Record<string, unknown>): Record<string, string> => Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0));

/** Our customer's fields from QuickBooks' (the DisplayName stands in for a missing company and person name). */
function customerFields(remote: QboEntity, job: SyncJob): Partial<CustomerCreate> {
  const fields = strings(mapFields(remote, CUSTOMER_FIELDS, job.fieldMappings));
  if (!fields['businessName'] && !fields['firstName'] && !fields['lastName'] && typeof remote['DisplayName'] === 'string') fields['businessName'] = remote['DisplayName'];
  return fields;
}

/** The fields whose values differ: what a conflict is about. */
function differing(ours: Record<string, unknown>, theirs: Record<string, unknown>): string[] {
  return Object.keys(theirs).filter((k) => (ours[k] ?? null) !== (theirs[k] ?? null));
}

/**
 * One QuickBooks record is brought in by one call at a time: the pulls of several data types run
 * together, and a payment's pull brings in its invoice and customer when they are new.
 */
const once = (type: DataType, pullOne: (run: Run, remote: QboEntity) => Promise<Outcome>) => (run: Run, remote: QboEntity): Promise<Outcome> => serially(`pull:${type}:${remote.Id}`, () => pullOne(run, remote));

const pullCustomer = once('customer', async (run, remote) => {
  const { ctx, job } = run;
  const fields = customerFields(remote, job);
  const ours = await ctx.mappings.internalIdOf('customer', remote.Id);
  if (!ours) {
    const created = await ctx.entities.customers.create({ ...fields, metadata: { quickbooksId: remote.Id } });
    await ctx.mappings.link('customer', created.id, remote.Id);
    return 'created';
  }
  const current = await ctx.entities.customers.get(ours);
  if (!current) return 'skipped';
  const changed = differing(current as unknown as Record<string, unknown>, fields);
  if (changed.length === 0) return 'skipped';
  const winner = resolveConflict(job.conflictResolution ?? 'MASTER_WINS', { updatedAt: current.updatedAt }, { updatedAt: updatedAtOf(remote) });
  run.result.conflicts.push({ externalId: remote.Id, internalId: current.id, winner });
  if (winner === 'remote') {
    await ctx.entities.customers.update(current.id, Object.fromEntries(changed.map((k) => [k, (fields as Record<string, unknown>)[k]])));
    return 'updated';
  }
  // Ours wins: QuickBooks is given our version back, so both sides agree again.
  await pushCustomer(ctx, run.api, current);
  return 'skipped';
});

/** Our lines from QuickBooks' sales lines (subtotal and other detail types are not lines of ours). */
function linesOf(remote: QboEntity, currency: string): Array<{ description: string; quantity: string; unitPrice: number }> {
  const lines = (remote['Line'] as Array<Record<string, unknown>> | undefined) ?? [];
  return lines.filter((l) => l['DetailType'] === 'SalesItemLineDetail').map((l) => {
    const detail = (l['SalesItemLineDetail'] ?? {}) as { Qty?: number; UnitPrice?: number; ItemRef?: { name?: string } };
    const quantity = decimalQuantity(detail.Qty);
    const unitPrice = detail.UnitPrice !== undefined ? decimalToMinor(detail.UnitPrice, currency) : Math.round(decimalToMinor(l['Amount'] as number, currency) / Number(quantity));
    return { description: (textOf(l['Description']) || textOf(detail.ItemRef?.name) || 'Item').slice(0, 500) || 'Item', quantity, unitPrice };
  });
}

function sameLines(ours: Invoice, theirs: ReturnType<typeof linesOf>): boolean {
  return ours.lines.length === theirs.length && ours.lines.every((l, i) => l.description === theirs[i]?.description && Number(l.quantity) === Number(theirs[i]?.quantity) && l.unitPrice === theirs[i]?.unitPrice);
}

/** Our customer for QuickBooks' CustomerRef, pulled from QuickBooks when it is new to us. */
async function ourCustomer(run: Run, ref: unknown): Promise<Customer> {
  const id = textOf((ref as { value?: unknown } | undefined)?.value);
  const linked = await run.ctx.mappings.internalIdOf('customer', id);
  const known = linked ? await run.ctx.entities.customers.get(linked) : undefined;
  if (known) return known;
  await pullCustomer(run, await run.api.read('Customer', id));
  const created = await run.ctx.mappings.internalIdOf('customer', id);
  const customer = created ? await run.ctx.entities.customers.get(created) : undefined;
  if (!customer) throw new Error(`QuickBooks customer ${id} could not be brought into the hub`);
  return customer;
}

/** A new invoice from QuickBooks: created and issued (numbered and posted) in the hub, QuickBooks' DocNumber kept in metadata. */
async function createInvoice(run: Run, remote: QboEntity, replaces?: Invoice): Promise<Invoice> {
  const customer = replaces ? { id: replaces.customerId, currency: replaces.currency } : await ourCustomer(run, remote['CustomerRef']);
  const fields = strings(mapFields(remote, INVOICE_FIELDS, run.job.fieldMappings));
  const metadata: Record<string, string> = { quickbooksId: remote.Id, ...(typeof remote['DocNumber'] === 'string' ? { quickbooksDocNumber: remote['DocNumber'] } : {}), ...(replaces ? { replaces: replaces.id } : {}) };
  const draft = await run.ctx.entities.invoices.createDraft({ customerId: customer.id, currency: customer.currency, ...fields, lines: linesOf(remote, customer.currency), metadata });
  const issued = await run.ctx.entities.invoices.issue(draft.id, {});
  await run.ctx.mappings.link('invoice', issued.id, remote.Id);
  return issued;
}

/**
 * Applies QuickBooks' version of an invoice: a draft is changed; an issued invoice is immutable in the
 * books, so an unpaid one is voided and replaced by a new one with QuickBooks' lines and dates (the link
 * moves to it); one with payments or credits is left and reported.
 */
async function takeRemoteInvoice(run: Run, current: Invoice, remote: QboEntity): Promise<Outcome> {
  const { ctx } = run;
  if (isVoided(remote)) {
    await ctx.entities.invoices.void(current.id, { reason: 'Voided in QuickBooks' });
    return 'updated';
  }
  const fields = strings(mapFields(remote, INVOICE_FIELDS, run.job.fieldMappings));
  const lines = linesOf(remote, current.currency);
  if (current.status === 'DRAFT') {
    await ctx.entities.invoices.updateDraft(current.id, { ...fields, lines });
    return 'updated';
  }
  if (current.amountPaid > 0 || current.amountCredited > 0) throw new Error(`invoice ${current.number ?? current.id} changed in QuickBooks but has payments or credits in the hub: correct it by hand`);
  await ctx.entities.invoices.void(current.id, { reason: `Replaced by QuickBooks' changed invoice ${remote.Id}` });
  await createInvoice(run, remote, current);
  return 'updated';
}

const pullInvoice = once('invoice', async (run, remote) => {
  const { ctx, job } = run;
  const ours = await ctx.mappings.internalIdOf('invoice', remote.Id);
  if (!ours) {
    if (isVoided(remote)) return 'skipped';
    await createInvoice(run, remote);
    return 'created';
  }
  const current = await ctx.entities.invoices.get(ours);
  if (!current || current.status === 'CANCELLED') return 'skipped';
  const fields = strings(mapFields(remote, INVOICE_FIELDS, job.fieldMappings));
  const unchanged = !isVoided(remote) && differing(current as unknown as Record<string, unknown>, fields).length === 0 && sameLines(current, linesOf(remote, current.currency));
  if (unchanged) return 'skipped';
  const winner = resolveConflict(job.conflictResolution ?? 'MASTER_WINS', { updatedAt: current.updatedAt }, { updatedAt: updatedAtOf(remote) });
  run.result.conflicts.push({ externalId: remote.Id, internalId: current.id, winner });
  if (winner === 'remote') return serially(`invoice:${current.id}`, () => takeRemoteInvoice(run, current, remote));
  // A voided QuickBooks invoice cannot be brought back: ours stays, and the conflict is logged.
  if (!isVoided(remote)) await pushInvoice(ctx, run.api, current);
  return 'skipped';
});

/** A payment made in QuickBooks: recorded once in the hub and applied to the linked invoices. Payments do not change afterwards. */
const pullPayment = once('payment', async (run, remote) => {
  const { ctx } = run;
  if (await ctx.mappings.internalIdOf('payment', remote.Id)) return 'skipped';
  const customer = await ourCustomer(run, remote['CustomerRef']);
  const applications = [];
  for (const line of (remote['Line'] as Array<{ Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? []) {
    for (const linked of (line.LinkedTxn ?? []).filter((t) => t.TxnType === 'Invoice')) {
      let invoiceId = await ctx.mappings.internalIdOf('invoice', linked.TxnId);
      if (!invoiceId) {
        await pullInvoice(run, await run.api.read('Invoice', linked.TxnId));
        invoiceId = await ctx.mappings.internalIdOf('invoice', linked.TxnId);
      }
      if (invoiceId) applications.push({ invoiceId, amount: decimalToMinor(line.Amount ?? 0, customer.currency) });
    }
  }
  const payment = await ctx.entities.payments.record({
    customerId: customer.id, amount: decimalToMinor(remote['TotalAmt'] as number, customer.currency), currency: customer.currency, method: 'OTHER', status: 'COMPLETED',
    ...(typeof remote['TxnDate'] === 'string' ? { date: remote['TxnDate'] } : {}),
    ...(typeof remote['PaymentRefNum'] === 'string' && remote['PaymentRefNum'] ? { reference: remote['PaymentRefNum'] } : {}),
    ...(applications.length > 0 ? { applications } : {}),
    metadata: { quickbooksId: remote.Id },
  });
  await ctx.mappings.link('payment', payment.id, remote.Id);
  return 'created';
});

const PULL: Record<DataType, (run: Run, remote: QboEntity) => Promise<Outcome>> = { customer: pullCustomer, invoice: pullInvoice, payment: pullPayment };

/**
 * A pull: QuickBooks' changes since the cursor (Change Data Capture), or every record on a full pass or
 * when the cursor is older than QuickBooks keeps changes. The cursor moves to the time of QuickBooks'
 * answer once every record was handled, so a record that failed is read again next time.
 */
export async function pull(ctx: Ctx, job: SyncJob, type: DataType): Promise<SyncResult> {
  const api = await qbo(ctx);
  const run: Run = { ctx, api, job, result: { created: 0, updated: 0, skipped: 0, failed: 0, errors: [], conflicts: [] } };
  const entity = ENTITY_OF[type];
  const cursor = (await ctx.syncState.get(cursorKey(type))) as string | undefined;
  const since = job.full ? undefined : cursor ?? job.since ?? undefined;
  let records: QboEntity[];
  let time: string;
  if (since && Date.parse(since) > Date.now() - CDC_DAYS * 86_400_000) {
    const changes = await api.changes([entity], since);
    records = changes.byEntity[entity] ?? [];
    time = changes.time;
  } else {
    time = new Date().toISOString();
    records = await api.query(`select * from ${entity}`);
  }
  for (const remote of records) {
    if (ctx.signal.aborted) break;
    try {
      run.result[await PULL[type](run, remote)] += 1;
    } catch (error) {
      run.result.failed += 1;
      run.result.errors.push({ externalId: remote.Id, message: faultMessage(error) });
    }
  }
  if (run.result.failed === 0 && !ctx.signal.aborted) await ctx.syncState.set(cursorKey(type), time);
  return run.result;
}

