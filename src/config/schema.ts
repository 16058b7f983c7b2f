import { IpList } from './ip-list';
import { parsePeerSettlement, type PeerSettlement } from './peer-settlement';

/**
 * Every setting the peer reads, in one place: its environment name, default, meaning and parser.
 * `.env.example`, NIP-11 and the docs are derived from this list; nothing else reads process.env.
 */
export type Parser<T> = (raw: string) => T;

export interface Setting<T> {
  env: string;
  default: string;
  description: string;
  parse: Parser<T>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const fail = (what: string): never => {
  throw new ConfigError(what);
};

const str: Parser<string> = (raw) => raw;

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      fail(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };

const amount: Parser<bigint> = (raw) => {
  if (!/^\d+$/.test(raw.trim())) fail('expected a non-negative integer amount in the smallest unit');
  const n = BigInt(raw.trim());
  if (n >= 2n ** 63n) fail('expected an amount below 2^63');
  return n;
};

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw) =>
    values.includes(raw as T) ? (raw as T) : fail(`expected one of ${values.join(', ')}`);

const HEX64 = /^[0-9a-f]{64}$/;
const hex64OrEmpty: Parser<string> = (raw) =>
  raw === '' || HEX64.test(raw) ? raw : fail('expected 64 lowercase hex characters');

const pubkeyList: Parser<string[]> = (raw) => {
  const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of keys) if (!HEX64.test(k)) fail(`expected comma-separated 64-char lowercase hex pubkeys, got "${k}"`);
  return keys;
};

const bool: Parser<boolean> = (raw) =>
  ['true', '1', 'yes'].includes(raw.trim().toLowerCase())
    ? true
    : ['false', '0', 'no', ''].includes(raw.trim().toLowerCase())
      ? false
      : fail('expected true or false');

const pubkeySet: Parser<ReadonlySet<string>> = (raw) => new Set(pubkeyList(raw));

const ipList: Parser<IpList> = (raw) => {
  try {
    return IpList.parse(raw);
  } catch (err) {
    return fail((err as Error).message);
  }
};

/** A token bucket: up to `count` actions at once, refilled at `count` per `seconds`. */
export interface Rate {
  count: number;
  seconds: number;
}

/** `"<count>/<seconds>"`, e.g. `"600/60"`; `"0"` turns the limit off (null). */
const rate: Parser<Rate | null> = (raw) => {
  if (raw.trim() === '0') return null;
  const m = /^(\d{1,9})\/(\d{1,7})$/.exec(raw.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) return fail('expected "<count>/<seconds>" such as 600/60, or 0 for no limit');
  return { count: Number(m[1]), seconds: Number(m[2]) };
};

/** Seconds from `"<n>"` or `"<n><unit>"` with unit s, m, h or d (e.g. `"6h"`, `"1d"`); `"0"` or `"off"` is 0 (never). */
const duration: Parser<number> = (raw) => {
  const text = raw.trim().toLowerCase();
  if (text === 'off') return 0;
  const m = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (!m) return fail('expected seconds or a duration such as 30m, 6h or 1d (0 or off: never)');
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
};

/** `s3://bucket` or `s3://bucket/prefix`, or empty (off). */
const backupUrl: Parser<string> = (raw) => {
  if (raw === '') return raw;
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[^\s]*)?$/.exec(raw.trim());
  return m ? raw.trim().replace(/\/+$/, '') : fail('expected s3://bucket or s3://bucket/prefix (a bucket name of 3-63 lowercase letters, digits, dots and hyphens)');
};

const httpUrlOrEmpty: Parser<string> = (raw) => {
  if (raw === '') return raw;
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return raw.replace(/\/$/, '');
  } catch {
    /* fall through to the error */
  }
  return fail('expected an http:// or https:// URL such as https://s3.us-west-004.backblazeb2.com');
};

/** The backup key as 32 bytes, `'none'` (the operator's explicit opt-out of encryption), or undefined (unset). */
const backupKey: Parser<Buffer | 'none' | undefined> = (raw) => {
  const text = raw.trim();
  if (text === '') return undefined;
  if (text === 'none') return 'none';
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}$/.test(text)) {
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (key.length === 32) return key;
  }
  return fail('expected 32 bytes as 64 hex characters or base64 (openssl rand -hex 32), or none to upload unencrypted');
};

