#!/usr/bin/python3
# tests/tools/p11nologin.py MODULE ID IN OUT - sign IN with the private key
# CKA_ID ID (hex) of the first token, WITHOUT C_Login: CKM_ECDSA_SHA256
# (EC) or CKM_SHA256_RSA_PKCS (RSA); OUT gets the signature as openssl
# dgst -sha256 -verify takes it (ECDSA: DER).
import sys

import PyKCS11
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature

lib = PyKCS11.PyKCS11Lib()
lib.load(sys.argv[1])
s = lib.openSession(lib.getSlotList(tokenPresent=True)[0])
keys = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                      (PyKCS11.CKA_ID, tuple(bytes.fromhex(sys.argv[2])))])
if len(keys) != 1:
    sys.exit("%d private keys with ID %s before login" % (len(keys),
             sys.argv[2]))
with open(sys.argv[3], 'rb') as f:
    data = f.read()
kt = s.getAttributeValue(keys[0], [PyKCS11.CKA_KEY_TYPE])[0]
ec = kt == PyKCS11.CKK_EC
mech = PyKCS11.CKM_ECDSA_SHA256 if ec else PyKCS11.CKM_SHA256_RSA_PKCS
sig = bytes(s.sign(keys[0], data, PyKCS11.Mechanism(mech, None)))
if ec:
    n = len(sig) // 2
    sig = encode_dss_signature(int.from_bytes(sig[:n], 'big'),
                               int.from_bytes(sig[n:], 'big'))
with open(sys.argv[4], 'wb') as f:
    f.write(sig)
s.closeSession()
