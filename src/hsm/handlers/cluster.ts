// Cluster handlers: info, CSR, initialisation (appliance only), activation, mutual-TLS trust
// anchors and enforcement, and the mechanism list. Never returns the cluster private key.

import { X509Certificate } from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedParams, OpResults } from '../../protocol/operations.js';
import type { Handler } from '../context.js';
import { fingerprint, validateTrustAnchor, verifyChain } from '../../pki/pki.js';

/** CloudHSM allows two registered trust anchors (reference §2). */
export const MAX_TRUST_ANCHORS = 2;

const info: Handler<ParsedParams<'cluster.info'>, OpResults['cluster.info']> = (ctx) => {
  const state = ctx.state();
  let c;
  try {
    c = ctx.cluster();
  } catch {
    c = undefined;
  }
  return {
    'cluster-id': ctx.id.clusterId,
    state: c?.state ?? 'UNINITIALIZED',
    'hsm-state': state,
    'fips-mode': c?.fips ?? false,
    hsms: ctx.members().map((m) => ({
      'hsm-id': m.hsmId,
      'availability-zone': m.az,
      address: m.address,
      port: m.port,
      state: m.state,
      'cluster-id': ctx.id.clusterId,
      'hsm-serial-number': m.serial,
      'firmware-version': '0.1.0',
      'key-count': m.keyCount,
    })),
  };
};

const csr: Handler<ParsedParams<'cluster.csr'>, OpResults['cluster.csr']> = (ctx) => ({
  csr: ctx.cluster().csr,
  hsmCertificate: ctx.id.deviceCertificate,
  fleetCertificate: ctx.id.fleetCa,
});

