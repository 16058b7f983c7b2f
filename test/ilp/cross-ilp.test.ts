// ILPv4 and ILDCP against ilp-packet and ilp-protocol-ildcp over seeded random packets.
import { describe, expect, it } from 'vitest';
import {
  decodeFulfill,
  decodeIlpPacket,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodePrepare,
  encodeReject,
  ildcpFulfill,
  ildcpInfoFromFulfill,
  ildcpRequest,
  IlpErrorCode,
  isIldcpRequest,
  isValidIlpAddress,
  type IlpFulfill,
  type IlpPrepare,
  type IlpReject,
} from '../../src/ilp';
import { Ildcp, IlpPacket } from './official';
import { hex, Rng } from './random';

const RUNS = 500;
const buf = (bytes: Uint8Array) => Buffer.from(bytes);

function randomPrepare(rng: Rng): IlpPrepare {
  return {
    amount: rng.uint64(),
    expiresAt: rng.date(),
    executionCondition: rng.bytes(32),
    destination: rng.address(),
    data: rng.data(),
  };
}

function randomFulfill(rng: Rng): IlpFulfill {
  return { fulfillment: rng.bytes(32), data: rng.data() };
}

function randomReject(rng: Rng): IlpReject {
  const codes = Object.values(IlpErrorCode) as string[];
  return {
    code: rng.chance(0.8) ? rng.pick(codes) : rng.ascii(3),
    triggeredBy: rng.chance(0.1) ? '' : rng.address(),
    message: rng.utf8(),
    data: rng.data(),
  };
}

describe('ILP Prepare', () => {
  it('ours → ilp-packet', () => {
    const rng = new Rng(1);
    for (let i = 0; i < RUNS; i++) {
      const prepare = randomPrepare(rng);
      const theirs = IlpPacket.deserializeIlpPrepare(buf(encodePrepare(prepare)));
      expect(theirs.amount).toBe(prepare.amount.toString());
      expect(theirs.expiresAt.getTime()).toBe(prepare.expiresAt.getTime());
      expect(hex(theirs.executionCondition)).toBe(hex(prepare.executionCondition));
      expect(theirs.destination).toBe(prepare.destination);
      expect(hex(theirs.data)).toBe(hex(prepare.data));
    }
  });

  it('ilp-packet → ours, and ours re-encodes the same bytes', () => {
    const rng = new Rng(2);
    for (let i = 0; i < RUNS; i++) {
      const prepare = randomPrepare(rng);
      const bytes = IlpPacket.serializeIlpPrepare({
        amount: prepare.amount.toString(),
        expiresAt: prepare.expiresAt,
        executionCondition: buf(prepare.executionCondition),
        destination: prepare.destination,
        data: buf(prepare.data),
      });
      expect(decodePrepare(bytes)).toEqual(prepare);
      expect(hex(encodePrepare(prepare))).toBe(bytes.toString('hex'));
    }
  });
});

describe('ILP Fulfill', () => {
  it('ours → ilp-packet', () => {
    const rng = new Rng(3);
    for (let i = 0; i < RUNS; i++) {
      const fulfill = randomFulfill(rng);
      const theirs = IlpPacket.deserializeIlpFulfill(buf(encodeFulfill(fulfill)));
      expect(hex(theirs.fulfillment)).toBe(hex(fulfill.fulfillment));
      expect(hex(theirs.data)).toBe(hex(fulfill.data));
    }
  });

  it('ilp-packet → ours, and ours re-encodes the same bytes', () => {
    const rng = new Rng(4);
    for (let i = 0; i < RUNS; i++) {
      const fulfill = randomFulfill(rng);
      const bytes = IlpPacket.serializeIlpFulfill({ fulfillment: buf(fulfill.fulfillment), data: buf(fulfill.data) });
      expect(decodeFulfill(bytes)).toEqual(fulfill);
      expect(hex(encodeFulfill(fulfill))).toBe(bytes.toString('hex'));
    }
  });
});

