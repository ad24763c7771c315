# OpenSC's pkcs11-tool drives smartsign-pkcs11.so: -L / -T show the token
# (label "PIV Card #<serial>", the serial from the card's CHUID GUID, login
# required, PIN initialized), -O lists certificate, public and private key
# for IDs 01..04, -M lists every signing mechanism, and --sign works with
# EVERY RSA and ECDSA mechanism on every signing key (9A, 9C with its
# context-specific login, 9E; 9D is decrypt-only and refuses to sign).
# 9E (PIN policy "never") is listed and signs without any login: no VERIFY.
# Every signature is verified with openssl against the certificate read
# from the card: hashed mechanisms with openssl dgst, raw RSA-PKCS and
# RSA-X-509 by public-key recovery, raw PSS and raw ECDSA with pkeyutl on
# the hash.  pkcs11-tool --test --login passes without errors.
# This file runs on the standard card (RSA-2048, P-256);
# p11-pkcs11-tool-big.sh sources it on a card with RSA-3072, P-384 and
# RSA-4096 keys (one card per rig: see that file).
# rig:
. "$(dirname "$0")/../lib.sh"

# key types the card must carry, by CKA_ID (a sourcing file overrides it)
EXPECT=${EXPECT:-"01=rsa2048 02=p256 03=rsa2048 04=p256"}
MOD=$BUILD/smartsign-pkcs11.so
p11() { pkcs11-tool --module "$MOD" "$@"; }
cd "$WORK" || exit 1

# ---- token and slot ------------------------------------------------------
check_out "pkcs11-tool -L lists the slot with a token" L.txt p11 -L
check_grep "-L names the reader" "Slot 0 \(0x[0-9a-f]+\): $SMARTSIGN_READER" L.txt
check_out "pkcs11-tool -T lists the token" T.txt p11 -T
check_grep "-T token flags: login required" "token flags *:.*login required" T.txt
check_grep "-T token flags: PIN initialized" "token flags *:.*PIN initialized" T.txt
check_grep "-T token flags: token initialized" "token flags *:.*token initialized" T.txt
check_grep "-T PIN length 6..8" "pin min/max *: 6/8" T.txt

# the serial is the first 8 bytes of the CHUID GUID (pkcs11/piv_token.c)
"$BUILD/tests/pcsc-apdu" "$SMARTSIGN_READER" 00A4040009A0000003080000100000 \
    00CB3FFF055C035FC10200 > chuid.txt 2>&1
guid=$(/usr/bin/python3 - chuid.txt <<'EOF'
import sys
h = bytes.fromhex(open(sys.argv[1]).read().split()[1])[:-2]
def tlvs(b):
    i = 0
    while i < len(b):
        t = b[i]; i += 1
        n = b[i]; i += 1
        if n & 0x80:
            k = n & 0x7f; n = int.from_bytes(b[i:i + k], 'big'); i += k
        yield t, b[i:i + n]; i += n
outer = dict(tlvs(h))[0x53]
print(dict(tlvs(outer))[0x34][:8].hex().upper())
EOF
)
serial=$(sed -n 's/^ *serial num *: *//p' T.txt | head -n 1)
label=$(sed -n 's/^ *token label *: *//p' T.txt | head -n 1)
[ -n "$guid" ] && [ "$serial" = "$guid" ] &&
    ok "-T serial $serial is the CHUID GUID's first 8 bytes" ||
    not_ok "-T serial '$serial' is the CHUID GUID's first 8 bytes ('$guid')"
[ "$label" = "PIV Card #$serial" ] && ok "-T token label '$label'" ||
    not_ok "-T token label '$label' is 'PIV Card #$serial'"

# ---- mechanisms ----------------------------------------------------------
RSA_MECHS="RSA-PKCS RSA-X-509 RSA-PKCS-PSS SHA1-RSA-PKCS SHA224-RSA-PKCS
    SHA256-RSA-PKCS SHA384-RSA-PKCS SHA512-RSA-PKCS SHA1-RSA-PKCS-PSS
    SHA224-RSA-PKCS-PSS SHA256-RSA-PKCS-PSS SHA384-RSA-PKCS-PSS
    SHA512-RSA-PKCS-PSS"
