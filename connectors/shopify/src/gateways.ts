import type { Payment } from '@uah/connector-sdk';

type Method = Payment['method'];

/** Shopify's gateway names (as `payment_gateway_names` spells them) → how the customer paid. */
const KNOWN: Record<string, Method> = {
  shopify_payments: 'CARD', stripe: 'CARD', authorize_net: 'CARD', braintree: 'CARD', adyen: 'CARD', bogus: 'CARD', 'shop_pay_installments': 'CARD',
  paypal: 'PAYPAL', paypal_express: 'PAYPAL',
  cash: 'CASH', 'cash on delivery (cod)': 'CASH', cod: 'CASH',
  'bank deposit': 'BANK_TRANSFER', bank_deposit: 'BANK_TRANSFER', 'bank transfer': 'BANK_TRANSFER',
  'money order': 'CHECK', cheque: 'CHECK', check: 'CHECK',
  manual: 'OTHER', gift_card: 'OTHER',
};

/** The payment method of a gateway: the organization's own mapping first, then the known gateways, else OTHER. */
export function methodOf(gateway: string, configured: Record<string, string> = {}): Method {
  const own = configured[gateway] ?? configured[gateway.toLowerCase()];
  if (own) return own as Method;
  return KNOWN[gateway.toLowerCase()] ?? 'OTHER';
}
