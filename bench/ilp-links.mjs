// Fulfilled ILP packets per second through the peer (a copy of dist/), end to end over each link kind:
//   btp:  a sender on BTP → the peer → a sink peer on BTP that fulfills
//   http: a sender POSTing to /ilp on keep-alive connections → the peer → a sink's ILP-over-HTTP endpoint
// Each packet carries 1 unit, so each is a pending transfer posted on its Fulfill (the ledger's group commit is
// in both), and the two mixed paths, to tell the incoming side from the outgoing one. Prints a table and one JSON line. Run after `npm run build`:
//   node bench/ilp-links.mjs [--seconds 5] [--concurrency 50]
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const BtpPlugin = require('ilp-plugin-btp');
const Packet = require('ilp-packet');

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const arg = (name, dflt) => {
  const k = process.argv.indexOf(name);
  return k < 0 ? dflt : Number(process.argv[k + 1]);
};
const seconds = arg('--seconds', Number(process.env.BENCH_SECONDS ?? 5));
const concurrency = arg('--concurrency', 50);
if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first');

const fulfillment = randomBytes(32);
const condition = createHash('sha256').update(fulfillment).digest();
const fulfill = Packet.serializeIlpFulfill({ fulfillment, data: Buffer.alloc(0) });
const prepare = (destination) =>
  Packet.serializeIlpPrepare({ amount: '1', expiresAt: new Date(Date.now() + 30_000), executionCondition: condition, destination, data: Buffer.alloc(0) });

// the HTTP sink: fulfills every Prepare
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(fulfill);
  });
});
sink.keepAliveTimeout = 60_000;
await new Promise((r) => sink.listen(0, '127.0.0.1', r));

const dir = mkdtempSync(path.join(tmpdir(), 'bench-links-'));
cpSync(dist, path.join(dir, 'app'), { recursive: true });
const T = { sender: 'bench-sender-token-0123', sinkBtp: 'bench-sink-btp-token-01', sinkHttp: 'bench-sink-http-token-0' };
const env = {
  PATH: process.env.PATH,
  DATA_DIR: path.join(dir, 'data'),
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  ILP_PEERS: JSON.stringify([
    { id: 'sender', token: T.sender, creditLimit: '1000000000000' },
    { id: 'sinkbtp', token: T.sinkBtp, creditLimit: '0', routes: ['test.sinkbtp'] },
    { id: 'sinkhttp', token: T.sinkHttp, creditLimit: '0', routes: ['test.sinkhttp'], http: { url: `http://127.0.0.1:${sink.address().port}/ilp`, token: 'x' } },
  ]),
};
const child = spawn(process.execPath, [path.join(dir, 'app/peer.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
    const m = /"port":(\d+).*"msg":"peer listening"/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
});
const url = `http://127.0.0.1:${port}`;

/** `concurrency` loops each sending one packet at a time for `seconds`; counts the Fulfills. */
async function run(send, destination) {
  let fulfilled = 0;
  let other = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const reply = await send(prepare(destination));
        if (reply[0] === Packet.Type.TYPE_ILP_FULFILL) fulfilled++;
        else other++;
      }
    }),
  );
  if (other > 0) process.stderr.write(`${destination}: ${other} packets not fulfilled\n`);
  return { fulfilled, perSecond: Math.round(fulfilled / ((performance.now() - start) / 1000)) };
}

const sender = new BtpPlugin({ server: `btp+ws://:${T.sender}@127.0.0.1:${port}/btp` });
const sinkBtp = new BtpPlugin({ server: `btp+ws://:${T.sinkBtp}@127.0.0.1:${port}/btp` });
sinkBtp.registerDataHandler(async () => fulfill);
await Promise.all([sender.connect(), sinkBtp.connect()]);
const btp = await run((p) => sender.sendData(p), 'test.sinkbtp.x');

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const post = (body) =>
  new Promise((resolve, reject) => {
    const req = http.request(`${url}/ilp`, {
      method: 'POST',
      agent,
      headers: { Authorization: `Bearer ${T.sender}`, 'Content-Type': 'application/octet-stream', 'Content-Length': body.length },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks)));
    });
    req.end(body);
  });
const overHttp = await run(post, 'test.sinkhttp.x');
const httpToBtp = await run(post, 'test.sinkbtp.x');
const btpToHttp = await run((p) => sender.sendData(p), 'test.sinkhttp.x');

await Promise.all([sender.disconnect(), sinkBtp.disconnect()]);
agent.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
sink.close();
rmSync(dir, { recursive: true, force: true });

const rows = [
  { scenario: `BTP in → BTP out, ${concurrency} in flight`, perSecond: btp.perSecond, fulfilled: btp.fulfilled },
  { scenario: `ILP-over-HTTP keep-alive in → out, ${concurrency} in flight`, perSecond: overHttp.perSecond, fulfilled: overHttp.fulfilled },
  { scenario: `ILP-over-HTTP in → BTP out`, perSecond: httpToBtp.perSecond, fulfilled: httpToBtp.fulfilled },
  { scenario: `BTP in → ILP-over-HTTP out`, perSecond: btpToHttp.perSecond, fulfilled: btpToHttp.fulfilled },
];
console.table(rows);
console.log(JSON.stringify({ bench: 'ilp-links', seconds, concurrency, rows }));
