// The arrows of the architecture (STYLE.md "The folders are the architecture"), enforced in npm test.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'protocol-imports-nothing', severity: 'error', comment: 'protocol/ is shared by both sides and imports nothing in src/',
      from: { path: '^src/protocol/' }, to: { path: '^src/', pathNot: '^src/protocol/' } },
    { name: 'store-imports-nothing', severity: 'error', comment: 'store engines are dumb and untrusted',
      from: { path: '^src/store/' }, to: { path: '^src/', pathNot: '^src/store/' } },
    { name: 'only-hsm-opens-the-store', severity: 'error', comment: 'only the HSM (and the test suites) open the cluster store',
      from: { path: '^src/', pathNot: '^src/(hsm|store)/' }, to: { path: '^src/store/' } },
    { name: 'only-hsm-imports-hsm', severity: 'error', comment: 'the security boundary: nothing but hsm/ imports hsm/ (the bin starts a node through a dynamic import)',
      from: { path: '^src/', pathNot: '^src/(hsm|bin)/' }, to: { path: '^src/hsm/' } },
    { name: 'hsm-imports-protocol-store-pki', severity: 'error', comment: 'the HSM depends only on protocol/, store/ and the certificate helpers in pki/',
      from: { path: '^src/hsm/' }, to: { path: '^src/', pathNot: '^src/(hsm|protocol|store|pki)/' } },
    { name: 'pki-imports-protocol-only', severity: 'error',
      from: { path: '^src/pki/' }, to: { path: '^src/', pathNot: '^src/(pki|protocol)/' } },
    { name: 'client-side-never-imports-hsm', severity: 'error',
      from: { path: '^src/(client|cli)/' }, to: { path: '^src/(hsm|store|orchestrator)/' } },
    { name: 'only-control-plane-and-kms-import-aws', severity: 'error', comment: 'the awsJson1_1/SigV4 front end serves control-plane/ and kms/ only',
      from: { path: '^src/', pathNot: '^src/(aws|control-plane|kms)/' }, to: { path: '^src/aws/' } },
    { name: 'aws-imports-nothing-else', severity: 'error', comment: 'aws/ is plumbing below control-plane/ and kms/: it imports nothing else in src/',
      from: { path: '^src/aws/' }, to: { path: '^src/', pathNot: '^src/aws/' } },
    { name: 'no-circular', severity: 'error', comment: 'type-only cycles are harmless at run time', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
