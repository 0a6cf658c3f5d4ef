import type { Knex } from 'knex';
import pg from 'pg';
import { AppError } from '../http/errors.js';

/**
 * Points where tests make a group fail as a crash would. `beforeCommit` runs on the group's connection after
 * every member's statement, just before the shared COMMIT: what it throws, or what it does that makes the
 * COMMIT fail, fails the whole group. Never set outside tests.
 */
export interface GroupCommitFaults {
  beforeCommit?(query: (sql: string) => Promise<unknown>): Promise<void> | void;
}

export interface GroupCommitOptions {
  /** Off: `run` is refused and the callers write as before (the embedded store has one connection). */
  enabled: boolean;
  /**
   * Most members in one group. PostgreSQL keeps up to 64 subtransaction ids per transaction in shared
   * memory; past that every other session's snapshot checks get slower, so a group stays well below.
   */
  maxMembers?: number;
  /**
   * A group goes out on a connection of its own only while fewer than this many are in flight (default 2),
   * counting those pipelined behind another; such a group after the first needs `followMin` members, so a
   * second connection does not split a small load into groups of one or two.
   */
  concurrency?: number;
  /**
   * Fewest members a group needs to start while another group is in flight (default 4). The first group goes
   * out as soon as anything waits; a second one only once enough waits that splitting them does not leave
   * each group too small to pay for its transaction.
   */
  followMin?: number;
  /**
   * Statements written alone (each its own autocommit transaction, on its own connection) while nothing
   * waits and fewer than this many are in flight; only what arrives beyond waits and is grouped (default 0:
   * everything that arrives while a group is in flight waits for the next one). Measured at 16 clients, 4
   * made groups of 1.4 instead of 7.7 and kept most of the cost that grouping saves; see the benchmark.
   */
  alone?: number;
  /**
   * A group of one is its statement alone, in autocommit (default true): atomic by itself, it needs no
   * BEGIN or COMMIT, and an idle hub answers as fast as without group commit.
   */
  aloneWhenSingle?: boolean;
  faults?: GroupCommitFaults;
}

/** One statement, atomic on its own, in PostgreSQL's `$n` form; `name` makes it a prepared statement. */
export interface GroupStatement {
  name: string;
  text: string;
  values: unknown[];
  /**
   * What the statement locks (e.g. the accounts whose balance rows it updates). Groups in flight at the
   * same time never share a key, so they never wait for each other's locks. Without keys the statement
   * is written in no group alongside another one in flight.
   */
  keys?: string[];
  /** A statement taking the locks of `keys` (its one parameter: the keys of the whole group, in order). */
  lock?: { name: string; text: string };
  /**
   * The statement may go out as one with the other members' statements of the same name: every parameter
   * is a JSON array, the one statement gets their concatenations, and each of its rows carries a `key`
   * column; this member gets the rows whose key is `batch`. Such a statement takes its locks in key order
   * itself, so a group sent as one statement needs no `lock` statement.
   */
  batch?: string;
}

export interface GroupCommit {
  readonly enabled: boolean;
  /**
   * Groups and members written so far (members counted once per try); of the groups, those sent as one
   * statement (`merged`), those whose one statement failed, so that each member went again alone (`split`),
   * and those sent behind another on its connection (`behind`).
   */
  stats(): { groups: number; members: number; merged: number; split: number; behind: number };
  /**
   * Runs `statement` in a transaction shared with the statements of other concurrent callers and resolves
   * with its rows only after the shared COMMIT. If it fails, nothing of it stays and the promise rejects with
   * its own error (the other members are written in the next group). If the group cannot commit, every member
   * rejects with 503 SERVICE_UNAVAILABLE and none of them is in the database.
   */
  run<R>(statement: GroupStatement): Promise<R[]>;
}

interface Member {
  statement: GroupStatement;
  resolve(rows: unknown[]): void;
  reject(error: unknown): void;
  /** Times it was the victim of a deadlock with another transaction and was queued again. */
  retries: number;
  /** Its statement goes out on its own, not as one with the others' (after a statement of the whole group failed). */
  solo: boolean;
}

