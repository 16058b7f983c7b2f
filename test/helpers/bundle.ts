import { spawn, type ChildProcess } from 'node:child_process';

export interface BundledPeer {
  child: ChildProcess;
  port: number;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
}

/**
 * Starts a bundled peer (`peer.js` of a copied dist/) in a child process on an ephemeral port of 127.0.0.1, and
 * resolves once its log says it listens; rejects with its output if it exits first.
 */
export function spawnBundle(peerJs: string, env: Record<string, string | undefined>, cwd?: string): Promise<BundledPeer> {
  const child = spawn(process.execPath, [peerJs], { cwd, env: { PATH: process.env.PATH, ...env, PORT: '0', HOST: '127.0.0.1' } });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const m = /"port":(\d+).*"msg":"peer listening"/.exec(output);
      if (m) resolve({ child, port: Number(m[1]), output: () => output });
    });
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}: ${output}`)));
  });
}
