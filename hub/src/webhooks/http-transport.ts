import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { assertSafeUrl, pinnedLookup, UnsafeUrlError, type SafeTarget, type UrlPolicy } from '@uah/connector-sdk';
import type { WebhookRequest, WebhookResponse, WebhookTransport } from '@uah/core';

export interface HttpTransportOptions {
  policy: UrlPolicy;
  /** Idle keep-alive connections kept per host. The number open is bounded by the worker's per-endpoint concurrency, not here, so endpoints on one host never wait for each other's sockets. @default 16 */
  maxFreeSocketsPerHost?: number;
  /** @default 'UAH-Webhooks/1.0' */
  userAgent?: string;
}

export interface HttpTransport extends WebhookTransport {
  close(): void;
}

/** Kept of an answer: the log shows the first kilobyte; past this much the connection is dropped instead of read. */
const KEEP_BYTES = 1024;
const DRAIN_LIMIT = 64 * 1024;

function failure(started: number, error: string): WebhookResponse {
  return { statusCode: null, durationMs: Math.round(performance.now() - started), responseBody: null, error, retryAfter: null };
}

/**
 * Webhooks over node's HTTP client: the URL guard runs at every attempt and the connection goes to the
 * address it checked (no second DNS answer), redirects are answers like any other (never followed), and
 * the whole attempt, connection included, is bounded by the endpoint's timeout.
 */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const { policy } = options;
  const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSocketsPerHost ?? 16, timeout: 60_000 };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  const userAgent = options.userAgent ?? 'UAH-Webhooks/1.0';

  function post(target: SafeTarget, request: WebhookRequest, started: number): Promise<WebhookResponse> {
    const secure = target.url.protocol === 'https:';
    return new Promise((resolve) => {
      let settled = false;
      const finish = (response: WebhookResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(response);
      };
      const req = (secure ? https : http).request(target.url, {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        lookup: pinnedLookup(target),
        headers: { ...request.headers, 'user-agent': userAgent, 'content-length': String(Buffer.byteLength(request.body)) },
      });
      const deadline = setTimeout(() => {
        req.destroy();
        finish(failure(started, `timed out after ${request.timeoutMs} ms`));
      }, request.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => finish(failure(started, err.code ? `${err.code}: ${err.message}` : err.message)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < KEEP_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size > DRAIN_LIMIT) res.destroy();
        });
        const done = (): void => {
          const retryAfter = res.headers['retry-after'];
          finish({
            statusCode: res.statusCode ?? null,
            durationMs: Math.round(performance.now() - started),
            responseBody: Buffer.concat(chunks).subarray(0, KEEP_BYTES).toString('utf8'),
            error: null,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      req.end(request.body);
    });
  }

  return {
    async checkUrl(url) {
      try {
        await assertSafeUrl(url, policy);
        return undefined;
      } catch (error) {
        if (error instanceof UnsafeUrlError) return error.reason;
        throw error;
      }
    },
    async send(request) {
      const started = performance.now();
      let target: SafeTarget;
      try {
        target = await assertSafeUrl(request.url, policy);
      } catch (error) {
        return failure(started, error instanceof UnsafeUrlError ? error.message : String(error));
      }
      return post(target, request, started);
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
