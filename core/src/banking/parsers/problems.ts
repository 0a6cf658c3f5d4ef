import { AppError } from '../../http/errors.js';

/** A statement file that cannot be read: 422 STATEMENT_UNREADABLE, with the reason, nothing imported. */
export function unreadable(detail: string): AppError {
  return new AppError('STATEMENT_UNREADABLE', detail, { errors: [{ field: '/content', in: 'body', message: detail.slice(0, 300) }] });
}
