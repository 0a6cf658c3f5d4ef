import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressProblem, assertSafeUrl, pinnedLookup, safeLookup, UnsafeUrlError } from './url-guard.js';

const STRICT = { allowPrivate: false };
const DEV = { allowPrivate: true };

async function refusal(url: string, policy = STRICT): Promise<string> {
  try {
    await assertSafeUrl(url, policy);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsafeUrlError);
    return (error as UnsafeUrlError).reason;
  }
  throw new Error(`${url} was accepted`);
}

describe('assertSafeUrl', () => {
  it.each([
    ['https://127.0.0.1/', /loopback/],
    ['https://2130706433/', /loopback/], // decimal
    ['https://0177.0.0.1/', /loopback/], // octal
    ['https://0x7f.0x0.0x0.0x1/', /loopback/], // hex
    ['https://0x7f000001/', /loopback/],
    ['https://127.1/', /loopback/],
    ['https://127.0.0.1./', /loopback/], // trailing dot
    ['https://localhost/', /loopback/],
    ['https://localhost./', /loopback/],
    ['https://[::1]/', /loopback/],
    ['https://[::ffff:127.0.0.1]/', /loopback/], // IPv4-mapped IPv6
    ['https://[::ffff:7f00:1]/', /loopback/],
    ['https://[0:0:0:0:0:ffff:169.254.169.254]/', /link-local/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://2852039166/', /link-local/], // 169.254.169.254 in decimal
    ['https://[fe80::1]/', /link-local/],
    ['https://10.0.0.1/', /private/],
    ['https://172.16.5.4/', /private/],
    ['https://192.168.1.1/', /private/],
    ['https://[fd00::1]/', /unique-local/],
    ['https://100.64.0.1/', /carrier-grade/],
    ['https://0.0.0.0/', /unspecified/],
    ['https://0/', /unspecified/],
    ['https://[::]/', /unspecified/],
    ['https://224.0.0.1/', /multicast/],
    ['https://[ff02::1]/', /multicast/],
    ['https://255.255.255.255/', /broadcast/],
    ['https://240.0.0.1/', /reserved/],
    ['https://192.0.2.10/', /reserved/],
    ['https://[64:ff9b::7f00:1]/', /reserved/], // NAT64 of 127.0.0.1
    ['https://[2002:7f00:1::]/', /reserved/], // 6to4 of 127.0.0.1
  ])('refuses %s', async (url, reason) => {
    expect(await refusal(url)).toMatch(reason);
  });

  it.each([
    ['https://user:pass@example.com/', /credentials/],
    ['https://example.com@127.0.0.1/', /credentials/],
    ['https://@example.com/', /credentials/],
    ['http://example.com/', /scheme must be https/],
    ['ftp://example.com/', /scheme/],
    ['file:///etc/passwd', /scheme/],
    ['javascript:alert(1)', /scheme/],
    ['/relative/path', /absolute/],
    ['https://no-such-host.invalid/', /does not resolve/],
  ])('refuses %s', async (url, reason) => {
    expect(await refusal(url)).toMatch(reason);
  });

  it('accepts a public address literal and returns it as the address to connect to', async () => {
    const target = await assertSafeUrl('https://93.184.216.34:8443/hook?x=1', STRICT);
    expect(target).toMatchObject({ address: '93.184.216.34', family: 4 });
    expect(target.url.port).toBe('8443');
    expect(await assertSafeUrl('https://[2606:4700::1111]/', STRICT)).toMatchObject({ address: '2606:4700::1111', family: 6 });
  });

  it('lets private and loopback targets through, over http too, only when the policy allows them', async () => {
    expect(await assertSafeUrl('http://127.0.0.1:8080/in', DEV)).toMatchObject({ address: '127.0.0.1', family: 4 });
    expect(await assertSafeUrl('http://localhost:8080/in', DEV)).toMatchObject({ family: expect.any(Number) });
    expect(await assertSafeUrl('http://[::ffff:10.1.2.3]/', DEV)).toMatchObject({ address: '::ffff:a01:203' });
    // Still refused in development: not an address anyone serves from.
    expect(await refusal('http://224.0.0.1/', DEV)).toMatch(/multicast/);
    expect(await refusal('http://0.0.0.0/', DEV)).toMatch(/unspecified/);
    expect(await refusal('http://u:p@127.0.0.1/', DEV)).toMatch(/credentials/);
  });

  it('judges bare addresses', () => {
    expect(addressProblem('8.8.8.8', STRICT)).toBeUndefined();
    expect(addressProblem('::ffff:8.8.8.8', STRICT)).toBeUndefined();
    expect(addressProblem('::ffff:192.168.0.1', STRICT)).toMatch(/private/);
    expect(addressProblem('not-an-ip', STRICT)).toMatch(/not an IP/);
  });
});

describe('safeLookup and pinnedLookup', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function get(url: string, options: Parameters<typeof request>[1]): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(url, options, (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses a name that resolves to a loopback address at connection time', async () => {
    await expect(get(`http://localhost:${port}/`, { lookup: safeLookup(STRICT) })).rejects.toThrow(/loopback/);
  });

  it('connects to the checked address when the policy allows it', async () => {
    expect(await get(`http://localhost:${port}/`, { lookup: safeLookup(DEV) })).toBe('200');
  });

  it('pins the connection to the address assertSafeUrl checked, whatever the name', async () => {
    const target = await assertSafeUrl(`http://127.0.0.1:${port}/`, DEV);
    // The name would not resolve: only the pinned address is used.
    expect(await get(`http://pinned.invalid:${port}/`, { lookup: pinnedLookup(target) })).toBe('200');
  });
});
