// Cluster membership: each HSM keeps a sealed record `member/<hsm-id>` fresh (heartbeat) and
// follows the others' records through the store's change feed, so `cluster hsm-info` on any HSM
// lists every HSM with its zone, address, state and key count. Holds no secrets.

import type { Logger } from 'pino';
import { HsmError } from '../../protocol/errors.js';
import type { SealedStore } from '../barrier/sealed-store.js';
import type { MemberView } from '../context.js';

/** How often each HSM refreshes its member record, and when a silent member counts as unreachable. */
export const HEARTBEAT_MS = 2_000;
export const MEMBER_STALE_MS = 7_000;

/** What each HSM writes about itself. */
interface MemberRecord extends MemberView {
  heartbeat: number;
}

export class Membership {
  private readonly recs = new Map<string, { rec: MemberRecord; version: number }>();
  private timer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;

  constructor(private readonly store: SealedStore, private readonly log: Logger, private readonly self: () => MemberView) {}

  async start(afterSeq: number): Promise<void> {
    for (const r of await this.store.list('member/')) {
      if ('value' in r) this.recs.set(r.id.slice(7), { rec: JSON.parse(r.value.toString('utf8')) as MemberRecord, version: r.version });
    }
    this.stopWatch = this.store.watch('member/', afterSeq, (ev) => void this.read(ev.id, ev.kind).catch(() => undefined));
    await this.heartbeat().catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'member heartbeat failed'));
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopWatch?.();
    if (this.timer) clearInterval(this.timer);
    this.stopWatch = this.timer = undefined;
  }

  /** Refresh now (state changed); failures are logged, the next beat tries again. */
  beat(): void {
    this.heartbeat().catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'member heartbeat failed'));
  }

  members(): MemberView[] {
    const now = Date.now();
    const out = new Map<string, MemberView>();
    for (const { rec } of this.recs.values()) {
      const { heartbeat, ...view } = rec;
      out.set(rec.hsmId, { ...view, state: now - heartbeat > MEMBER_STALE_MS ? 'UNREACHABLE' : rec.state });
    }
    const me = this.self();
    out.set(me.hsmId, me);
    return [...out.values()].sort((a, b) => a.az.localeCompare(b.az) || a.hsmId.localeCompare(b.hsmId));
  }

  private async read(id: string, kind: 'put' | 'delete'): Promise<void> {
    const hsmId = id.slice(7);
    if (kind === 'delete') {
      this.recs.delete(hsmId);
      return;
    }
    const r = await this.store.get(id);
    if (r) this.recs.set(hsmId, { rec: JSON.parse(r.value.toString('utf8')) as MemberRecord, version: r.version });
  }

  /** Compare-and-swap of this HSM's record; re-reads once on a lost race. */
  private async heartbeat(): Promise<void> {
    const me = this.self();
    const id = `member/${me.hsmId}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const cur = this.recs.get(me.hsmId);
      const rec: MemberRecord = { ...this.self(), heartbeat: Date.now() };
      try {
        const v = await this.store.put(id, Buffer.from(JSON.stringify(rec)), cur?.version ?? 0);
        this.recs.set(me.hsmId, { rec, version: v });
        return;
      } catch (e) {
        if (!(e instanceof HsmError && e.code === 'CKR_STRONGROOM_CONFLICT')) throw e;
        const r = await this.store.get(id);
        if (r) this.recs.set(me.hsmId, { rec: JSON.parse(r.value.toString('utf8')) as MemberRecord, version: r.version });
        else this.recs.delete(me.hsmId);
      }
    }
  }
}
