import type { Knex } from 'knex';
import { newId } from '../src/shared/ids.js';

/**
 * Purchasing (vendors, purchase orders, bills and their payments, direct expenses) and inventory (stock
 * per product, its movements, adjustments, the negative-stock setting).
 *
 * Payables lines of the journal name their bill and vendor (`bill_id`, `vendor_id`), as receivables lines
 * name their invoice and customer, so that the AP aging is read from the postings. Stock is held per
 * product as a quantity and a value (the product's share of the inventory account); every change to it is
 * a movement row written in the same transaction, so the stock always equals the sum of its movements.
 */
export async function up(knex: Knex): Promise<void> {
  await extendLedger(knex);
  await knex.raw(`ALTER TABLE products ADD COLUMN track_inventory boolean NOT NULL DEFAULT false,
    ADD COLUMN reorder_point numeric(13, 4) CHECK (reorder_point >= 0),
    ADD CONSTRAINT products_track_inventory_check CHECK (NOT track_inventory OR type = 'INVENTORY')`);
  await createVendors(knex);
  await createDocuments(knex);
  await createInventory(knex);
}

async function extendLedger(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE journal_lines
    ADD COLUMN bill_id text CONSTRAINT journal_lines_bill_id_check CHECK (bill_id ~ '^bill_[0-9A-Za-z]+$'),
    ADD COLUMN vendor_id text CONSTRAINT journal_lines_vendor_id_check CHECK (vendor_id ~ '^ven_[0-9A-Za-z]+$')`);
  await knex.raw('CREATE INDEX journal_lines_bill ON journal_lines (organization_id, bill_id) WHERE bill_id IS NOT NULL');
  // Rebuilt from the keys the constraint allows now, so a migration of another context may widen it too.
  const current = await knex.raw<{ rows: Array<{ def: string }> }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'accounts_system_key_check'`);
  const keys = [...new Set([...[...(current.rows[0]?.def ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1] ?? ''), 'inventory_adjustments'])];
  await knex.raw('ALTER TABLE accounts DROP CONSTRAINT accounts_system_key_check');
  await knex.raw(`ALTER TABLE accounts ADD CONSTRAINT accounts_system_key_check CHECK (system_key IN (${keys.map((k) => `'${k}'`).join(', ')}))`);
  // Existing organizations get the adjustments account too, on the first free code from 5100.
  const orgs = await knex('ledger_settings').select('organization_id as organizationId');
  for (const { organizationId } of orgs as Array<{ organizationId: string }>) {
    const taken = new Set((await knex('accounts').where('organization_id', organizationId).select('code')).map((r: { code: string }) => r.code));
    let code = 5100;
    while (taken.has(String(code))) code += 1;
    await knex('accounts').insert({ id: newId('acc'), organization_id: organizationId, code: String(code), name: 'Inventory adjustments', type: 'EXPENSE', system_key: 'inventory_adjustments', description: 'Stock written off or found, at cost (damage, theft, counts).' });
  }
}

async function createVendors(knex: Knex): Promise<void> {
  await knex.schema.createTable('vendors', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('name').notNullable();
    t.text('email');
    t.text('phone');
    t.text('tax_number');
    t.specificType('currency', 'char(3)').notNullable();
    t.integer('payment_terms_days').notNullable().defaultTo(30);
    t.jsonb('address');
    t.text('status').notNullable().defaultTo('ACTIVE');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
  });
  await knex.raw(`ALTER TABLE vendors ADD CONSTRAINT vendors_check CHECK (status IN ('ACTIVE', 'INACTIVE') AND payment_terms_days BETWEEN 0 AND 3650 AND length(name) BETWEEN 1 AND 200)`);
  await knex.schema.createTable('purchase_order_counters', (t) => {
    t.text('organization_id').primary().references('organizations.id');
    t.bigInteger('next_number').notNullable().defaultTo(1);
  });
}

const money = (t: Knex.CreateTableBuilder, name: string): void => {
  t.bigInteger(name).notNullable().defaultTo(0);
};

