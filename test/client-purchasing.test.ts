import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, UahApiError, type UahClient } from '../client/src/index.js';
import { createTestHub, type TestHub } from '../core/src/testing/harness.js';

/** The purchasing, inventory and data resources of the typed client against the real core, over HTTP. */
describe('@uah/client purchasing, inventory and data resources', () => {
  let hub: TestHub;
  let uah: UahClient;

  beforeAll(async () => {
    hub = await createTestHub();
    const org = await hub.createOrganization('Client Buyer Ltd', 'USD');
    uah = createClient({ baseUrl: hub.baseUrl, apiKey: org.apiKey, organizationId: org.id });
  });
  afterAll(() => hub.close());

  it('orders, receives into stock, sells at average cost, pays the vendor, and exports the books', async () => {
    const vendor = await uah.vendors.create({ name: 'Client Vendor' });
    const product = await uah.products.create({ sku: 'CLIP', name: 'Clip', type: 'INVENTORY', unitPrice: 500, trackInventory: true });
    const order = await uah.purchaseOrders.create({ vendorId: vendor.id, lines: [{ productId: product.id, quantity: '8', unitCost: 125 }] });
    await uah.purchaseOrders.send(order.id);
    const preview = await uah.bills.create({ vendorId: vendor.id, purchaseOrderId: order.id }, { dryRun: true });
    expect(preview.dryRun).toBe(true);
    const bill = await uah.bills.create({ vendorId: vendor.id, purchaseOrderId: order.id });
    expect(bill.total).toBe(1000);
    expect((await uah.purchaseOrders.get(order.id)).status).toBe('RECEIVED');
    expect(await uah.inventory.stock(product.id)).toMatchObject({ quantityOnHand: '8', value: 1000 });

    const customer = await uah.customers.create({ businessName: 'Clip Buyer' });
    const draft = await uah.invoices.create({ customerId: customer.id, lines: [{ productId: product.id, quantity: '3' }] });
    await uah.invoices.issue(draft.id, {});
    expect(await uah.inventory.stock(product.id)).toMatchObject({ quantityOnHand: '5', value: 625 });
    const adjusted = await uah.inventory.adjust({ productId: product.id, quantityChange: '-1', reason: 'LOST' });
    expect(adjusted.value).toBe(-125);

    const payment = await uah.bills.pay(bill.id, { amount: 400 });
    expect(payment.bill).toMatchObject({ status: 'PARTIALLY_PAID', balance: 600 });
    const aging = await uah.reports.apAging();
    expect(aging.totals.total).toBe(600);
    await expect(uah.bills.pay(bill.id, { amount: 601 })).rejects.toBeInstanceOf(UahApiError);

    const csv = await uah.data.exportCsv('bills');
    expect(csv.split('\r\n')[0]).toContain('vendorReference');
    const exported = await uah.data.export({ entity: 'vendors' });
    expect(exported.counts).toEqual({ vendors: 1 });
    const report = await uah.data.import('vendors', 'name\nImported Vendor\n\n');
    expect(report).toMatchObject({ imported: 1, failed: 0 });
    const trial = await uah.reports.trialBalance({ asOf: '2999-12-31' });
    expect(trial.balanced).toBe(true);
  });
});
