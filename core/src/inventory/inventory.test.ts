import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../testing/harness.js';
import { eventsSince, get, lastEventId, post, postingsOf, setupBooks, type Books } from '../payments/testing.js';
import { checkAllBooks, purchasingCounts } from '../testing/purchasing-books.js';

describe('inventory: stock at moving-average cost, cost of goods sold, adjustments, reorder alerts', () => {
  let hub: TestHub;
  let books: Books;
  let vendorId: string;

  beforeAll(async () => {
    hub = await createTestHub();
    books = await setupBooks(hub, 'Stock Ltd', 'USD');
    vendorId = (await post(hub, books, '/vendors', { name: 'Widget Factory' })).id;
  });
  afterEach(() => checkAllBooks(hub, books));
  afterAll(() => hub.close());

  const product = (sku: string, extra: Record<string, unknown> = {}) => post(hub, books, '/products', { sku, name: sku, type: 'INVENTORY', unitPrice: 3000, trackInventory: true, ...extra });
  const stock = (id: string) => get(hub, books, `/inventory/${id}`);
  const sell = async (productId: string, quantity: string, status = 200) => {
    const draft = await post(hub, books, '/invoices', { customerId: books.customerId, issueDate: '2026-04-01', lines: [{ productId, quantity }] });
    const res = await hub.request('POST', books.path(`/invoices/${draft.id}/issue`), { token: books.org.apiKey, body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    return { draft, res };
  };
  const costEntry = async (invoiceId: string) => {
    const entries = await get(hub, books, `/journal-entries?sourceType=invoice&sourceId=${invoiceId}`);
    return entries.data.find((e: { memo: string }) => e.memo.startsWith('Cost of goods sold'));
  };

  it('receives bills into stock, issues invoices at moving-average cost, and alerts once at the reorder point', async () => {
    const widget = await product('WIDGET', { reorderPoint: '5' });
    expect(widget).toMatchObject({ trackInventory: true, reorderPoint: '5' });
    const bill1 = await post(hub, books, '/bills', { vendorId, billDate: '2026-03-01', lines: [{ productId: widget.id, quantity: '10', unitCost: 1100 }] });
    expect(await postingsOf(hub, books, bill1.journalEntryId)).toEqual([['1200', 'DEBIT', 11000, 'USD'], ['2000', 'CREDIT', 11000, 'USD']]);
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-02', lines: [{ productId: widget.id, quantity: '5', unitCost: 1400 }] });
    expect(await stock(widget.id)).toMatchObject({ quantityOnHand: '15', value: 18000, averageUnitCost: '1200.000000', belowReorderPoint: false });

    const mark = await lastEventId(hub, books);
    const { draft } = await sell(widget.id, '3');
    expect(await postingsOf(hub, books, (await costEntry(draft.id)).id)).toEqual([['5000', 'DEBIT', 3600, 'USD'], ['1200', 'CREDIT', 3600, 'USD']]);
    await sell(widget.id, '7');
    expect(await stock(widget.id)).toMatchObject({ quantityOnHand: '5', value: 6000, belowReorderPoint: true });
    await sell(widget.id, '1');
    const lows = (await eventsSince(hub, books, mark)).filter((e) => e.type === 'inventory.stock_low');
    expect(lows.map((e) => [e.aggregateId, e.data.object.quantityOnHand])).toEqual([[widget.id, '5']]);
  });

  it('refuses to sell more than is on hand (409, nothing written) unless negative stock is allowed', async () => {
    const gadget = await product('GADGET');
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-01', lines: [{ productId: gadget.id, quantity: '2', unitCost: 500 }] });
    const draft = await post(hub, books, '/invoices', { customerId: books.customerId, lines: [{ productId: gadget.id, quantity: '3' }] });
    const before = await purchasingCounts(hub);
    const refused = await hub.request('POST', books.path(`/invoices/${draft.id}/issue`), { token: books.org.apiKey, body: {} });
    expect([refused.status, refused.body.code]).toEqual([409, 'INSUFFICIENT_STOCK']);
    expect(await purchasingCounts(hub)).toBe(before);
    expect((await get(hub, books, `/invoices/${draft.id}`)).status).toBe('DRAFT');

    const settings = await hub.request('PUT', books.path('/inventory-settings'), { token: books.org.apiKey, body: { allowNegativeStock: true } });
    expect(settings.body).toEqual({ object: 'inventory_settings', allowNegativeStock: true });
    const issued = await post(hub, books, `/invoices/${draft.id}/issue`, {}, 200);
    expect(await postingsOf(hub, books, (await costEntry(issued.id)).id)).toEqual([['5000', 'DEBIT', 1500, 'USD'], ['1200', 'CREDIT', 1500, 'USD']]);
    expect(await stock(gadget.id)).toMatchObject({ quantityOnHand: '-1', value: -500 });
    await hub.request('PUT', books.path('/inventory-settings'), { token: books.org.apiKey, body: { allowNegativeStock: false } });
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-05', lines: [{ productId: gadget.id, quantity: '1', unitCost: 500 }] });
    expect(await stock(gadget.id)).toMatchObject({ quantityOnHand: '0', value: 0 });
  });

  it('adjusts stock with a reason at cost, posting against the adjustments account; a dry run writes nothing', async () => {
    const bolt = await product('BOLT', { reorderPoint: '2', unitCost: 90 });
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-01', lines: [{ productId: bolt.id, quantity: '4', unitCost: 100 }] });
    const before = await purchasingCounts(hub);
    const dry = await post(hub, books, '/inventory-adjustments?dryRun=true', { productId: bolt.id, quantityChange: '-1.5', reason: 'DAMAGED' });
    expect(dry).toMatchObject({ object: 'dry_run', document: { object: 'inventory_adjustment', value: -150, quantityAfter: '2.5' } });
    expect(await purchasingCounts(hub)).toBe(before);

    const mark = await lastEventId(hub, books);
    const down = await post(hub, books, '/inventory-adjustments', { productId: bolt.id, quantityChange: '-1.5', reason: 'DAMAGED', note: 'Rusty', date: '2026-03-02' });
    expect(down).toMatchObject({ object: 'inventory_adjustment', quantityChange: '-1.5', value: -150, quantityAfter: '2.5', reason: 'DAMAGED', note: 'Rusty' });
    expect(await postingsOf(hub, books, down.journalEntryId)).toEqual([['5100', 'DEBIT', 150, 'USD'], ['1200', 'CREDIT', 150, 'USD']]);
    const down2 = await post(hub, books, '/inventory-adjustments', { productId: bolt.id, quantityChange: '-1', reason: 'THEFT' });
    expect(down2).toMatchObject({ value: -100, quantityAfter: '1.5' });
    const up = await post(hub, books, '/inventory-adjustments', { productId: bolt.id, quantityChange: '10', reason: 'FOUND', unitCost: 80 });
    expect(await postingsOf(hub, books, up.journalEntryId)).toEqual([['1200', 'DEBIT', 800, 'USD'], ['5100', 'CREDIT', 800, 'USD']]);
    expect(await stock(bolt.id)).toMatchObject({ quantityOnHand: '11.5', value: 950, belowReorderPoint: false });
    await post(hub, books, '/inventory-adjustments', { productId: bolt.id, quantityChange: '-10', reason: 'STOCK_COUNT' });
    const events = await eventsSince(hub, books, mark);
    expect(events.filter((e) => e.type === 'inventory.adjusted').map((e) => e.data.object.id)).toEqual([down.id, down2.id, up.id, expect.any(String)]);
    // Crossed down twice (at 1.5, and at 1.5 again after rising to 11.5): two alerts, not one per move.
    expect(events.filter((e) => e.type === 'inventory.stock_low').length).toBe(2);
  });

  it('shows the cost of goods sold in an issue dry run and refuses a shortage there too, writing nothing', async () => {
    const cup = await product('CUP');
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-01', lines: [{ productId: cup.id, quantity: '3', unitCost: 333 }] });
    const draft = await post(hub, books, '/invoices', { customerId: books.customerId, lines: [{ productId: cup.id, quantity: '2' }] });
    const before = await purchasingCounts(hub);
    const dry = await post(hub, books, `/invoices/${draft.id}/issue?dryRun=true`, {}, 200);
    expect(dry.costOfGoodsSoldEntry.lines.map((l: { accountCode: string; direction: string; amount: number }) => [l.accountCode, l.direction, l.amount])).toEqual([['5000', 'DEBIT', 666], ['1200', 'CREDIT', 666]]);
    const big = await post(hub, books, '/invoices', { customerId: books.customerId, lines: [{ productId: cup.id, quantity: '4' }] });
    const mid = await purchasingCounts(hub);
    const short = await hub.request('POST', books.path(`/invoices/${big.id}/issue?dryRun=true`), { token: books.org.apiKey, body: {} });
    expect([short.status, short.body.code]).toEqual([409, 'INSUFFICIENT_STOCK']);
    expect(await purchasingCounts(hub)).toBe(mid);
    expect(JSON.parse(mid).journal_entries).toBe(JSON.parse(before).journal_entries);
    expect(await stock(cup.id)).toMatchObject({ quantityOnHand: '3', value: 999 });
  });

  it('serializes concurrent sales of the last units: exactly the ones that fit are issued', async () => {
    const last = await product('LAST');
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-01', lines: [{ productId: last.id, quantity: '5', unitCost: 200 }] });
    const drafts = await Promise.all([1, 2, 3].map(() => post(hub, books, '/invoices', { customerId: books.customerId, lines: [{ productId: last.id, quantity: '2' }] })));
    const results = await Promise.all(drafts.map((d) => hub.request('POST', books.path(`/invoices/${d.id}/issue`), { token: books.org.apiKey, body: {} })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 409]);
    expect(await stock(last.id)).toMatchObject({ quantityOnHand: '1', value: 200 });
  });

  it('puts the goods of a voided invoice back at the cost they went out at', async () => {
    const lamp = await product('LAMP');
    await post(hub, books, '/bills', { vendorId, billDate: '2026-03-01', lines: [{ productId: lamp.id, quantity: '3', unitCost: 1000 }] });
    const { draft } = await sell(lamp.id, '2');
    expect(await stock(lamp.id)).toMatchObject({ quantityOnHand: '1', value: 1000 });
    await post(hub, books, `/invoices/${draft.id}/void`, {}, 200);
    expect(await stock(lamp.id)).toMatchObject({ quantityOnHand: '3', value: 3000 });
    const untrack = await hub.request('PATCH', books.path(`/products/${lamp.id}`), { token: books.org.apiKey, body: { trackInventory: false } });
    expect([untrack.status, untrack.body.code]).toEqual([409, 'CONFLICT']);
    expect((await get(hub, books, `/products/${lamp.id}`)).trackInventory).toBe(true);
    const entries = (await get(hub, books, `/journal-entries?sourceType=invoice&sourceId=${draft.id}`)).data;
    expect(entries.filter((e: { reversalOf: string | null }) => e.reversalOf !== null).length).toBe(2);
  });

  it('refuses bad input with 4xx and writes nothing', async () => {
    const service = await post(hub, books, '/products', { sku: 'SVC', name: 'Service', type: 'SERVICE', unitPrice: 100 });
    const tracked = await product('NUT');
    const general = (await get(hub, books, '/accounts?limit=100')).data.find((a: { code: string }) => a.code === '6900').id;
    const before = await purchasingCounts(hub);
    const cases: Array<[string, unknown, number]> = [
      ['/products', { sku: 'SVC2', name: 'x', type: 'SERVICE', unitPrice: 1, trackInventory: true }, 422],
      ['/inventory-adjustments', { productId: service.id, quantityChange: '1', reason: 'FOUND' }, 422],
      ['/inventory-adjustments', { productId: tracked.id, quantityChange: '0', reason: 'FOUND' }, 400],
      ['/inventory-adjustments', { productId: tracked.id, quantityChange: '-1', reason: 'LOST' }, 409],
      ['/inventory-adjustments', { productId: tracked.id, quantityChange: '1', reason: 'BORED' }, 400],
      ['/bills', { vendorId, lines: [{ productId: tracked.id, quantity: '1', unitCost: 5, accountId: general }] }, 422],
    ];
    for (const [path, body, status] of cases) {
      const res = await hub.request('POST', books.path(path), { token: books.org.apiKey, body });
      expect(res.status, `${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(status);
    }
    expect((await hub.request('GET', books.path(`/inventory/${service.id}`), { token: books.org.apiKey })).status).toBe(422);
    expect(await purchasingCounts(hub)).toBe(before);
    const levels = await get(hub, books, '/inventory?limit=100');
    expect(levels.data.map((l: { sku: string }) => l.sku)).toEqual(['WIDGET', 'GADGET', 'BOLT', 'CUP', 'LAST', 'LAMP', 'NUT']);
  });
});