const priceKinds: Parser<Map<number, bigint>> = (raw) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail('expected a JSON object of kind → price, e.g. {"1":"50"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('expected a JSON object');
  const prices = new Map<number, bigint>();
  for (const [kind, price] of Object.entries(parsed as Record<string, unknown>)) {
    const k = int(0, 65535)(kind);
    if (typeof price !== 'string' && typeof price !== 'number') fail(`price of kind ${kind} must be an integer`);
    prices.set(k, amount(String(price)));
  }
  return prices;
};

const ILP_ADDRESS = /^(g|private|example|peer|self|test[1-3]?|local)(\.[a-zA-Z0-9_~-]+)+$/;
const ilpAddress: Parser<string> = (raw) =>
  ILP_ADDRESS.test(raw) && raw.length <= 1023 ? raw : fail('expected an ILP address such as test.peer or g.example');

const assetCode: Parser<string> = (raw) => (/^[A-Za-z0-9]{1,16}$/.test(raw) ? raw : fail('expected 1-16 letters or digits'));

export interface PeerLink {
  id: string;
  token: string;
  creditLimit: bigint;
  routes: string[];
  /** ILP-over-HTTP (RFC 35) endpoint of the peer and the bearer token it expects from us. */
  http?: { url: string; token: string };
  /** How what we owe this peer (and it owes us) is settled on a chain; absent: out of band only. */
  settlement?: PeerSettlement;
}

/** The `http` of an ILP_PEERS entry: where to POST the Prepares routed to that peer, and with which token. */
function peerHttp(i: number, raw: unknown): PeerLink['http'] {
  if (raw === undefined) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) fail(`entry ${i}: "http" must be an object {"url","token"}`);
  let url: URL | undefined;
  try {
    url = typeof o.url === 'string' ? new URL(o.url) : undefined;
  } catch {
    /* reported below */
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) fail(`entry ${i}: "http.url" must be an http:// or https:// URL`);
  if (typeof o.token !== 'string' || o.token === '' || /\s/.test(o.token)) fail(`entry ${i}: "http.token" must be a non-empty string without spaces`);
  return { url: url!.href, token: o.token as string };
}

const peers: Parser<PeerLink[]> = (raw) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fail('expected a JSON array of {"id","token","creditLimit"}');
  }
  if (!Array.isArray(parsed)) fail('expected a JSON array');
  const seen = new Set<string>();
  return (parsed as unknown[]).map((p, i) => {
    const o = p as Record<string, unknown>;
    if (typeof o !== 'object' || o === null) fail(`entry ${i} must be an object`);
    if (typeof o.id !== 'string' || !/^[a-zA-Z0-9_~-]+$/.test(o.id)) fail(`entry ${i}: "id" must be an ILP address segment`);
    if (typeof o.token !== 'string' || o.token.length < 16) fail(`entry ${i}: "token" must be a string of at least 16 characters`);
    if (seen.has(o.id as string)) fail(`entry ${i}: duplicate id "${o.id}"`);
    seen.add(o.id as string);
    const routes = o.routes ?? [];
    if (!Array.isArray(routes) || !routes.every((r) => typeof r === 'string' && ILP_ADDRESS.test(r))) {
      fail(`entry ${i}: "routes" must be an array of ILP address prefixes`);
    }
    let settlement: PeerSettlement | undefined;
    try {
      settlement = o.settlement === undefined ? undefined : parsePeerSettlement(o.settlement);
    } catch (err) {
      fail(`entry ${i}: ${(err as Error).message}`);
    }
    return {
      id: o.id as string,
      token: o.token as string,
      creditLimit: amount(String(o.creditLimit ?? '0')),
      routes: routes as string[],
      ...(o.http !== undefined && { http: peerHttp(i, o.http) }),
      ...(settlement ? { settlement } : {}),
    };
  });
};

const publicUrl: Parser<string> = (raw) => {
  if (raw === '') return raw;
  try {
    const u = new URL(raw);
    if (u.protocol === 'wss:' || u.protocol === 'ws:') return raw.replace(/\/$/, '');
  } catch {
    /* fall through to the error */
  }
  return fail('expected a ws:// or wss:// URL such as wss://relay.example');
};

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const evmAddressOrEmpty: Parser<string> = (raw) =>
  raw === '' || EVM_ADDRESS.test(raw.trim()) ? raw.trim() : fail('expected a 0x-prefixed 20-byte hex address, or empty');

/** An ERC-20 address, or `native` for the chain's own coin (the contract's token address(0)). */
const settlementToken: Parser<string> = (raw) =>
  raw.trim() === 'native' || EVM_ADDRESS.test(raw.trim()) ? raw.trim() : fail('expected an ERC-20 address (0x…) or native');

