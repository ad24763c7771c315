#!/usr/bin/python3
"""tests/tools/p11spy.py - one line per call from an OpenSC pkcs11-spy log.

Usage: p11spy.py SPY-LOG

pkcs11-spy.so (package opensc-pkcs11) sits between an application and a
module (PKCS11SPY=module, PKCS11SPY_OUTPUT=log) and logs every call with
its templates and hex dumps.  This prints, per call:

    FUNCTION RV [in|out ATTRIBUTE=VALUE]...

VALUE is the symbolic value the spy prints (CKO_PRIVATE_KEY, ...) or the
attribute's bytes in lower-case hex when the spy dumped them.  Calls still
running when the log ends (a killed process) get RV "-".
"""
import re
import sys

CALL = re.compile(r"^\d+: (C_\w+)")
RET = re.compile(r"^Returned:\s+\d+\s+(\w+)")
TMPL = re.compile(r"^\[(in|out)\] pTemplate\[\d+\]:")
ATTR = re.compile(r"^    (CKA_\w+|0x[0-9a-fA-F]+)\s+(.*?)\s*$")
DUMP = re.compile(r"^    [0-9A-Fa-f]{8}  ")


def main(path):
    calls = []
    cur = None
    direction = None
    attr = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = CALL.match(line)
            if m:
                cur = {"fn": m.group(1), "rv": "-", "attrs": []}
                calls.append(cur)
                direction = attr = None
                continue
            if cur is None:
                continue
            m = RET.match(line)
            if m:
                cur["rv"] = m.group(1)
                direction = attr = None
                continue
            m = TMPL.match(line)
            if m:
                direction = m.group(1)
                attr = None
                continue
            if direction is None:
                continue
            if DUMP.match(line):
                if attr is not None:
                    attr[2] += "".join(line[14:62].split()).lower()
                continue
            m = ATTR.match(line)
            if m:
                value = m.group(2)
                # "pointer / length": the bytes follow as a hex dump
                attr = [direction, m.group(1),
                        "" if re.match(r"^[0-9a-fA-F]+ / \d+$", value)
                        else value.split()[0] if value else ""]
                cur["attrs"].append(attr)
                continue
            if not line.strip():
                direction = attr = None
            # other lines inside a template (the spy's second dump style,
            # e.g. for labels) are skipped
    for c in calls:
        parts = [c["fn"], c["rv"]]
        parts += ["%s %s=%s" % (d, a, v) for d, a, v in c["attrs"]]
        print(" ".join(parts))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
