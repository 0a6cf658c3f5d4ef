import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from './mailer.js';

describe('mailer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'uah-mail-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('without SMTP, writes the message with its attachment as an .eml file named by its message id', async () => {
    const outbox = join(dir, 'outbox');
    const mailer = createMailer({ outboxDir: outbox, from: 'billing@acme.test' });
    const sent = await mailer.send({
      to: 'jane@example.com',
      subject: 'Invoice INV-00007',
      text: 'Please find the invoice attached.',
      fromName: 'Acme Ltd',
      attachments: [{ filename: 'INV-00007.pdf', content: Buffer.from('%PDF-1.3 test'), contentType: 'application/pdf' }],
    });
    expect(sent.transport).toBe('file');
    expect(await readdir(outbox)).toEqual([`${sent.messageId.replace(/^<|>$/g, '')}.eml`]);
    const eml = await readFile(sent.path ?? '', 'utf8');
    expect(eml).toMatch(/^To: jane@example\.com$/m);
    expect(eml).toMatch(/^From: Acme Ltd <billing@acme\.test>$/m);
    expect(eml).toMatch(/^Subject: Invoice INV-00007$/m);
    expect(eml).toMatch(/^Content-Type: application\/pdf; name=INV-00007\.pdf$/m);
    expect(eml).toContain(Buffer.from('%PDF-1.3 test').toString('base64'));
  });

  it('sends through SMTP when a URL is given (a refused connection is an error, not a silent drop)', async () => {
    const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', outboxDir: join(dir, 'unused') });
    await expect(mailer.send({ to: 'a@example.com', subject: 's', text: 't' })).rejects.toThrow(/ECONNREFUSED|connect/);
    await expect(readdir(join(dir, 'unused'))).rejects.toThrow(/ENOENT/);
  });
});
