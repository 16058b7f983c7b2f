import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The official Interledger client stack: ilp-protocol-stream over ilp-plugin-btp.
const IlpStream = require('ilp-protocol-stream');
const BtpPlugin = require('ilp-plugin-btp');

export interface Spsp {
  destination_account: string;
  shared_secret: string;
}

export async function spsp(httpUrl: string, path: string): Promise<Spsp> {
  const res = await fetch(`${httpUrl}${path}`, { headers: { Accept: 'application/spsp4+json' } });
  if (res.status !== 200) throw new Error(`SPSP ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Spsp;
}

/** A STREAM connection opened from `/pay/<pubkey>` (or `/.well-known/pay`) over a BTP link with `token`. */
export async function openStream(port: number, token: string, path: string): Promise<{ conn: any; plugin: any; close(): Promise<void> }> {
  const plugin = new BtpPlugin({ server: `btp+ws://payer:${token}@127.0.0.1:${port}/btp` });
  await plugin.connect();
  const s = await spsp(`http://127.0.0.1:${port}`, path);
  const conn = await IlpStream.createConnection({
    plugin,
    destinationAccount: s.destination_account,
    sharedSecret: Buffer.from(s.shared_secret, 'base64'),
  });
  return {
    conn,
    plugin,
    async close() {
      await conn.end().catch(() => undefined);
      await plugin.disconnect();
    },
  };
}

/** Pays `amount` to `/pay/<pubkey>` with the official client; resolves when every unit is fulfilled. */
export async function pay(port: number, token: string, pubkey: string, amount: number | bigint): Promise<void> {
  const s = await openStream(port, token, `/pay/${pubkey}`);
  try {
    await s.conn.createStream().sendTotal(amount.toString());
  } finally {
    await s.close();
  }
}