/** The node-pg client under knex (8.22+ for `pipeline`). */
interface PgConnection {
  query(sql: string | SentStatement): Promise<{ rows: unknown[] }>;
  pipeline?: boolean;
  connection?: { stream?: { cork?(): void; uncork?(): void } };
}

interface ConnectionSource {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** A connection with autocommit statements written on it one behind the other (pipelined). */
interface Lane {
  connection: PgConnection;
  /** Statements sent and not yet answered. */
  writing: number;
  /** Members of the last statement sent. */
  last: number;
}

/** A statement as sent: prepared under `name`, with its values. */
type SentStatement = { name: string; text: string; values: unknown[] };

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

const MAX_MEMBERS = 32;
const CONCURRENCY = 2;
const FOLLOW_MIN = 4;
const ALONE = 0;
const EXCLUSIVE = '\u0000exclusive';
const MAX_RETRIES = 3;
/** deadlock_detected, serialization_failure: the member did nothing wrong; it runs again in the next group. */
const RETRIED = new Set(['40P01', '40001']);

/**
 * Group commit. Statements arriving while a group is being written wait for it and then go out together as
 * the next group (no timer: an idle hub writes a group of one at once, alone, in autocommit). A group is one
 * transaction on one connection, sent in one write and answered in one round trip:
 *
 *     BEGIN; SET CONSTRAINTS ALL IMMEDIATE; <lock the members' keys in order>; <statement 1>; <statement 2>; ...
 *     COMMIT                                                       (pipelined; one WAL flush for all)
 *
 * where each statement alone would cost a round trip and a commit (a WAL flush) of its own. Members whose
 * statements may be concatenated (`batch`: postings) go out as ONE statement for the whole group, which
 * writes each table once for all of them and takes its locks in order itself (no lock statement): the
 * per-statement work of the database is paid once per group. Such a statement is atomic by itself, so it
 * goes out alone, in autocommit, with no BEGIN or COMMIT around it (`writeOnLane`). If it fails, which member
 * caused it is not known, so each member goes again in the next group with its statement on its own. Deferred
 * constraints are made immediate, so a check that would only run at COMMIT runs at the end of the member's
 * statement and is charged to that member: a member must be complete in one statement (a journal entry is,
 * see `writeEntry`). If statement k fails, PostgreSQL refuses what follows it and the COMMIT rolls back the
 * whole transaction: k is answered with its error, and the other members, none of them written, go back to
 * the head of the queue for the next group. Each request's outcome stays its own, and a refusal costs its
 * group one more trip. A statement that fails with no answer from the database (the connection failed) may
 * have been followed by a COMMIT that was carried out: every member is answered 503 and none is written again.
 * (With a `beforeCommit` fault hook, used by tests, the COMMIT follows the hook in a second round trip.)
 *
 * A statement in autocommit (a group's one statement, or a group of one's own) is written on a lane: while it
 * is, once as many members wait as it holds (at least two) and they can go out as one statement, they go out
 * behind it on the same connection (pipelined, `behind`). The database starts on them as soon as it has
 * answered the statement before, without waiting for this process to read that answer and send the next;
 * each statement is its own transaction, so what happens to one changes nothing for the other, except a
 * failed connection, which answers both 503. The connection goes back to the pool when its lane is empty.
 *
 * A group goes out on a connection of its own only while fewer than `concurrency` groups are in flight (those
 * behind another on a lane count), and after the first it needs `followMin` members. A member holds its rows
 * until its group commits, so nothing in flight at once shares a lock key (a statement that conflicts with
 * something in flight waits for a later group): this process's writes never wait on each other's locks and
 * cannot deadlock with each other. A member that a deadlock with another transaction chose as victim is
 * queued again.
 */
export function createGroupCommit(knex: Knex, options: GroupCommitOptions): GroupCommit {
  const maxMembers = Math.max(1, Math.min(options.maxMembers ?? MAX_MEMBERS, 60));
  const concurrency = Math.max(1, options.concurrency ?? CONCURRENCY);
  const aloneSlots = Math.max(0, options.alone ?? ALONE);
  const followMin = Math.max(1, options.followMin ?? FOLLOW_MIN);
  const source = knex.client as ConnectionSource;
  const queue: Member[] = [];
  /** Keys held by the groups in flight; EXCLUSIVE while a group of statements without keys is. */
  const held = new Set<string>();
  let groupsInFlight = 0;
  let aloneInFlight = 0;
  const counts = { groups: 0, members: 0, merged: 0, split: 0, behind: 0 };
  const lanes = new Set<Lane>();

  /**
   * The next group: queued members, oldest first, whose keys nothing in flight holds (nor an earlier pick);
   * empty, and the queue left as it was, when fewer than `min` are free.
   */
  function nextGroup(limit: number, min = 1, asOne = false): { group: Member[]; keys: string[] } {
    const picked: number[] = [];
    const keys = new Set<string>();
    if (held.has(EXCLUSIVE)) return { group: [], keys: [] };
    const first = queue[0]?.statement.name;
    for (let i = 0; i < queue.length && picked.length < limit; i++) {
      const member = queue[i] as Member;
      if (asOne && !joinsAsOne(member, first)) continue;
      const own = member.statement.keys;
      const free = own === undefined ? aloneInFlight + groupsInFlight === 0 && picked.length === 0 : own.every((k) => !held.has(k));
      if (!free) continue;
      picked.push(i);
      for (const k of own ?? [EXCLUSIVE]) keys.add(k);
      if (own === undefined) break;
    }
    if (picked.length < min) return { group: [], keys: [] };
    const group = picked.map((i) => queue[i] as Member);
    for (const i of picked.reverse()) queue.splice(i, 1);
    return { group, keys: [...keys] };
  }

  function pump(): void {
    while (queue.length > 0) {
      // A group when something waits already (or every alone slot is taken); else the statement alone. A group
      // beyond the first in flight needs `followMin` members.
      const grouped = groupsInFlight < concurrency && (queue.length > 1 || aloneInFlight >= aloneSlots);
      let next = grouped ? nextGroup(maxMembers, groupsInFlight > 0 ? followMin : 1) : { group: [] as Member[], keys: [] as string[] };
      let single = false;
      if (next.group.length === 0 && aloneInFlight < aloneSlots) {
        next = nextGroup(1);
        single = true;
      }
      const { group, keys } = next;
      if (group.length === 0) return void behind();
      start(group, keys, single, (release) => writeGroup(group, single, release));
    }
  }

  /** Holds a group's keys and slot while `write` writes it; the slot is freed (and what waits sent) once, by whichever comes first of `write`'s call and its end. */
  function start(group: Member[], keys: string[], single: boolean, write: (release: () => void) => Promise<void>): void {
    for (const k of keys) held.add(k);
    if (single) aloneInFlight += 1;
    else groupsInFlight += 1;
    counts.groups += 1;
    counts.members += group.length;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      for (const k of keys) held.delete(k);
      if (single) aloneInFlight -= 1;
      else groupsInFlight -= 1;
      pump();
    };
    void write(release).finally(release);
  }

