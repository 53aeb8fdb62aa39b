// Runs the built `p2p-matrix serve` as a real child process for tests, on a
// fixed loopback port (so clients keep their base URL across restarts).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/node/free-port.ts';

export { freePort };

const BIN = fileURLToPath(new URL('../../bin/p2p-matrix.js', import.meta.url));

export interface ServeProcess {
  readonly baseUrl: string;
  readonly serverName: string;
  /** The libp2p addresses printed as `p2p <multiaddr>` lines before the ready line. */
  readonly p2pAddrs: readonly string[];
  readonly child: ChildProcess;
  /** What the process wrote to stderr so far (warnings and errors, one JSON line each). */
  stderr(): string;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the process (SIGKILL: no clean shutdown, as a crash) and waits for it to exit. */
  kill(): Promise<void>;
}

/** Spawns `p2p-matrix <command>` and resolves once `ready` matches its stdout so far. */
async function spawnCli<T>(
  command: string,
  args: readonly string[],
  ready: (stdout: string) => T | undefined,
  netns?: string,
) {
  const argv = [process.execPath, BIN, command, ...args];
  // `ip netns exec` execs the command: the child's pid stays the process's own.
  const [program, ...rest] = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  const child = spawn(program!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const value = await new Promise<T>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = ready(stdout);
      if (found !== undefined) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${stderr}`)));
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { value, child, stderr: () => stderr, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** Starts `p2p-matrix serve` with the given flags and waits for its ready line. */
export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const started = await spawnCli('serve', args, (stdout) => {
    const match = /^homeserver (http:\/\/\S+) server_name ([0-9a-f]{64})$/m.exec(stdout);
    if (!match) return undefined;
    const p2pAddrs = [...stdout.matchAll(/^p2p (\S+)$/gm)].map((m) => m[1]!);
    return { baseUrl: match[1]!, serverName: match[2]!, p2pAddrs };
  });
  const { value, ...rest } = started;
  return { ...value, ...rest };
}

export interface RelayProcess {
  /** The relay's listen addresses (each ending in /p2p/<relay id>), for `serve --relay`. */
  readonly multiaddrs: readonly string[];
  /** Its TURN server's URIs (coturn), none when it serves no TURN. */
  readonly turnUris: readonly string[];
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `p2p-matrix relay` (loopback, free ports for libp2p and TURN unless
 * args say otherwise; in the network namespace `netns` if given) and waits
 * for its addresses.
 */
export async function startRelayProcess(
  args: readonly string[] = ['--port', '0', '--turn-port', '0'],
  netns?: string,
): Promise<RelayProcess> {
  const started = await spawnCli(
    'relay',
    args,
    (stdout) => {
      const addrs = [...stdout.matchAll(/^relay listening on (\S+)$/gm)].map((m) => m[1]!);
      const turnUris = [...stdout.matchAll(/^relay TURN on (\S+)$/gm)].map((m) => m[1]!);
      return addrs.length > 0 ? { addrs, turnUris } : undefined;
    },
    netns,
  );
  const { addrs, turnUris } = started.value;
  return { multiaddrs: addrs, turnUris, child: started.child, stop: started.stop };
}
