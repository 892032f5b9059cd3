// DisconnectCustomKeyStore: logs kmsuser out and closes the connection; its keys become Unavailable.

import { K, kmsError } from '../errors.js';
import type { Op } from './common.js';
import { requireStore } from './stores.js';

export const DisconnectCustomKeyStore: Op = (d) => ({
  readOnly: false,
  async handler(ctx, i) {
    const s = requireStore(d, ctx, i);
    if (s.connectionState === 'DISCONNECTED') throw kmsError(K.cksInvalidState, `Custom key store ${s.id} is already disconnected.`);
    await d.custom.disconnect(s.id);
    return {};
  },
});