  /**
   * A group sent behind the statement being written on a lane, on the same connection: once as many wait as
   * that statement holds (at least two), they go out as one statement, and the database starts on them as
   * soon as it has answered the one before, without waiting for this process to read that answer.
   */
  function behind(): void {
    if (options.faults?.beforeCommit) return;
    for (const lane of lanes) {
      const min = Math.max(2, lane.last);
      if (lane.writing !== 1 || queue.length < min) continue;
      const { group, keys } = nextGroup(maxMembers, min, true);
      if (group.length === 0) return;
      const merged = asOneStatement(group);
      // Parameters that do not join into one statement: the members wait for a group of their own.
      if (!merged) return void queue.unshift(...group);
      counts.behind += 1;
      start(group, keys, false, (release) => writeOnLane(lane, group, merged, release));
      return;
    }
  }

  /**
   * Writes a group. `next` frees the group's slot and keys and sends what waits: each way of writing calls it
   * as soon as the group's outcome is known and its connection is back in the pool (and any member to go
   * again is back in the queue), before it answers the members, so that the database starts on the next
   * group while this process answers this one's requests.
   */
  async function writeGroup(group: Member[], single: boolean, next: () => void): Promise<void> {
    let connection: PgConnection;
    try {
      connection = (await source.acquireConnection()) as PgConnection;
    } catch (error) {
      next();
      for (const member of group) member.reject(commitFailed(error));
      return;
    }
    const alone = group.length === 1 && (single || options.aloneWhenSingle !== false);
    const merged = alone || options.faults?.beforeCommit ? undefined : asOneStatement(group);
    if (!alone && !merged) return writeInOneTrip(connection, group, next);
    const lane: Lane = { connection, writing: 0, last: 0 };
    lanes.add(lane);
    connection.pipeline = true;
    return writeOnLane(lane, group, merged, next);
  }

