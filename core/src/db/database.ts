import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import pg from 'pg';
import { migrationSource } from '../../migrations/index.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';

/** int8 comes back from node-pg as a string: amounts are safe integers by schema, so parse them as numbers. */
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 ${value} is outside the safe integer range`);
  return n;
});

export interface DatabaseOptions {
  /** PostgreSQL URL; without it an embedded PostgreSQL (PGlite) stores its data under `dataDir`. */
  url?: string | undefined;
  dataDir?: string | undefined;
  /** Schema to use (created if missing); tests give each file its own. */
  schema?: string | undefined;
  poolMax?: number | undefined;
}

export interface Database {
  knex: Knex;
  embedded: boolean;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  let lock: DirLock | undefined;
  let knex: Knex;
  const embedded = !options.url;
  const common = { ...knexSnakeCaseMappers(), migrations: { migrationSource } };
  if (options.url) {
    knex = knexFactory({
      client: 'pg',
      connection: options.url,
      searchPath: options.schema ? [options.schema, 'public'] : undefined,
      pool: { min: 0, max: options.poolMax ?? 10 },
      ...common,
    } as Knex.Config);
    if (options.schema) await knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [options.schema]);
  } else {
    const dir = join(options.dataDir ?? '.data', 'pg');
    mkdirSync(dir, { recursive: true });
    lock = acquireDirLock(dir);
    const { default: ClientPgLite } = await import('knex-pglite');
    knex = knexFactory({ client: ClientPgLite, connection: { filename: dir }, ...common } as Knex.Config);
  }
  return {
    knex,
    embedded,
    async migrate() {
      await knex.migrate.latest();
    },
    async close() {
      await knex.destroy();
      lock?.release();
    },
  };
}
