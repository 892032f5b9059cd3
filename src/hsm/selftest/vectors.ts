// Known-answer vectors for the power-on self-tests, embedded so they ship in dist/. Each is copied
// from the named NIST or RFC document; test/vectors/*.json hold the same ones (a unit test checks
// that they agree) plus more. Must never be edited without the document beside it.

export interface CipherKat { mechanism: string; source: string; key: string; iv: string; aad?: string; plaintext: string; ciphertext: string }
export interface WrapKat { mechanism: string; source: string; kek: string; key: string; wrapped: string }
export interface MacKat { mechanism: string; source: string; key: string; message: string; mac: string }
export interface DigestKat { mechanism: string; source: string; message: string; digest: string }

/** NIST GCM specification (McGrew & Viega), test case 16: AES-256, 96-bit IV, AAD; ciphertext = C || T. */
export const GCM_KAT: CipherKat = {
  mechanism: 'CKM_AES_GCM',
  source: 'The Galois/Counter Mode of Operation (GCM), McGrew & Viega, Appendix B, Test Case 16',
  key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
  iv: 'cafebabefacedbaddecaf888',
  aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
  plaintext: 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ciphertext: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662'
    + '76fc6ece0f4e1768cddf8853bb2d551b',
};

/** SP 800-38A F.2.5 CBC-AES256.Encrypt; CKM_AES_CBC_PAD adds one padding block after these four. */
export const CBC_KAT: CipherKat = {
  mechanism: 'CKM_AES_CBC_PAD',
  source: 'NIST SP 800-38A, F.2.5 CBC-AES256.Encrypt',
  key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
  iv: '000102030405060708090a0b0c0d0e0f',
  plaintext: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  ciphertext: 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b',
};

/** SP 800-38A F.5.5 CTR-AES256.Encrypt (iv = initial counter block). */
export const CTR_KAT: CipherKat = {
  mechanism: 'CKM_AES_CTR',
  source: 'NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt',
  key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
  iv: 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff',
  plaintext: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  ciphertext: '601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6',
};

export const WRAP_KATS: WrapKat[] = [
  {
    mechanism: 'CKM_AES_KEY_WRAP',
    source: 'RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK',
    kek: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    key: '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f',
    wrapped: '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21',
  },
  {
    mechanism: 'CKM_AES_KEY_WRAP_PAD',
    source: 'RFC 5649 §6: 20 octets of key data with a 192-bit KEK',
    kek: '5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8',
    key: 'c37b7e6492584340bed12207808941155068f738',
    wrapped: '138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a',
  },
  {
    mechanism: 'CKM_AES_KEY_WRAP_PAD',
    source: 'RFC 5649 §6: 7 octets of key data with a 192-bit KEK',
    kek: '5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8',
    key: '466f7250617369',
    wrapped: 'afbeb0f07dfbf5419200f2ccb50bb24f',
  },
];

/** RFC 4231 test case 2 (key "Jefe"); RFC 4493 example 2 (AES-128, 16-byte message). */
export const MAC_KATS: MacKat[] = [
  {
    mechanism: 'CKM_SHA256_HMAC',
    source: 'RFC 4231 §4.3, Test Case 2',
    key: '4a656665',
    message: '7768617420646f2079612077616e7420666f72206e6f7468696e673f',
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    mechanism: 'CKM_AES_CMAC',
    source: 'RFC 4493 §4, Example 2',
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    message: '6bc1bee22e409f96e93d7e117393172a',
    mac: '070a16b46b4d4144f79bdd9dd04a287c',
  },
];

/** FIPS 180-2 Appendix B.1: SHA-256("abc"). */
export const DIGEST_KAT: DigestKat = {
  mechanism: 'CKM_SHA256',
  source: 'FIPS 180-2, Appendix B.1 (one-block message "abc")',
  message: '616263',
  digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
};