describe('ILP Reject', () => {
  it('ours → ilp-packet', () => {
    const rng = new Rng(5);
    for (let i = 0; i < RUNS; i++) {
      const reject = randomReject(rng);
      const theirs = IlpPacket.deserializeIlpReject(buf(encodeReject(reject)));
      expect({ ...theirs, data: hex(theirs.data) }).toEqual({ ...reject, data: hex(reject.data) });
    }
  });

  it('ilp-packet → ours, and ours re-encodes the same bytes', () => {
    const rng = new Rng(6);
    for (let i = 0; i < RUNS; i++) {
      const reject = randomReject(rng);
      const bytes = IlpPacket.serializeIlpReject({ ...reject, data: buf(reject.data) });
      expect(decodeReject(bytes)).toEqual(reject);
      expect(hex(encodeReject(reject))).toBe(bytes.toString('hex'));
    }
  });
});

describe('decodeIlpPacket', () => {
  it('dispatches like ilp-packet', () => {
    const rng = new Rng(7);
    const makers = [
      (): [Uint8Array, number] => [encodePrepare(randomPrepare(rng)), 12],
      (): [Uint8Array, number] => [encodeFulfill(randomFulfill(rng)), 13],
      (): [Uint8Array, number] => [encodeReject(randomReject(rng)), 14],
    ];
    for (let i = 0; i < RUNS; i++) {
      const [bytes, type] = rng.pick(makers)();
      expect(decodeIlpPacket(bytes).type).toBe(type);
      expect(IlpPacket.deserializeIlpPacket(buf(bytes)).type).toBe(type);
    }
  });
});

describe('ILP addresses', () => {
  it('agree with ilp-packet on random and mangled addresses', () => {
    const rng = new Rng(8);
    const mangle = (address: string) => {
      const at = rng.int(0, address.length);
      return address.slice(0, at) + rng.pick(['.', '..', ' ', '!', 'é', '', 'g.']) + address.slice(at);
    };
    for (let i = 0; i < RUNS * 4; i++) {
      const address = rng.chance(0.5) ? rng.address() : mangle(rng.address());
      expect(isValidIlpAddress(address), address).toBe(IlpPacket.isValidIlpAddress(address));
    }
  });
});

describe('ILDCP', () => {
  const randomInfo = (rng: Rng) => ({ clientAddress: rng.address(), assetScale: rng.int(0, 255), assetCode: rng.utf8(8) });

  it('responses: ours → ilp-protocol-ildcp', () => {
    const rng = new Rng(9);
    for (let i = 0; i < RUNS; i++) {
      const info = randomInfo(rng);
      expect(Ildcp.deserializeIldcpResponse(buf(encodeFulfill(ildcpFulfill(info))))).toEqual(info);
    }
  });

  it('responses: ilp-protocol-ildcp → ours, same bytes', () => {
    const rng = new Rng(10);
    for (let i = 0; i < RUNS; i++) {
      const info = randomInfo(rng);
      const bytes = Ildcp.serializeIldcpResponse(info);
      expect(ildcpInfoFromFulfill(decodeFulfill(bytes))).toEqual(info);
      expect(hex(encodeFulfill(ildcpFulfill(info)))).toBe(bytes.toString('hex'));
    }
  });

  it('requests agree both ways', () => {
    const rng = new Rng(11);
    for (let i = 0; i < RUNS; i++) {
      // ilp-protocol-ildcp refuses expired requests, so these lie in the future.
      const expiresAt = new Date(Date.now() + rng.int(60_000, 10 ** 9));
      const theirs = Ildcp.serializeIldcpRequest({ expiresAt });
      expect(isIldcpRequest(decodePrepare(theirs))).toBe(true);
      expect(hex(encodePrepare(ildcpRequest(expiresAt)))).toBe(theirs.toString('hex'));
      expect(Ildcp.deserializeIldcpRequest(buf(encodePrepare(ildcpRequest(expiresAt)))).expiresAt).toEqual(expiresAt);
    }
  });
});
