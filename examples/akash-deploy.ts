// Creates the deployment of akash.sdl.yaml on Akash mainnet (docs/deploy-akash.md, "Deploy with the SDK"); needs
// MNEMONIC, AKASH_GRPC and AKASH_RPC, and spends AKT. npm test typechecks it against the pinned chain-sdk; it is
// not run there (it needs a funded wallet and the network).
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { DirectSecp256k1HdWallet } from '@cosmjs/proto-signing';
import { createChainNodeSDK, createStargateClient, generateManifest, generateManifestVersion, manifestToSortedJSON } from '@akashnetwork/chain-sdk';

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(process.env.MNEMONIC!, { prefix: 'akash' });
const [account] = await wallet.getAccounts();
const sdk = createChainNodeSDK({
  query: { baseUrl: process.env.AKASH_GRPC! },                                  // e.g. http://<grpc host>:9090
  tx: { signer: createStargateClient({ baseUrl: process.env.AKASH_RPC!, signer: wallet }) },
});
const sdl = yaml.load(readFileSync(`${process.env.HOME}/peer-deploy/deploy.yaml`, 'utf8')) as Parameters<typeof generateManifest>[0];
const manifest = generateManifest(sdl, 'mainnet');
if (!manifest.ok) throw new Error(String(manifest.value));
const dseq = Date.now();
await sdk.akash.deployment.v1beta4.createDeployment({
  id: { owner: account.address, dseq },
  groups: manifest.value.groupSpecs,
  hash: await generateManifestVersion(manifest.value.groups),
  deposit: { amount: { denom: 'uakt', amount: '5000000' }, sources: [1 /* Source.balance */] },
});
// then: poll sdk.akash.market.v1beta5.getBids({ filters: { owner, dseq, gseq: 1, oseq: 1 } }), pick one,
// sdk.akash.market.v1beta5.createLease({ bidId }), publish a client certificate (certificateManager.generatePEM +
// sdk.akash.cert.v1.createCertificate), and PUT manifestToSortedJSON(manifest.value.groups) to
// `${provider.hostUri}/deployment/${dseq}/manifest` over mTLS with that certificate (see the SDK example).
