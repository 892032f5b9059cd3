// Frame codec: round trips, split and coalesced chunks, the size cap, and bad JSON.

import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frames.js';
import { HsmError } from '../../src/protocol/errors.js';

describe('frames', () => {
  it('round-trips frames delivered byte by byte and coalesced', () => {
    const a = encodeFrame({ id: 1, op: 'x', params: { s: 'é' } });
    const b = encodeFrame({ id: 2, op: 'y', params: {} });
    const d = new FrameDecoder(1024);
    const got: unknown[] = [];
    for (const byte of Buffer.concat([a, b])) got.push(...d.push(Buffer.from([byte])));
    expect(got).toEqual([{ body: { id: 1, op: 'x', params: { s: 'é' } } }, { body: { id: 2, op: 'y', params: {} } }]);
    expect(new FrameDecoder(1024).push(Buffer.concat([a, b]))).toHaveLength(2);
    expect(d.pendingBytes).toBe(0);
  });

  it('refuses a declared length above the cap before buffering it', () => {
    const d = new FrameDecoder(100);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(101);
    expect(() => d.push(head)).toThrowError(HsmError);
    try {
      new FrameDecoder(100).push(head);
    } catch (e) {
      expect((e as HsmError).code).toBe('CKR_STRONGROOM_FRAME_TOO_LARGE');
    }
  });

  it('reports a body that is not JSON and goes on', () => {
    const bad = Buffer.from('{nope');
    const head = Buffer.alloc(4);
    head.writeUInt32BE(bad.length);
    const out = new FrameDecoder(100).push(Buffer.concat([head, bad, encodeFrame({ id: 3 })]));
    expect(out[0]).toHaveProperty('parseError');
    expect(out[1]).toEqual({ body: { id: 3 } });
  });
});
