// Client configuration (client.json): where the HSMs are and the files that prove who we are.
// Looked up through --config, then STRONGROOM_CONFIG, then ./strongroom-data/client.json.
// Holds paths to a client key but never logs its contents.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { HsmError } from '../protocol/errors.js';

export interface ClientConfigFile {
  clusterId?: string;
  hsms: Array<{ address: string; port: number }>;
  /** Trust anchor: the customer CA certificate (PEM file). */
  caFile: string;
  clientCertFile?: string;
  clientKeyFile?: string;
}

export interface ClientConfig {
  clusterId?: string;
  hsms: Array<{ address: string; port: number }>;
  ca: string;
  cert?: string;
  key?: string;
  /** Where it was read from, for messages. */
  source: string;
}

export const DEFAULT_CONFIG_PATH = 'strongroom-data/client.json';

export function configPath(explicit?: string): string {
  return explicit ?? process.env['STRONGROOM_CONFIG'] ?? DEFAULT_CONFIG_PATH;
}

export function loadClientConfig(explicit?: string): ClientConfig {
  const path = resolve(configPath(explicit));
  let raw: ClientConfigFile;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as ClientConfigFile;
  } catch (err) {
    throw new HsmError('CKR_ARGUMENTS_BAD', `cannot read client configuration ${path}: ${(err as Error).message}. Start a cluster with 'npx strongroom up' or pass --config FILE`);
  }
  if (!Array.isArray(raw.hsms) || raw.hsms.length === 0 || typeof raw.caFile !== 'string') {
    throw new HsmError('CKR_ARGUMENTS_BAD', `client configuration ${path} needs "hsms" and "caFile"`);
  }
  const base = dirname(path);
  const rd = (p: string) => readFileSync(isAbsolute(p) ? p : resolve(base, p), 'utf8');
  const cfg: ClientConfig = { hsms: raw.hsms, ca: rd(raw.caFile), source: path };
  if (raw.clusterId) cfg.clusterId = raw.clusterId;
  if (raw.clientCertFile && raw.clientKeyFile) {
    cfg.cert = rd(raw.clientCertFile);
    cfg.key = rd(raw.clientKeyFile);
  }
  return cfg;
}
