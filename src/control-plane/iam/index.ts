// The IAM of the AWS front ends, for the control plane's and KMS's composition roots: the store
// (accounts, users, keys, policies; the authority startAwsServer asks), the bootstrap and the
// policy evaluator. Re-exports only.

export { IamStore, IamError, type Account, type IamUser, type AccessKey, type AccessKeyMetadata } from './store.js';
export { bootstrapIam, credentialsFileText, DEFAULT_ACCOUNT_NAME, type IamBootstrap } from './bootstrap.js';
export { parsePolicyDocument, evaluate, evaluateAll, MalformedPolicyError, type PolicyDocument, type Decision } from './policy.js';
