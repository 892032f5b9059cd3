// The event log and `strongroom events`: append-only JSON lines (0600), filters by name, user,
// source, key and time range, a torn last line skipped, redaction of secret fields at any depth.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../src/control-plane/events/log.js';
import { runEventsCommand } from '../../src/control-plane/events/cli.js';
import { HIDDEN, redact, type ApiCallEvent } from '../../src/aws/cloudtrail.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strongroom-events-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ev(eventName: string, eventTime: string, userName: string, extra: Partial<ApiCallEvent> = {}): ApiCallEvent {
  return {
    eventVersion: '1.08',
    eventTime,
    eventSource: 'cloudhsmv2.amazonaws.com',
    eventName,
    awsRegion: 'local-1',
    sourceIPAddress: '127.0.0.1',
    userAgent: 'test',
    userIdentity: { type: 'IAMUser', userName, arn: `arn:aws:iam::111122223333:user/${userName}`, accountId: '111122223333', accessKeyId: `AKIA${userName.toUpperCase().padEnd(16, 'X')}`, principalId: 'AIDAX' },
    requestParameters: {},
    responseElements: null,
    requestID: 'r',
    eventID: 'e',
    readOnly: eventName.startsWith('Describe'),
    eventType: 'AwsApiCall',
    managementEvent: true,
    eventCategory: 'Management',
    recipientAccountId: '111122223333',
    ...extra,
  };
}

function eventsCli(...argv: string[]): { code: number; lines: ApiCallEvent[]; err: string } {
  let out = '';
  let err = '';
  const code = runEventsCommand([...argv, '--data-dir', dir], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ApiCallEvent), err };
}

describe('EventLog', () => {
  beforeEach(() => {
    const log = EventLog.open(dir);
    log.append(ev('DescribeClusters', '2024-05-01T10:00:00Z', 'alice'));
    log.append(ev('CreateCluster', '2024-05-01T11:00:00Z', 'bob', { errorCode: 'CloudHsmAccessDeniedException', errorMessage: 'no' }));
    log.append(ev('CreateCluster', '2024-05-01T12:00:00Z', 'alice'));
    log.append(ev('Encrypt', '2024-05-01T13:00:00Z', 'alice', { eventSource: 'kms.amazonaws.com' }));
    log.close();
  });

  it('appends one JSON line per record to an owner-only file', () => {
    const path = join(dir, 'events.jsonl');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(4);
  });

  it('filters by event name, user, source, key, errors and time range', () => {
    const log = EventLog.open(dir);
    expect(log.query({ eventName: 'CreateCluster' }).map((e) => e.userIdentity.userName)).toEqual(['bob', 'alice']);
    expect(log.query({ userName: 'alice' })).toHaveLength(3);
    expect(log.query({ userName: 'arn:aws:iam::111122223333:user/bob' })).toHaveLength(1);
    expect(log.query({ eventSource: 'kms.amazonaws.com' }).map((e) => e.eventName)).toEqual(['Encrypt']);
    expect(log.query({ errorsOnly: true }).map((e) => e.eventTime)).toEqual(['2024-05-01T11:00:00Z']);
    expect(log.query({ startTime: new Date('2024-05-01T11:00:00Z'), endTime: new Date('2024-05-01T12:00:00Z') }).map((e) => e.eventTime)).toEqual(['2024-05-01T11:00:00Z', '2024-05-01T12:00:00Z']);
  });

  it('skips a torn last line (a crash in the middle of a write)', () => {
    appendFileSync(join(dir, 'events.jsonl'), '{"eventName":"Half');
    expect(EventLog.open(dir).query()).toHaveLength(4);
  });
});

describe('EventLog.record (group commit)', () => {
  it('writes the records of one turn together, before their promises resolve, and close() writes what is pending', async () => {
    const log = EventLog.open(dir);
    const path = join(dir, 'events.jsonl');
    const p = Promise.all([log.record(ev('Encrypt', '2024-05-01T10:00:00Z', 'alice')), log.record(ev('Decrypt', '2024-05-01T10:00:01Z', 'alice'))]);
    await p;
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(2);
    void log.record(ev('GenerateDataKey', '2024-05-01T10:00:02Z', 'bob'));
    log.append(ev('CreateKey', '2024-05-01T10:00:03Z', 'bob'));
    expect(log.query().map((e) => e.eventName)).toEqual(['Encrypt', 'Decrypt', 'GenerateDataKey', 'CreateKey']);
    void log.record(ev('Sign', '2024-05-01T10:00:04Z', 'bob'));
    log.close();
    expect(EventLog.open(dir).query().map((e) => e.eventName).at(-1)).toBe('Sign');
  });
});

describe('strongroom events', () => {
  beforeEach(() => {
    const log = EventLog.open(dir);
    log.append(ev('DescribeClusters', '2024-05-01T10:00:00Z', 'alice'));
    log.append(ev('DeleteCluster', '2024-05-02T10:00:00Z', 'bob'));
    log.close();
  });

  it('prints matching records as JSON lines', () => {
    expect(eventsCli().lines).toHaveLength(2);
    expect(eventsCli('--event-name', 'DeleteCluster').lines.map((e) => e.userIdentity.userName)).toEqual(['bob']);
    expect(eventsCli('--user-name', 'alice').lines.map((e) => e.eventName)).toEqual(['DescribeClusters']);
    expect(eventsCli('--start-time', '2024-05-02T00:00:00Z').lines.map((e) => e.eventName)).toEqual(['DeleteCluster']);
    expect(eventsCli('--end-time', '2024-05-01T23:59:59Z').lines.map((e) => e.eventName)).toEqual(['DescribeClusters']);
    expect(eventsCli('--max-results', '1').lines.map((e) => e.eventName)).toEqual(['DeleteCluster']);
  });

  it('rejects a bad time', () => {
    const r = eventsCli('--start-time', 'yesterday-ish');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/ISO 8601/);
  });
});

describe('redact', () => {
  it('hides secret fields at any depth, drops omitted ones, leaves the input untouched', () => {
    const input = { KeyId: 'k', Plaintext: 'p', Inner: [{ Plaintext: 'q', Ok: 1 }], Blob: 'big', When: new Date(0), Bytes: new Uint8Array(4) };
    expect(redact(input, new Set(['Plaintext']), new Set(['Blob']))).toEqual({ KeyId: 'k', Plaintext: HIDDEN, Inner: [{ Plaintext: HIDDEN, Ok: 1 }], When: '1970-01-01T00:00:00.000Z', Bytes: '[4 bytes]' });
    expect(input.Plaintext).toBe('p');
  });
});
