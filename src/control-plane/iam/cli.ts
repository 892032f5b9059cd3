// `strongroom iam <verb> … --data-dir DIR`: manages accounts, users, inline policies and access
// keys in DIR/iam.sqlite, answering in AWS IAM's JSON shapes (create-access-key is the only verb
// that prints a secret, as in AWS). Errors print {"Error":{"Code","Message"}} on stderr, exit 1.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IamError, IamStore } from './store.js';

export const IAM_USAGE = `usage: strongroom iam VERB [options] --data-dir DIR
  create-account --account-name NAME [--account-id 123456789012]
  list-accounts
  create-user --account-id A --user-name U
  list-users --account-id A
  delete-user --account-id A --user-name U
  put-user-policy --account-id A --user-name U --policy-name P --policy-document file://p.json|JSON
  get-user-policy --account-id A --user-name U --policy-name P
  list-user-policies --account-id A --user-name U
  delete-user-policy --account-id A --user-name U --policy-name P
  create-access-key --account-id A [--user-name U]       (no user: a key of the account's root)
  list-access-keys --account-id A [--user-name U]
  update-access-key --access-key-id K --status Active|Inactive
  delete-access-key --access-key-id K`;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

function need(values: Record<string, string | undefined>, ...names: string[]): string[] {
  const missing = names.filter((n) => !values[n]);
  if (missing.length) throw new IamError('ValidationError', `missing ${missing.map((n) => `--${n}`).join(', ')}`);
  return names.map((n) => values[n]!);
}

/** `file://path` (as the AWS CLI), or the JSON text itself. */
export function readDocumentArg(arg: string): string {
  return arg.startsWith('file://') ? readFileSync(arg.slice('file://'.length), 'utf8') : arg;
}

/** Runs one iam verb; returns the exit code. */
export function runIamCommand(argv: string[], io: CliIo = stdio): number {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === 'help') {
    io.out(IAM_USAGE + '\n');
    return verb ? 0 : 2;
  }
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: rest,
      options: {
        'data-dir': { type: 'string', default: 'strongroom-data' },
        'account-name': { type: 'string' },
        'account-id': { type: 'string' },
        'user-name': { type: 'string' },
        'policy-name': { type: 'string' },
        'policy-document': { type: 'string' },
        'access-key-id': { type: 'string' },
        status: { type: 'string' },
      },
    }).values;
  } catch (e) {
    io.err(`strongroom iam: ${(e as Error).message}\n${IAM_USAGE}\n`);
    return 2;
  }
  if (verb !== 'create-account' && !existsSync(join(values['data-dir']!, 'iam.sqlite'))) {
    io.err(JSON.stringify({ Error: { Code: 'NoSuchEntity', Message: `no IAM store in ${values['data-dir']} (strongroom up or iam create-account makes one)` } }) + '\n');
    return 1;
  }
  const store = IamStore.open(values['data-dir']!);
  const print = (v: unknown) => io.out(JSON.stringify(v, null, 4) + '\n');
  try {
    switch (verb) {
      case 'create-account': {
        const [name] = need(values, 'account-name');
        print({ Account: store.createAccount(name!, values['account-id']) });
        break;
      }
      case 'list-accounts':
        print({ Accounts: store.listAccounts() });
        break;
      case 'create-user': {
        const [a, u] = need(values, 'account-id', 'user-name');
        print({ User: store.createUser(a!, u!) });
        break;
      }
      case 'list-users': {
        const [a] = need(values, 'account-id');
        print({ Users: store.listUsers(a!), IsTruncated: false });
        break;
      }
      case 'delete-user': {
        const [a, u] = need(values, 'account-id', 'user-name');
        store.deleteUser(a!, u!);
        break;
      }
      case 'put-user-policy': {
        const [a, u, p, d] = need(values, 'account-id', 'user-name', 'policy-name', 'policy-document');
        store.putUserPolicy(a!, u!, p!, readDocumentArg(d!));
        break;
      }
      case 'get-user-policy': {
        const [a, u, p] = need(values, 'account-id', 'user-name', 'policy-name');
        const r = store.getUserPolicy(a!, u!, p!);
        print({ ...r, PolicyDocument: JSON.parse(r.PolicyDocument) as unknown });
        break;
      }
      case 'list-user-policies': {
        const [a, u] = need(values, 'account-id', 'user-name');
        print({ PolicyNames: store.listUserPolicies(a!, u!), IsTruncated: false });
        break;
      }
      case 'delete-user-policy': {
        const [a, u, p] = need(values, 'account-id', 'user-name', 'policy-name');
        store.deleteUserPolicy(a!, u!, p!);
        break;
      }
      case 'create-access-key': {
        const [a] = need(values, 'account-id');
        print({ AccessKey: store.createAccessKey(a!, values['user-name']) });
        break;
      }
      case 'list-access-keys': {
        const [a] = need(values, 'account-id');
        print({ AccessKeyMetadata: store.listAccessKeys(a!, values['user-name']), IsTruncated: false });
        break;
      }
      case 'update-access-key': {
        const [k, s] = need(values, 'access-key-id', 'status');
        if (s !== 'Active' && s !== 'Inactive') throw new IamError('ValidationError', '--status is Active or Inactive');
        store.updateAccessKey(k!, s);
        break;
      }
      case 'delete-access-key': {
        const [k] = need(values, 'access-key-id');
        store.deleteAccessKey(k!);
        break;
      }
      default:
        io.err(`strongroom iam: unknown verb ${verb}\n${IAM_USAGE}\n`);
        return 2;
    }
    return 0;
  } catch (e) {
    if (e instanceof IamError) {
      io.err(JSON.stringify({ Error: { Code: e.code, Message: e.message } }) + '\n');
      return 1;
    }
    throw e;
  } finally {
    store.close();
  }
}