  /**
   * One statement in autocommit on a lane: a group's one statement (`merged`), or a group of one's own
   * statement. The connection goes back to the pool when nothing more is being written on it.
   */
  async function writeOnLane(lane: Lane, group: Member[], merged: SentStatement | undefined, next: () => void): Promise<void> {
    lane.writing += 1;
    lane.last = group.length;
    const sending = settle(lane.connection.query(merged ?? { ...(group[0] as Member).statement }));
    // What waits already (it arrived while the connection was being taken) may go out behind it.
    behind();
    let outcome: Settled<{ rows: unknown[] }>;
    try {
      outcome = await sending;
    } finally {
      lane.writing -= 1;
      if (lane.writing === 0) {
        lanes.delete(lane);
        lane.connection.pipeline = false;
        await source.releaseConnection(lane.connection);
      }
    }
    return merged ? afterAsOne(group, outcome, next) : afterAlone(group[0] as Member, outcome, next);
  }

  /**
   * After a group's ONE statement, in autocommit: atomic by itself, it is its own transaction, with its
   * deferred checks at its end, so it needs no BEGIN or COMMIT (a message and a reply fewer each way, and
   * less work for the database per group). If the database refused it (an error response: the statement
   * and its transaction rolled back), which member caused it is not known, so each member goes again with
   * its statement on its own. If the connection failed instead, whether it committed is not known: every
   * member is answered 503 and none is written again.
   */
  function afterAsOne(group: Member[], outcome: Settled<{ rows: unknown[] }>, next: () => void): void {
    counts.merged += 1;
    if (outcome.ok) {
      next();
      return resolveAsOne(group, outcome.value.rows);
    }
    if (!refusedByDatabase(outcome.error)) {
      next();
      for (const member of group) member.reject(commitFailed(outcome.error));
      return;
    }
    split(group);
  }

  /** Each member of a group written as one statement gets the statement's rows whose key is its own. */
  function resolveAsOne(group: Member[], rows: unknown[]): void {
    for (const member of group) member.resolve((rows as Array<{ key?: unknown }>).filter((row) => row.key === member.statement.batch));
  }

  /**
   * A group's one statement was refused, and which member caused it is not known: each goes again with its own
   * statement, so that the one at fault gets its error and only it.
   */
  function split(group: Member[]): void {
    for (const member of group) member.solo = true;
    counts.split += 1;
    queue.unshift(...group);
  }

