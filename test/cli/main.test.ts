// Tests of main(): modes, help, JSON errors and exit codes, env login, one-key selection and the
// flag-to-operation mapping, all against a fake client session (no server). Also runs the
// compiled bin as a subprocess when dist/ has been built.

import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main, type CliSession, type MainDeps } from '../../src/cli/main.js';
import { HsmError } from '../../src/protocol/errors.js';
import type { InputStream } from '../../src/cli/io.js';

type Call = { op: string; params: unknown };

class FakeStdin extends EventEmitter implements InputStream {
  isTTY = false;
  private sent = false;
  constructor(private readonly text: string) {
    super();
  }
  setEncoding(): this {
    return this;
  }
  resume(): this {
    if (!this.sent) {
      this.sent = true;
      queueMicrotask(() => {
        if (this.text) this.emit('data', this.text);
        this.emit('end');
      });
    }
    return this;
  }
  pause(): this {
    return this;
  }
}

function harness(opts: { stdin?: string; env?: Record<string, string>; reply?: (op: string, params: unknown) => unknown } = {}) {
  const calls: Call[] = [];
  let out = '';
  let connects = 0;
  const files = new Map<string, Buffer | string>();
  const session: CliSession = {
    call: (async (op: string, params: unknown) => {
      calls.push({ op, params });
      return opts.reply ? opts.reply(op, params) : {};
    }) as CliSession['call'],
    login: async (username, role, password) => {
      calls.push({ op: 'login', params: { username, role, password } });
      if (password === 'bad') throw new HsmError('CKR_PIN_INCORRECT', 'Unable to log in');
      return { username, role };
    },
    close: () => undefined,
  };
  const deps: MainDeps = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: () => true },
    stdin: new FakeStdin(opts.stdin ?? ''),
    env: opts.env ?? {},
    connect: async () => {
      connects++;
      return session;
    },
    readFile: (p) => {
      const f = files.get(p);
      if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return Buffer.from(f);
    },
    writeFile: (p, d) => void files.set(p, d),
  };
  return {
    deps,
    calls,
    files,
    out: () => out,
    json: () => JSON.parse(out) as { error_code: number; data: unknown },
    connects: () => connects,
  };
}

const keyList = (n: number) => ({
  matched_keys: Array.from({ length: n }, (_, i) => ({ 'key-reference': `0x${(i + 1).toString(16).padStart(16, '0')}`, attributes: {} })),
  total_key_count: n,
  returned_key_count: n,
});

describe('misuse gives a JSON error and exit code 1, without connecting', () => {
  it.each([
    [['frobnicate'], /unrecognized command 'frobnicate'/],
    [['key', 'frob'], /unrecognized command 'key frob'/],
    [['key', 'generate-symmetric'], /needs a subcommand: aes, generic-secret/],
    [['key', 'generate-symmetric', 'aes', '--label', 'k'], /missing required flag --key-length-bytes/],
    [['key', 'generate-symmetric', 'aes', '--label', 'k', '--key-length-bytes', '20'], /must be 16, 24 or 32/],
    [['key', 'generate-symmetric', 'generic-secret', '--label', 'k', '--key-length-bytes', '801'], /1 to 800/],
    [['key', 'list', '--colour'], /unknown flag --colour/],
    [['crypto', 'sign', 'ecdsa', '--key-filter', 'attr.label=k', '--hash-function', 'md5', '--data', 'AA=='], /possible values/],
    [['key', 'delete', '--filter', 'label=k'], /invalid filter/],
  ])('%j', async (argv, msg) => {
    const h = harness();
    const code = await main(argv, h.deps);
    expect(code).toBe(1);
    const j = h.json();
    expect(j.error_code).toBe(1);
    expect(j.data).toMatch(msg);
    expect(h.out()).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(h.connects()).toBe(0);
  });
});

