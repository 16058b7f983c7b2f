// The interledgerjs packages, loaded as CommonJS. Used only as references in tests.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const IlpPacket: any = require('ilp-packet');
export const BtpPacket: any = require('btp-packet');
export const Ildcp: any = require('ilp-protocol-ildcp');
export const StreamPacket: any = require('ilp-protocol-stream/dist/src/packet');
export const StreamCrypto: any = require('ilp-protocol-stream/dist/src/crypto');
export const Long: any = require('long');