EC_MECHS="ECDSA ECDSA-SHA1 ECDSA-SHA224 ECDSA-SHA256 ECDSA-SHA384 ECDSA-SHA512"
check_out "pkcs11-tool -M lists mechanisms" M.txt p11 -M
for m in $RSA_MECHS $EC_MECHS; do
	check_grep "-M lists $m for signing" "^  $m, .*[ ,]sign(,|$)" M.txt
done

# ---- objects -------------------------------------------------------------
check_out "pkcs11-tool -O --login lists the objects" O.txt \
    p11 -O --login --pin "$SMARTSIGN_PIN"
# one line per object: "cert|pub|priv ID", plus its access flags
awk '/^Certificate Object/ { k = "cert" } /^Public Key Object/ { k = "pub" }
    /^Private Key Object/ { k = "priv" } /^[A-Z]/ && !/Object/ { k = "" }
    /^  EC_POINT:/ && k == "pub" { ecp = $2 }
    /^  ID:/ && k != "" { id[k] = $2; print k, $2 }
    /^  ID:/ && k == "pub" && ecp != "" { print "ecpoint", $2, ecp; ecp = "" }
    /^  Access:/ && k == "priv" { sub(/^  Access: */, ""); print "access", id[k], $0 }
    /^  Usage:/ && k == "priv" { sub(/^  Usage: */, ""); print "usage", id[k], $0 }' \
    O.txt > objs.txt
for id in 01 02 03 04; do
	for k in cert pub priv; do
		check_grep "-O lists a $k object with ID $id" "^$k $id\$" objs.txt
	done
done
check_grep "02 private key needs a context-specific login" \
    "^access 02 .*always authenticate" objs.txt
for id in 01 03 04; do
	grep -q "^access $id .*always authenticate" objs.txt &&
	    not_ok "$id private key is not always-authenticate" ||
	    ok "$id private key is not always-authenticate"
done
check_grep "03 (9D) private key: decrypt, no sign" "^usage 03 decrypt$" objs.txt
check_grep "private keys are sensitive and never extractable" \
    "^access 01 .*sensitive.*never extractable" objs.txt

# ---- certificates and public keys from the card --------------------------
for id in 01 02 03 04; do
	p11 --read-object --type cert --id $id -o cert$id.der >/dev/null 2>&1
	openssl x509 -inform DER -in cert$id.der -out cert$id.pem 2>/dev/null
	openssl x509 -in cert$id.pem -pubkey -noout > pub$id.pem 2>/dev/null
	check "certificate $id chains to the test CA" \
	    openssl verify -CAfile "$SMARTSIGN_CA" cert$id.pem
done

