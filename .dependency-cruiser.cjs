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
    { name: 'no-circular', severity: 'error', comment: 'type-only cycles are harmless at run time', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
