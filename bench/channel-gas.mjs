// Gas of each StreamChannel call, measured on Hardhat 2's in-process EVM (EDR, cancun rules; the contract is
// compiled for paris): the figures in docs/settlement.md. Gas does not depend on the machine; the fee does (gas ×
// the chain's gas price), so it is left to the reader.
//   node bench/channel-gas.mjs
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicClient, createWalletClient, custom, numberToHex, parseEther, zeroAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { compileSolidity } from '../scripts/solidity.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
process.env.HARDHAT_CONFIG = path.join(here, '../test/settlement/fixtures/hardhat.config.cjs');
const provider = require('hardhat').network.provider;
const transport = custom(provider, { retryCount: 0 });
const chain = { id: 31337, name: 'hardhat', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [] } } };
const pub = createPublicClient({ chain, transport });
const compiled = compileSolidity(['contracts/StreamChannel.sol', 'test/settlement/fixtures/TestTokens.sol']);
const [payer, payee] = [1, 2].map((n) => privateKeyToAccount(numberToHex(0xbe4c0n + BigInt(n), { size: 32 })));
for (const a of [payer, payee]) await provider.request({ method: 'hardhat_setBalance', params: [a.address, numberToHex(parseEther('100'))] });
const wallet = (account) => createWalletClient({ account, chain, transport });

const rows = [];
async function tx(name, account, p) {
  const hash = await p(wallet(account));
  const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 10 });
  if (r.status !== 'success') throw new Error(`${name} reverted`);
  if (name) rows.push({ call: name, gas: Number(r.gasUsed) });
  return r;
}
const deploy = (name, args = []) =>
  tx(name, payer, (w) => w.deployContract({ abi: compiled[name === 'deploy StreamChannel' ? 'StreamChannel' : name].abi, bytecode: compiled[name === 'deploy StreamChannel' ? 'StreamChannel' : name].bytecode, args }));

const { abi } = compiled.StreamChannel;
const address = (await deploy('deploy StreamChannel', [86400n])).contractAddress;
const token = (await tx('', payer, (w) => w.deployContract({ abi: compiled.TestToken.abi, bytecode: compiled.TestToken.bytecode }))).contractAddress;
const t = compiled.TestToken.abi;
await tx('', payer, (w) => w.writeContract({ address: token, abi: t, functionName: 'mint', args: [payer.address, 10n ** 12n] }));
await tx('ERC-20 approve (once per open/topUp)', payer, (w) => w.writeContract({ address: token, abi: t, functionName: 'approve', args: [address, 10n ** 12n] }));

const sign = (channelId, cumulativeAmount) =>
  payer.signTypedData({
    domain: { name: 'EVM Payment Channel', version: '1', chainId: 31337, verifyingContract: address },
    types: { Voucher: [{ name: 'channelId', type: 'bytes32' }, { name: 'cumulativeAmount', type: 'uint128' }] },
    primaryType: 'Voucher',
    message: { channelId, cumulativeAmount },
  });
async function channel(tok, salt, value) {
  const id = await pub.readContract({ address, abi, functionName: 'computeChannelId', args: [payer.address, payee.address, tok, salt, zeroAddress] });
  await tx(`open (${tok === zeroAddress ? 'native' : 'ERC-20'})`, payer, (w) => w.writeContract({ address, abi, functionName: 'open', args: [payee.address, tok, 1_000_000n, salt, zeroAddress], value }));
  return id;
}
const s1 = `0x${'01'.padStart(64, '0')}`;
const id = await channel(token, s1);
await tx('settle (ERC-20, first)', payee, async (w) => w.writeContract({ address, abi, functionName: 'settle', args: [id, 1000n, await sign(id, 1000n), token, zeroAddress, s1] }));
await tx('settle (ERC-20, again)', payee, async (w) => w.writeContract({ address, abi, functionName: 'settle', args: [id, 2000n, await sign(id, 2000n), token, zeroAddress, s1] }));
await tx('topUp (ERC-20)', payer, (w) => w.writeContract({ address, abi, functionName: 'topUp', args: [id, 5000n, token, zeroAddress, s1] }));
await tx('requestClose', payer, (w) => w.writeContract({ address, abi, functionName: 'requestClose', args: [id] }));
await tx('close (ERC-20, with a voucher)', payee, async (w) => w.writeContract({ address, abi, functionName: 'close', args: [id, 3000n, await sign(id, 3000n), token, zeroAddress, s1] }));
const s2 = `0x${'02'.padStart(64, '0')}`;
const id2 = await channel(token, s2);
await tx('', payer, (w) => w.writeContract({ address, abi, functionName: 'requestClose', args: [id2] }));
await provider.request({ method: 'evm_increaseTime', params: [86400] });
await tx('withdraw (ERC-20, after the grace period)', payer, (w) => w.writeContract({ address, abi, functionName: 'withdraw', args: [id2, token, zeroAddress, s2] }));
const s3 = `0x${'03'.padStart(64, '0')}`;
const id3 = await channel(zeroAddress, s3, 1_000_000n);
await tx('settle (native)', payee, async (w) => w.writeContract({ address, abi, functionName: 'settle', args: [id3, 1000n, await sign(id3, 1000n), zeroAddress, zeroAddress, s3] }));
await tx('close (native, with a voucher)', payee, async (w) => w.writeContract({ address, abi, functionName: 'close', args: [id3, 2000n, await sign(id3, 2000n), zeroAddress, zeroAddress, s3] }));

for (const r of rows) console.log(`${r.call.padEnd(44)} ${String(r.gas).padStart(9)} gas`);
console.log(JSON.stringify(rows));
