import type { Knex } from 'knex';

/**
 * The catalogue (tax rates, products) and the sales documents (quotes, invoices, credit notes) with the
 * counters that number them. Lines live in a jsonb array on their document (they are always read and
 * written with it); the figures that the books depend on are columns the database checks.
 *
 * References between tenant rows are composite `(organization_id, id)` foreign keys, so the database itself
 * refuses a document that names another organization's customer, product, quote or invoice.
 */
export async function up(knex: Knex): Promise<void> {
  // The composite key the sales documents reference: a customer of the same organization.
  await knex.raw('CREATE UNIQUE INDEX IF NOT EXISTS customers_organization_id_id_unique ON customers (organization_id, id)');

  await createCatalog(knex);
  await createSettings(knex);
  await createQuotes(knex);
  await createInvoices(knex);
  await createCreditNotes(knex);
  await knex.raw(`ALTER TABLE quotes ADD CONSTRAINT quotes_invoice_fk FOREIGN KEY (organization_id, invoice_id) REFERENCES invoices (organization_id, id)`);
  await createImmutabilityTriggers(knex);
}

const money = (t: Knex.CreateTableBuilder, name: string): void => {
  t.bigInteger(name).notNullable().defaultTo(0);
};

function documentTotals(table: string): string[] {
  return [
    `ALTER TABLE ${table} ADD CONSTRAINT ${table}_amounts_check CHECK (subtotal >= 0 AND discount_total >= 0 AND discount_total <= subtotal AND tax_total >= 0)`,
    `ALTER TABLE ${table} ADD CONSTRAINT ${table}_total_check CHECK (total = subtotal - discount_total + tax_total)`,
    `ALTER TABLE ${table} ADD CONSTRAINT ${table}_lines_check CHECK (jsonb_typeof(lines) = 'array' AND jsonb_typeof(taxes) = 'array')`,
  ];
}

async function createCatalog(knex: Knex): Promise<void> {
  await knex.schema.createTable('tax_rates', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('name').notNullable();
    t.integer('basis_points').notNullable();
    t.text('account_id').notNullable().references('accounts.id');
    t.boolean('active').notNullable().defaultTo(true);
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
  });
  await knex.raw('ALTER TABLE tax_rates ADD CONSTRAINT tax_rates_basis_points_check CHECK (basis_points BETWEEN 0 AND 100000)');

  await knex.schema.createTable('products', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('sku').notNullable();
    t.text('name').notNullable();
    t.text('description');
    t.text('type').notNullable();
    t.bigInteger('unit_price').notNullable();
    t.bigInteger('unit_cost');
    t.specificType('currency', 'char(3)').notNullable();
    t.text('tax_rate_id');
    t.text('income_account_id').references('accounts.id');
    t.boolean('active').notNullable().defaultTo(true);
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.foreign(['organization_id', 'tax_rate_id']).references(['organization_id', 'id']).inTable('tax_rates');
  });
  await knex.raw(`ALTER TABLE products ADD CONSTRAINT products_type_check CHECK (type IN ('INVENTORY', 'SERVICE', 'NON_INVENTORY'))`);
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_amounts_check CHECK (unit_price >= 0 AND (unit_cost IS NULL OR unit_cost >= 0))');
  await knex.raw('CREATE UNIQUE INDEX products_sku_unique ON products (organization_id, upper(sku))');
}

async function createSettings(knex: Knex): Promise<void> {
  await knex.schema.createTable('invoice_settings', (t) => {
    t.text('organization_id').primary().references('organizations.id');
    t.text('prefix').notNullable().defaultTo('INV-');
    t.bigInteger('next_number').notNullable().defaultTo(1);
    t.text('credit_note_prefix').notNullable().defaultTo('CN-');
    t.bigInteger('next_credit_note_number').notNullable().defaultTo(1);
    t.text('quote_prefix').notNullable().defaultTo('QT-');
    t.bigInteger('next_quote_number').notNullable().defaultTo(1);
    t.integer('number_digits').notNullable().defaultTo(5);
    t.integer('payment_terms_days').notNullable().defaultTo(30);
    t.timestamp('updated_at', { useTz: true });
  });
  await knex.raw(`ALTER TABLE invoice_settings ADD CONSTRAINT invoice_settings_check CHECK (
    next_number >= 1 AND next_credit_note_number >= 1 AND next_quote_number >= 1
    AND number_digits BETWEEN 1 AND 12 AND payment_terms_days BETWEEN 0 AND 3650
    AND length(prefix) <= 20 AND length(credit_note_prefix) <= 20 AND length(quote_prefix) <= 20)`);
}

