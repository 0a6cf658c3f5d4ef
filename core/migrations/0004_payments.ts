import type { Knex } from 'knex';

const METHODS = ['CARD', 'BANK_TRANSFER', 'E_TRANSFER', 'CASH', 'CHECK', 'PAYPAL', 'OTHER'];
const STATUSES = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REFUNDED', 'DISPUTED'];
const DISPUTE_REASONS = ['FRAUDULENT', 'DUPLICATE', 'PRODUCT_NOT_RECEIVED', 'PRODUCT_UNACCEPTABLE', 'SUBSCRIPTION_CANCELED', 'CREDIT_NOT_PROCESSED', 'GENERAL'];
const list = (values: string[]): string => values.map((v) => `'${v}'`).join(', ');
/** What a lost dispute took back from the payment: it counts with the refunds against the amount. */
const LOST = "(CASE WHEN dispute_status = 'LOST' THEN dispute_amount ELSE 0 END)";
const LOST_OF_P = "(CASE WHEN p.dispute_status = 'LOST' THEN p.dispute_amount ELSE 0 END)";

/**
 * Payments, their applications to invoices and their refunds. The database keeps the money of a payment
 * consistent whatever the service does: what stays applied to invoices plus what was refunded never
 * (and what a lost dispute took back) exceeds the amount (the rest is customer credit, so nothing is lost), and the refunds add up to
 * `amount_refunded`. Those sums span rows, so a deferred constraint trigger checks them at commit.
 */
