// Tag list checks shared by CreateKey and TagResource (KMS's limits: 50 tags, key 1–128, value 0–256).

import { K, kmsError } from '../errors.js';
import type { In } from './common.js';

export function tagList(i: In, field: string): Array<{ TagKey: string; TagValue: string }> | undefined {
  const v = i[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > 50) throw kmsError(K.tag, `${field} must be a list of at most 50 tags`);
  return v.map((t: unknown, n) => {
    const o = t as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o['TagKey'] !== 'string' || typeof o['TagValue'] !== 'string') throw kmsError(K.tag, `${field}[${n}] needs TagKey and TagValue strings`);
    const key = o['TagKey'], value = o['TagValue'];
    if (key.length < 1 || key.length > 128 || value.length > 256) throw kmsError(K.tag, `${field}[${n}]: TagKey is 1–128 characters, TagValue at most 256`);
    if (key.startsWith('aws:')) throw kmsError(K.tag, `${field}[${n}]: tag keys beginning with aws: are reserved`);
    return { TagKey: key, TagValue: value };
  });
}
