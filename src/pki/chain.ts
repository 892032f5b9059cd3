// Certificate path validation (leaf → intermediates → trust anchor) and certificate helpers:
// public key, SHA-256 fingerprint. Pure checks: nothing here signs or issues.
// Must never treat a certificate as trusted unless the path ends at one of the given anchors.
import 'reflect-metadata';
import { X509Certificate as NodeCert, createHash, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { HsmError } from '../protocol/errors.js';
import './keys.js';

const MAX_DEPTH = 8;

interface Parsed {
  node: NodeCert;
  px: x509.X509Certificate;
  fp: string;
}

function parse(pem: string, field: string): Parsed {
  try {
    const node = new NodeCert(pem);
    return { node, px: new x509.X509Certificate(pem), fp: createHash('sha256').update(node.raw).digest('hex') };
  } catch (err) {
    throw new HsmError('CKR_ARGUMENTS_BAD', `${field} is not a PEM X.509 certificate`, { cause: err });
  }
}

/** Splits a PEM bundle into single certificates (a chain file may hold several). */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function inValidity(c: Parsed, now: number): boolean {
  return c.px.notBefore.getTime() <= now && now <= c.px.notAfter.getTime();
}

/** May `issuer` sign certificates with `below` non-self-issued CA certificates under it? */
function canIssue(issuer: Parsed, intermediatesBelow: number): boolean {
  const bc = issuer.px.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) return false;
  if (bc.pathLength !== undefined && intermediatesBelow > bc.pathLength) return false;
  const ku = issuer.px.getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) return false;
  return true;
}

function signedBy(child: Parsed, issuer: Parsed): boolean {
  try {
    return child.node.checkIssued(issuer.node) && child.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

/**
 * True when leafPem chains through chainPems (any order, any subset) to one of anchorPems:
 * every signature verifies, every certificate is within its validity period, every issuer is a
 * CA with keyCertSign (when Key Usage is present) and its path length constraint holds.
 * A leaf that is itself one of the anchors is trusted. Purpose (EKU) is not checked here.
 */
export async function verifyChain(leafPem: string, chainPems: string[], anchorPems: string[]): Promise<boolean> {
  const leaf = parse(leafPem, 'leafPem');
  const chain = chainPems.flatMap(splitPem).map((p, i) => parse(p, `chainPems[${i}]`));
  const anchors = anchorPems.flatMap(splitPem).map((p, i) => parse(p, `anchorPems[${i}]`));
  const now = Date.now();
  const anchorFps = new Set(anchors.map((a) => a.fp));

  const walk = (cur: Parsed, intermediatesBelow: number, used: Set<string>): boolean => {
    if (!inValidity(cur, now)) return false;
    if (anchorFps.has(cur.fp)) return true;
    if (used.size > MAX_DEPTH) return false;
    for (const cand of [...anchors, ...chain]) {
      if (used.has(cand.fp)) continue;
      if (!signedBy(cur, cand)) continue;
      // cur counts as an intermediate below cand unless cur is the leaf or self-issued.
      const selfIssued = cur.node.subject === cur.node.issuer;
      const below = intermediatesBelow + (cur === leaf || selfIssued ? 0 : 1);
      if (!canIssue(cand, below)) continue;
      if (walk(cand, below, new Set([...used, cand.fp]))) return true;
    }
    return false;
  };
  return walk(leaf, 0, new Set([leaf.fp]));
}

/** The certificate's subject public key. */
export function publicKeyOf(certPem: string): KeyObject {
  return parse(certPem, 'certPem').node.publicKey;
}

/** SHA-256 over the certificate's DER, lowercase hex without separators. */
export function fingerprint(certPem: string): string {
  return parse(certPem, 'certPem').fp;
}
