#!/usr/bin/python3
"""tests/tools/p11budget.py - drive exact PKCS#11 call sequences through
PyKCS11 and count the APDUs the emulated card received for each step.

Usage: p11budget.py MODE MODULE [PIN] [N]
  cold   the minimal cold signing flow, in this process: C_Initialize,
         C_GetSlotList, C_GetTokenInfo, C_OpenSession, C_Login,
         C_FindObjects (private key, CKA_ID 01), C_SignInit, C_Sign
         (CKM_SHA256_RSA_PKCS: length query, then the signature),
         C_Finalize.  Prints "cold N".  (C_Login comes before
         C_FindObjects: private key objects are CKA_PRIVATE, visible only
         after login - the probe "keys-before-login K" shows how many a
         search before login finds.)
  warm   one session, logged in: one 9A signature to warm up, then N more
         (each "9a N"), then N 9C signatures, each C_SignInit +
         C_Login(CKU_CONTEXT_SPECIFIC) + C_Sign ("9c N").
  certs  read CKA_VALUE of every certificate N times in one process
         ("certs-pass I N" for each pass, "certs-total N" for the process
         including C_Initialize .. C_Finalize).
The counter file is $SMARTSIGN_EMU_COUNTERS (tests/rig); counts are read
from it before and after each step.  Signatures are written to
sig.cold, sig.9a.I, sig.9c.I (PKCS#11 format) for the caller to verify.
"""
import os
import sys

import PyKCS11

COUNTERS = os.environ.get("SMARTSIGN_EMU_COUNTERS", "")


def apdus():
    with open(COUNTERS) as f:
        for line in f:
            k, _, v = line.partition(" ")
            if k == "apdus":
                return int(v)
    return 0


def sign(s, key, data, mech, ctx_pin=None):
    rv = s.lib.C_SignInit(s.session, mech, key)
    if rv != PyKCS11.CKR_OK:
        raise PyKCS11.PyKCS11Error(rv)
    if ctx_pin is not None:
        s.login(ctx_pin, PyKCS11.CKU_CONTEXT_SPECIFIC)
    sig, d = PyKCS11.ckbytelist(), PyKCS11.ckbytelist(data)
    for _ in range(2):	# length, then the signature
        rv = s.lib.C_Sign(s.session, d, sig)
        if rv != PyKCS11.CKR_OK:
            raise PyKCS11.PyKCS11Error(rv)
    return bytes(sig)


def privkey(s, i):
    found = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                           (PyKCS11.CKA_ID, [i])])
    return found[0] if found else None


def mech(m):
    return PyKCS11.Mechanism(m).to_native()


def cold(module, pin):
    data = b"APDU budget: one cold signature"
    a0 = apdus()
    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)				# C_Initialize
    slot = lib.getSlotList(tokenPresent=True)[0]	# C_GetSlotList
    lib.getTokenInfo(slot)			# C_GetTokenInfo
    s = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)	# C_OpenSession
    s.login(pin)				# C_Login
    key = privkey(s, 1)				# C_FindObjects*
    sig = sign(s, key, data, mech(PyKCS11.CKM_SHA256_RSA_PKCS))
    lib.lib.C_Finalize()			# C_Finalize
    a1 = apdus()
    open("sig.cold", "wb").write(sig)
    open("data.cold", "wb").write(data)
    print("cold %d" % (a1 - a0))
    # the probe: a fresh C_Initialize, a search before login
    lib.lib.C_Initialize()
    s = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
    n = len(s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
                           (PyKCS11.CKA_ID, [1])]))
    print("keys-before-login %d" % n)
    lib.lib.C_Finalize()


def warm(module, pin, n):
    data = b"APDU budget: warm signatures"
    open("data.warm", "wb").write(data)
    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)
    slot = lib.getSlotList(tokenPresent=True)[0]
    s = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
    s.login(pin)
    k9a, k9c = privkey(s, 1), privkey(s, 2)
    sign(s, k9a, data, mech(PyKCS11.CKM_SHA256_RSA_PKCS))
    for i in range(n):
        a0 = apdus()
        sig = sign(s, k9a, data, mech(PyKCS11.CKM_SHA256_RSA_PKCS))
        print("9a %d" % (apdus() - a0))
        open("sig.9a.%d" % i, "wb").write(sig)
    for i in range(n):
        a0 = apdus()
        sig = sign(s, k9c, data, mech(PyKCS11.CKM_ECDSA_SHA256), pin)
        print("9c %d" % (apdus() - a0))
        open("sig.9c.%d" % i, "wb").write(sig)
    s.logout()
    s.closeSession()


def certs(module, n):
    a0 = apdus()
    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)
    slot = lib.getSlotList(tokenPresent=True)[0]
    for i in range(n):
        p0 = apdus()
        s = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
        objs = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_CERTIFICATE)])
        total = sum(len(s.getAttributeValue(o, [PyKCS11.CKA_VALUE], True)[0])
                    for o in objs)
        s.closeSession()
        print("certs-pass %d %d (%d certificates, %d bytes)" %
              (i + 1, apdus() - p0, len(objs), total))
    lib.lib.C_Finalize()
    print("certs-total %d" % (apdus() - a0))


def main():
    if len(sys.argv) < 3 or not COUNTERS:
        print(__doc__, file=sys.stderr)
        return 2
    mode, module = sys.argv[1], sys.argv[2]
    pin = sys.argv[3] if len(sys.argv) > 3 else None
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    if mode == "cold":
        cold(module, pin)
    elif mode == "warm":
        warm(module, pin, n)
    elif mode == "certs":
        certs(module, n)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