  /**
   * The group in one round trip: BEGIN, the locks, every member's statement and COMMIT leave in one write,
   * without savepoints. If every statement succeeds the COMMIT makes them durable together. If member k
   * fails, PostgreSQL refuses everything after it and the COMMIT rolls the whole transaction back: k is
   * answered with its error (or queued again after a deadlock), and the others, which did nothing wrong and
   * are not in the database, go back to the head of the queue for the next group. A group whose COMMIT fails
   * otherwise answers every member 503, none of them written.
   */
  async function writeInOneTrip(connection: PgConnection, group: Member[], next: () => void): Promise<void> {
    const merged = asOneStatement(group);
    const statements = merged ? [merged] : group.map((member) => member.statement);
    if (merged) counts.merged += 1;
    const stream = connection.connection?.stream;
    connection.pipeline = true;
    let results: Array<Settled<{ rows: unknown[] }>>;
    let opening: Array<Settled<unknown>>;
    let committed: Settled<{ command?: string }>;
    const beforeCommit = options.faults?.beforeCommit;
    const commit = (): Promise<Settled<{ command?: string }>> => settle(connection.query('COMMIT') as Promise<{ command?: string }>);
    try {
      let opened: Promise<Array<Settled<unknown>>>;
      let sent: Promise<Array<Settled<{ rows: unknown[] }>>>;
      let committing: Promise<Settled<{ command?: string }>> | undefined;
      stream?.cork?.();
      try {
        opened = Promise.all([connection.query('BEGIN; SET CONSTRAINTS ALL IMMEDIATE'), ...(merged ? [] : lockStatements(group)).map((lock) => connection.query(lock))].map(settle));
        sent = Promise.all(statements.map((statement) => settle(connection.query({ name: statement.name, text: statement.text, values: statement.values }))));
        if (!beforeCommit) committing = commit();
      } finally {
        stream?.uncork?.();
      }
      [opening, results] = await Promise.all([opened, sent]);
      // A test's fault hook runs once every member has succeeded, then the COMMIT follows in a second trip.
      if (beforeCommit && opening.every((o) => o.ok) && results.every((r) => r.ok)) await beforeCommit((sql) => connection.query(sql));
      committed = await (committing ?? commit());
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => undefined);
      await source.releaseConnection(connection);
      next();
      for (const member of group) member.reject(commitFailed(error));
      return;
    } finally {
      connection.pipeline = false;
    }
    const openingFailure = opening.find((o) => !o.ok);
    const failedAt = results.findIndex((r) => !r.ok && !isAborted(r.error));
    const durable = committed.ok && committed.value.command === 'COMMIT';
    if (!durable || openingFailure || failedAt >= 0) await connection.query('ROLLBACK').catch(() => undefined);
    await source.releaseConnection(connection);
    if (durable && !openingFailure && failedAt < 0) {
      next();
      const rowsOf = (i: number): unknown[] => (results[i] as { ok: true; value: { rows: unknown[] } }).value.rows;
      if (merged) resolveAsOne(group, rowsOf(0));
      else for (const [i, member] of group.entries()) member.resolve(rowsOf(i));
      return;
    }
    // A statement that failed without the database's answer means a failed connection: whether the pipelined
    // COMMIT was carried out is not known, so no member is written again.
    const failure = failedAt >= 0 ? (results[failedAt] as { ok: false; error: unknown }).error : undefined;
    if (openingFailure || failedAt < 0 || !refusedByDatabase(failure)) {
      const cause = openingFailure && !openingFailure.ok ? openingFailure.error : (failure ?? (committed.ok ? new Error('The group transaction was rolled back at COMMIT.') : committed.error));
      next();
      for (const member of group) member.reject(commitFailed(cause));
      return;
    }
    if (merged) return split(group);
    const failed = group[failedAt] as Member;
    const again = group.filter((m) => m !== failed);
    const retried = isRetried(failure) && failed.retries < MAX_RETRIES;
    if (retried) {
      failed.retries += 1;
      again.splice(failedAt, 0, failed);
    }
    queue.unshift(...again);
    next();
    if (!retried) failed.reject(failure);
  }

  /**
   * After a group of one's own statement in autocommit: its own transaction, with the deferred checks at its
   * end. A refusal is the member's own error; a failed connection, which leaves unknown whether it committed,
   * is 503 like a group's, and the statement is not written again.
   */
  function afterAlone(member: Member, outcome: Settled<{ rows: unknown[] }>, next: () => void): void {
    if (!outcome.ok && isRetried(outcome.error) && member.retries < MAX_RETRIES) {
      member.retries += 1;
      queue.unshift(member);
      return;
    }
    next();
    if (outcome.ok) member.resolve(outcome.value.rows);
    else member.reject(refusedByDatabase(outcome.error) ? outcome.error : commitFailed(outcome.error));
  }

  return {
    enabled: options.enabled,
    stats: () => ({ ...counts }),
    run<R>(statement: GroupStatement): Promise<R[]> {
      if (!options.enabled) return Promise.reject(new Error('Group commit is off on this database.'));
      return new Promise<R[]>((resolve, reject) => {
        queue.push({ statement, resolve: resolve as (rows: unknown[]) => void, reject, retries: 0, solo: false });
        pump();
      });
    },
  };
}

