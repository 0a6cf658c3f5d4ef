import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError } from './webhooks.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_' + Buffer.alloc(32, 7).toString('base64');

/** Signed by the standardwebhooks package, as a sender that follows the specification would sign. */
function signed(secret: string, body: string, at = new Date()): Record<string, string> {
  const id = 'msg_2Lj3';
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
}

describe('verifyWebhook', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { note: 'ünïcode ✓' } } });

  it('accepts the specification test vector', () => {
    const headers = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' };
    expect(verifyWebhook(SECRET, headers, '{"test": 2432232314}', { now: 1614265330_000 })).toEqual({ test: 2432232314 });
  });

  it('returns the event of a delivery signed with the secret, from any header shape', () => {
    const headers = signed(SECRET, body);
    expect(verifyWebhook(SECRET, headers, body)).toMatchObject({ id: 'evt_1' });
    expect(verifyWebhook(SECRET, new Headers(headers), Buffer.from(body))).toMatchObject({ id: 'evt_1' });
    expect(verifyWebhook(SECRET, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]])), body)).toMatchObject({ id: 'evt_1' });
  });

  it('accepts either secret during a rotation, and a header with several signatures', () => {
    expect(verifyWebhook([OTHER, SECRET], signed(SECRET, body), body)).toMatchObject({ id: 'evt_1' });
    const both = signed(OTHER, body);
    both['webhook-signature'] = `v1,AAAA ${both['webhook-signature'] ?? ''}`;
    expect(verifyWebhook([SECRET, OTHER], both, body)).toMatchObject({ id: 'evt_1' });
  });

  it('refuses a changed body, another secret, stale or future timestamps, missing headers', () => {
    const headers = signed(SECRET, body);
    const refuse = (fn: () => unknown): void => expect(fn).toThrow(WebhookVerificationError);
    refuse(() => verifyWebhook(SECRET, headers, body.replace('paid', 'void')));
    refuse(() => verifyWebhook(OTHER, headers, body));
    refuse(() => verifyWebhook([], headers, body));
    refuse(() => verifyWebhook(SECRET, signed(SECRET, body, new Date(Date.now() - 301_000)), body));
    refuse(() => verifyWebhook(SECRET, signed(SECRET, body, new Date(Date.now() + 301_000)), body));
    expect(verifyWebhook(SECRET, signed(SECRET, body, new Date(Date.now() - 500_000)), body, { toleranceSeconds: 600 })).toMatchObject({ id: 'evt_1' });
    refuse(() => verifyWebhook(SECRET, { ...headers, 'webhook-timestamp': '12.5' }, body));
    refuse(() => verifyWebhook(SECRET, { 'webhook-id': 'msg_1' }, body));
    refuse(() => verifyWebhook(SECRET, { ...headers, 'webhook-signature': 'v2,' + (headers['webhook-signature'] ?? '').slice(3) }, body));
  });
});