async function createDocuments(knex: Knex): Promise<void> {
  await knex.schema.createTable('purchase_orders', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('number').notNullable();
    t.text('vendor_id').notNullable();
    t.text('status').notNullable().defaultTo('DRAFT');
    t.specificType('currency', 'char(3)').notNullable();
    t.date('order_date').notNullable();
    t.date('expected_date');
    t.jsonb('lines').notNullable();
    for (const c of ['subtotal', 'tax_total', 'total']) money(t, c);
    t.text('notes');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.unique(['organization_id', 'number']);
    t.foreign(['organization_id', 'vendor_id']).references(['organization_id', 'id']).inTable('vendors');
  });
  await knex.raw(`ALTER TABLE purchase_orders ADD CONSTRAINT purchase_orders_check CHECK (status IN ('DRAFT', 'SENT', 'PARTIALLY_RECEIVED', 'RECEIVED', 'CLOSED')
    AND total = subtotal + tax_total AND subtotal >= 0 AND tax_total >= 0 AND jsonb_typeof(lines) = 'array')`);

  await knex.schema.createTable('bills', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('vendor_id').notNullable();
    t.text('purchase_order_id');
    t.text('vendor_reference');
    t.text('status').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.date('bill_date').notNullable();
    t.date('due_date').notNullable();
    t.jsonb('lines').notNullable();
    for (const c of ['subtotal', 'tax_total', 'total', 'amount_paid', 'balance']) money(t, c);
    t.text('journal_entry_id');
    t.timestamp('paid_at', { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.foreign(['organization_id', 'vendor_id']).references(['organization_id', 'id']).inTable('vendors');
    t.foreign(['organization_id', 'purchase_order_id']).references(['organization_id', 'id']).inTable('purchase_orders');
  });
  await knex.raw(`ALTER TABLE bills ADD CONSTRAINT bills_check CHECK (status IN ('OPEN', 'PARTIALLY_PAID', 'PAID')
    AND total = subtotal + tax_total AND subtotal >= 0 AND tax_total >= 0 AND amount_paid BETWEEN 0 AND total AND balance = total - amount_paid
    AND due_date >= bill_date AND jsonb_typeof(lines) = 'array')`);

  await knex.schema.createTable('bill_payments', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('bill_id').notNullable();
    t.text('vendor_id').notNullable();
    t.bigInteger('amount').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.date('date').notNullable();
    t.text('paid_from_account_id').notNullable();
    t.text('reference');
    t.text('journal_entry_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['organization_id', 'bill_id']).references(['organization_id', 'id']).inTable('bills');
    t.index(['organization_id', 'bill_id']);
  });
  await knex.raw('ALTER TABLE bill_payments ADD CONSTRAINT bill_payments_amount_check CHECK (amount > 0)');

  await knex.schema.createTable('expenses', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('vendor_id');
    t.date('date').notNullable();
    t.text('description').notNullable();
    t.text('account_id').notNullable();
    t.text('paid_from_account_id').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    for (const c of ['amount', 'tax_amount', 'total']) money(t, c);
    t.text('tax_rate_id');
    t.text('reference');
    t.text('journal_entry_id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.foreign(['organization_id', 'vendor_id']).references(['organization_id', 'id']).inTable('vendors');
  });
  await knex.raw('ALTER TABLE expenses ADD CONSTRAINT expenses_amounts_check CHECK (amount > 0 AND tax_amount >= 0 AND total = amount + tax_amount)');
}

async function createInventory(knex: Knex): Promise<void> {
  await knex.schema.createTable('inventory_settings', (t) => {
    t.text('organization_id').primary().references('organizations.id');
    t.boolean('allow_negative_stock').notNullable().defaultTo(false);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // One row per tracked product that has moved: quantity on hand, its value at cost, the last average
  // unit cost (kept while nothing is on hand) and whether stock_low was emitted since it last rose.
  await knex.raw(`
    CREATE TABLE stock_levels (
      organization_id text NOT NULL,
      product_id text NOT NULL,
      quantity numeric(18, 4) NOT NULL DEFAULT 0,
      value bigint NOT NULL DEFAULT 0,
      average_cost numeric(24, 6) NOT NULL DEFAULT 0,
      low boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (organization_id, product_id),
      FOREIGN KEY (organization_id, product_id) REFERENCES products (organization_id, id)
    )`);
  await knex.raw(`
    CREATE TABLE inventory_movements (
      id text PRIMARY KEY,
      organization_id text NOT NULL,
      product_id text NOT NULL,
      date date NOT NULL,
      quantity numeric(18, 4) NOT NULL CHECK (quantity <> 0),
      value bigint NOT NULL,
      source_type text NOT NULL CHECK (source_type IN ('bill', 'invoice', 'invoice_void', 'adjustment')),
      source_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (organization_id, product_id) REFERENCES products (organization_id, id)
    )`);
  await knex.raw('CREATE INDEX inventory_movements_source ON inventory_movements (organization_id, source_type, source_id)');
  await knex.raw(`
    CREATE TABLE inventory_adjustments (
      id text PRIMARY KEY,
      organization_id text NOT NULL,
      product_id text NOT NULL,
      date date NOT NULL,
      quantity_change numeric(18, 4) NOT NULL CHECK (quantity_change <> 0),
      reason text NOT NULL CHECK (reason IN ('STOCK_COUNT', 'DAMAGED', 'THEFT', 'LOST', 'FOUND', 'OPENING_STOCK', 'OTHER')),
      note text,
      value bigint NOT NULL,
      quantity_after numeric(18, 4) NOT NULL,
      journal_entry_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (organization_id, product_id) REFERENCES products (organization_id, id)
    )`);
  await knex.raw('CREATE INDEX inventory_adjustments_product ON inventory_adjustments (organization_id, product_id)');
  // A product stops tracking inventory only with nothing on hand: its stock value would stay in the
  // inventory account with no stock level to explain it.
  await knex.raw(`
    CREATE FUNCTION products_keep_tracking() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.track_inventory AND NOT NEW.track_inventory AND EXISTS (
        SELECT 1 FROM stock_levels s WHERE s.organization_id = NEW.organization_id AND s.product_id = NEW.id AND (s.quantity <> 0 OR s.value <> 0)) THEN
        RAISE EXCEPTION 'product % has stock on hand: it keeps tracking inventory until the stock is adjusted to zero', NEW.id
          USING ERRCODE = 'check_violation', CONSTRAINT = 'products_stock_on_hand';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER products_keep_tracking BEFORE UPDATE OF track_inventory ON products FOR EACH ROW EXECUTE FUNCTION products_keep_tracking()');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['inventory_adjustments', 'inventory_movements', 'stock_levels', 'inventory_settings', 'expenses', 'bill_payments', 'bills', 'purchase_orders', 'purchase_order_counters', 'vendors']) {
    await knex.raw('DROP TABLE IF EXISTS ?? CASCADE', [table]);
  }
  await knex.raw('DROP TRIGGER IF EXISTS products_keep_tracking ON products');
  await knex.raw('DROP FUNCTION IF EXISTS products_keep_tracking()');
  await knex.raw('ALTER TABLE products DROP CONSTRAINT IF EXISTS products_track_inventory_check, DROP COLUMN IF EXISTS track_inventory, DROP COLUMN IF EXISTS reorder_point');
}
