/** NIP-01 relay → client messages, built by concatenation so stored raw JSON is sent without re-serializing. */
export const eventMessage = (subIdJson: string, raw: string): string => `["EVENT",${subIdJson},${raw}]`;

export const okMessage = (id: string, accepted: boolean, message: string): string =>
  `["OK",${JSON.stringify(id)},${accepted},${JSON.stringify(message)}]`;

export const eoseMessage = (subIdJson: string): string => `["EOSE",${subIdJson}]`;

export const closedMessage = (subId: string, reason: string): string => JSON.stringify(['CLOSED', subId, reason]);

export const noticeMessage = (text: string): string => JSON.stringify(['NOTICE', text]);

/** NIP-45 answer; `approximate` when the count stopped at MAX_COUNT. */
export const countMessage = (subId: string, count: number, approximate: boolean): string =>
  JSON.stringify(['COUNT', subId, approximate ? { count, approximate: true } : { count }]);
