import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Display name of the sender (the organization); the address is the mailer's `from`. */
  fromName?: string;
  replyTo?: string;
  attachments?: MailAttachment[];
}

export interface SentMail {
  messageId: string;
  /** `smtp`: handed to the SMTP server; `file`: written as an .eml file into the outbox folder. */
  transport: 'smtp' | 'file';
  /** The .eml file, for the file transport. */
  path?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<SentMail>;
}

export interface MailerOptions {
  /** `smtp://` or `smtps://` URL; without it messages are written as .eml files into `outboxDir`. */
  smtpUrl?: string | undefined;
  outboxDir: string;
  /** Sender address (default `no-reply@localhost`). */
  from?: string | undefined;
}

/** A message id as a file name: `<abc.123@host>` → `abc.123@host.eml`. */
function fileNameOf(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9.@_-]/g, '_')}.eml`;
}

/**
 * Sends mail through SMTP when `smtpUrl` is set, else writes each message (RFC 5322, attachments included)
 * into the outbox folder, named by its message id: a development hub keeps every email it would have sent.
 */
export function createMailer(options: MailerOptions): Mailer {
  const from = options.from ?? 'no-reply@localhost';
  const transporter: Transporter = options.smtpUrl
    ? nodemailer.createTransport(options.smtpUrl)
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  return {
    async send(message) {
      const info = (await transporter.sendMail({
        from: message.fromName ? { name: message.fromName, address: from } : from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        attachments: (message.attachments ?? []).map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
      })) as { messageId: string; message?: Buffer };
      if (options.smtpUrl) return { messageId: info.messageId, transport: 'smtp' };
      if (!info.message) throw new Error('the stream transport returned no message');
      await mkdir(options.outboxDir, { recursive: true });
      const path = join(options.outboxDir, fileNameOf(info.messageId));
      await writeFile(path, info.message, { mode: 0o600 });
      return { messageId: info.messageId, transport: 'file', path };
    },
  };
}