describe('help', () => {
  it.each([[['--help']], [['help']], [[]]])('%j prints the command tree, exit 0', async (argv) => {
    const h = harness();
    expect(await main(argv, h.deps)).toBe(0);
    expect(h.out()).toContain('key generate-symmetric aes');
    expect(h.out()).toContain('crypto verify-mac hmac');
  });
  it('group --help prints the group', async () => {
    const h = harness();
    expect(await main(['key', '--help'], h.deps)).toBe(0);
    expect(h.out()).toContain('key wrap rsa-oaep');
    expect(h.out()).not.toContain('user create');
  });
  it('command --help prints its options', async () => {
    const h = harness();
    expect(await main(['key', 'generate-symmetric', 'aes', '--help'], h.deps)).toBe(0);
    expect(h.out()).toContain('--key-length-bytes <KEY_LENGTH_BYTES>');
  });
});

describe('single-command mode', () => {
  it('prints pretty JSON and exits 0', async () => {
    const h = harness({ reply: () => ({ users: [] }) });
    expect(await main(['user', 'list'], h.deps)).toBe(0);
    expect(h.out()).toBe('{\n  "error_code": 0,\n  "data": {\n    "users": []\n  }\n}\n');
  });
  it('logs in from CLOUDHSM_ROLE and CLOUDHSM_PIN first', async () => {
    const h = harness({ env: { CLOUDHSM_ROLE: 'crypto-user', CLOUDHSM_PIN: 'Alice:pa:ss' }, reply: () => keyList(0) });
    expect(await main(['key', 'list'], h.deps)).toBe(0);
    expect(h.calls[0]).toEqual({ op: 'login', params: { username: 'alice', role: 'crypto-user', password: 'pa:ss' } });
    expect(h.calls[1]?.op).toBe('key.list');
  });
  it('a failed login is a JSON error', async () => {
    const h = harness({ env: { CLOUDHSM_ROLE: 'admin', CLOUDHSM_PIN: 'admin:bad' } });
    expect(await main(['user', 'list'], h.deps)).toBe(1);
    expect(h.json()).toEqual({ error_code: 1, data: 'Unable to log in' });
  });
  it('an HsmError shows only its message', async () => {
    const h = harness({ reply: () => { throw new HsmError('CKR_USER_NOT_LOGGED_IN', 'you must log in first'); } });
    expect(await main(['key', 'list'], h.deps)).toBe(1);
    expect(h.json()).toEqual({ error_code: 1, data: 'you must log in first' });
  });
  it('passes --config to connect', async () => {
    const h = harness({ reply: () => ({ hsms: [], 'cluster-id': 'c' }) });
    let seen: string | undefined = 'unset';
    const connect = h.deps.connect;
    h.deps.connect = (p) => ((seen = p), connect(p));
    expect(await main(['cluster', 'hsm-info', '--config', '/x/client.json'], h.deps)).toBe(0);
    expect(seen).toBe('/x/client.json');
    expect(h.json().data).toEqual({ hsms: [] });
  });
  it('reads the password from stdin when it is not a terminal', async () => {
    const h = harness({ stdin: 'secretpw1\n', reply: () => ({ state: 'ACTIVE' }) });
    expect(await main(['cluster', 'activate'], h.deps)).toBe(0);
    expect(h.calls).toEqual([{ op: 'cluster.activate', params: { password: 'secretpw1' } }]);
  });
});

