// The pool of HSM random bytes that GenerateDataKey draws from (see crypto.ts dataKeyBytes): one
// per HSM client (KMS's own store, or one connected custom key store), filled POOL_BYTES at a
// time from that client's HSMs. Every byte is handed out once and zeroed in the pool as it goes;
// dropDataKeyPool zeroes what is left when a store disconnects. Never logs or persists a byte.

import type { Deps } from './operations/common.js';

const POOL_BYTES = 4096;
/** When fewer bytes than this are left, the next 4 KiB is fetched ahead, so takers rarely wait. */
const LOW_WATER = POOL_BYTES / 2;
const pools = new WeakMap<object, RandomPool>();

/** The pool of this client, made on first use. */
export function poolFor(client: Pick<Deps['own'], 'call'>): RandomPool {
  let pool = pools.get(client);
  if (!pool) pools.set(client, (pool = new RandomPool(client)));
  return pool;
}

/** Zeroes and forgets the pool of a client that is going away (a custom key store disconnecting). */
export function dropDataKeyPool(client: object): void {
  pools.get(client)?.wipe();
  pools.delete(client);
}

export class RandomPool {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  /** The next 4 KiB, fetched ahead; zeroed if the pool is dropped unused. */
  private spare: Buffer | undefined;
  /** The fetch in flight: resolves to its error, or undefined once `spare` is filled. */
  private fetching: Promise<Error | undefined> | undefined;
  /** Set by wipe(): a fetch that lands afterwards is zeroed, not kept. */
  private dropped = false;
  constructor(private readonly client: Pick<Deps['own'], 'call'>) {}

  async take(n: number): Promise<Buffer> {
    if (n > POOL_BYTES) return Buffer.from((await this.client.call('crypto.random', { length: n })).data, 'base64');
    for (;;) {
      const left = this.buf.length - this.off;
      if (left >= n) {
        const slice = this.buf.subarray(this.off, this.off + n);
        this.off += n;
        const out = Buffer.from(slice);
        slice.fill(0);
        if (left - n < LOW_WATER && !this.spare) this.fetchAhead();
        return out;
      }
      if (this.spare) {
        this.buf.fill(0);
        this.buf = this.spare;
        this.off = 0;
        this.spare = undefined;
        continue;
      }
      const err = await this.fetchAhead();
      if (err) throw err;
    }
  }

  /** Zeroes every byte not handed out (the current piece and the one fetched ahead). */
  wipe(): void {
    this.dropped = true;
    this.buf.fill(0);
    this.buf = Buffer.alloc(0);
    this.off = 0;
    this.spare?.fill(0);
    this.spare = undefined;
  }

  private fetchAhead(): Promise<Error | undefined> {
    this.fetching ??= this.client.call('crypto.random', { length: POOL_BYTES }).then(
      (r) => {
        const bytes = Buffer.from(r.data, 'base64');
        if (this.dropped) bytes.fill(0);
        else this.spare = bytes;
        this.fetching = undefined;
        return undefined;
      },
      (e: unknown) => {
        this.fetching = undefined;
        return e instanceof Error ? e : new Error(String(e));
      },
    );
    return this.fetching;
  }
}

