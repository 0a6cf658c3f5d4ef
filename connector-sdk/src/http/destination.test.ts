import { describe, expect, it } from 'vitest';
import { createHttpClient } from './client.js';
import { HttpError } from './errors.js';

describe('request destinations', () => {
  it('refuses an allowed host that resolves to a loopback address unless private targets are allowed', async () => {
    const overHttp = await createHttpClient({ baseUrl: 'http://localhost:9', allowedHosts: ['localhost'], urlPolicy: { allowPrivate: false }, retries: 0 }).get('/').catch((e: unknown) => e);
    expect(overHttp).toBeInstanceOf(HttpError);
    expect(overHttp).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    const overHttps = await createHttpClient({ baseUrl: 'https://localhost:9', allowedHosts: ['localhost'], urlPolicy: { allowPrivate: false }, retries: 0 }).get('/').catch((e: unknown) => e);
    expect(overHttps).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    expect((overHttps as HttpError).message).toMatch(/loopback/);
    // With private targets allowed, the request is sent (and fails only because nothing listens there).
    const sent = await createHttpClient({ baseUrl: 'http://127.0.0.1:9', allowedHosts: ['127.0.0.1'], urlPolicy: { allowPrivate: true }, retries: 0, timeoutMs: 2_000 }).get('/').catch((e: unknown) => e);
    expect((sent as HttpError).code).not.toBe('HOST_NOT_ALLOWED');
  });
});
