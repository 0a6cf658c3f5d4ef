import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** One statement on a connection of its own to `serverUrl`: a benchmark creating or dropping its database. */
export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** CPU time (µs) a local process has used so far, from /proc; undefined when it cannot be read. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return undefined;
  }
}

/** CPU time (µs) used so far by the PostgreSQL backends connected to `database` (read from /proc; undefined when PostgreSQL runs elsewhere). */
export async function backendCpuMicros(knex: { raw(sql: string, bindings: string[]): Promise<{ rows: Array<{ pid: number }> }> }, database: string): Promise<number | undefined> {
  const { rows } = await knex.raw('SELECT pid FROM pg_stat_activity WHERE datname = ?', [database]);
  let total = 0;
  for (const { pid } of rows) {
    const used = processCpuMicros(pid);
    if (used === undefined) return undefined;
    total += used;
  }
  return total;
}

/** The pids of local processes named `name` (e.g. RabbitMQ's `beam.smp`), from /proc. */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}