const initialize: Handler<ParsedParams<'cluster.initialize'>, OpResults['cluster.initialize']> = async (ctx, req) => {
  const c = ctx.cluster();
  if (c.state !== 'UNINITIALIZED') throw new HsmError('CKR_STRONGROOM_STATE', `the cluster is already ${c.state}`);
  const { clusterCertificate, trustAnchor } = req.params;
  validateTrustAnchor(trustAnchor);
  if (!(await verifyChain(clusterCertificate, [], [trustAnchor]))) {
    throw new HsmError('CKR_ARGUMENTS_BAD', 'the signed cluster certificate does not chain to the trust anchor');
  }
  const cert = new X509Certificate(clusterCertificate);
  const csrKey = new X509Certificate(clusterCertificate).publicKey.export({ format: 'der', type: 'spki' });
  const { createPrivateKey, createPublicKey } = await import('node:crypto');
  const mine = createPublicKey(createPrivateKey({ key: Buffer.from(c.clusterKey, 'base64'), format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  if (!csrKey.equals(mine)) throw new HsmError('CKR_ARGUMENTS_BAD', 'the signed certificate is not for this cluster\'s CSR (public keys differ)');
  if (!cert.ca) throw new HsmError('CKR_ARGUMENTS_BAD', 'the cluster certificate must be a CA certificate (basicConstraints cA=true): HSM server certificates are issued by it');
  await ctx.users.create('admin', 'unactivated-admin', undefined).catch((e: unknown) => {
    if (!(e instanceof HsmError && e.code === 'CKR_STRONGROOM_ALREADY_EXISTS')) throw e;
  });
  const anchors = (req.params.clientTrustAnchors ?? []).map((pem) => {
    validateTrustAnchor(pem);
    return { ref: '0x' + fingerprint(pem).slice(0, 16), pem: pem.trim() + '\n' };
  });
  const enforcement = req.params.mtlsEnforcement ?? 'none';
  if (enforcement === 'cluster' && anchors.length === 0) throw new HsmError('CKR_ARGUMENTS_BAD', 'mutual TLS enforcement needs a client trust anchor');
  if (anchors.length > 0) await ctx.setMtls({ anchors, enforcement });
  await ctx.setCluster({ ...c, state: 'INITIALIZED', clusterCertificate, trustAnchor });
  await ctx.refreshTls();
  return { state: 'INITIALIZED' };
};

const activate: Handler<ParsedParams<'cluster.activate'>, OpResults['cluster.activate']> = async (ctx, req) => {
  const c = ctx.cluster();
  if (c.state === 'ACTIVE') throw new HsmError('CKR_STRONGROOM_STATE', 'the cluster is already activated');
  if (c.state !== 'INITIALIZED') throw new HsmError('CKR_STRONGROOM_STATE', 'the cluster must be initialised before it is activated');
  await ctx.users.setPassword('admin', req.params.password, 'admin');
  await ctx.setCluster({ ...c, state: 'ACTIVE' });
  req.detail['username'] = 'admin';
  return { state: 'ACTIVE' };
};

function anchorView(a: { ref: string; pem: string }) {
  return { 'certificate-reference': a.ref, certificate: a.pem, 'cluster-coverage': 'full' as const };
}

const listTrustAnchors: Handler<ParsedParams<'mtls.listTrustAnchors'>, OpResults['mtls.listTrustAnchors']> = (ctx) => ({
  trust_anchors: ctx.mtls().anchors.map(anchorView),
});

function requireNamedAdmin(req: { session: { user: { username: string } | null; mtls: boolean } }): void {
  // CloudHSM: only the user named admin, connected over mutual TLS, changes enforcement.
  if (req.session.user?.username !== 'admin') throw new HsmError('CKR_ACTION_PROHIBITED', 'only the user named admin may change mutual TLS settings');
}

const registerTrustAnchor: Handler<ParsedParams<'mtls.registerTrustAnchor'>, OpResults['mtls.registerTrustAnchor']> = async (ctx, req) => {
  const pem = req.params.pem.trim() + '\n';
  validateTrustAnchor(pem);
  const cur = ctx.mtls();
  const ref = '0x' + fingerprint(pem).slice(0, 16);
  if (cur.anchors.some((a) => a.ref === ref)) throw new HsmError('CKR_STRONGROOM_ALREADY_EXISTS', `trust anchor ${ref} is already registered`);
  if (cur.anchors.length >= MAX_TRUST_ANCHORS) throw new HsmError('CKR_ACTION_PROHIBITED', `at most ${MAX_TRUST_ANCHORS} trust anchors can be registered`);
  const a = { ref, pem };
  await ctx.setMtls({ ...cur, anchors: [...cur.anchors, a] });
  req.detail['certificate-reference'] = ref;
  return { trust_anchor: anchorView(a) };
};

const deregisterTrustAnchor: Handler<ParsedParams<'mtls.deregisterTrustAnchor'>, OpResults['mtls.deregisterTrustAnchor']> = async (ctx, req) => {
  requireNamedAdmin(req);
  const cur = ctx.mtls();
  const ref = req.params.certificateReference.toLowerCase();
  if (!cur.anchors.some((a) => a.ref === ref)) throw new HsmError('CKR_STRONGROOM_NOT_FOUND', `no trust anchor ${ref}`);
  if (cur.enforcement === 'cluster' && cur.anchors.length === 1) {
    throw new HsmError('CKR_ACTION_PROHIBITED', 'cannot remove the last trust anchor while mutual TLS is enforced; set enforcement to none first');
  }
  await ctx.setMtls({ ...cur, anchors: cur.anchors.filter((a) => a.ref !== ref) });
  req.detail['certificate-reference'] = ref;
  return { message: 'Trust anchor deregistered successfully' };
};

const setEnforcement: Handler<ParsedParams<'mtls.setEnforcement'>, OpResults['mtls.setEnforcement']> = async (ctx, req) => {
  requireNamedAdmin(req);
  const cur = ctx.mtls();
  if (req.params.level === 'cluster') {
    if (cur.anchors.length === 0) throw new HsmError('CKR_ACTION_PROHIBITED', 'register a trust anchor before enforcing mutual TLS');
    if (!req.session.mtls) throw new HsmError('CKR_ACTION_PROHIBITED', 'connect with a client certificate (mutual TLS) before enforcing it');
  }
  await ctx.setMtls({ ...cur, enforcement: req.params.level });
  req.detail['level'] = req.params.level;
  return { message: `Mutual TLS enforcement set to ${req.params.level}` };
};

const getEnforcement: Handler<ParsedParams<'mtls.getEnforcement'>, OpResults['mtls.getEnforcement']> = (ctx) => ({
  'mtls-enforcement-level': ctx.mtls().enforcement,
});

const device: Handler<ParsedParams<'cluster.device'>, OpResults['cluster.device']> = (ctx) => ({
  'hsm-id': ctx.id.hsmId,
  'cluster-id': ctx.id.clusterId,
  state: ctx.state(),
  deviceCertificate: ctx.id.deviceCertificate,
});

const cloneExport: Handler<ParsedParams<'cluster.cloneExport'>, OpResults['cluster.cloneExport']> = async (ctx, req) => {
  const pkg = await ctx.clone.export(req.params.recipientCertificate);
  req.detail['recipient'] = pkg.recipientFingerprint.slice(0, 16);
  return { package: pkg };
};

const cloneImport: Handler<ParsedParams<'cluster.cloneImport'>, OpResults['cluster.cloneImport']> = async (ctx, req) => {
  const st = ctx.state();
  if (st !== 'UNCLONED' && st !== 'DEGRADED') throw new HsmError('CKR_STRONGROOM_STATE', `this HSM is ${st}: it already holds the domain key`);
  await ctx.clone.import(req.params.package);
  req.detail['sender'] = req.params.package.senderCertificate.length;
  return { state: ctx.state() };
};

const mechanismList: Handler<ParsedParams<'mechanism.list'>, OpResults['mechanism.list']> = (ctx) => ({
  mechanisms: ctx.mechs.list().map((m) => ({ name: m.name, fips: m.fips, operations: [...m.operations] })),
});

export const clusterHandlers = {
  'cluster.info': info,
  'cluster.csr': csr,
  'cluster.initialize': initialize,
  'cluster.activate': activate,
  'mtls.listTrustAnchors': listTrustAnchors,
  'mtls.registerTrustAnchor': registerTrustAnchor,
  'mtls.deregisterTrustAnchor': deregisterTrustAnchor,
  'mtls.setEnforcement': setEnforcement,
  'mtls.getEnforcement': getEnforcement,
  'mechanism.list': mechanismList,
  'cluster.device': device,
  'cluster.cloneExport': cloneExport,
  'cluster.cloneImport': cloneImport,
} as Record<string, Handler<never, unknown>>;