/** Whether a member's statement may join others of the statement `name` in one (`batch`, not sent alone since a statement of its group failed). */
function joinsAsOne(member: Member, name: string | undefined): boolean {
  return !member.solo && member.statement.batch !== undefined && member.statement.name === name;
}

/**
 * The group's statements as one, when every member may go out so (`batch`, the same statement, none of them
 * sent alone since a statement of its group failed): each parameter the concatenation of the members' JSON arrays.
 */
function asOneStatement(group: Member[]): SentStatement | undefined {
  const first = group[0]?.statement;
  if (!first || group.length < 2) return undefined;
  if (!group.every((m) => joinsAsOne(m, first.name))) return undefined;
  const values = concatenateBatches(group.map((m) => m.statement.values));
  return values && { name: first.name, text: first.text, values };
}

/**
 * The parameters of one statement standing for several of a `batch` statement: parameter j is the concatenation
 * of the JSON arrays each statement gives as its parameter j. Undefined when the statements do not all give the
 * same number of parameters, each a JSON array.
 */
export function concatenateBatches(statements: unknown[][]): string[] | undefined {
  const count = statements[0]?.length;
  if (count === undefined || statements.some((values) => values.length !== count)) return undefined;
  const values: string[] = [];
  for (let j = 0; j < count; j++) {
    const items: string[] = [];
    for (const statement of statements) {
      const value = statement[j];
      if (typeof value !== 'string' || !value.startsWith('[') || !value.endsWith(']')) return undefined;
      const inner = value.slice(1, -1);
      if (inner.trim() !== '') items.push(inner);
    }
    values.push(`[${items.join(',')}]`);
  }
  return values;
}

/**
 * The statements that lock the keys of a group's members at its start, each over its keys in order. A
 * member holds its rows until the group commits, and the members run one after the other, so without this
 * a group would take its rows in no particular order and could deadlock with a transaction that takes
 * them in order (a posting of another request); taken here, in order and before any member runs, they are
 * taken in the same order as everywhere else.
 */
function lockStatements(group: Member[]): SentStatement[] {
  const byLock = new Map<string, { text: string; keys: Set<string> }>();
  for (const { statement } of group) {
    if (!statement.lock || !statement.keys) continue;
    const entry = byLock.get(statement.lock.name) ?? { text: statement.lock.text, keys: new Set<string>() };
    for (const key of statement.keys) entry.keys.add(key);
    byLock.set(statement.lock.name, entry);
  }
  return [...byLock].map(([name, { text, keys }]) => ({ name, text, values: [[...keys].sort()] }));
}

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * The database answered the statement with an error: it and its transaction were rolled back. (A failed
 * connection gives no such answer, and a statement sent before it failed may have committed.)
 */
export function refusedByDatabase(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return true;
  const e = error as { severity?: unknown; code?: unknown } | null;
  return typeof e?.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

/** in_failed_sql_transaction: refused only because an earlier statement of the transaction failed. */
function isAborted(error: unknown): boolean {
  return (error as { code?: unknown }).code === '25P02';
}

function isRetried(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && RETRIED.has(code);
}

function commitFailed(cause: unknown): AppError {
  const error = new AppError('SERVICE_UNAVAILABLE', 'The change could not be committed and was not made. Retry the request.', { headers: { 'Retry-After': '1' } });
  (error as { cause?: unknown }).cause = cause;
  return error;
}