# "rsa2048" / "p256" ... from a public key
keytype() {
	t=$(openssl pkey -pubin -in "$1" -text_pub -noout 2>/dev/null)
	case "$t" in
	*prime256v1*) echo p256 ;;
	*secp384r1*) echo p384 ;;
	*"Public-Key: ("*" bit)"*)
		b=$(printf '%s\n' "$t" | sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' | head -n 1)
		echo "rsa$b" ;;
	*) echo unknown ;;
	esac
}
for e in $EXPECT; do
	id=${e%%=*} want=${e#*=}
	got=$(keytype pub$id.pem)
	[ "$got" = "$want" ] && ok "key $id is $want" || not_ok "key $id is $want (got $got)"
	case "$want" in
	rsa*) check_grep "-O shows key $id as RSA ${want#rsa} bits" \
	    "^Public Key Object; RSA ${want#rsa} bits" O.txt
		# the public key object holds the certificate's key
		p11 --read-object --type pubkey --id $id -o pubobj$id.der >/dev/null 2>&1
		openssl pkey -pubin -inform DER -in pubobj$id.der -out pubobj$id.pem 2>/dev/null
		check "public key object $id equals the certificate's key" \
		    cmp pub$id.pem pubobj$id.pem ;;
	p*)	# pkcs11-tool 0.23 cannot export a P-384 public key ("cannot
		# create EVP_PKEY", OpenSC's own module too): compare CKA_EC_POINT
		# (DER OCTET STRING) with the certificate's point instead
		n=65; [ "$want" = p384 ] && n=97
		pt=$(openssl pkey -pubin -in pub$id.pem -outform DER | tail -c $n | xxd -p | tr -d '\n')
		want_ecp=04$(printf '%02x' $n)$pt
		got_ecp=$(awk -v i=$id '$1 == "ecpoint" && $2 == i { print $3 }' objs.txt)
		[ "$got_ecp" = "$want_ecp" ] &&
		    ok "public key object $id: CKA_EC_POINT is the certificate's point" ||
		    not_ok "public key object $id: CKA_EC_POINT '$got_ecp' is the certificate's point '$want_ecp'"
		b=256; [ "$want" = p384 ] && b=384
		check_grep "-O shows an EC $b-bit key" "EC_POINT $b bits" O.txt ;;
	esac
done

# ---- signatures ----------------------------------------------------------
head -c 1000 /dev/urandom > data
sign() {	# id mech out [pkcs11-tool options...] (input: $IN, default data)
	id=$1 mech=$2 out=$3; shift 3
	p11 --sign --id "$id" -m "$mech" -p "$SMARTSIGN_PIN" -i "${IN:-data}" \
	    -o "$out" "$@"
}
hlen() { case $1 in sha1) echo 20 ;; sha224) echo 28 ;; sha256) echo 32 ;;
    sha384) echo 48 ;; sha512) echo 64 ;; esac; }
up() { printf '%s' "$1" | tr a-z A-Z; }
# DER DigestInfo prefixes (RFC 8017, 9.2 note 1)
diprefix() { case $1 in
	sha1) echo 3021300906052b0e03021a05000414 ;;
	sha224) echo 302d300d06096086480165030402040500041c ;;
	sha256) echo 3031300d060960864801650304020105000420 ;;
	sha384) echo 3041300d060960864801650304020205000430 ;;
	sha512) echo 3051300d060960864801650304020305000440 ;;
	esac; }
hash_of() { openssl dgst -"$1" -binary data > "$2"; }

