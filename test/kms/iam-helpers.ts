// Helpers for KMS tests that need IAM users: the `strongroom iam` CLI on a plane's data directory,
// access keys, users with an inline policy, and an assertion on the KMS error name (and message).

import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import type { KMSClient } from '@aws-sdk/client-kms';
import { STRONGROOM_BIN, type KmsPlane } from '../../bench/kms-setup.js';

export interface Creds { accessKeyId: string; secretAccessKey: string }

export async function expectKmsError(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<{ name: string; message: string }> {
  const e = await p.then(() => undefined, (x: unknown) => x as { name: string; message: string });
  expect(e, `expected ${name}`).toBeDefined();
  expect(e!.name, e!.message).toBe(name);
  if (message !== undefined) expect(e!.message).toMatch(message);
  return e!;
}

export function iam(p: KmsPlane, ...args: string[]): any {
  const r = spawnSync(process.execPath, [STRONGROOM_BIN, 'iam', ...args, '--data-dir', p.dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`strongroom iam ${args.join(' ')} → ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** An IAM user of `account` with the given inline policy statements (none: no permissions), and a client for it. */
export function user(p: KmsPlane, account: string, name: string, statements: unknown[] = []): { client: KMSClient; arn: string; creds: Creds } {
  iam(p, 'create-user', '--account-id', account, '--user-name', name);
  if (statements.length) {
    iam(p, 'put-user-policy', '--account-id', account, '--user-name', name, '--policy-name', 'p',
      '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: statements }));
  }
  const k = iam(p, 'create-access-key', '--account-id', account, '--user-name', name).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
  const creds = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  return { client: p.kmsFor(creds), arn: `arn:aws:iam::${account}:user/${name}`, creds };
}

export const allowAllKms = [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }];

export function policy(...statements: unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
