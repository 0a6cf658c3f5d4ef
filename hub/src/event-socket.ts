import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { Event, EventStreamMessage } from '@uah/schemas';
import { AppError, newId, presentsCredential, problemOf, STREAM_PROTOCOL, type Core, type EventStreamAccess, type EventTail, type PendingStream, type StreamGrant } from '@uah/core';
import { closeReason, parseSubscribe, POLICY_VIOLATION, SUBSCRIBE_EXPECTED, SUBSCRIBE_TIMEOUT, typeFilter } from './event-socket-subscribe.js';

export interface EventSocketOptions {
  server: Server;
  access: EventStreamAccess;
  tail: EventTail;
  logger: Logger;
  /** Registers `uah_event_stream_connections` when given. */
  metrics?: Pick<Core['metrics'], 'gauge'> | undefined;
  /** A ping this often; a peer that has not answered the previous one is terminated. @default 30000 */
  heartbeatMs?: number;
  /** Unsent bytes a client may let pile up before it is closed with 1013. @default 1 MiB */
  maxBufferedBytes?: number;
  /** How long a socket opened without a key has to send its SUBSCRIBE frame. @default 5000 */
  subscribeTimeoutMs?: number;
}

export interface EventSocketServer {
  /** The `ws` server (noServer mode): its `clients` are the open streams. */
  readonly wss: WebSocketServer;
  /** Stops accepting upgrades and closes every stream with 1001, so clients reconnect elsewhere. */
  close(): Promise<void>;
}

interface Connection {
  ws: WebSocket;
  grant: StreamGrant;
  unsubscribe: () => void;
  alive: boolean;
  /** The stream's event filter; a SUBSCRIBE frame replaces it. */
  accepts: (type: string) => boolean;
}

/** Hands over the upgraded socket: the HTTP upgrade itself, or a socket that was upgraded before its SUBSCRIBE. */
type Upgrade = (done: (client: WebSocket) => void) => void;
/** The connection being opened, HTTP socket or WebSocket: open() only needs to know whether it went away. */
interface Closable {
  readonly destroyed?: boolean;
  once(event: 'close', listener: () => void): unknown;
}

const RESUME_HINT = 'reconnect with after=<last event id>';
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,100}$/;
/** Between backlog pages, wait until the client has taken all but this much. */
const DRAIN_LOW_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 2_000;

/** The request's path without its query (which may hold anything the client put there). */
function pathOf(req: IncomingMessage): string {
  return URL.canParse(req.url ?? '/', 'http://hub.invalid') ? new URL(req.url ?? '/', 'http://hub.invalid').pathname : '/';
}

/**
 * The live event stream: a WebSocket on the event log's path, `/v1/organizations/{orgId}/events`. The
 * request is checked before the handshake (key, organization, scope, query; refused with the REST API's
 * problem+json), the tail subscription is anchored, and only then is the connection upgraded: every
 * event committed after the client sees the connection open (and its first `ready` frame) is delivered.
 */