const rpcUrlOrEmpty: Parser<string> = (raw) => {
  if (raw === '') return raw;
  try {
    if (['http:', 'https:'].includes(new URL(raw).protocol)) return raw;
  } catch {
    /* fall through to the error */
  }
  return fail('expected an http:// or https:// JSON-RPC URL, or empty');
};

/** One EVM chain's settlement settings, named as the system this project replaces named them. */
const settlementChain = (chain: 'BASE' | 'CRONOS', name: string, chainId: number, usdc: string, confirmations: number) =>
  ({
    rpcUrl: {
      env: `SETTLEMENT_${chain}_RPC_URL`,
      default: '',
      description: `${name}: JSON-RPC URL for payment-channel settlement (empty: none on ${name}); may hold an API key, shown masked`,
      parse: rpcUrlOrEmpty,
    },
    chainId: {
      env: `SETTLEMENT_${chain}_CHAIN_ID`,
      default: String(chainId),
      description: `${name}: chain id the RPC must serve, checked at start (another id runs the same settings on a testnet or any EVM chain)`,
      parse: int(1),
    },
    channelAddress: {
      env: `SETTLEMENT_${chain}_CHANNEL_ADDRESS`,
      default: '',
      description: `${name}: address of the StreamChannel contract (\`settlement deploy --chain ${chain.toLowerCase()}\` prints it)`,
      parse: evmAddressOrEmpty,
    },
    token: {
      env: `SETTLEMENT_${chain}_TOKEN`,
      default: usdc,
      description: `${name}: ERC-20 the channels hold (default: USDC) or native for the chain's coin`,
      parse: settlementToken,
    },
    privateKeyFile: {
      env: `SETTLEMENT_${chain}_PRIVATE_KEY_FILE`,
      default: '',
      description: `${name}: file (mode 0600) holding the relay's dedicated EVM key as 0x + 64 hex; never the Nostr key; never logged`,
      parse: str,
    },
    startBlock: {
      env: `SETTLEMENT_${chain}_START_BLOCK`,
      default: '0',
      description: `${name}: block the channel contract was deployed in (\`settlement deploy\` prints it); scans for its events start there`,
      parse: int(0),
    },
    confirmations: {
      env: `SETTLEMENT_${chain}_CONFIRMATIONS`,
      default: String(confirmations),
      description: `${name}: blocks on top of a channel event before it counts (reorg safety)`,
      parse: int(0, 10_000),
    },
  }) as const;

const base = settlementChain('BASE', 'Base', 8453, '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', 10);
const cronos = settlementChain('CRONOS', 'Cronos', 25, '0xc21223249CA28397B4B6541dfFaEcC539BfF0c59', 2);

