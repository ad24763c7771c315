# pkcs11-tool with every signing mechanism on larger keys: the same checks
# as p11-pkcs11-tool.sh (which this file sources) on a card with RSA-3072
# in 9A, P-384 in 9C (context-specific login) and RSA-4096 in 9E.  A
# separate file because tests/rig's second --card does not work with the
# vpcd driver (a second reader.conf entry shares the first one's socket:
# both readers show card 1), so each key set gets its own rig.
# rig: --card "--key 9a=rsa3072 --key 9c=p384 --key 9e=rsa4096"
EXPECT="01=rsa3072 02=p384 03=rsa2048 04=rsa4096"
. "$(dirname "$0")/p11-pkcs11-tool.sh"
