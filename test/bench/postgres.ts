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
