import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateSecret, secretKey, signatureHeaders, signStandard } from './signing.js';

describe('webhook signing', () => {
  it('reproduces the Standard Webhooks specification test vector', () => {
    // Published with the specification's reference libraries (secret, id, timestamp, body → signature).
    expect(signStandard('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs what the standardwebhooks package verifies, with either secret during a rotation', () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { note: 'ünïcode ✓' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = signatureHeaders({ id: 'msg_1', timestamp, body, eventType: 'invoice.paid', secrets: [current, previous] });
    expect(new Webhook(current).verify(body, headers)).toMatchObject({ id: 'evt_1' });
    expect(new Webhook(previous).verify(body, headers)).toMatchObject({ id: 'evt_1' });
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(current).verify(body.replace('paid', 'void'), headers)).toThrow();
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
  });

  it('adds the X-Webhook headers: hex HMAC of the body with the same key bytes', () => {
    const secret = generateSecret();
    const headers = signatureHeaders({ id: 'msg_2', timestamp: 1700000000, body: '{}', eventType: 'customer.created', secrets: [secret] });
    expect(headers['x-webhook-signature-256']).toBe('sha256=' + createHmac('sha256', secretKey(secret)).update('{}').digest('hex'));
    expect(headers).toMatchObject({ 'x-webhook-event': 'customer.created', 'x-webhook-delivery': 'msg_2', 'x-webhook-timestamp': '1700000000', 'webhook-id': 'msg_2', 'webhook-timestamp': '1700000000' });
  });

  it('makes secrets of whsec_ and at least 24 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretKey(secret).length).toBeGreaterThanOrEqual(24);
    expect(generateSecret()).not.toBe(secret);
  });
});
