import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether private targets are allowed: `false` in production (public https only), `true` for tests and
 * development (`WEBHOOK_ALLOW_PRIVATE`), where http and loopback, private and link-local addresses pass.
 *
 * @example
 * ```ts
 * const policy: UrlPolicy = { allowPrivate: process.env['WEBHOOK_ALLOW_PRIVATE'] === 'true' };
 * ```
 */
export interface UrlPolicy {
  allowPrivate: boolean;
}

/**
 * A URL refused by {@link assertSafeUrl} or {@link safeLookup}; `reason` says why, for the caller to show.
 *
 * @example
 * ```ts
 * try {
 *   await assertSafeUrl('https://169.254.169.254/latest/meta-data', { allowPrivate: false });
 * } catch (error) {
 *   if (error instanceof UnsafeUrlError) console.log(error.reason); // "… is a link-local address"
 * }
 * ```
 */
export class UnsafeUrlError extends Error {
  override readonly name = 'UnsafeUrlError';
  constructor(readonly reason: string) {
    super(`Unsafe URL: ${reason}`);
  }
}

/**
 * A checked URL and the one address it resolved to: connect to `address` (see {@link pinnedLookup}) so a
 * second DNS answer cannot send the request elsewhere.
 *
 * @example
 * ```ts
 * const { url, address, family } = await assertSafeUrl('https://hooks.example.com/in', { allowPrivate: false });
 * ```
 */
export interface SafeTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** ipaddr.js range names that private targets may use when the policy allows them. */
const PRIVATE_RANGES = new Set(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);
const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local (private) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
};

/**
 * Why an IP address may not be called under `policy`, or undefined when it may. IPv4-mapped IPv6
 * addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they carry; anything outside the public
 * unicast space (reserved, documentation, NAT64, 6to4, Teredo, …) is refused whatever the policy.
 *
 * @example
 * ```ts
 * addressProblem('10.0.0.1', { allowPrivate: false }); // "10.0.0.1 is a private address"
 * addressProblem('93.184.216.34', { allowPrivate: false }); // undefined
 * ```
 */
export function addressProblem(address: string, policy: UrlPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (policy.allowPrivate && PRIVATE_RANGES.has(range)) return undefined;
  return `${address} is ${RANGE_WORDS[range] ?? `a reserved address (${range})`}`;
}

/** The URL's host as an IP literal (brackets removed), or undefined for a name. */
function literalHost(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : undefined;
}

/** The raw authority (between `//` and the path), where an `@` means credentials however they are spelled. */
function authorityOf(raw: string): string {
  const start = raw.indexOf('//');
  if (start < 0) return '';
  const rest = raw.slice(start + 2);
  const end = rest.search(/[/?#\\]/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Parses and checks everything but the address: scheme, credentials, host. */
function parseUrl(raw: string, policy: UrlPolicy): URL {
  if (!URL.canParse(raw)) throw new UnsafeUrlError('not an absolute URL');
  // The WHATWG parser already turns decimal, octal, hex and dotted-trailing IPv4 spellings into one form.
  const url = new URL(raw);
  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw new UnsafeUrlError(`the scheme must be ${schemes.map((s) => s.slice(0, -1)).join(' or ')}`);
  if (url.username || url.password || authorityOf(raw).includes('@')) throw new UnsafeUrlError('credentials (user@host) are not allowed in the URL');
  if (!url.hostname) throw new UnsafeUrlError('the URL has no host');
  return url;
}

function resolveAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(new UnsafeUrlError(`${hostname} does not resolve (${err.code ?? err.message})`)) : resolve(addresses)));
  });
}

/** Resolves once and refuses the host if any of its addresses is unsafe (so no answer can be picked later). */
async function resolveSafely(hostname: string, policy: UrlPolicy): Promise<{ address: string; family: 4 | 6 }> {
  const addresses = await resolveAll(hostname.endsWith('.') ? hostname.slice(0, -1) : hostname);
  if (addresses.length === 0) throw new UnsafeUrlError(`${hostname} has no address`);
  for (const { address } of addresses) {
    const problem = addressProblem(address, policy);
    if (problem) throw new UnsafeUrlError(`${hostname} resolves to ${problem.replace(/^\S+ is /, `${address}, `)}`);
  }
  const first = addresses[0] as LookupAddress;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * Checks a URL before the hub or a connector calls it: absolute, https (http too when `allowPrivate`), no
 * credentials, and a host whose every address is public unicast (loopback, private, link-local including
 * 169.254.169.254, multicast, unspecified and reserved addresses are refused in any spelling: decimal,
 * octal, hex, IPv4-mapped IPv6, trailing dot). Resolves DNS once and returns the address to connect to.
 * Redirects are the caller's business: never follow one without checking its target again.
 *
 * @throws UnsafeUrlError with the reason.
 * @example
 * ```ts
 * const target = await assertSafeUrl(endpoint.url, { allowPrivate: false });
 * https.request(target.url, { lookup: pinnedLookup(target) });
 * ```
 */
export async function assertSafeUrl(url: string, policy: UrlPolicy): Promise<SafeTarget> {
  const parsed = parseUrl(url, policy);
  const literal = literalHost(parsed);
  if (literal) {
    const problem = addressProblem(literal, policy);
    if (problem) throw new UnsafeUrlError(problem);
    return { url: parsed, address: literal, family: isIP(literal) === 6 ? 6 : 4 };
  }
  return { url: parsed, ...(await resolveSafely(parsed.hostname, policy)) };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function answer(options: LookupOptions, address: string, family: 4 | 6, callback: LookupCallback): void {
  if (options.all) callback(null, [{ address, family }]);
  else callback(null, address, family);
}

/**
 * A `lookup` for node's `http.request`/`https.request`/`net.connect` that resolves the name, refuses it if
 * any address is unsafe under `policy`, and connects to the address it checked: the check and the
 * connection use one DNS answer, so DNS rebinding cannot slip a private address in between.
 *
 * @example
 * ```ts
 * https.request('https://hooks.example.com/in', { method: 'POST', lookup: safeLookup({ allowPrivate: false }) });
 * ```
 */
export function safeLookup(policy: UrlPolicy): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolveSafely(hostname, policy).then(
      ({ address, family }) => answer(options, address, family, callback),
      (err: unknown) => callback(Object.assign(err instanceof Error ? err : new Error(String(err)), { code: 'EUNSAFEADDRESS' }), '', 0),
    );
  });
}

/**
 * A `lookup` that always answers with the address {@link assertSafeUrl} checked, so the connection goes
 * exactly there whatever DNS says now.
 *
 * @example
 * ```ts
 * const target = await assertSafeUrl(url, policy);
 * http.request(target.url, { lookup: pinnedLookup(target) });
 * ```
 */
export function pinnedLookup(target: Pick<SafeTarget, 'address' | 'family'>): LookupFunction {
  return ((_hostname: string, options: LookupOptions, callback: LookupCallback) => answer(options, target.address, target.family, callback));
}