sign_rsa() {	# id bits
	id=$1 k=$(($2 / 8)) pub=pub$1.pem
	for h in sha1 sha224 sha256 sha384 sha512; do
		H=$(up $h) n=$(hlen $h)
		m=$H-RSA-PKCS
		check "$id $m" sign $id $m s.$id.$m
		check "$id $m verifies with openssl" \
		    openssl dgst -$h -verify $pub -signature s.$id.$m data
		m=$H-RSA-PKCS-PSS
		check "$id $m (MGF1-$H, salt $n)" sign $id $m s.$id.$m \
		    --mgf MGF1-$H --salt-len $n
		check "$id $m verifies with openssl (pss, salt $n, mgf1 $h)" \
		    openssl dgst -$h -sigopt rsa_padding_mode:pss \
		    -sigopt rsa_pss_saltlen:$n -sigopt rsa_mgf1_md:$h \
		    -verify $pub -signature s.$id.$m data
		# raw PSS over the hash
		hash_of $h hash.$h
		ha=$H; [ $h = sha1 ] && ha=SHA-1	# pkcs11-tool's name
		IN=hash.$h check "$id RSA-PKCS-PSS on a $H hash" \
		    sign $id RSA-PKCS-PSS s.$id.pss.$h --hash-algorithm $ha \
		    --mgf MGF1-$H --salt-len $n
		check "$id RSA-PKCS-PSS ($H) verifies with openssl pkeyutl" \
		    openssl pkeyutl -verify -pubin -inkey $pub -in hash.$h \
		    -sigfile s.$id.pss.$h -pkeyopt digest:$h \
		    -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:$n \
		    -pkeyopt rsa_mgf1_md:$h
		# raw PKCS#1 v1.5 over a DigestInfo
		{ diprefix $h | xxd -r -p; cat hash.$h; } > di.$h
		IN=di.$h check "$id RSA-PKCS on a $H DigestInfo" \
		    sign $id RSA-PKCS s.$id.raw.$h
		openssl pkeyutl -verifyrecover -pubin -inkey $pub \
		    -in s.$id.raw.$h -out rec.$id.$h >/dev/null 2>&1
		check "$id RSA-PKCS ($H): openssl recovers the DigestInfo" cmp di.$h rec.$id.$h
		check "$id RSA-PKCS ($H) verifies as $H-RSA-PKCS over the data" \
		    openssl dgst -$h -verify $pub -signature s.$id.raw.$h data
	done
	# PSS with salt length 0 and an MGF1 hash other than the message hash
	check "$id SHA256-RSA-PKCS-PSS, MGF1-SHA1, salt 0" \
	    sign $id SHA256-RSA-PKCS-PSS s.$id.pss0 --mgf MGF1-SHA1 --salt-len 0
	check "$id PSS (salt 0, mgf1 sha1) verifies with openssl" \
	    openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
	    -sigopt rsa_pss_saltlen:0 -sigopt rsa_mgf1_md:sha1 \
	    -verify $pub -signature s.$id.pss0 data
	# raw RSA (X.509): a full k-byte block, EMSA-PKCS1-v1_5 encoded by us
	hash_of sha256 hash.sha256
	pad=$((k - 3 - 51))
	{ printf '0001'; head -c $pad /dev/zero | tr '\0' '\377' | xxd -p | tr -d '\n'
	  printf '00'; diprefix sha256; xxd -p hash.sha256 | tr -d '\n'; } |
	    xxd -r -p > em.$id
	IN=em.$id check "$id RSA-X-509 on a $k-byte block" sign $id RSA-X-509 s.$id.x509
	openssl pkeyutl -verifyrecover -pubin -inkey $pub -pkeyopt rsa_padding_mode:none \
	    -in s.$id.x509 -out rec.$id.x509 >/dev/null 2>&1
	check "$id RSA-X-509: openssl recovers the block (public-key recovery)" \
	    cmp em.$id rec.$id.x509
	check "$id RSA-X-509 block verifies as SHA256-RSA-PKCS over the data" \
	    openssl dgst -sha256 -verify $pub -signature s.$id.x509 data
	# shorter input: a big-endian integer, zero-padded on the left
	head -c 20 /dev/urandom > short.$id
	{ head -c $((k - 20)) /dev/zero; cat short.$id; } > shortpad.$id
	IN=short.$id check "$id RSA-X-509 on a 20-byte input" sign $id RSA-X-509 s.$id.x509s
	openssl pkeyutl -verifyrecover -pubin -inkey $pub -pkeyopt rsa_padding_mode:none \
	    -in s.$id.x509s -out rec.$id.x509s >/dev/null 2>&1
	check "$id RSA-X-509 short input: recovery gives the zero-padded input" \
	    cmp shortpad.$id rec.$id.x509s
}

sign_ec() {	# id
	id=$1 pub=pub$1.pem
	for h in sha1 sha224 sha256 sha384 sha512; do
		H=$(up $h)
		m=ECDSA-$H
		check "$id $m" sign $id $m s.$id.$m --signature-format openssl
		check "$id $m verifies with openssl" \
		    openssl dgst -$h -verify $pub -signature s.$id.$m data
		hash_of $h hash.$h
		IN=hash.$h check "$id ECDSA on a $H hash" \
		    sign $id ECDSA s.$id.raw.$h --signature-format openssl
		check "$id ECDSA ($H hash) verifies with openssl pkeyutl" \
		    openssl pkeyutl -verify -pubin -inkey $pub -in hash.$h \
		    -sigfile s.$id.raw.$h
		check "$id ECDSA ($H hash) verifies with openssl dgst over the data" \
		    openssl dgst -$h -verify $pub -signature s.$id.raw.$h data
	done
}

