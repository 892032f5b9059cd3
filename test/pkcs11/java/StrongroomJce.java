// The JCE checks of issue 4, run through Debian's OpenJDK SunPKCS11 provider against
// libstrongroom-pkcs11.so. Compiled and run by test/pkcs11/java.test.ts:
//   java StrongroomJce <sunpkcs11 config file> <PIN "user:password">
// Prints one JSON line per check: {"check":"…","ok":true|false,…}. Every result made in the
// cluster is checked with the JDK's own software providers (SunJCE, SunRsaSign, SunEC); nothing
// here trusts the token to check itself. Must never print the PIN or key material it did not
// choose itself (the imported test key is a fixed test value).

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

public final class StrongroomJce {
  private static int failures = 0;

  interface Check {
    String run() throws Exception;
  }

  private static String esc(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.toString();
  }

  private static void check(String name, Check c) {
    try {
      String detail = c.run();
      System.out.println("{\"check\":\"" + name + "\",\"ok\":true,\"detail\":\"" + esc(detail) + "\"}");
    } catch (Throwable t) {
      failures++;
      StringBuilder msg = new StringBuilder(t.toString());
      for (Throwable cause = t.getCause(); cause != null; cause = cause.getCause()) msg.append(" <- ").append(cause);
      System.out.println("{\"check\":\"" + name + "\",\"ok\":false,\"error\":\"" + esc(msg.toString()) + "\"}");
    }
    System.out.flush();
  }

  private static void require(boolean cond, String what) {
    if (!cond) throw new IllegalStateException(what);
  }

  /** The public key re-read by a software provider, so verification never touches the token. */
  private static PublicKey soft(PublicKey k, String alg, String provider) throws Exception {
    return KeyFactory.getInstance(alg, provider).generatePublic(new X509EncodedKeySpec(k.getEncoded()));
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: java StrongroomJce <sunpkcs11 config> <user:password>");
      System.exit(2);
    }
    Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
    Security.addProvider(p);
    char[] pin = args[1].toCharArray();
    SecureRandom rnd = new SecureRandom();
    byte[] known = HexFormat.of().parseHex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    byte[] message = "Strongroom through SunPKCS11: the key never leaves the cluster".getBytes("UTF-8");
    byte[] aad = "associated data".getBytes("UTF-8");
    KeyStore[] ks = new KeyStore[1];
    SecretKey[] imported = new SecretKey[1];

    check("provider", () -> p.getName() + " " + p.getInfo());

    check("keystore-login", () -> {
      ks[0] = KeyStore.getInstance("PKCS11", p);
      ks[0].load(null, pin);
      return "aliases " + ks[0].size();
    });

    check("keygenerator-aes-256", () -> {
      KeyGenerator kg = KeyGenerator.getInstance("AES", p);
      kg.init(256);
      SecretKey k = kg.generateKey();
      require(k.getEncoded() == null, "a generated key's value must not leave the token");
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", p);
      c.init(Cipher.ENCRYPT_MODE, k);
      byte[] ct = c.doFinal(message);
      Cipher d = Cipher.getInstance("AES/GCM/NoPadding", p);
      d.init(Cipher.DECRYPT_MODE, k, c.getParameters());
      require(Arrays.equals(d.doFinal(ct), message), "round trip in the cluster");
      return k.getAlgorithm() + " " + k.getFormat() + " ct " + ct.length;
    });

    check("keystore-import-aes", () -> {
      ks[0].setEntry("jce-known-aes", new KeyStore.SecretKeyEntry(new SecretKeySpec(known, "AES")), null);
      imported[0] = (SecretKey) ks[0].getKey("jce-known-aes", null);
      require(imported[0] != null, "the imported key is found by its alias");
      require(ks[0].isKeyEntry("jce-known-aes"), "alias is a key entry");
      return imported[0].getAlgorithm();
    });

