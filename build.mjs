// Typecheck, then bundle src/index.ts (the package entry and the binary) into dist/peer.js (CJS) with the native files and migrations it loads beside it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import esbuild from 'esbuild';
import { writeChannelArtifact } from './scripts/solidity.mjs';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const abi = process.versions.modules;
// NIP-11 `software`: package.json's repository as a browsable URL (git+https://…/x.git → https://…/x); '' when absent.
const repository = String(pkg.repository?.url ?? pkg.repository ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
const uwsBinary = `uws_${process.platform}_${process.arch}_${abi}.node`;

// uWS picks its binary by platform and ABI at run time; load the one we copy beside the bundle instead.
const uwsShim = {
  name: 'uws-shim',
  setup(b) {
    b.onResolve({ filter: /^uWebSockets\.js$/ }, () => ({ path: 'uws', namespace: 'uws-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'uws-shim' }, () => ({
      loader: 'js',
      contents: `module.exports = require(require('node:path').join(__dirname, ${JSON.stringify(uwsBinary)}));`,
    }));
  },
};

// tiny-secp256k1 reads its .wasm from its own folder; in dist/ it sits beside the bundle.
const wasmPathShim = {
  name: 'tiny-secp256k1-wasm-path',
  setup(b) {
    b.onLoad({ filter: /tiny-secp256k1[\\/]lib[\\/](cjs[\\/]wasm_path_cjs\.cjs|wasm_path\.js)$/ }, () => ({
      loader: 'js',
      contents: "export const path = (file) => require('node:path').join(__dirname, file);",
    }));
  },
};

/**
 * The libraries of optional features (off-site backups: the AWS SDK; settlement: viem; top-ups and Open Payments
 * signatures: the Interledger clients) go to files of their own in dist/vendor/, required only when that feature
 * runs: in peer.js they would double what every start parses. Each file exports what src/ imports of it.
 */
const VENDOR = {
  'aws-s3.js': ['@aws-sdk/client-s3', '@aws-sdk/lib-storage'],
  'viem.js': ['viem', 'viem/accounts'],
  'interledger.js': ['@interledger/open-payments', '@interledger/http-signature-utils'],
};
const vendorFile = new Map(Object.entries(VENDOR).flatMap(([file, specs]) => specs.map((spec) => [spec, file])));
const vendorSplit = {
  name: 'vendor-split',
  setup(b) {
    b.onResolve({ filter: /^(@aws-sdk|@interledger|viem)/ }, (args) =>
      vendorFile.has(args.path) ? { path: `./vendor/${vendorFile.get(args.path)}`, external: true } : undefined,
    );
  },
};
/** The names src/ imports (values, not types) from `spec`. */
function importedNames(spec) {
  const names = new Set();
  const files = readdirSync('src', { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => path.join('src', f));
  const quoted = spec.replace(/[/.]/g, '\\$&');
  const staticImport = new RegExp(`import\\s+(?!type\\s)\\{([^}]*)\\}\\s*from\\s*'${quoted}'`, 'g');
  const dynamicImport = new RegExp(`const\\s*\\{([^}]*)\\}\\s*=\\s*await\\s+import\\('${quoted}'\\)`, 'g');
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const re of [staticImport, dynamicImport]) {
      for (const m of text.matchAll(re)) {
        for (const part of m[1].split(',')) {
          const name = part.trim().split(/\s+as\s+|:/)[0].trim();
          if (name && !name.startsWith('type ')) names.add(name);
        }
      }
    }
  }
  return [...names];
}

/**
 * Our optional N-API verifier over the system libsecp256k1 (needs libsecp256k1-dev to build, libsecp256k1-1 to
 * run). When it cannot build, the peer falls back to WASM and says so in its log; the build goes on.
 */
function buildNativeVerifier() {
  const gyp = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]
    .find((p) => p && existsSync(p));
  if (!gyp) return 'node-gyp not found';
  const nodedir = process.env.npm_config_nodedir ?? (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
  try {
    execFileSync(process.execPath, [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: 'native/secp256k1', stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return String(err.stderr ?? err.message).split('\n').filter((l) => /error/i.test(l)).slice(0, 2).join(' ') || 'node-gyp failed';
  }
}

console.log('typecheck…');
rmSync('dist', { recursive: true, force: true });
// The payment-channel contract's ABI and bytecode, compiled by solc (a devDependency) into a TS module the bundle embeds.
writeChannelArtifact();
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });

mkdirSync('dist', { recursive: true });
await esbuild.build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/peer.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  define: { __BUNDLED__: 'true', __VERSION__: JSON.stringify(pkg.version), __REPOSITORY__: JSON.stringify(repository), 'import.meta.url': '""' },
  plugins: [uwsShim, wasmPathShim, vendorSplit],
  logLevel: 'warning',
});

/** How the files beside peer.js are bundled (vendor libraries, worker threads). */
const SIDE_BUNDLE = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, legalComments: 'none', logLevel: 'warning' };

// Each vendor file is whole in itself (a library's packages together), exporting what src/ imports of them.
for (const [file, specs] of Object.entries(VENDOR)) {
  const exports = specs.map((spec) => {
    const names = importedNames(spec);
    if (names.length === 0) throw new Error(`build: nothing of ${spec} is imported by src/; drop it from VENDOR`);
    return `export { ${names.join(', ')} } from '${spec}';`;
  });
  await esbuild.build({
    stdin: { contents: exports.join('\n'), resolveDir: '.', loader: 'js' },
    outfile: `dist/vendor/${file}`,
    ...SIDE_BUNDLE,
  });
}

// Worker threads run from files of their own beside peer.js: the WAL checkpointer (src/storage/checkpointer.ts)
// and the read workers (src/storage/read-pool.ts: REQ, COUNT, NEG-OPEN and search off the event loop).
for (const [entry, outfile] of [
  ['src/storage/checkpoint-worker.cjs', 'dist/checkpoint-worker.js'],
  ['src/storage/read-worker.ts', 'dist/read-worker.js'],
]) {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    ...SIDE_BUNDLE,
  });
}

copyFileSync(path.join('node_modules/uWebSockets.js/dist/bin', uwsBinary), path.join('dist', uwsBinary));
copyFileSync(require.resolve('better-sqlite3/build/Release/better_sqlite3.node'), 'dist/better_sqlite3.node');
copyFileSync(path.join(path.dirname(require.resolve('tiny-secp256k1')), '..', 'secp256k1.wasm'), 'dist/secp256k1.wasm');
cpSync('migrations', 'dist/migrations', { recursive: true });
// The operator dashboard's page, styles and script (plain files; no CDN), served from dist/dashboard.
cpSync('src/ops/dashboard/static', 'dist/dashboard', { recursive: true });
const nativeProblem = buildNativeVerifier();
if (nativeProblem) console.warn(`native verifier not built (${nativeProblem}); the peer will use the WASM verifier`);
else copyFileSync('native/secp256k1/build/Release/nostr_secp256k1.node', 'dist/nostr_secp256k1.node');
// The repo is "type": "module"; dist/ is CommonJS wherever it is copied.
writeFileSync('dist/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
console.log(`built dist/peer.js (${pkg.version}) with checkpoint-worker.js, read-worker.js, vendor/ (optional features' libraries), ${uwsBinary}, better_sqlite3.node, ${nativeProblem ? '' : 'nostr_secp256k1.node, '}secp256k1.wasm, migrations/, dashboard/`);
