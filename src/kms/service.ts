// The `kms` AwsService: target prefix TrentService, signing name and IAM namespace kms, CloudTrail
// source kms.amazonaws.com, one operation per file under operations/, key policies and grants
// applied by authorize.ts after IAM. Holds no state (it is in Deps). With request quotas on
// (Deps.quotas), each authorised request first takes its share of them.

import type { AwsCallContext, AwsOperationSpec, AwsService } from '../aws/server.js';
import { parseBlob } from './ciphertext.js';
import { K } from './errors.js';
import { kmsAuthorize } from './authorize.js';
import { CRYPTO_OPERATIONS, type Draw, type RequestQuotas } from './quotas.js';
import { findKey, type Deps, type In } from './operations/common.js';
import { CreateKey } from './operations/CreateKey.js';
import { DescribeKey } from './operations/DescribeKey.js';
import { ListKeys } from './operations/ListKeys.js';
import { EnableKey } from './operations/EnableKey.js';
import { DisableKey } from './operations/DisableKey.js';
import { UpdateKeyDescription } from './operations/UpdateKeyDescription.js';
import { ScheduleKeyDeletion } from './operations/ScheduleKeyDeletion.js';
import { CancelKeyDeletion } from './operations/CancelKeyDeletion.js';
import { CreateAlias } from './operations/CreateAlias.js';
import { UpdateAlias } from './operations/UpdateAlias.js';
import { DeleteAlias } from './operations/DeleteAlias.js';
import { ListAliases } from './operations/ListAliases.js';
import { TagResource } from './operations/TagResource.js';
import { UntagResource } from './operations/UntagResource.js';
import { ListResourceTags } from './operations/ListResourceTags.js';
import { GetKeyPolicy } from './operations/GetKeyPolicy.js';
import { PutKeyPolicy } from './operations/PutKeyPolicy.js';
import { ListKeyPolicies } from './operations/ListKeyPolicies.js';
import { Encrypt } from './operations/Encrypt.js';
import { Decrypt } from './operations/Decrypt.js';
import { ReEncrypt } from './operations/ReEncrypt.js';
import { GenerateDataKey, GenerateDataKeyWithoutPlaintext } from './operations/GenerateDataKey.js';
import { GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext } from './operations/GenerateDataKeyPair.js';
import { GenerateRandom } from './operations/GenerateRandom.js';
import { Sign } from './operations/Sign.js';
import { Verify } from './operations/Verify.js';
import { GetPublicKey } from './operations/GetPublicKey.js';
import { GenerateMac } from './operations/GenerateMac.js';
import { VerifyMac } from './operations/VerifyMac.js';
import { EnableKeyRotation } from './operations/EnableKeyRotation.js';
import { DisableKeyRotation } from './operations/DisableKeyRotation.js';
import { GetKeyRotationStatus } from './operations/GetKeyRotationStatus.js';
import { RotateKeyOnDemand } from './operations/RotateKeyOnDemand.js';
import { ListKeyRotations } from './operations/ListKeyRotations.js';
import { CreateCustomKeyStore } from './operations/CreateCustomKeyStore.js';
import { ConnectCustomKeyStore } from './operations/ConnectCustomKeyStore.js';
import { DisconnectCustomKeyStore } from './operations/DisconnectCustomKeyStore.js';
import { DescribeCustomKeyStores } from './operations/DescribeCustomKeyStores.js';
import { UpdateCustomKeyStore } from './operations/UpdateCustomKeyStore.js';
import { DeleteCustomKeyStore } from './operations/DeleteCustomKeyStore.js';
import { CreateGrant } from './operations/CreateGrant.js';
import { ListGrants } from './operations/ListGrants.js';
import { ListRetirableGrants } from './operations/ListRetirableGrants.js';
import { RetireGrant } from './operations/RetireGrant.js';
import { RevokeGrant } from './operations/RevokeGrant.js';

export function kmsService(deps: Deps): AwsService {
  const ops = {
    CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion,
    CreateAlias, UpdateAlias, DeleteAlias, ListAliases, TagResource, UntagResource, ListResourceTags,
    GetKeyPolicy, PutKeyPolicy, ListKeyPolicies,
    Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext,
    GenerateRandom, Sign, Verify, GetPublicKey, GenerateMac, VerifyMac,
    EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations,
    CreateCustomKeyStore, ConnectCustomKeyStore, DisconnectCustomKeyStore, DescribeCustomKeyStores, UpdateCustomKeyStore, DeleteCustomKeyStore,
    CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant,
  };
  // Grant tokens are bearer-ish values: hidden in every event, as GrantToken is in the grant operations.
  const spec = (make: unknown): AwsService['operations'][string] => {
    const s = (make as (d: Deps) => AwsService['operations'][string])(deps);
    return { ...s, secretFields: [...(s.secretFields ?? []), 'GrantTokens'] };
  };
  return {
    targetPrefix: 'TrentService',
    signingName: 'kms',
    actionPrefix: 'kms',
    eventSource: 'kms.amazonaws.com',
    operations: Object.fromEntries(Object.entries(ops).map(([name, make]) => {
      const s = spec(make);
      return [name, deps.quotas ? throttled(deps, deps.quotas, name, s) : s];
    })),
    errors: { invalidRequest: K.validation, accessDenied: K.denied, internal: K.internal },
    authorize: kmsAuthorize(deps),
  };
}

/** `spec` with its handler behind the request quotas. */
function throttled(d: Deps, quotas: RequestQuotas, name: string, spec: AwsOperationSpec): AwsOperationSpec {
  return {
    ...spec,
    handler: (ctx, i) => {
      quotas.take(draw(d, quotas, name, ctx, i as In));
      return spec.handler(ctx, i);
    },
  };
}

/** The quotas a request draws on: its key's type and store for cryptographic operations. */
function draw(d: Deps, quotas: RequestQuotas, name: string, ctx: AwsCallContext, i: In): Draw {
  const account = ctx.identity.accountId;
  if (!CRYPTO_OPERATIONS.has(name)) return quotas.draws(name, account);
  if (name === 'GenerateRandom') {
    const store = i['CustomKeyStoreId'];
    return quotas.draws(name, account, undefined, typeof store === 'string' ? { storeId: store } : {});
  }
  const named = i[name === 'ReEncrypt' ? 'DestinationKeyId' : 'KeyId'];
  let key = typeof named === 'string' ? findKey(d, ctx, named) : undefined;
  if (!key && name === 'Decrypt' && typeof i['CiphertextBlob'] === 'string') {
    try {
      key = findKey(d, ctx, parseBlob(Buffer.from(i['CiphertextBlob'], 'base64')).keyId);
    } catch {
      // not a blob of ours: the handler says so; the request still counts as symmetric
    }
  }
  const pair = i['KeyPairSpec'];
  return quotas.draws(name, account, key, typeof pair === 'string' && name.startsWith('GenerateDataKeyPair') ? { keyPairSpec: pair } : {});
}