    check("aes-gcm-cluster-to-sunjce", () -> {
      byte[] iv = new byte[12];
      rnd.nextBytes(iv);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", p);
      c.init(Cipher.ENCRYPT_MODE, imported[0], new GCMParameterSpec(128, iv));
      c.updateAAD(aad);
      byte[] ct = c.doFinal(message);
      require(ct.length == message.length + 16, "ciphertext carries a 16-byte tag");
      Cipher d = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
      d.init(Cipher.DECRYPT_MODE, new SecretKeySpec(known, "AES"), new GCMParameterSpec(128, iv));
      d.updateAAD(aad);
      require(Arrays.equals(d.doFinal(ct), message), "SunJCE decrypts what the cluster encrypted");
      return "ct " + ct.length;
    });

    check("aes-gcm-sunjce-to-cluster", () -> {
      byte[] iv = new byte[12];
      rnd.nextBytes(iv);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(known, "AES"), new GCMParameterSpec(128, iv));
      c.updateAAD(aad);
      byte[] ct = c.doFinal(message);
      Cipher d = Cipher.getInstance("AES/GCM/NoPadding", p);
      d.init(Cipher.DECRYPT_MODE, imported[0], new GCMParameterSpec(128, iv));
      d.updateAAD(aad);
      require(Arrays.equals(d.doFinal(ct), message), "the cluster decrypts what SunJCE encrypted");
      ct[0] ^= 1;
      Cipher bad = Cipher.getInstance("AES/GCM/NoPadding", p);
      bad.init(Cipher.DECRYPT_MODE, imported[0], new GCMParameterSpec(128, iv));
      bad.updateAAD(aad);
      try {
        bad.doFinal(ct);
        throw new IllegalStateException("a tampered ciphertext decrypted");
      } catch (javax.crypto.AEADBadTagException e) {
        return "tampered ciphertext refused: " + e.getClass().getSimpleName();
      }
    });

    check("rsa-2048-sha256withrsa", () -> {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p);
      g.initialize(2048);
      KeyPair kp = g.generateKeyPair();
      require(kp.getPrivate().getEncoded() == null, "the private key must not leave the token");
      Signature s = Signature.getInstance("SHA256withRSA", p);
      s.initSign(kp.getPrivate());
      s.update(message);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance("SHA256withRSA", "SunRsaSign");
      v.initVerify(soft(kp.getPublic(), "RSA", "SunRsaSign"));
      v.update(message);
      require(v.verify(sig), "SunRsaSign verifies the cluster's signature");
      v.initVerify(soft(kp.getPublic(), "RSA", "SunRsaSign"));
      v.update("another message".getBytes("UTF-8"));
      require(!v.verify(sig), "the signature does not verify another message");
      return "modulus " + ((java.security.interfaces.RSAPublicKey) soft(kp.getPublic(), "RSA", "SunRsaSign")).getModulus().bitLength() + " sig " + sig.length;
    });

    check("ec-p256-sha256withecdsa", () -> {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = g.generateKeyPair();
      require(kp.getPrivate().getEncoded() == null, "the private key must not leave the token");
      Signature s = Signature.getInstance("SHA256withECDSA", p);
      s.initSign(kp.getPrivate());
      s.update(message);
      byte[] sig = s.sign();
      PublicKey pub = soft(kp.getPublic(), "EC", "SunEC");
      Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
      v.initVerify(pub);
      v.update(message);
      require(v.verify(sig), "SunEC verifies the cluster's signature");
      v.initVerify(pub);
      v.update("another message".getBytes("UTF-8"));
      require(!v.verify(sig), "the signature does not verify another message");
      return pub.getAlgorithm() + " " + ((java.security.interfaces.ECPublicKey) pub).getParams().getCurve().getField().getFieldSize() + " sig " + sig.length;
    });

    System.out.println("{\"done\":true,\"failures\":" + failures + "}");
    System.exit(failures == 0 ? 0 : 1);
  }
}
