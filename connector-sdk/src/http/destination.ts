import { HttpError } from './errors.js';
import { assertSafeUrl, UnsafeUrlError, type UrlPolicy } from '../net/url-guard.js';

/**
 * Whether a host name matches one `allowedHosts` entry: the same name (case-insensitive, a trailing dot
 * ignored), or for `*.example.com` any name that ends in `.example.com` (not `example.com` itself).
 *
 * @example
 * ```ts
 * hostMatches('acme.myshopify.com', '*.myshopify.com'); // true
 * hostMatches('myshopify.com', '*.myshopify.com');      // false
 * hostMatches('API.Stripe.com', 'api.stripe.com');      // true
 * ```
 */
export function hostMatches(host: string, pattern: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  const wanted = pattern.toLowerCase().replace(/\.$/, '');
  if (wanted.startsWith('*.')) {
    const suffix = wanted.slice(1);
    return name.endsWith(suffix) && name.length > suffix.length;
  }
  return name === wanted;
}

/**
 * Whether `url` may be called under `allowedHosts` (see {@link hostMatches}). Only http and https.
 *
 * @example
 * ```ts
 * isAllowedDestination('https://api.stripe.com/v1/charges', ['api.stripe.com']); // true
 * isAllowedDestination('https://evil.test/', ['api.stripe.com']);                // false
 * ```
 */
export function isAllowedDestination(url: string | URL, allowedHosts: readonly string[]): boolean {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  // URL keeps IPv6 literals in brackets; manifests list host names, so compare without them.
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return allowedHosts.some((pattern) => hostMatches(host, pattern));
}

/**
 * Checks a request's destination before anything is sent: throws an {@link HttpError} with code
 * `HOST_NOT_ALLOWED` when the host is not in `allowedHosts` (when a list is given), or, with a `urlPolicy`,
 * when the URL is not https or resolves to an address the policy refuses (see `assertSafeUrl`).
 *
 * @example
 * ```ts
 * await assertDestination('https://api.stripe.com/v1/charges', { method: 'GET', allowedHosts: ['api.stripe.com'] });
 * ```
 */
export async function assertDestination(url: string, options: { method: string; allowedHosts?: readonly string[] | undefined; urlPolicy?: UrlPolicy | undefined }): Promise<void> {
  if (options.allowedHosts && !isAllowedDestination(url, options.allowedHosts)) {
    throw new HttpError({ code: 'HOST_NOT_ALLOWED', method: options.method, url, attempts: 0, detail: 'is refused: the host is not in the manifest\'s allowedHosts' });
  }
  // An allowed host name that resolves to a loopback, private or link-local address is refused too.
  if (options.urlPolicy) {
    try {
      await assertSafeUrl(url, options.urlPolicy);
    } catch (error) {
      if (!(error instanceof UnsafeUrlError)) throw error;
      throw new HttpError({ code: 'HOST_NOT_ALLOWED', method: options.method, url, attempts: 0, detail: `is refused: ${error.reason}` });
    }
  }
}
