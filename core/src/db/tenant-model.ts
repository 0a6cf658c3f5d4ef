import type { Knex } from 'knex';
import { Model, type QueryBuilder, type StaticHookArguments } from 'objection';
import { notFound } from '../http/errors.js';

/**
 * Base of every model that belongs to an organization. Queries go through `forOrganization`, which
 * scopes them to one organization; a query built any other way fails before it reaches the database,
 * so no code path can read or change another tenant's rows by forgetting a `where`.
 */
export class TenantModel extends Model {
  organizationId!: string;

  static forOrganization<M extends Model>(this: { new (): M } & typeof TenantModel, organizationId: string, trx?: Knex | Knex.Transaction): QueryBuilder<M, M[]> {
    if (!organizationId) throw new Error(`${this.tableName}: a tenant query needs an organization id`);
    return this.query(trx)
      .context({ organizationId })
      .where(`${this.tableName}.organization_id`, organizationId) as unknown as QueryBuilder<M, M[]>;
  }

  /** The organization's row with this id, or a 404 naming `what`; `forUpdate` locks it in the caller's transaction. */
  static async findInOrganization<M extends Model>(
    this: { new (): M } & typeof TenantModel,
    organizationId: string,
    id: string,
    what: string,
    trx?: Knex | Knex.Transaction,
    options: { forUpdate?: boolean } = {},
  ): Promise<M> {
    const query = this.forOrganization<M>(organizationId, trx).findById(id);
    if (options.forUpdate) query.forUpdate();
    const row = await query;
    if (!row) throw notFound(what, id);
    return row;
  }

  static guard(args: StaticHookArguments<TenantModel>): void {
    const context = args.context as { organizationId?: string } | undefined;
    if (!context?.organizationId) throw new Error(`${this.tableName}: query without an organization scope`);
  }

  static override beforeFind(args: StaticHookArguments<TenantModel>): void {
    this.guard(args);
  }
  static override beforeUpdate(args: StaticHookArguments<TenantModel>): void {
    this.guard(args);
  }
  static override beforeDelete(args: StaticHookArguments<TenantModel>): void {
    this.guard(args);
  }
  static override beforeInsert(args: StaticHookArguments<TenantModel>): void {
    this.guard(args);
  }
}