describe('flags to operations', () => {
  it('generate-symmetric puts the label in the template', async () => {
    const h = harness({ reply: () => ({ key: {} }) });
    await main(['key', 'generate-symmetric', 'aes', '--label', 'k1', '--key-length-bytes', '32', '--attributes', 'encrypt=true', 'decrypt=true', '--session', '--share-crypto-users', 'Bob', '--use-key-quorum-value', '1'], h.deps);
    expect(h.calls).toEqual([{
      op: 'key.generateSymmetric',
      params: { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true, label: 'k1' }, session: true, shareWith: ['bob'], useKeyQuorumValue: 1 },
    }]);
  });
  it('generate-asymmetric-pair ec accepts prime256v1', async () => {
    const h = harness({ reply: () => ({}) });
    await main(['key', 'generate-asymmetric-pair', 'ec', '--curve', 'prime256v1', '--public-label', 'p', '--private-label', 'q', '--private-attributes', 'sign=true'], h.deps);
    expect(h.calls[0]).toEqual({
      op: 'key.generateKeyPair',
      params: { keyType: 'ec', curve: 'secp256r1', publicAttributes: { label: 'p' }, privateAttributes: { sign: true, label: 'q' } },
    });
  });
  it('one-key commands list first, then act on the reference', async () => {
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { message: 'Key deleted successfully' }) });
    expect(await main(['key', 'delete', '--filter', 'attr.label=k1', 'attr.key-type=aes'], h.deps)).toBe(0);
    expect(h.calls).toEqual([
      { op: 'key.list', params: { filter: { attributes: { label: 'k1', 'key-type': 'aes' } } } },
      { op: 'key.delete', params: { ref: '0x0000000000000001' } },
    ]);
  });
  it('an ambiguous filter is refused with CloudHSM wording', async () => {
    const h = harness({ reply: () => keyList(3) });
    expect(await main(['key', 'set-attribute', '--filter', 'attr.class=secret-key', '--name', 'label', '--value', 'x'], h.deps)).toBe(1);
    expect(h.json().data).toBe('Key selection criteria matched 3 keys. Refine selection criteria to select a single key.');
    expect(h.calls).toHaveLength(1);
  });
  it('no match is an error', async () => {
    const h = harness({ reply: () => keyList(0) });
    expect(await main(['key', 'share', '--filter', 'attr.label=nope', '--username', 'bob', '--role', 'crypto-user'], h.deps)).toBe(1);
    expect(h.json().data).toMatch(/matched no keys/);
  });
  it('set-attribute sends booleans for true/false', async () => {
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { message: 'ok' }) });
    await main(['key', 'set-attribute', '--filter', 'key-reference=0x1', '--name', 'decrypt', '--value', 'true'], h.deps);
    expect(h.calls[1]).toEqual({ op: 'key.setAttribute', params: { ref: '0x0000000000000001', name: 'decrypt', value: true } });
  });
  it('crypto sign rsa-pkcs --data-type digest prepends DigestInfo and uses CKM_RSA_PKCS', async () => {
    const digest = Buffer.alloc(32, 7);
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { signature: 'c2ln' }) });
    expect(await main(['crypto', 'sign', 'rsa-pkcs', '--key-filter', 'attr.label=r', '--hash-function', 'sha256', '--data-type', 'digest', '--data', digest.toString('base64')], h.deps)).toBe(0);
    const p = h.calls[1]!.params as { mechanism: string; data: string };
    expect(p.mechanism).toBe('CKM_RSA_PKCS');
    expect(Buffer.from(p.data, 'base64').toString('hex')).toBe('3031300d060960864801650304020105000420' + digest.toString('hex'));
    expect(h.json().data).toEqual({ 'key-reference': '0x0000000000000001', signature: 'c2ln' });
  });
  it('crypto verify reports success in CloudHSM wording', async () => {
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { message: 'ok' }) });
    expect(await main(['crypto', 'verify', 'ecdsa', '--key-filter', 'attr.label=e', '--hash-function', 'sha384', '--data', 'YWJj', '--signature', 'c2ln'], h.deps)).toBe(0);
    expect(h.calls[1]).toEqual({ op: 'crypto.verify', params: { mechanism: 'CKM_ECDSA_SHA384', ref: '0x0000000000000001', data: 'YWJj', signature: 'c2ln' } });
    expect(h.json().data).toEqual({ message: 'Signature verified successfully' });
  });
  it('key wrap rsa-oaep maps hash and mgf, and --path writes binary and drops the base64', async () => {
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { wrapped_key_data: Buffer.from('wrapped').toString('base64') }) });
    expect(await main(['key', 'wrap', 'rsa-oaep', '--payload-filter', 'attr.label=p', '--wrapping-filter', 'attr.label=w', '--hash-function', 'sha256', '--path', '/out.bin'], h.deps)).toBe(0);
    expect(h.calls[2]).toEqual({
      op: 'key.wrap',
      params: { mechanism: 'CKM_RSA_PKCS_OAEP', wrappingRef: '0x0000000000000001', payloadRef: '0x0000000000000001', params: { hash: 'sha256', mgf: 'mgf1-sha256' } },
    });
    expect(Buffer.from(h.files.get('/out.bin')!).toString()).toBe('wrapped');
    expect(h.json().data).toEqual({ payload_key_reference: '0x0000000000000001', wrapping_key_reference: '0x0000000000000001' });
  });
  it('key unwrap maps --key-type-class and reads --data-path', async () => {
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { key: {} }) });
    h.files.set('/w.bin', Buffer.from([1, 2, 3]));
    expect(await main(['key', 'unwrap', 'aes-no-pad', '--filter', 'attr.label=w', '--data-path', '/w.bin', '--key-type-class', 'rsa-private', '--label', 'u', '--attributes', 'sign=true'], h.deps)).toBe(0);
    expect(h.calls[1]).toEqual({
      op: 'key.unwrap',
      params: { mechanism: 'CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD', unwrappingRef: '0x0000000000000001', wrapped: 'AQID', keyClass: 'private-key', keyType: 'rsa', attributes: { sign: true, label: 'u' } },
    });
  });
  it('crypto mac hmac uses CKM_SHA_1_HMAC for sha1 and returns mac', async () => {
    const h = harness({ reply: (op) => (op === 'key.list' ? keyList(1) : { signature: 'bWFj' }) });
    expect(await main(['crypto', 'mac', 'hmac', '--key-filter', 'attr.label=h', '--hash-function', 'sha1', '--data', 'YWJj'], h.deps)).toBe(0);
    expect((h.calls[1]!.params as { mechanism: string }).mechanism).toBe('CKM_SHA_1_HMAC');
    expect(h.json().data).toEqual({ 'key-reference': '0x0000000000000001', mac: 'bWFj' });
  });
});

