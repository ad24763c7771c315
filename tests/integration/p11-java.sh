# Java 17 SunPKCS11 drives smartsign-pkcs11.so: keytool -list (keystore
# NONE, storetype PKCS11, providerArg = a SunPKCS11 config naming the
# module, slotListIndex 0) shows the card's four keys as PrivateKeyEntry
# with the card's certificates; a wrong PIN is refused.  A small Java
# program signs through the PKCS11 KeyStore with SHA256/384/512withRSA and
# RSASSA-PSS (9A) and SHA256/384/512withECDSA (9E), and jarsigner signs a
# jar with 9A and with 9E; openssl verifies every signature against the
# card's certificate (dgst -verify; cms -verify of the jar's signature
# block over its .SF file).
# Known limits, asserted as such: SunPKCS11 in JDK 17 never does the
# context-specific login CKA_ALWAYS_AUTHENTICATE asks for, so 9C signing
# gets CKR_USER_NOT_LOGGED_IN (the spec's answer) and must not disturb the
# other keys; 9D is decrypt-only (CKA_SIGN false) and refuses to sign.
# rig:
. "$(dirname "$0")/../lib.sh"

MOD=$BUILD/smartsign-pkcs11.so
cd "$WORK" || exit 1
printf 'name = smartsign\nlibrary = %s\nslotListIndex = 0\n' "$MOD" > p11.cfg
KS="-keystore NONE -storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11 -providerArg $WORK/p11.cfg"
A01="X.509 Certificate for PIV Authentication"
A02="X.509 Certificate for Digital Signature"
A03="X.509 Certificate for Key Management"
A04="X.509 Certificate for Card Authentication"

# the card's certificates by CKA_ID (pkcs11-tool, no Java involved)
for id in 01 02 03 04; do
	pkcs11-tool --module "$MOD" --read-object --type cert --id $id \
	    -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout > pub$id.pem 2>/dev/null
done

# ---- keytool ---------------------------------------------------------------------
# shellcheck disable=SC2086
check_out "keytool -list with the PKCS11 keystore" list.txt \
    keytool -list $KS -storepass "$SMARTSIGN_PIN"
check_grep "keytool: the keystore holds 4 entries" "Your keystore contains 4 entries" list.txt
for id in 01 02 03 04; do
	eval "a=\$A$id"
	check_grep "keytool: '$a' is a PrivateKeyEntry" "^$a, PrivateKeyEntry," list.txt
done
# shellcheck disable=SC2086
check_out "keytool -list -v" listv.txt keytool -list -v $KS -storepass "$SMARTSIGN_PIN"
for id in 01 02 03 04; do
	eval "a=\$A$id"
	serial=$(openssl x509 -in cert$id.pem -noout -serial | sed 's/^serial=//' |
	    tr 'A-F' 'a-f' | sed 's/^0*//')
	awk -v a="Alias name: $a" '$0 == a { f = 1 } f && /^Serial number:/ { print $3; exit }' \
	    listv.txt > serial$id.txt
	[ "$(cat serial$id.txt)" = "$serial" ] &&
	    ok "keytool: '$a' carries the card's certificate $id (serial $serial)" ||
	    not_ok "keytool: '$a' carries the card's certificate $id (serial '$(cat serial$id.txt)', want $serial)"
done
# shellcheck disable=SC2086
check_fail "keytool -list with a wrong PIN fails" keytool -list $KS -storepass 000000

# ---- a Java program signing through the KeyStore -------------------------------------
mkdir -p java out
cat > java/P11Sign.java <<'JAVA'
/*
 * P11Sign CFG PIN DATA OUTDIR: load SunPKCS11 with CFG, open the PKCS11
 * keystore with PIN, and for every PrivateKeyEntry write its certificate
 * (TAG.crt) and one signature of DATA per algorithm (TAG.ALG.sig), where
 * TAG is the alias with spaces as _.  Prints "signed TAG ALG" or
 * "failed TAG ALG: exception"; exits 0 (the caller judges).
 */
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Collections;