export async function up(knex: Knex): Promise<void> {
  const hasInvoices = await knex.schema.hasTable('invoices');
  const hasJournal = await knex.schema.hasTable('journal_entries');
  // Tenant references are composite (organization_id, id) keys: the database itself refuses a payment that
  // names another organization's customer or invoice.
  await knex.raw('CREATE UNIQUE INDEX IF NOT EXISTS customers_organization_id_id_unique ON customers (organization_id, id)');

  await knex.schema.createTable('payments', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('customer_id').notNullable();
    t.text('method').notNullable();
    t.text('status').notNullable();
    t.specificType('currency', 'char(3)').notNullable();
    t.text('exchange_rate');
    t.bigInteger('amount').notNullable();
    t.bigInteger('fees').notNullable().defaultTo(0);
    t.bigInteger('amount_refunded').notNullable().defaultTo(0);
    t.text('deposit_account').notNullable().defaultTo('bank');
    t.date('date').notNullable();
    t.timestamp('processed_at', { useTz: true });
    t.text('reference');
    t.text('description');
    t.text('failure_reason');
    const entry = t.text('journal_entry_id');
    if (hasJournal) entry.references('journal_entries.id');
    t.jsonb('metadata').notNullable().defaultTo('{}');
    t.integer('version').notNullable().defaultTo(1);
    // At most one dispute per payment (as a Stripe charge), kept on the payment row.
    t.bigInteger('dispute_amount');
    t.text('dispute_reason');
    t.text('dispute_status');
    t.date('dispute_evidence_due_by');
    t.timestamp('dispute_opened_at', { useTz: true });
    t.timestamp('dispute_resolved_at', { useTz: true });
    const disputeEntry = t.text('dispute_journal_entry_id');
    const resolutionEntry = t.text('dispute_resolution_journal_entry_id');
    if (hasJournal) {
      disputeEntry.references('journal_entries.id');
      resolutionEntry.references('journal_entries.id');
    }
    t.timestamps(true, true);
    t.unique(['organization_id', 'id']);
    t.index(['organization_id', 'customer_id']);
    t.foreign(['organization_id', 'customer_id']).references(['organization_id', 'id']).inTable('customers');
  });
  await knex.raw(`ALTER TABLE payments
    ADD CONSTRAINT payments_method_check CHECK (method IN (${list(METHODS)})),
    ADD CONSTRAINT payments_status_check CHECK (status IN (${list(STATUSES)})),
    ADD CONSTRAINT payments_amount_check CHECK (amount > 0),
    ADD CONSTRAINT payments_fees_check CHECK (fees >= 0 AND fees <= amount),
    ADD CONSTRAINT payments_refunded_check CHECK (amount_refunded >= 0 AND amount_refunded + ${LOST} <= amount),
    ADD CONSTRAINT payments_refunded_status_check CHECK (status <> 'REFUNDED' OR amount_refunded + ${LOST} = amount),
    ADD CONSTRAINT payments_dispute_none_check CHECK (dispute_status IS NOT NULL OR (dispute_amount IS NULL AND dispute_reason IS NULL AND dispute_evidence_due_by IS NULL
      AND dispute_opened_at IS NULL AND dispute_resolved_at IS NULL AND dispute_journal_entry_id IS NULL AND dispute_resolution_journal_entry_id IS NULL)),
    ADD CONSTRAINT payments_dispute_check CHECK (dispute_status IS NULL OR (dispute_status IN ('OPEN', 'WON', 'LOST') AND dispute_amount > 0
      AND dispute_amount <= amount AND (dispute_status <> 'OPEN' OR dispute_amount + amount_refunded <= amount) AND dispute_reason IN (${list(DISPUTE_REASONS)}) AND dispute_opened_at IS NOT NULL AND dispute_journal_entry_id IS NOT NULL
      AND (dispute_status = 'OPEN') = (dispute_resolved_at IS NULL) AND (dispute_status = 'OPEN') = (dispute_resolution_journal_entry_id IS NULL))),
    ADD CONSTRAINT payments_disputed_status_check CHECK ((status = 'DISPUTED') = (dispute_status IS NOT NULL AND dispute_status = 'OPEN')),
    ADD CONSTRAINT payments_refund_posted_check CHECK (amount_refunded = 0 OR status IN ('COMPLETED', 'REFUNDED', 'DISPUTED')),
    ADD CONSTRAINT payments_posted_check CHECK ((status IN ('COMPLETED', 'REFUNDED', 'DISPUTED')) = (journal_entry_id IS NOT NULL)),
    ADD CONSTRAINT payments_deposit_check CHECK (deposit_account IN ('bank', 'payment_clearing')),
    ADD CONSTRAINT payments_rate_check CHECK (exchange_rate IS NULL OR exchange_rate ~ '^[0-9]{1,12}(\\.[0-9]{1,12})\\?$')`);

  await knex.schema.createTable('payment_applications', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('payment_id').notNullable();
    t.text('invoice_id').notNullable();
    t.foreign(['organization_id', 'payment_id']).references(['organization_id', 'id']).inTable('payments');
    if (hasInvoices) t.foreign(['organization_id', 'invoice_id']).references(['organization_id', 'id']).inTable('invoices');
    t.bigInteger('amount').notNullable();
    t.bigInteger('amount_refunded').notNullable().defaultTo(0);
    t.timestamp('applied_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['payment_id']);
    t.index(['organization_id', 'invoice_id']);
  });
  await knex.raw(`ALTER TABLE payment_applications
    ADD CONSTRAINT payment_applications_amount_check CHECK (amount > 0),
    ADD CONSTRAINT payment_applications_refunded_check CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    ADD CONSTRAINT payment_applications_refund_applied_check CHECK (amount_refunded = 0 OR applied_at IS NOT NULL)`);

  await knex.schema.createTable('payment_refunds', (t) => {
    t.text('id').primary();
    t.text('organization_id').notNullable().references('organizations.id');
    t.text('payment_id').notNullable();
    t.foreign(['organization_id', 'payment_id']).references(['organization_id', 'id']).inTable('payments');
    t.bigInteger('amount').notNullable();
    t.bigInteger('credit_amount').notNullable();
    t.jsonb('invoices').notNullable().defaultTo('[]');
    t.text('reason');
    t.date('date').notNullable();
    const entry = t.text('journal_entry_id').notNullable();
    if (hasJournal) entry.references('journal_entries.id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['payment_id']);
  });
  await knex.raw(`ALTER TABLE payment_refunds
    ADD CONSTRAINT payment_refunds_amount_check CHECK (amount > 0 AND credit_amount >= 0 AND credit_amount <= amount)`);

  await knex.raw(`
    CREATE FUNCTION payments_check_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      pid text;
      p payments%ROWTYPE;
      applied bigint;
      requested bigint;
      refunded bigint;
    BEGIN
      -- NEW is NULL on DELETE; a field of the other table's row is never read (plpgsql resolves fields at run time).
      IF TG_TABLE_NAME = 'payments' THEN
        IF TG_OP = 'DELETE' THEN pid := OLD.id; ELSE pid := NEW.id; END IF;
      ELSIF TG_OP = 'DELETE' THEN pid := OLD.payment_id;
      ELSE pid := NEW.payment_id;
      END IF;
      SELECT * INTO p FROM payments WHERE id = pid;
      IF NOT FOUND THEN RETURN NULL; END IF;
      SELECT COALESCE(SUM(amount - amount_refunded) FILTER (WHERE applied_at IS NOT NULL), 0),
             COALESCE(SUM(amount) FILTER (WHERE applied_at IS NULL), 0)
        INTO applied, requested FROM payment_applications WHERE payment_id = pid;
      SELECT COALESCE(SUM(amount), 0) INTO refunded FROM payment_refunds WHERE payment_id = pid;
      IF applied + p.amount_refunded + ${LOST_OF_P} > p.amount THEN
        RAISE EXCEPTION 'payment %: % applied and % refunded exceed the amount % (with % lost in a dispute)', pid, applied, p.amount_refunded, p.amount, ${LOST_OF_P} USING ERRCODE = '23514';
      END IF;
      IF requested > p.amount THEN
        RAISE EXCEPTION 'payment %: requested applications % exceed the amount %', pid, requested, p.amount USING ERRCODE = '23514';
      END IF;
      IF refunded <> p.amount_refunded THEN
        RAISE EXCEPTION 'payment %: refunds add up to %, amount_refunded is %', pid, refunded, p.amount_refunded USING ERRCODE = '23514';
      END IF;
      IF requested > 0 AND p.status NOT IN ('PENDING', 'PROCESSING', 'FAILED') THEN
        RAISE EXCEPTION 'payment %: a % payment has applications not yet applied', pid, p.status USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$`);
  for (const table of ['payments', 'payment_applications', 'payment_refunds']) {
    await knex.raw(`CREATE CONSTRAINT TRIGGER ${table}_allocation AFTER INSERT OR UPDATE OR DELETE ON ${table}
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_check_allocation()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['payment_refunds', 'payment_applications', 'payments']) await knex.schema.dropTableIfExists(table);
  await knex.raw('DROP FUNCTION IF EXISTS payments_check_allocation()');
}