describe('interactive mode', () => {
  it('keeps one session, reads the password from the next line, and stops at quit', async () => {
    const h = harness({
      stdin: ['login --username alice --role crypto-user', 'alicepass1', '', '# a comment', 'user list', 'bogus', 'help key list', 'quit', 'user list'].join('\n') + '\n',
      reply: () => ({ users: [] }),
    });
    expect(await main(['interactive'], h.deps)).toBe(0);
    expect(h.connects()).toBe(1);
    expect(h.calls).toEqual([
      { op: 'login', params: { username: 'alice', role: 'crypto-user', password: 'alicepass1' } },
      { op: 'user.list', params: {} },
    ]);
    const out = h.out();
    expect(out).not.toContain('aws-cloudhsm >'); // no prompt when stdin is not a terminal
    expect(out).toContain('"username": "alice"');
    expect(out).toContain("unrecognized command 'bogus'");
    expect(out).toContain('Usage: key list');
  });
});

const bin = fileURLToPath(new URL('../../dist/src/bin/strongroom-cli.js', import.meta.url));
describe.skipIf(!existsSync(bin))('compiled bin', () => {
  it('unknown command: JSON error, exit 1', () => {
    const r = spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error_code: 1, data: "unrecognized command 'nope'. Run 'help' to list commands" });
  });
  it('missing flag: JSON error, exit 1', () => {
    const r = spawnSync(process.execPath, [bin, 'user', 'delete', '--username', 'bob'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).data).toMatch(/missing required flag --role/);
  });
  it('--help: text, exit 0', () => {
    const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Commands:');
  });
});