public class P11Sign {
	public static void main(String[] a) throws Exception {
		Provider p = Security.getProvider("SunPKCS11").configure(a[0]);
		Security.addProvider(p);
		KeyStore ks = KeyStore.getInstance("PKCS11", p);
		ks.load(null, a[1].toCharArray());
		byte[] data = Files.readAllBytes(Paths.get(a[2]));
		for (String alias : Collections.list(ks.aliases())) {
			if (!ks.isKeyEntry(alias))
				continue;
			String tag = alias.replace(' ', '_');
			X509Certificate c = (X509Certificate) ks.getCertificate(alias);
			Files.write(Paths.get(a[3], tag + ".crt"), c.getEncoded());
			PrivateKey k = (PrivateKey) ks.getKey(alias, null);
			String[] algs = k.getAlgorithm().equals("RSA")
			    ? new String[] { "SHA256withRSA", "SHA384withRSA",
				"SHA512withRSA", "RSASSA-PSS" }
			    : new String[] { "SHA256withECDSA", "SHA384withECDSA",
				"SHA512withECDSA" };
			for (String alg : algs) {
				try {
					Signature s = Signature.getInstance(alg, p);
					if (alg.equals("RSASSA-PSS"))
						s.setParameter(new PSSParameterSpec("SHA-256",
						    "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
					s.initSign(k);
					s.update(data);
					Files.write(Paths.get(a[3], tag + "." + alg + ".sig"),
					    s.sign());
					System.out.println("signed " + tag + " " + alg);
				} catch (Exception e) {
					System.out.println("failed " + tag + " " + alg + ": " + e);
				}
			}
		}
	}
}
JAVA
check "javac compiles the signing program" javac -d java java/P11Sign.java
head -c 4000 /dev/urandom > data
v0=$(counter verify)
check_out "java P11Sign signs through SunPKCS11" sign.txt \
    java -cp java P11Sign "$WORK/p11.cfg" "$SMARTSIGN_PIN" data out
v1=$(counter verify)
T01=X.509_Certificate_for_PIV_Authentication
T02=X.509_Certificate_for_Digital_Signature
T03=X.509_Certificate_for_Key_Management
T04=X.509_Certificate_for_Card_Authentication
for id in 01 02 03 04; do
	eval "t=\$T$id"
	check "Java's certificate for $id is the card's" cmp out/$t.crt cert$id.der
done
for h in 256 384 512; do
	check_grep "Java signed with 9A, SHA${h}withRSA" "^signed $T01 SHA${h}withRSA\$" sign.txt
	check "9A SHA${h}withRSA verifies with openssl" openssl dgst -sha$h \
	    -verify pub01.pem -signature out/$T01.SHA${h}withRSA.sig data
	check_grep "Java signed with 9E, SHA${h}withECDSA" "^signed $T04 SHA${h}withECDSA\$" sign.txt
	check "9E SHA${h}withECDSA verifies with openssl" openssl dgst -sha$h \
	    -verify pub04.pem -signature out/$T04.SHA${h}withECDSA.sig data
done
check_grep "Java signed with 9A, RSASSA-PSS" "^signed $T01 RSASSA-PSS\$" sign.txt
check "9A RSASSA-PSS (SHA-256, MGF1-SHA256, salt 32) verifies with openssl" \
    openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 \
    -sigopt rsa_mgf1_md:sha256 -verify pub01.pem -signature out/$T01.RSASSA-PSS.sig data
check_grep "9C: SunPKCS11 gets CKR_USER_NOT_LOGGED_IN (no context-specific login)" \
    "^failed $T02 SHA256withECDSA: .*CKR_USER_NOT_LOGGED_IN" sign.txt
check_grep "9D (decrypt-only) refuses SHA256withRSA" "^failed $T03 SHA256withRSA: " sign.txt
n=$(grep -c "^signed " sign.txt)
[ "$n" -eq 7 ] && ok "7 signatures made (9A x4, 9E x3)" || not_ok "7 signatures made (saw $n)"
[ $((v1 - v0)) -eq 1 ] && ok "one login for the whole Java run (1 VERIFY)" ||
    not_ok "one login for the whole Java run (saw $((v1 - v0)) VERIFYs)"

# ---- jarsigner ------------------------------------------------------------------------
mkdir -p jar && cp data jar/payload.bin
check "jar packs a test jar" jar cf app.jar -C jar payload.bin
cp app.jar app-ec.jar
# shellcheck disable=SC2086
check "jarsigner signs with 9A (SHA256withRSA)" jarsigner $KS -storepass "$SMARTSIGN_PIN" \
    -sigalg SHA256withRSA -digestalg SHA-256 -sigfile CARD app.jar "$A01"
check_out "jarsigner -verify accepts it" jv.txt jarsigner -verify -certs app.jar
check_grep "jarsigner: jar verified" "^jar verified" jv.txt
# shellcheck disable=SC2086
check "jarsigner signs with 9E (SHA256withECDSA)" jarsigner $KS -storepass "$SMARTSIGN_PIN" \
    -sigalg SHA256withECDSA -digestalg SHA-256 -sigfile CARD app-ec.jar "$A04"
check_out "jarsigner -verify accepts the EC-signed jar" jve.txt jarsigner -verify app-ec.jar
check_grep "jarsigner: EC jar verified" "^jar verified" jve.txt
# openssl checks the signature blocks (PKCS#7 over the .SF file)
mkdir -p x1 x2
(cd x1 && unzip -q ../app.jar 'META-INF/*')
(cd x2 && unzip -q ../app-ec.jar 'META-INF/*')
check "openssl cms -verify: 9A jar signature block over CARD.SF" \
    openssl cms -verify -inform DER -in x1/META-INF/CARD.RSA -content x1/META-INF/CARD.SF \
    -binary -CAfile "$SMARTSIGN_CA" -purpose any -certsout x1/signer.pem -out /dev/null
openssl x509 -in x1/signer.pem -outform DER -out x1/signer.der 2>/dev/null
check "the 9A jar signer is the card's certificate 01" cmp x1/signer.der cert01.der
check "openssl cms -verify: 9E jar signature block over CARD.SF" \
    openssl cms -verify -inform DER -in x2/META-INF/CARD.EC -content x2/META-INF/CARD.SF \
    -binary -CAfile "$SMARTSIGN_CA" -purpose any -out /dev/null
done_testing