export function attachEventSocket(options: EventSocketOptions): EventSocketServer {
  const { server, access, tail, logger } = options;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    // Select our protocol name, never the `uah.bearer.<key>` entry, so the key is not echoed back.
    handleProtocols: (protocols) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
  });
  const connections = new Set<Connection>();
  const handshaking = new Set<Duplex>();
  /** Sockets opened without a key, waiting for their SUBSCRIBE frame. */
  const waiting = new Set<WebSocket>();
  const subscribeTimeoutMs = options.subscribeTimeoutMs ?? 5_000;
  let closing = false;

  function send(connection: Connection, message: EventStreamMessage): void {
    const { ws } = connection;
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message));
    if (ws.bufferedAmount > maxBuffered) {
      connection.unsubscribe();
      logger.info({ organizationId: connection.grant.key.organizationId, bufferedBytes: ws.bufferedAmount }, 'event stream client too slow; closing');
      ws.close(1013, `Too slow to keep up: ${RESUME_HINT}.`);
    }
  }

  /** Resolves once the client has read most of what was sent (or the socket is gone). */
  async function drained(connection: () => Connection | undefined): Promise<void> {
    for (;;) {
      const ws = connection()?.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount <= DRAIN_LOW_BYTES) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function accept(client: WebSocket, grant: StreamGrant, unsubscribe: () => void, requestId: string, accepts: Connection['accepts']): Connection {
    const connection: Connection = { ws: client, grant, unsubscribe, alive: true, accepts };
    connections.add(connection);
    const log = logger.child({ requestId, organizationId: grant.key.organizationId, apiKeyId: grant.key.id });
    log.info({ types: grant.subscription.types, after: grant.subscription.after, from: grant.subscription.from }, 'event stream opened');
    client.on('pong', () => {
      connection.alive = true;
    });
    client.on('error', (err) => log.debug({ err }, 'event stream socket error'));
    client.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = isBinary ? undefined : parseSubscribe(data.toString('utf8'));
      if (!frame) return;
      if ('error' in frame) return void client.close(POLICY_VIOLATION, closeReason(frame.error));
      connection.accepts = typeFilter(frame.events);
      log.info({ events: frame.events }, 'event stream filter changed');
    });
    client.on('close', (code) => {
      unsubscribe();
      connections.delete(connection);
      log.info({ code }, 'event stream closed');
    });
    return connection;
  }

  /**
   * Subscribes, and upgrades once the subscription is anchored; rejects if it cannot be (unknown `after`).
   * The tail reads every type: the filter is the connection's, so a SUBSCRIBE can change it without a gap.
   */
  function open(socket: Closable, upgrade: Upgrade, grant: StreamGrant, requestId: string, events?: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let connection: Connection | undefined;
      const early: Event[] = [];
      const initial = typeFilter(events ?? grant.subscription.types);
      const onEvent = (event: Event): void => {
        if (connection) {
          if (connection.accepts(event.type)) send(connection, { type: 'event', event });
        } else if (initial(event.type)) early.push(event);
      };
      const unsubscribe = tail.subscribe({ ...grant.subscription, types: undefined }, onEvent, {
        onReady: (after) => {
          if (closing || socket.destroyed) {
            unsubscribe();
            return closing ? reject(new AppError('SERVICE_UNAVAILABLE', 'The hub is shutting down.')) : resolve();
          }
          resolve();
          upgrade((client) => {
            const accepted = accept(client, grant, unsubscribe, requestId, initial);
            connection = accepted;
            send(accepted, { type: 'ready', after });
            for (const event of early.splice(0)) send(accepted, { type: 'event', event });
          });
        },
        drain: () => drained(() => connection),
        onError: (err) => {
          if (!connection) return reject(err instanceof Error ? err : new Error(String(err)));
          logger.error({ err, requestId }, 'event stream failed');
          connection.ws.close(1011, `The stream failed: ${RESUME_HINT}.`);
        },
      });
      // A handshake that fails (or a client that gives up) before the upgrade leaves no subscription behind.
      socket.once('close', () => {
        if (connection) return;
        unsubscribe();
        resolve();
      });
    });
  }

  function refuse(socket: Duplex, error: unknown, instance: string, requestId: string): void {
    const known = error instanceof AppError ? error : new AppError('INTERNAL', 'Something went wrong on our side. The request id identifies it in the logs.');
    if (!(error instanceof AppError)) logger.error({ err: error, requestId }, 'event stream upgrade failed');
    else logger.info({ requestId, path: instance, status: known.status, code: known.code, reason: known.message }, 'event stream refused');
    if (socket.destroyed || !socket.writable) return void socket.destroy();
    const { status, headers, body } = problemOf(known, instance, requestId);
    const text = JSON.stringify(body);
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      'Connection: close',
      'Content-Type: application/problem+json',
      `Content-Length: ${Buffer.byteLength(text)}`,
      `X-Request-Id: ${requestId}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.once('finish', () => socket.destroy());
    socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const incoming = req.headers['x-request-id'];
    // The same form as the REST API's request ids (`req_<ULID>`), so one search finds both.
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newId('req');
    const path = pathOf(req);
    handshaking.add(socket);
    socket.on('error', (err) => logger.debug({ err, requestId }, 'event stream handshake socket error'));
    try {
      if (closing) throw new AppError('SERVICE_UNAVAILABLE', 'The hub is shutting down.');
      if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
        throw new AppError('VALIDATION_FAILED', 'Only WebSocket upgrades are served.', { errors: [{ field: '/Upgrade', in: 'header', message: 'must be websocket' }] });
      }
      if (!presentsCredential(req.headers)) return awaitSubscribe(req, socket, head, access.prepare({ url: req.url ?? '/' }), requestId);
      const grant = await access.authorize({ url: req.url ?? '/', headers: req.headers });
      await open(socket, (done) => wss.handleUpgrade(req, socket, head, done), grant, requestId);
    } catch (error) {
      refuse(socket, error, path, requestId);
    } finally {
      handshaking.delete(socket);
    }
  }

  /** A socket opened without a key: upgraded now, it must authenticate with a SUBSCRIBE frame in time. */
  function awaitSubscribe(req: IncomingMessage, socket: Duplex, head: Buffer, pending: PendingStream, requestId: string): void {
    wss.handleUpgrade(req, socket, head, (client) => {
      waiting.add(client);
      const fail = (reason: string): void => {
        logger.info({ requestId, path: pathOf(req), code: POLICY_VIOLATION, reason }, 'event stream refused');
        waiting.delete(client);
        client.close(POLICY_VIOLATION, closeReason(reason));
      };
      const timer = setTimeout(() => fail(SUBSCRIBE_TIMEOUT), subscribeTimeoutMs);
      client.on('error', (err) => logger.debug({ err, requestId }, 'event stream socket error'));
      client.once('close', () => {
        clearTimeout(timer);
        waiting.delete(client);
      });
      client.once('message', (data: Buffer, isBinary: boolean) => {
        clearTimeout(timer);
        const frame = isBinary ? undefined : parseSubscribe(data.toString('utf8'));
        if (!frame || 'error' in frame || !frame.apiKey) return fail(frame && 'error' in frame ? frame.error : SUBSCRIBE_EXPECTED);
        access.authorizeKey(pending, frame.apiKey).then(
          (grant) => {
            waiting.delete(client);
            if (client.readyState !== WebSocket.OPEN) return;
            return open(client, (done) => done(client), grant, requestId, frame.events);
          },
          (error: unknown) => fail(error instanceof AppError ? `${error.code}: ${error.message}` : 'The stream could not be opened.'),
        ).catch((error: unknown) => fail(error instanceof AppError ? `${error.code}: ${error.message}` : 'The stream could not be opened.'));
      });
    });
  }

  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => void onUpgrade(req, socket, head);
  server.on('upgrade', listener);

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
      // A revoked key ends its streams within one heartbeat.
      access.stillValid(connection.grant).then(
        (valid) => valid || connection.ws.close(1008, 'The API key is no longer valid.'),
        (err: unknown) => logger.warn({ err }, 'event stream could not check its API key'),
      );
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  options.metrics?.gauge('uah_event_stream_connections', 'Open event stream WebSockets.', [], async () => [{ value: connections.size }]);

  let closed: Promise<void> | undefined;
  return {
    wss,
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(heartbeat);
        server.off('upgrade', listener);
        for (const socket of handshaking) socket.destroy();
        for (const client of waiting) client.terminate();
        await Promise.all([...connections].map((connection) => closeForShutdown(connection)));
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closed;
    },
  };
}

function closeForShutdown(connection: Connection): Promise<void> {
  connection.unsubscribe();
  const { ws } = connection;
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => ws.terminate(), SHUTDOWN_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    ws.close(1001, `The hub is shutting down: ${RESUME_HINT}.`);
  });
}
