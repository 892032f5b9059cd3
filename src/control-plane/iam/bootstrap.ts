// First start of a data directory's IAM: the root account (when there is none), an access key for
// its root, and DIR/aws-credentials, an AWS shared-credentials file (0600) whose [default]
// profile holds that key, so the AWS CLI and SDKs work with AWS_SHARED_CREDENTIALS_FILE. Idempotent.
// Writes the secret only into that file (atomically), never to a log or stdout.

import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IamStore } from './store.js';

export const DEFAULT_ACCOUNT_NAME = 'strongroom';

export interface IamBootstrap {
  accountId: string;
  accountName: string;
  accessKeyId: string;
  /** DIR/aws-credentials. */
  credentialsFile: string;
  /** Whether this call created the account (first start). */
  created: boolean;
}

export function credentialsFileText(accessKeyId: string, secretAccessKey: string, profile = 'default'): string {
  return `[${profile}]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\n`;
}

/** Writes a file readable by its owner only, through a temporary file and a rename. */
export function writeSecretFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function credentialsKeyId(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return /^aws_access_key_id\s*=\s*(\S+)/m.exec(readFileSync(path, 'utf8'))?.[1];
}

/** Creates the root account and its keys on first start; rewrites a missing or stale credentials file. */
export function bootstrapIam(dataDir: string, opts: { accountName?: string; store?: IamStore } = {}): IamBootstrap {
  const store = opts.store ?? IamStore.open(dataDir);
  try {
    const credentialsFile = join(dataDir, 'aws-credentials');
    let created = false;
    let account = store.listAccounts()[0];
    if (!account) {
      account = store.createAccount(opts.accountName ?? DEFAULT_ACCOUNT_NAME);
      created = true;
    }
    const keys = store.listAccessKeys(account.Id).filter((k) => k.Status === 'Active');
    const inFile = credentialsKeyId(credentialsFile);
    const current = keys.find((k) => k.AccessKeyId === inFile);
    if (current) {
      chmodSync(credentialsFile, 0o600);
      return { accountId: account.Id, accountName: account.Name, accessKeyId: current.AccessKeyId, credentialsFile, created };
    }
    let accessKeyId: string;
    let secret: string;
    if (keys[0]) {
      accessKeyId = keys[0].AccessKeyId;
      secret = store.revealSecret(accessKeyId)!;
    } else {
      const k = store.createAccessKey(account.Id);
      accessKeyId = k.AccessKeyId;
      secret = k.SecretAccessKey;
    }
    writeSecretFile(credentialsFile, credentialsFileText(accessKeyId, secret));
    return { accountId: account.Id, accountName: account.Name, accessKeyId, credentialsFile, created };
  } finally {
    if (!opts.store) store.close();
  }
}
