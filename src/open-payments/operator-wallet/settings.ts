import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ConfigError, type Config } from '../../config/load';

/** The operator's wallet as the relay uses it: where top-ups are paid, and the key that signs the relay's requests. */
export interface OperatorWalletSettings {
  walletAddress: string;
  /** The wallet address naming the relay as a client (its jwks.json publishes `keyId`). */
  client: string;
  keyId: string;
  privateKey: KeyObject;
  /** Set when the key file is readable by group or others (the caller warns; the relay still starts). */
  looseKeyFile?: string;
}

/** An Ed25519 private key from PEM, or from PEM in base64 (how the Interledger wallets hand keys out). */
function parseKey(text: string): KeyObject | undefined {
  const trimmed = text.trim();
  const pem = trimmed.startsWith('-----') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8').trim();
  if (!pem.startsWith('-----BEGIN')) return undefined;
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The operator wallet settings, checked; undefined when OPERATOR_WALLET_ADDRESS is empty (no top-ups). Throws a
 * ConfigError naming the variable, never showing the key.
 */
export function operatorWalletSettings(config: Config): OperatorWalletSettings | undefined {
  const { operatorWalletAddress: walletAddress, operatorWalletKeyId: keyId } = config;
  const inline = config.operatorWalletPrivateKey;
  const file = config.operatorWalletPrivateKeyFile;
  if (!walletAddress) {
    if (inline || file || keyId) throw new ConfigError('OPERATOR_WALLET_KEY_ID and OPERATOR_WALLET_PRIVATE_KEY(_FILE) need OPERATOR_WALLET_ADDRESS');
    return undefined;
  }
  for (const [name, url] of [['OPERATOR_WALLET_ADDRESS', walletAddress], ['OPERATOR_WALLET_CLIENT', config.operatorWalletClient]]) {
    if (url.startsWith('http:') && !config.operatorWalletInsecure) {
      throw new ConfigError(`${name} must be an https:// URL (OPERATOR_WALLET_INSECURE=true allows http:// for tests)`);
    }
  }
  if (!keyId) throw new ConfigError('OPERATOR_WALLET_ADDRESS needs OPERATOR_WALLET_KEY_ID (the id of the key registered at the wallet)');
  if (!!inline === !!file) {
    throw new ConfigError('OPERATOR_WALLET_ADDRESS needs exactly one of OPERATOR_WALLET_PRIVATE_KEY and OPERATOR_WALLET_PRIVATE_KEY_FILE');
  }
  let text = inline;
  let looseKeyFile: string | undefined;
  if (file) {
    try {
      text = readFileSync(file, 'utf8');
      if ((statSync(file).mode & 0o077) !== 0) looseKeyFile = file;
    } catch (err) {
      throw new ConfigError(`OPERATOR_WALLET_PRIVATE_KEY_FILE cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const privateKey = parseKey(text);
  const name = file ? 'OPERATOR_WALLET_PRIVATE_KEY_FILE' : 'OPERATOR_WALLET_PRIVATE_KEY';
  if (!privateKey) throw new ConfigError(`${name} does not hold an Ed25519 private key (PEM, or PEM in base64)`);
  return { walletAddress, client: config.operatorWalletClient || walletAddress, keyId, privateKey, looseKeyFile };
}