/** An Open Payments wallet address URL (http(s); whether http is allowed is checked at start), or empty. */
const walletAddressUrl: Parser<string> = (raw) => {
  if (raw === '') return raw;
  try {
    const u = new URL(raw);
    if ((u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash && !u.username) return raw.replace(/\/$/, '');
  } catch {
    /* fall through to the error */
  }
  return fail('expected a wallet address URL such as https://interledger.app/alice');
};

export const settings = {
  port: { env: 'PORT', default: '8080', description: 'TCP port for HTTP and WebSocket', parse: int(0, 65535) },
  host: { env: 'HOST', default: '0.0.0.0', description: 'address to listen on', parse: str },
  dataDir: { env: 'DATA_DIR', default: './data', description: 'folder for the SQLite database and backups', parse: str },
  logLevel: {
    env: 'LOG_LEVEL',
    default: 'info',
    description: 'pino log level',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
  logFormat: {
    env: 'LOG_FORMAT',
    default: 'json',
    description: 'json: one JSON object per line; pretty: coloured lines for a terminal (pino-pretty)',
    parse: oneOf('json', 'pretty'),
  },
  envFile: {
    env: 'ENV_FILE',
    default: '',
    description: 'file of settings read at start (empty: ./.env when present); the process environment wins',
    parse: str,
  },
  relayName: { env: 'RELAY_NAME', default: 'ilp-nostr-peer', description: 'NIP-11 name', parse: str },
  relayDescription: {
    env: 'RELAY_DESCRIPTION',
    default: 'A Nostr relay paid over Interledger',
    description: 'NIP-11 description',
    parse: str,
  },
  relayPubkey: { env: 'RELAY_PUBKEY', default: '', description: "NIP-11 operator's hex pubkey", parse: hex64OrEmpty },
  relayContact: { env: 'RELAY_CONTACT', default: '', description: 'NIP-11 contact (URI)', parse: str },
  publicUrl: {
    env: 'PUBLIC_URL',
    default: '',
    description: 'public wss:// URL of this relay (NIP-42 relay tag, HTML page)',
    parse: publicUrl,
  },
  ilpAddress: { env: 'ILP_ADDRESS', default: 'test.peer', description: "this node's ILP address", parse: ilpAddress },
  assetCode: { env: 'ASSET_CODE', default: 'USD', description: 'asset of all amounts', parse: assetCode },
  assetScale: { env: 'ASSET_SCALE', default: '9', description: 'decimal scale of all amounts', parse: int(0, 255) },
  priceBase: { env: 'PRICE_BASE', default: '0', description: 'price of one stored event', parse: amount },
  pricePerByte: { env: 'PRICE_PER_BYTE', default: '0', description: "plus this per byte of the event's serialization", parse: amount },
  priceKinds: { env: 'PRICE_KINDS', default: '{}', description: 'JSON object kind → base price override', parse: priceKinds },
  freePubkeys: { env: 'FREE_PUBKEYS', default: '', description: 'comma-separated hex pubkeys that write for free', parse: pubkeyList },
  ilpPeers: { env: 'ILP_PEERS', default: '[]', description: 'JSON array of ILP peers {id, token, creditLimit, routes, http?: {url, token}, settlement?: {chain, threshold, settleTo}}', parse: peers },
  ilpMaxPacketAmount: {
    env: 'ILP_MAX_PACKET_AMOUNT',
    default: '1000000000000',
    description: 'largest ILP packet amount accepted (larger ones are rejected F08)',
    parse: amount,
  },
  btpAuthTimeout: {
    env: 'BTP_AUTH_TIMEOUT',
    default: '5',
    description: 'seconds a /btp socket may stay open without authenticating before it is closed',
    parse: int(1, 300),
  },
  btpMaxConnectionsPerIp: {
    env: 'BTP_MAX_CONNECTIONS_PER_IP',
    default: '16',
    description: 'open /btp sockets per IP, authenticated or not (more are answered 429)',
    parse: int(1),
  },
  btpMaxUnauthenticated: {
    env: 'BTP_MAX_UNAUTHENTICATED',
    default: '256',
    description: '/btp sockets from all addresses together still waiting to authenticate (more are answered 503)',
    parse: int(1),
  },
  streamMaxConnections: {
    env: 'STREAM_MAX_CONNECTIONS',
    default: '10000',
    description: 'STREAM connections kept in memory, counted apart for those that received money (least recently used closed)',
    parse: int(1),
  },
  streamMaxConnectionsPerPeer: {
    env: 'STREAM_MAX_CONNECTIONS_PER_PEER',
    default: '1000',
    description: "STREAM connections without money kept per ILP peer (beyond: that peer's least recently used closed)",
    parse: int(1),
  },
  streamMaxBufferedPerConnection: {
    env: 'STREAM_MAX_BUFFERED_PER_CONNECTION',
    default: '33554432',
    description: 'bytes of relay output queued for one STREAM connection (beyond: the stream writing is closed)',
    parse: int(1),
  },
  streamMaxBufferedTotal: {
    env: 'STREAM_MAX_BUFFERED_TOTAL',
    default: '268435456',
    description: 'bytes of relay output queued for all STREAM connections (beyond: the stream writing is closed)',
    parse: int(1),
  },
  // Settlement over payment channels (src/settlement, docs/settlement.md): one block per EVM chain.
  settlementBaseRpcUrl: base.rpcUrl,
  settlementBaseChainId: base.chainId,
  settlementBaseChannelAddress: base.channelAddress,
  settlementBaseToken: base.token,
  settlementBasePrivateKeyFile: base.privateKeyFile,
  settlementBaseStartBlock: base.startBlock,
  settlementBaseConfirmations: base.confirmations,
  settlementCronosRpcUrl: cronos.rpcUrl,
  settlementCronosChainId: cronos.chainId,
  settlementCronosChannelAddress: cronos.channelAddress,
  settlementCronosToken: cronos.token,
  settlementCronosPrivateKeyFile: cronos.privateKeyFile,
  settlementCronosStartBlock: cronos.startBlock,
  settlementCronosConfirmations: cronos.confirmations,
  settlementCloseGracePeriod: {
    env: 'SETTLEMENT_CLOSE_GRACE_PERIOD',
    default: '1d',
    description: "grace period `settlement deploy` builds into a new contract: time a payee has to redeem after a payer's close request (longer than this peer can be down): seconds or 30m, 6h, 1d",
    parse: (raw: string) => (duration(raw) > 0 ? duration(raw) : fail('expected a duration above 0, such as 6h or 1d')),
  },
  openPaymentsInsecureClients: {
    env: 'OPEN_PAYMENTS_INSECURE_CLIENTS',
    default: 'false',
    description: 'true lets the Open Payments auth server fetch client keys over http:// and from private or loopback addresses (tests only)',
    parse: bool,
  },
  openPaymentsKeyFetchTimeout: {
    env: 'OPEN_PAYMENTS_KEY_FETCH_TIMEOUT',
    default: '5000',
    description: "milliseconds the auth server waits for a client's <wallet address>/jwks.json",
    parse: int(100, 60_000),
  },
  openPaymentsSignatureWindow: {
    env: 'OPEN_PAYMENTS_SIGNATURE_WINDOW',
    default: '300',
    description: 'seconds an Open Payments request signature may be old (or ahead); a signature is accepted once within it',
    parse: int(10, 3600),
  },
  openPaymentsTokenLifetime: {
    env: 'OPEN_PAYMENTS_TOKEN_LIFETIME',
    default: '600',
    description: 'seconds an Open Payments access token (and its grant, unless rotated) lives',
    parse: int(10, 86_400),
  },
  openPaymentsMaxExpiry: {
    env: 'OPEN_PAYMENTS_MAX_EXPIRY',
    default: '2592000',
    description: 'longest lifetime of an incoming payment in seconds, and the lifetime of one created without expiresAt',
    parse: int(60, 31_536_000),
  },
  openPaymentsMaxLivePerClient: {
    env: 'OPEN_PAYMENTS_MAX_LIVE_PER_CLIENT',
    default: '10000',
    description: 'live grants, and open (neither completed nor expired) incoming payments, one Open Payments client may hold (beyond: refused)',
    parse: int(1, 1_000_000),
  },
  openPaymentsRatePerIp: {
    env: 'OPEN_PAYMENTS_RATE_PER_IP',
    default: '60/60',
    description: 'grant requests and incoming payments created per IP (HTTP 429 beyond; a client identity costs nothing, an address does): "<count>/<seconds>", 0 off',
    parse: rate,
  },
  // Top-ups through the operator's own Open Payments wallet (src/open-payments/operator-wallet): the relay is a client.
  operatorWalletAddress: {
    env: 'OPERATOR_WALLET_ADDRESS',
    default: '',
    description: "the operator's Open Payments wallet address at a real wallet (https://…); top-ups are paid into it (empty: no top-ups)",
    parse: walletAddressUrl,
  },
  operatorWalletKeyId: {
    env: 'OPERATOR_WALLET_KEY_ID',
    default: '',
    description: 'id of the key registered for that wallet address at the wallet (its developer keys)',
    parse: str,
  },
  operatorWalletPrivateKey: {
    env: 'OPERATOR_WALLET_PRIVATE_KEY',
    default: '',
    description: 'that Ed25519 private key: PEM, or PEM in base64 as wallets hand it out (or use OPERATOR_WALLET_PRIVATE_KEY_FILE)',
    parse: str,
  },
  operatorWalletPrivateKeyFile: {
    env: 'OPERATOR_WALLET_PRIVATE_KEY_FILE',
    default: '',
    description: 'file holding that private key (PEM or base64 PEM); read at start',
    parse: str,
  },
  operatorWalletClient: {
    env: 'OPERATOR_WALLET_CLIENT',
    default: '',
    description: 'wallet address whose jwks.json publishes that key, naming the relay as a client (empty: OPERATOR_WALLET_ADDRESS)',
    parse: walletAddressUrl,
  },
  operatorWalletInsecure: {
    env: 'OPERATOR_WALLET_INSECURE',
    default: 'false',
    description: 'true allows http:// wallet addresses for the operator wallet (tests only)',
    parse: bool,
  },
  topUpMaxAmount: {
    env: 'TOP_UP_MAX_AMOUNT',
    default: '1000000000000',
    description: 'largest top-up one POST /pay/<pubkey>/top-ups may ask for, in the smallest unit of ASSET_CODE/ASSET_SCALE',
    parse: amount,
  },
  topUpExpiry: {
    env: 'TOP_UP_EXPIRY',
    default: '600',
    description: "seconds a top-up's incoming payment stays open; what arrived by then is credited",
    parse: int(2, 86_400),
  },
  topUpPollInterval: {
    env: 'TOP_UP_POLL_INTERVAL',
    default: '2000',
    description: 'milliseconds before the first read of an open top-up; the wait doubles per read, up to 30 times this',
    parse: int(50, 60_000),
  },
  topUpMaxOpen: {
    env: 'TOP_UP_MAX_OPEN',
    default: '1000',
    description: 'top-ups waiting to be paid, all pubkeys together (beyond: 429); one pubkey may have 5',
    parse: int(1, 1_000_000),
  },
  economicSnapshotInterval: {
    env: 'ECONOMIC_SNAPSHOT_INTERVAL',
    default: '300',
    description: 'seconds between snapshots of revenue, balances and peer positions (0: off)',
    parse: int(0),
  },
  dashboardUser: { env: 'DASHBOARD_USER', default: '', description: 'dashboard Basic-Auth user (off unless both set)', parse: str },
  dashboardPassword: { env: 'DASHBOARD_PASSWORD', default: '', description: 'dashboard Basic-Auth password', parse: str },
  metricsToken: {
    env: 'METRICS_TOKEN',
    default: '',
    description: 'when set, /metrics needs the header Authorization: Bearer <token> (empty: /metrics is open)',
    parse: str,
  },
  backupInterval: {
    env: 'BACKUP_INTERVAL',
    default: '1d',
    description: 'time between scheduled online backups into DATA_DIR/backups: seconds or 30m, 6h, 1d (0 or off: none)',
    parse: duration,
  },
  backupKeep: { env: 'BACKUP_KEEP', default: '7', description: 'scheduled backups kept in DATA_DIR/backups (the oldest go first)', parse: int(1, 10_000) },
  // Off-site backups (src/ops/backup/offsite-*.ts): encrypted copies in an S3-compatible bucket, restored at boot.
  backupUrl: {
    env: 'BACKUP_URL',
    default: '',
    description: 'off-site backups to s3://bucket/prefix on any S3-compatible service (empty: off); an empty DATA_DIR is restored from the newest one at boot',
    parse: backupUrl,
  },
  backupS3Endpoint: {
    env: 'BACKUP_S3_ENDPOINT',
    default: '',
    description: 'S3 endpoint URL for a service other than AWS (Backblaze B2, Cloudflare R2, MinIO); requests then use path-style addressing',
    parse: httpUrlOrEmpty,
  },
  awsAccessKeyId: { env: 'AWS_ACCESS_KEY_ID', default: '', description: 'S3 access key id for BACKUP_URL (empty: the AWS SDK looks elsewhere, e.g. an instance role)', parse: str },
  awsSecretAccessKey: { env: 'AWS_SECRET_ACCESS_KEY', default: '', description: 'S3 secret access key for BACKUP_URL', parse: str },
  awsRegion: { env: 'AWS_REGION', default: 'us-east-1', description: 'S3 region for BACKUP_URL (auto for Cloudflare R2)', parse: str },
  backupEncryptionKey: {
    env: 'BACKUP_ENCRYPTION_KEY',
    default: '',
    description: 'required with BACKUP_URL: 32 bytes as 64 hex characters or base64 (openssl rand -hex 32); backups are encrypted with it before upload; none: upload unencrypted (logged at every start). Keep a copy outside the relay: without it no backup can be restored',
    parse: backupKey,
  },
  backupOffsiteInterval: {
    env: 'BACKUP_OFFSITE_INTERVAL',
    default: '1h',
    description: 'time between off-site backups of the whole database (events included): seconds or 30m, 6h, 1d (0 or off: none)',
    parse: duration,
  },
  backupLedgerInterval: {
    env: 'BACKUP_LEDGER_INTERVAL',
    default: '60',
    description: 'time between off-site snapshots of the money tables (ledger, balances, secrets), taken only when money moved: at most this much money history is lost with the volume (0 or off: none)',
    parse: duration,
  },
  backupKeepDaily: { env: 'BACKUP_KEEP_DAILY', default: '7', description: 'off-site: the newest backup of each of this many last days is kept', parse: int(1, 10_000) },
  backupKeepMonthly: { env: 'BACKUP_KEEP_MONTHLY', default: '12', description: 'off-site: the newest backup of each of this many last months is kept', parse: int(0, 10_000) },
  backupVerifyInterval: {
    env: 'BACKUP_VERIFY_INTERVAL',
    default: '7d',
    description: 'time between restore tests of the newest off-site backup into a temporary folder (integrity_check, ledger sums to zero, events counted) (0 or off: none)',
    parse: duration,
  },
  maxMessageBytes: {
    env: 'MAX_MESSAGE_BYTES',
    default: '262144',
    description: 'largest WebSocket message accepted',
    parse: int(1024, 16 * 1024 * 1024),
  },
  maxSubscriptions: { env: 'MAX_SUBSCRIPTIONS', default: '20', description: 'open subscriptions per connection', parse: int(1, 1000) },
  maxFilters: { env: 'MAX_FILTERS', default: '10', description: 'filters per REQ', parse: int(1, 100) },
  maxLimit: { env: 'MAX_LIMIT', default: '5000', description: 'largest stored-event count one filter returns', parse: int(1, 100_000) },
  defaultLimit: { env: 'DEFAULT_LIMIT', default: '500', description: 'stored events one filter returns when it has no limit', parse: int(1, 100_000) },
  maxEventTags: { env: 'MAX_EVENT_TAGS', default: '2000', description: 'tags per event', parse: int(1, 100_000) },
  maxContentLength: { env: 'MAX_CONTENT_LENGTH', default: '102400', description: 'characters of event content', parse: int(1, 16 * 1024 * 1024) },
  maxSubidLength: { env: 'MAX_SUBID_LENGTH', default: '64', description: 'characters of a subscription id', parse: int(1, 256) },
  createdAtPast: {
    env: 'CREATED_AT_LOWER_LIMIT',
    default: '0',
    description: 'seconds into the past an event created_at may be (0: no limit)',
    parse: int(0),
  },
  createdAtFuture: {
    env: 'CREATED_AT_UPPER_LIMIT',
    default: '900',
    description: 'seconds into the future an event created_at may be',
    parse: int(0),
  },
  negentropyMaxEvents: {
    env: 'NEGENTROPY_MAX_EVENTS',
    default: '500000',
    description: 'NIP-77: most events one NEG-OPEN may reconcile (72 bytes of memory each while open); beyond, NEG-ERR blocked',
    parse: int(1, 10_000_000),
  },
  negentropyMaxSessions: {
    env: 'NEGENTROPY_MAX_SESSIONS',
    default: '4',
    description: 'NIP-77: open NEG-OPEN sessions per connection',
    parse: int(1, 100),
  },
  negentropyMaxItemsTotal: {
    env: 'NEGENTROPY_MAX_ITEMS_TOTAL',
    default: '2000000',
    description: 'NIP-77: events held by all open NEG-OPEN sessions together (72 bytes each); beyond, NEG-OPEN gets NEG-ERR blocked',
    parse: int(1, 1_000_000_000),
  },
  negentropyMaxItemsPerIp: {
    env: 'NEGENTROPY_MAX_ITEMS_PER_IP',
    default: '500000',
    description: 'NIP-77: events held by the open NEG-OPEN sessions of one client IP, its share of NEGENTROPY_MAX_ITEMS_TOTAL; beyond, NEG-ERR blocked',
    parse: int(1, 1_000_000_000),
  },
  negentropyIdleSeconds: {
    env: 'NEGENTROPY_IDLE_SECONDS',
    default: '60',
    description: 'NIP-77: seconds without a NEG-MSG after which a session is closed (NEG-ERR closed: idle)',
    parse: int(1, 86_400),
  },
  // Relay policies (src/relay/policies): NIP-13/42/70, DM privacy, rate limits, block and allow lists.
  minPowDifficulty: {
    env: 'MIN_POW_DIFFICULTY',
    default: '0',
    description: 'NIP-13: leading zero bits an event id needs (0: none)',
    parse: int(0, 256),
  },
  authRequired: {
    env: 'AUTH_REQUIRED',
    default: 'false',
    description: 'NIP-42: clients must AUTH before EVENT, REQ or COUNT',
    parse: bool,
  },
  protectedDms: {
    env: 'PROTECTED_DMS',
    default: 'false',
    description: 'serve DMs and gift wraps (kinds 4, 1059) only to an authenticated author or p-tagged recipient',
    parse: bool,
  },
  rateEventsPerIp: { env: 'RATE_EVENTS_PER_IP', default: '1200/60', description: 'EVENT (and AUTH) messages per IP: "<count>/<seconds>", 0 off', parse: rate },
  rateEventsPerPubkey: { env: 'RATE_EVENTS_PER_PUBKEY', default: '600/60', description: 'events per author pubkey: "<count>/<seconds>", 0 off', parse: rate },
  rateReqsPerIp: { env: 'RATE_REQS_PER_IP', default: '1200/60', description: 'REQ messages per IP: "<count>/<seconds>", 0 off', parse: rate },
  rateCountsPerIp: { env: 'RATE_COUNTS_PER_IP', default: '600/60', description: 'COUNT messages per IP: "<count>/<seconds>", 0 off', parse: rate },
  rateConnectionsPerIp: {
    env: 'RATE_CONNECTIONS_PER_IP',
    default: '120/60',
    description: 'new WebSocket connections per IP (HTTP 429 beyond): "<count>/<seconds>", 0 off',
    parse: rate,
  },
  maxConnectionsPerIp: { env: 'MAX_CONNECTIONS_PER_IP', default: '200', description: 'open WebSocket connections per IP (0: no limit)', parse: int(0) },
  trustedProxies: {
    env: 'TRUSTED_PROXIES',
    default: '',
    description: 'comma-separated proxy IPs/CIDRs whose X-Forwarded-For names the client (empty: never read it)',
    parse: ipList,
  },
  blockedPubkeys: { env: 'BLOCKED_PUBKEYS', default: '', description: 'comma-separated hex pubkeys whose events and AUTH are refused', parse: pubkeySet },
  allowedPubkeys: { env: 'ALLOWED_PUBKEYS', default: '', description: 'comma-separated hex pubkeys; when set, only their events are accepted', parse: pubkeySet },
  blockedIps: { env: 'BLOCKED_IPS', default: '', description: 'comma-separated IPs/CIDRs refused at connect (HTTP 403)', parse: ipList },
  allowedIps: { env: 'ALLOWED_IPS', default: '', description: 'comma-separated IPs/CIDRs; when set, only they may connect', parse: ipList },
  backpressureLimit: {
    env: 'BACKPRESSURE_LIMIT',
    default: '16777216',
    description: 'bytes queued for a slow reader before it gets a NOTICE and is disconnected',
    parse: int(65536, 1024 * 1024 * 1024),
  },
  maxCount: {
    env: 'MAX_COUNT',
    default: '100000',
    description: 'NIP-45: COUNT counts up to this many events; beyond, it answers this number with approximate: true',
    parse: int(1),
  },
  // Reads (REQ, COUNT, NEG-OPEN, search) run on worker threads (src/storage/read-pool.ts), each bounded.
  readWorkers: {
    env: 'READ_WORKERS',
    default: '2',
    description: 'threads running REQ, COUNT, NEG-OPEN and search queries, each with its own read-only SQLite connection',
    parse: int(1, 64),
  },
  readTimeoutMs: {
    env: 'READ_TIMEOUT_MS',
    default: '5000',
    description: 'longest one query (or one batch of a REQ answer) may run; beyond, its worker is replaced and the client gets CLOSED/NEG-ERR error:',
    parse: int(1, 600_000),
  },
  readQueueMax: {
    env: 'READ_QUEUE_MAX',
    default: '1000',
    description: 'queries waiting for a read worker, all clients together; beyond, CLOSED/NEG-ERR rate-limited:',
    parse: int(1, 1_000_000),
  },
  readQueuePerClient: {
    env: 'READ_QUEUE_PER_CLIENT',
    default: '64',
    description: 'queries one client IP may have in progress (waiting, running, or a REQ whose stored events are still being sent); beyond, CLOSED/NEG-ERR rate-limited:',
    parse: int(1, 1_000_000),
  },
  readMaxRows: {
    env: 'READ_MAX_ROWS',
    default: '50000',
    description: 'stored events one REQ may read, all its filters together; beyond, the answer is cut and ends with CLOSED error:',
    parse: int(1, 10_000_000),
  },
  readBatchBytes: {
    env: 'READ_BATCH_BYTES',
    default: '1048576',
    description: 'bytes of a REQ answer read and sent at a time; the next batch is read once the client has taken the last',
    parse: int(1024, 64 * 1024 * 1024),
  },
  readMaxBytes: {
    env: 'READ_MAX_BYTES',
    default: '67108864',
    description: 'bytes of stored events one REQ answer may carry; beyond, the answer is cut and ends with CLOSED error:',
    parse: int(1024),
  },
  expiredPurgeInterval: {
    env: 'EXPIRED_PURGE_INTERVAL',
    default: '60',
    description: 'NIP-40: seconds between purges of expired events (0: never purge; they are still never served)',
    parse: int(0, 86_400),
  },
} satisfies Record<string, Setting<unknown>>;

export type Settings = typeof settings;
export type EnvName = Settings[keyof Settings]['env'];