async function createQuotes(knex: Knex): Promise<void> {
  await knex.schema.createTable('quotes', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('customer_id').notNullable();
    t.text('number').notNullable();
    t.text('status').notNullable().defaultTo('DRAFT');
    t.specificType('currency', 'char(3)').notNullable();
    t.date('issue_date').notNullable();
    t.date('valid_until').notNullable();
    t.jsonb('lines').notNullable();
    t.jsonb('taxes').notNullable();
    for (const c of ['subtotal', 'discount_total', 'tax_total', 'total']) money(t, c);
    t.text('notes');
    t.text('invoice_id');
    for (const c of ['sent_at', 'viewed_at', 'accepted_at', 'rejected_at', 'expired_at']) t.timestamp(c, { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.unique(['organization_id', 'number']);
    // A quote converts into one invoice at most.
    t.unique(['invoice_id']);
    t.foreign(['organization_id', 'customer_id']).references(['organization_id', 'id']).inTable('customers');
    t.index(['organization_id', 'status', 'valid_until']);
  });
  await knex.raw(`ALTER TABLE quotes ADD CONSTRAINT quotes_status_check CHECK (status IN ('DRAFT', 'SENT', 'VIEWED', 'ACCEPTED', 'REJECTED', 'EXPIRED'))`);
  await knex.raw('ALTER TABLE quotes ADD CONSTRAINT quotes_dates_check CHECK (valid_until >= issue_date)');
  await knex.raw(`ALTER TABLE quotes ADD CONSTRAINT quotes_converted_check CHECK (invoice_id IS NULL OR status = 'ACCEPTED')`);
  for (const sql of documentTotals('quotes')) await knex.raw(sql);
}

async function createInvoices(knex: Knex): Promise<void> {
  await knex.schema.createTable('invoices', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('customer_id').notNullable();
    t.text('number');
    t.text('status').notNullable().defaultTo('DRAFT');
    t.specificType('currency', 'char(3)').notNullable();
    t.text('exchange_rate');
    t.date('issue_date').notNullable();
    t.date('due_date').notNullable();
    t.jsonb('lines').notNullable();
    t.jsonb('taxes').notNullable();
    for (const c of ['subtotal', 'discount_total', 'tax_total', 'total', 'amount_paid', 'amount_credited', 'balance']) money(t, c);
    t.text('quote_id');
    t.text('journal_entry_id').references('journal_entries.id');
    t.text('notes');
    for (const c of ['issued_at', 'sent_at', 'viewed_at', 'paid_at', 'voided_at']) t.timestamp(c, { useTz: true });
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.unique(['organization_id', 'number']);
    // A quote converts into one invoice at most (checked here too, whichever side is written first).
    t.unique(['quote_id']);
    t.foreign(['organization_id', 'customer_id']).references(['organization_id', 'id']).inTable('customers');
    t.foreign(['organization_id', 'quote_id']).references(['organization_id', 'id']).inTable('quotes');
    t.index(['organization_id', 'customer_id']);
    t.index(['organization_id', 'status', 'due_date']);
  });
  const checks = [
    `status IN ('DRAFT', 'SENT', 'VIEWED', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'CANCELLED')`,
    `amount_paid >= 0 AND amount_credited >= 0 AND balance >= 0`,
    // A voided invoice is owed by nobody: its balance is zero.
    `balance = CASE WHEN status = 'CANCELLED' THEN 0 ELSE total - amount_paid - amount_credited END`,
    `due_date >= issue_date`,
    // A number is given when, and only when, the invoice is issued; drafts have nothing applied.
    `(status = 'DRAFT') = (number IS NULL) OR (status = 'CANCELLED' AND issued_at IS NULL AND number IS NULL)`,
    `status NOT IN ('DRAFT', 'CANCELLED') OR (amount_paid = 0 AND amount_credited = 0)`,
    `status <> 'PAID' OR balance = 0`,
    `status NOT IN ('SENT', 'VIEWED', 'PARTIALLY_PAID', 'OVERDUE') OR balance > 0`,
    `status <> 'PARTIALLY_PAID' OR amount_paid > 0`,
    `exchange_rate IS NULL OR exchange_rate ~ '^[0-9]+(\\.[0-9]+){0,1}$'`,
  ];
  for (const [i, check] of checks.entries()) await knex.raw(`ALTER TABLE invoices ADD CONSTRAINT invoices_rule_${i + 1} CHECK (${check})`);
  for (const sql of documentTotals('invoices')) await knex.raw(sql);
}

