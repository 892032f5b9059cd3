// `strongroom client-daemon --config FILE --socket PATH`: the PKCS#11 client daemon the C library
// starts (docs/pkcs11-daemon-protocol.md). Reads the client configuration once, listens on the
// unix socket, and exits after STRONGROOM_PKCS11_IDLE_MS (default 60000) without connections.
// Writes its pid to <socket>.pid while it listens; on SIGUSR2 writes its statistics (connections,
// sessions, active operations, session objects, pending requests) as JSON to <socket>.stats.json
// and to stderr. Logs only to stderr, never PINs or data.

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadClientConfig } from '../client/config.js';
import { startDaemon } from './server.js';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, socket: { type: 'string' } } });
  if (!values.config || !values.socket) throw new Error('client-daemon needs --config FILE and --socket PATH');
  const idleText = process.env['STRONGROOM_PKCS11_IDLE_MS'];
  const idleMs = idleText === undefined || idleText === '' ? 60_000 : Number(idleText);
  if (!Number.isFinite(idleMs) || idleMs < 0) throw new Error('STRONGROOM_PKCS11_IDLE_MS must be a number of milliseconds');
  const config = loadClientConfig(resolve(values.config));
  const verbose = process.env['STRONGROOM_PKCS11_DEBUG'] === '1';
  const daemon = await startDaemon({
    config,
    socketPath: resolve(values.socket),
    idleMs,
    log: (m) => {
      if (verbose) process.stderr.write(`strongroom client-daemon: ${m}\n`);
    },
  });
  const socketPath = resolve(values.socket);
  const pidFile = `${socketPath}.pid`;
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  const stop = () => void daemon.close();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGUSR2', () => {
    const text = JSON.stringify({ pid: process.pid, ...daemon.stats() });
    // Written aside and renamed, so a reader never sees half a file.
    writeFileSync(`${socketPath}.stats.json.tmp`, `${text}\n`, { mode: 0o600 });
    renameSync(`${socketPath}.stats.json.tmp`, `${socketPath}.stats.json`);
    process.stderr.write(`strongroom client-daemon: stats ${text}\n`);
  });
  await daemon.closed;
  rmSync(pidFile, { force: true });
  rmSync(`${socketPath}.stats.json`, { force: true });
  process.exit(0);
}
