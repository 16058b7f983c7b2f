// Pays into a pubkey's balance on the relay, as a wallet peer would: BTP link, SPSP, one STREAM payment.
//   node examples/pay.mjs <relay http URL> <hex pubkey> <BTP token from ILP_PEERS> [amount]
import { createConnection } from 'ilp-protocol-stream';
import BtpPlugin from 'ilp-plugin-btp';

const [relay, pubkey, token, amount = '100000'] = process.argv.slice(2);
const plugin = new BtpPlugin({ server: `btp+ws://:${token}@${new URL(relay).host}/btp` });
await plugin.connect();
const { destination_account, shared_secret } = await (await fetch(`${relay}/pay/${pubkey}`)).json();
const conn = await createConnection({
  plugin,
  destinationAccount: destination_account,
  sharedSecret: Buffer.from(shared_secret, 'base64'),
});
await conn.createStream().sendTotal(amount); // resolves once the relay has fulfilled all of it
console.log(`paid ${conn.totalDelivered} to ${pubkey}`);
await conn.end();
await plugin.disconnect();
// ilp-plugin-btp 1.5 can leave a 35 s response timer behind when the relay answers before its own send completes.
process.exit(0);
