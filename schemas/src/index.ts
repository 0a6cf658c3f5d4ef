export type * from './generated/types.js';
export * as validators from './generated/validators.js';
export * as queryValidators from './generated/query-validators.js';
export { components } from './components.js';
export { currencyMinorUnits, decimalToMinorUnits, isCurrencyCode } from './currencies.js';