async function createCreditNotes(knex: Knex): Promise<void> {
  await knex.schema.createTable('credit_notes', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('invoice_id').notNullable();
    t.text('customer_id').notNullable();
    t.text('number').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('exchange_rate');
    t.date('date').notNullable();
    t.text('reason');
    t.jsonb('lines').notNullable();
    t.jsonb('taxes').notNullable();
    for (const c of ['subtotal', 'discount_total', 'tax_total', 'total']) money(t, c);
    t.text('journal_entry_id').references('journal_entries.id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.timestamps(true, true);
    t.unique(['organization_id', 'number']);
    t.foreign(['organization_id', 'invoice_id']).references(['organization_id', 'id']).inTable('invoices');
    t.foreign(['organization_id', 'customer_id']).references(['organization_id', 'id']).inTable('customers');
    t.index(['organization_id', 'invoice_id']);
  });
  await knex.raw('ALTER TABLE credit_notes ADD CONSTRAINT credit_notes_positive_check CHECK (total > 0)');
  for (const sql of documentTotals('credit_notes')) await knex.raw(sql);
}

/**
 * What was issued is what was posted: once an invoice leaves DRAFT its lines, amounts, customer, currency,
 * rate, number and issue date never change (corrections are credit notes or a void), and credit notes
 * never change at all. Only the settlement figures and the status move.
 */
async function createImmutabilityTriggers(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION invoices_issued_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status <> 'DRAFT' AND (
        NEW.lines IS DISTINCT FROM OLD.lines OR NEW.subtotal <> OLD.subtotal OR NEW.discount_total <> OLD.discount_total
        OR NEW.tax_total <> OLD.tax_total OR NEW.total <> OLD.total OR NEW.customer_id <> OLD.customer_id
        OR NEW.currency <> OLD.currency OR NEW.exchange_rate IS DISTINCT FROM OLD.exchange_rate
        OR NEW.number IS DISTINCT FROM OLD.number OR NEW.issue_date <> OLD.issue_date OR NEW.organization_id <> OLD.organization_id
      ) THEN
        RAISE EXCEPTION 'invoice % is issued: its lines, amounts and dates cannot change', OLD.id USING ERRCODE = 'check_violation';
      END IF;
      IF OLD.status = 'CANCELLED' AND NEW.status <> 'CANCELLED' THEN
        RAISE EXCEPTION 'invoice % is cancelled', OLD.id USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$`);
  await knex.raw('CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION invoices_issued_immutable()');
  await knex.raw(`
    CREATE FUNCTION credit_notes_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'credit notes cannot be changed or deleted' USING ERRCODE = 'check_violation';
    END $$`);
  await knex.raw('CREATE TRIGGER credit_notes_immutable BEFORE UPDATE OR DELETE ON credit_notes FOR EACH ROW EXECUTE FUNCTION credit_notes_immutable()');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE quotes DROP CONSTRAINT IF EXISTS quotes_invoice_fk');
  for (const table of ['credit_notes', 'invoices', 'quotes', 'invoice_settings', 'products', 'tax_rates']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('DROP FUNCTION IF EXISTS invoices_issued_immutable()');
  await knex.raw('DROP FUNCTION IF EXISTS credit_notes_immutable()');
  await knex.raw('DROP INDEX IF EXISTS customers_organization_id_id_unique');
}
