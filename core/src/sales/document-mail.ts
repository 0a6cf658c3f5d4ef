import type { Knex } from 'knex';
import type { Customer, EventMetadata } from '@uah/schemas';
import { newId } from '../shared/ids.js';
import { AppError } from '../http/errors.js';
import type { EventStore } from '../events/store.js';
import type { Mailer, SentMail } from '../mail/mailer.js';

/** A sales document (invoice, quote) emailed to its customer with its PDF attached. */
export interface DocumentEmail {
  to: string;
  subject: string;
  text: string;
  /** The organization's name, shown as the sender. */
  fromName: string;
  filename: string;
  pdf: Buffer;
  relatedObject: { type: 'invoice' | 'quote'; id: string };
}

export interface DeliveredEmail extends DocumentEmail {
  sent: SentMail;
}

/** The address the document goes to: `to` when given, else the customer's; 422 CUSTOMER_EMAIL_MISSING when neither exists. */
export function recipientOf(customer: Pick<Customer, 'displayName' | 'email'>, to: string | undefined): string {
  const address = to ?? customer.email;
  if (!address) {
    throw new AppError('CUSTOMER_EMAIL_MISSING', `Customer ${customer.displayName} has no email address: add one, or give "to".`, {
      errors: [{ field: '/to', in: 'body', message: 'required: the customer has no email' }],
    });
  }
  return address;
}

/** The email body: the caller's message first, then the document's summary lines. */
export function documentEmailText(message: string | undefined, summary: string[], kind: DocumentEmail['relatedObject']['type']): string {
  return [message, ...summary, `The ${kind} is attached as a PDF.`].filter(Boolean).join('\n\n');
}

/**
 * Hands the email to the mailer. Called before anything is recorded, so a transport failure (502
 * MAIL_DELIVERY_FAILED) leaves the document and the event log as they were.
 */
export async function mailDocument(mailer: Mailer, email: DocumentEmail): Promise<DeliveredEmail> {
  const { to, subject, text, fromName, filename, pdf } = email;
  try {
    const sent = await mailer.send({ to, subject, text, fromName, attachments: [{ filename, content: pdf, contentType: 'application/pdf' }] });
    return { ...email, sent };
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError('MAIL_DELIVERY_FAILED', `The ${email.relatedObject.type} email to ${to} could not be delivered: ${reason}`);
  }
}

/** Appends `email.sent`, in the transaction that records the document as sent. */
export async function recordEmailSent(events: EventStore, trx: Knex.Transaction, organizationId: string, email: DeliveredEmail, meta: EventMetadata): Promise<void> {
  const object = {
    id: newId('eml'), object: 'email', to: email.to, subject: email.subject, messageId: email.sent.messageId, transport: email.sent.transport,
    attachments: [email.filename], relatedObject: email.relatedObject,
  };
  await events.append(trx, [{ type: 'email.sent', aggregateType: 'email', aggregateId: object.id, organizationId, data: { object } }], meta);
}
