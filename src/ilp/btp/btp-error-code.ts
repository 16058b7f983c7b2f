/** RFC 23 error codes with the names that go in a BTP Error's `name` field. */
export const BtpErrorCode = {
  T00_UNREACHABLE: { code: 'T00', name: 'UnreachableError' },
  F00_NOT_ACCEPTED: { code: 'F00', name: 'NotAcceptedError' },
  F01_INVALID_FIELDS: { code: 'F01', name: 'InvalidFieldsError' },
  F03_TRANSFER_NOT_FOUND: { code: 'F03', name: 'TransferNotFoundError' },
  F04_INVALID_FULFILLMENT: { code: 'F04', name: 'InvalidFulfillmentError' },
  F05_DUPLICATE_ID: { code: 'F05', name: 'DuplicateIdError' },
  F06_ALREADY_ROLLED_BACK: { code: 'F06', name: 'AlreadyRolledBackError' },
  F07_ALREADY_FULFILLED: { code: 'F07', name: 'AlreadyFulfilledError' },
  F08_INSUFFICIENT_BALANCE: { code: 'F08', name: 'InsufficientBalanceError' },
} as const;