for e in $EXPECT; do
	id=${e%%=*} want=${e#*=}
	[ "$id" = 03 ] && continue
	v0=$(counter verify)
	case "$want" in
	rsa*) sign_rsa $id ${want#rsa} ;;
	p*) sign_ec $id ;;
	esac
	v1=$(counter verify)
	echo "# key $id: $((v1 - v0)) VERIFYs for its signatures"
done
# the verifications above are not vacuous: a changed byte fails them
first=$(echo $EXPECT | cut -d' ' -f1) id=${first%%=*}
case "${first#*=}" in rsa*) m=SHA256-RSA-PKCS ;; *) m=ECDSA-SHA256 ;; esac
cp s.$id.$m bad.sig && printf '\001' | dd of=bad.sig bs=1 seek=20 conv=notrunc 2>/dev/null
cmp -s bad.sig s.$id.$m && printf '\002' | dd of=bad.sig bs=1 seek=20 conv=notrunc 2>/dev/null
check_fail "a corrupted $id $m signature does not verify" \
    openssl dgst -sha256 -verify pub$id.pem -signature bad.sig data
v0=$(counter verify)
check "02 (9C) ECDSA-SHA256 signature" sign 02 ECDSA-SHA256 s.ctx --signature-format openssl
v1=$(counter verify)
[ $((v1 - v0)) -eq 2 ] && ok "02 (9C) signature did a context-specific VERIFY (2 VERIFYs)" ||
    not_ok "02 (9C) signature did a context-specific VERIFY (saw $((v1 - v0)) VERIFYs, want 2)"
check_fail "03 (9D, decrypt-only) refuses to sign" sign 03 SHA256-RSA-PKCS s.03
# 04 (9E, PIN policy "never"): its private key is public, signs without login
check_out "pkcs11-tool -O without login" O0.txt p11 -O
grep -q "^Private Key Object" O0.txt && ! awk '/^Private Key Object/ { k = 1 }
    /^[A-Z]/ && !/^Private Key Object/ { k = 0 }
    k && /^  ID:/ && $2 != "04" { bad = 1 } END { exit !bad }' O0.txt &&
    ok "-O without login lists the 04 private key and no other" ||
    not_ok "-O without login lists the 04 private key and no other"
# pkcs11-tool --sign calls C_Login by itself on a login-required token
# (it prompts for the PIN), so the signature without any C_Login is made
# through PyKCS11 (tests/tools/p11nologin.py): ECDSA-SHA256, or
# SHA256-RSA-PKCS where 04 is an RSA key (p11-pkcs11-tool-big.sh).
v0=$(counter verify)
check "04 (9E) SHA-256 signature without C_Login" /usr/bin/python3 \
    "$TOP/tests/tools/p11nologin.py" "$MOD" 04 data s.nopin
v1=$(counter verify)
check "04 (9E) signature without login verifies with openssl" \
    openssl dgst -sha256 -verify pub04.pem -signature s.nopin data
[ "$v1" = "$v0" ] && ok "04 (9E) signature without login sent no VERIFY" ||
    not_ok "04 (9E) signature without login sent no VERIFY (saw $((v1 - v0)))"

# ---- pkcs11-tool's own self test ------------------------------------------
check_out "pkcs11-tool --test --login" test.txt p11 --test --login --pin "$SMARTSIGN_PIN"
check_grep "--test: signature mechanisms on the 9A key" "SHA256-RSA-PKCS: OK" test.txt
check_grep "--test: verification on the 9A key" "RSA-X-509: OK" test.txt
check_grep "--test ends with 'No errors'" "^No errors" test.txt
grep -Eq "^[0-9]+ errors|ERR:|failed|[Ee]rror:" test.txt &&
    { not_ok "--test reports no failing step"; grep -E "errors|ERR|failed|rror:" test.txt | sed 's/^/#   /'; } ||
    ok "--test reports no failing step"
done_testing
