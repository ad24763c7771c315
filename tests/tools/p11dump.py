#!/usr/bin/python3
"""tests/tools/p11dump.py - dump every attribute of every object a PKCS#11
module shows, through PyKCS11 (python3-pykcs11).

Usage: p11dump.py MODULE [PIN] [SLOT-INDEX]
Opens a session on the SLOT-INDEX-th slot with a token (default 0), logs in
with PIN when given, and asks each object for every CKA_* type PyKCS11
knows, one attribute per call.  Prints one line per attribute:

    <class> <id-hex> <CKA_NAME> <value>

class is cert, pub, priv, data or the CKO number; value is True/False for
CK_BBOOL, a decimal number (with its CKx_ name for class, key type and
certificate type), a quoted string for labels, hex for byte strings, or
!CKR_ATTRIBUTE_TYPE_INVALID / !CKR_ATTRIBUTE_SENSITIVE.  Those two are the
only errors tolerated per attribute (what the specification allows when a
type does not apply or may not be revealed); a bulk call with every type at
once must answer one of the codes that apply, with the same lengths.  Any other error or exception ends the run
with status 1.  Last line: "objects N".
"""
import sys

import PyKCS11
from PyKCS11 import LowLevel

TOLERATED = (PyKCS11.CKR_ATTRIBUTE_TYPE_INVALID, PyKCS11.CKR_ATTRIBUTE_SENSITIVE)
CLASSES = {PyKCS11.CKO_CERTIFICATE: "cert", PyKCS11.CKO_PUBLIC_KEY: "pub",
           PyKCS11.CKO_PRIVATE_KEY: "priv", PyKCS11.CKO_DATA: "data"}
NAMED = {"CKA_CLASS": PyKCS11.CKO, "CKA_KEY_TYPE": PyKCS11.CKK,
         "CKA_CERTIFICATE_TYPE": PyKCS11.CKC}


def all_types():
    """Every CKA_* PyKCS11 knows, by value (one name per value)."""
    seen = {}
    for name, val in PyKCS11.CKA.items():
        if isinstance(name, str) and name.startswith("CKA_") and val not in seen:
            seen[val] = name
    seen[PyKCS11.CKA_EC_PARAMS] = "CKA_EC_PARAMS"	# not CKA_ECDSA_PARAMS
    return sorted(seen.items())


def fmt(name, val):
    if isinstance(val, bool):
        return str(val)
    if isinstance(val, int):
        if name in NAMED and val in NAMED[name]:
            return "%d %s" % (val, NAMED[name][val])
        return str(val)
    if isinstance(val, str):
        return repr(val)
    if isinstance(val, (list, tuple, bytes, bytearray)):
        return bytes(val).hex() if len(val) else "(empty)"
    return repr(val)


def probe(lib, session, obj, types):
    """C_GetAttributeValue with NULL buffers for the given types at once:
    (rv, [length per type])."""
    t = LowLevel.ckattrlist(len(types))
    for i, typ in enumerate(types):
        t[i].SetType(typ)
    rv = lib.lib.C_GetAttributeValue(session.session, obj, t)
    return rv, [t[i].GetLen() for i in range(len(types))]


def one(lib, session, obj, typ):
    """The attribute's value, or the tolerated CKR_* name prefixed by '!'."""
    rv, _ = probe(lib, session, obj, [typ])
    if rv in TOLERATED:
        return "!" + PyKCS11.CKR[rv]
    if rv != PyKCS11.CKR_OK:
        raise PyKCS11.PyKCS11Error(rv)
    return session.getAttributeValue(obj, [typ])[0]


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    lib = PyKCS11.PyKCS11Lib()
    lib.load(sys.argv[1])
    pin = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    idx = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    slot = lib.getSlotList(tokenPresent=True)[idx]
    session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION)
    if pin is not None:
        session.login(pin)
    types = all_types()
    objs = session.findObjects()
    bad = 0
    for obj in objs:
        cls = session.getAttributeValue(obj, [PyKCS11.CKA_CLASS])[0]
        oid = one(lib, session, obj, PyKCS11.CKA_ID)
        tag = "%s %s" % (CLASSES.get(cls, str(cls)),
                         bytes(oid).hex() if isinstance(oid, (list, tuple)) else "-")
        answers = []
        for typ, name in types:
            val = one(lib, session, obj, typ)
            answers.append(val)
            out = val if isinstance(val, str) and val.startswith("!") else fmt(name, val)
            print("%s %s %s" % (tag, name, out))
        # every type at once: one of the codes that apply, and the same
        # lengths for the attributes that have a value (PyKCS11 reports an
        # unavailable one as length 0, so those are not compared)
        rv, lens = probe(lib, session, obj, [typ for typ, _ in types])
        codes = set()
        for (typ, name), val, n in zip(types, answers, lens):
            if isinstance(val, str) and val.startswith("!"):
                codes.add(getattr(PyKCS11, val[1:]))
                continue
            alone = probe(lib, session, obj, [typ])[1][0]
            if n != alone:
                print("%s bulk-mismatch %s: length %d in the bulk call, %d alone" %
                      (tag, name, n, alone))
                bad += 1
        if (codes and rv not in codes) or (not codes and rv != PyKCS11.CKR_OK):
            print("%s bulk-rv %s (expected one of %s)" % (
                tag, PyKCS11.CKR.get(rv, rv),
                ", ".join(PyKCS11.CKR[c] for c in codes) or "CKR_OK"))
            bad += 1
    print("objects %d" % len(objs))
    if pin is not None:
        session.logout()
    session.closeSession()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
