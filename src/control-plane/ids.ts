// Identifiers, ARNs and the local region's network: CloudHSM-shaped ids (`cluster-|hsm-|backup-`
// + 11 characters of [2-7a-z]), ARNs `arn:aws:cloudhsm:<region>:<account>:<type>/<id>`, one VPC
// per region with a subnet per zone (vpc-local-1, subnet-local-1a …). Pure functions only.

import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function newId(prefix: 'cluster-' | 'hsm-' | 'backup-' | 'eni-' | 'sg-'): string {
  return prefix + Array.from(randomBytes(11), (x) => ALPHABET[x % 32]).join('');
}

export const ID_RE = {
  cluster: /^cluster-[2-7a-zA-Z]{11,16}$/,
  hsm: /^hsm-[2-7a-zA-Z]{11,16}$/,
  backup: /^backup-[2-7a-zA-Z]{11,16}$/,
};

export function arn(region: string, accountId: string, type: 'cluster' | 'backup', id: string): string {
  return `arn:aws:cloudhsm:${region}:${accountId}:${type}/${id}`;
}

/** The zones of a region: `<region>a`, `<region>b`, `<region>c`. */
export function zones(region: string): string[] {
  return ['a', 'b', 'c'].map((z) => `${region}${z}`);
}

export function vpcId(region: string): string {
  return `vpc-${region}`;
}

export function subnetOf(zone: string): string {
  return `subnet-${zone}`;
}

/** The zone a subnet id belongs to in this region, or undefined for an unknown subnet. */
export function zoneOfSubnet(region: string, subnetId: string): string | undefined {
  return zones(region).find((z) => subnetOf(z) === subnetId);
}
