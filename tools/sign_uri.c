/*
 * tools/sign_uri.c - PKCS#11 URIs (RFC 7512) and PIV key references.
 *
 * The URI is walked with the bounds-checked cursor and every decoded value
 * is written through a bounded writer, so no attribute can overrun its
 * field: an over-long value is an error, never a truncation.
 */
#include <string.h>
#include <strings.h>

#include "reader/buf.h"
#include "reader/hex.h"
#include "tools/sign_err.h"
#include "tools/sign_uri.h"

#define SCHEME		"pkcs11:"
#define SCHEME_LEN	(sizeof(SCHEME) - 1)

/* RFC 7512 attributes smartsign-sign does not use: named, not "unknown". */
static const char *const uri_other_attrs[] = {
	"manufacturer", "model", "library-manufacturer",
	"library-description", "library-version", "slot-description",
	"slot-manufacturer", "slot-id", NULL
};

static const struct {
	uint8_t		 id;
	const char	*name;
} piv_keys[] = {
	{ 0x01, "9A" }, { 0x02, "9C" }, { 0x03, "9D" }, { 0x04, "9E" },
};

void
su_default(struct su_sel *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->id[0] = 0x02;
	sel->idlen = 1;
	sel->has_id = true;
}

const char *
su_piv_name(const uint8_t *id, size_t len)
{
	size_t i;

	if (len != 1)
		return NULL;
	for (i = 0; i < sizeof(piv_keys) / sizeof(piv_keys[0]); i++)
		if (piv_keys[i].id == id[0])
			return piv_keys[i].name;
	return NULL;
}

static int
hex_val(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Characters RFC 7512 allows unencoded in a path attribute value. */
static int
uri_plain_char(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return strchr("-._~:[]@!$'()*+,=", c) != NULL && c != '\0';
}

/* Percent-decode [v, v+len) into w; -1 on a bad escape or overflow. */
static int
uri_decode(const uint8_t *v, size_t len, struct ss_wr *w, int *bad_char)
{
	struct ss_rd	r;
	uint8_t		c, h, l;

	*bad_char = 0;
	ss_rd_init(&r, v, len);
	while (ss_rd_left(&r) > 0) {
		(void)ss_rd_u8(&r, &c);
		if (c == '%') {
			if (ss_rd_u8(&r, &h) < 0 || ss_rd_u8(&r, &l) < 0 ||
			    hex_val(h) < 0 || hex_val(l) < 0)
				return -1;
			c = (uint8_t)(hex_val(h) << 4 | hex_val(l));
		} else if (!uri_plain_char(c)) {
			*bad_char = 1;
			return -1;
		}
		if (ss_wr_u8(w, c) < 0)
			return -1;
	}
	return 0;
}

/* Decode a text value into dst (cap bytes + NUL); no NUL bytes inside. */
static int
uri_text(const char *name, const uint8_t *v, size_t len, char *dst,
    size_t cap, struct se_err *err)
{
	struct ss_wr	w;
	int		bad;

	ss_wr_init(&w, (uint8_t *)dst, cap);
	if (uri_decode(v, len, &w, &bad) < 0) {
		se_set(err, bad ? "%s: a character must be "
		    "percent-encoded" : w.err ? "%s: value too long" :
		    "%s: bad percent-encoding", name);
		return -1;
	}
	if (memchr(dst, '\0', w.len) != NULL || w.len == 0) {
		se_set(err, "%s: empty value or NUL byte", name);
		return -1;
	}
	dst[w.len] = '\0';
	return 0;
}

static int
uri_id(const uint8_t *v, size_t len, struct su_sel *sel,
    struct se_err *err)
{
	struct ss_wr	w;
	int		bad;

	ss_wr_init(&w, sel->id, sizeof(sel->id));
	if (uri_decode(v, len, &w, &bad) < 0 || w.len == 0) {
		se_set(err, "%s", w.err ? "id: longer than 64 bytes" :
		    bad ? "id: a character must be percent-encoded" :
		    "id: empty or bad percent-encoding (e.g. id=%02)");
		return -1;
	}
	sel->idlen = w.len;
	sel->has_id = true;
	return 0;
}

static int
uri_type(const uint8_t *v, size_t len, struct su_sel *sel,
    struct se_err *err)
{
	char t[16];

	if (uri_text("type", v, len, t, sizeof(t) - 1, err) < 0)
		return -1;
	if (strcmp(t, "private") == 0)
		sel->type = SU_TYPE_PRIVATE;
	else if (strcmp(t, "cert") == 0)
		sel->type = SU_TYPE_CERT;
	else if (strcmp(t, "public") == 0 || strcmp(t, "secret-key") == 0 ||
	    strcmp(t, "data") == 0) {
		se_set(err, "type=%s names no signing key "
		    "(use type=private or type=cert)", t);
		return -1;
	} else {
		se_set(err, "type=%s: unknown object type", t);
		return -1;
	}
	return 0;
}

static bool
uri_is_other(const char *name)
{
	size_t i;

	for (i = 0; uri_other_attrs[i] != NULL; i++)
		if (strcmp(name, uri_other_attrs[i]) == 0)
			return true;
	return false;
}

static int
uri_text_attr(const char *name, const uint8_t *v, size_t len, char *dst,
    size_t cap, bool *seen, struct se_err *err)
{
	if (*seen) {
		se_set(err, "attribute '%s' given twice", name);
		return -1;
	}
	if (uri_text(name, v, len, dst, cap, err) < 0)
		return -1;
	*seen = true;
	return 0;
}

/* One "name=value" of the path. */
static int
uri_attr(const char *name, const uint8_t *v, size_t len, struct su_sel *sel,
    struct se_err *err)
{
	if (strcmp(name, "token") == 0)
		return uri_text_attr(name, v, len, sel->token, SU_TOKEN_MAX,
		    &sel->has_token, err);
	if (strcmp(name, "serial") == 0)
		return uri_text_attr(name, v, len, sel->serial, SU_SERIAL_MAX,
		    &sel->has_serial, err);
	if (strcmp(name, "object") == 0)
		return uri_text_attr(name, v, len, sel->object, SU_OBJECT_MAX,
		    &sel->has_object, err);
	if (strcmp(name, "id") == 0 && !sel->has_id)
		return uri_id(v, len, sel, err);
	if (strcmp(name, "type") == 0 && sel->type == SU_TYPE_ANY)
		return uri_type(v, len, sel, err);
	if (strcmp(name, "id") == 0 || strcmp(name, "type") == 0) {
		se_set(err, "attribute '%s' given twice", name);
		return -1;
	}
	se_set(err, uri_is_other(name) ? "attribute '%s' is not "
	    "supported (use token, serial, id, object, type)" :
	    "unknown attribute '%s' (supported: token, serial, id, object, "
	    "type)", name);
	return -1;
}

/* Split one path component [p, p+len) at '=' and handle it. */
static int
uri_component(const uint8_t *p, size_t len, struct su_sel *sel,
    struct se_err *err)
{
	const uint8_t	*eq = memchr(p, '=', len);
	char		 name[32];
	size_t		 nlen;

	if (len == 0) {
		se_set(err, "%s", "empty attribute (stray ';')");
		return -1;
	}
	if (eq == NULL) {
		se_set(err, "%s", "attribute without '=' value");
		return -1;
	}
	nlen = (size_t)(eq - p);
	if (nlen == 0 || nlen >= sizeof(name)) {
		se_set(err, "%s", "bad attribute name");
		return -1;
	}
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	return uri_attr(name, eq + 1, len - nlen - 1, sel, err);
}

static int
uri_query(const char *q, struct se_err *err)
{
	if (strncmp(q, "pin-value=", 10) == 0 || strstr(q, "&pin-value=")) {
		se_set(err, "%s", "pin-value is refused: the PIN "
		    "never goes on the command line (use the prompt, the PIN "
		    "pad or --pin-fd)");
		return -1;
	}
	if (strncmp(q, "module-path=", 12) == 0) {
		se_set(err, "%s", "module-path in the URI is not "
		    "supported: use --module PATH");
		return -1;
	}
	se_set(err, "query attributes are not supported ('?%.40s')",
	    q);
	return -1;
}

int
su_parse_uri(const char *uri, struct su_sel *sel, struct se_err *err)
{
	const uint8_t	*p, *end, *semi;
	size_t		 len = strnlen(uri, SU_URI_MAX + 1);
	const char	*q;

	memset(sel, 0, sizeof(*sel));
	if (len > SU_URI_MAX) {
		se_set(err, "%s", "URI longer than 1024 characters");
		return -1;
	}
	if (len < SCHEME_LEN || strncasecmp(uri, SCHEME, SCHEME_LEN) != 0) {
		se_set(err, "%s", "not a PKCS#11 URI (must start "
		    "with 'pkcs11:')");
		return -1;
	}
	if ((q = strchr(uri, '?')) != NULL) {
		if (uri_query(q + 1, err) < 0)
			return -1;
		len = (size_t)(q - uri);
	}
	p = (const uint8_t *)uri + SCHEME_LEN;
	end = (const uint8_t *)uri + len;
	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		if (uri_component(p, (size_t)(semi - p), sel, err) < 0)
			return -1;
		p = semi + (semi < end ? 1 : 0);
		if (semi < end && p == end) {
			se_set(err, "%s", "empty attribute (stray ';')");
			return -1;
		}
	}
	return 0;
}

int
su_parse_key(const char *s, struct su_sel *sel, struct se_err *err)
{
	size_t	i, n;

	memset(sel, 0, sizeof(*sel));
	for (i = 0; i < sizeof(piv_keys) / sizeof(piv_keys[0]); i++)
		if (strcasecmp(s, piv_keys[i].name) == 0) {
			sel->id[0] = piv_keys[i].id;
			sel->idlen = 1;
			sel->has_id = true;
			return 0;
		}
	if (strnlen(s, 2 * SU_ID_MAX + 1) > 2 * SU_ID_MAX ||
	    ss_hex_decode(s, sel->id, sizeof(sel->id), &n) < 0 || n == 0) {
		se_set(err, "--key %s: expected 9a, 9c, 9d, 9e or a "
		    "key id in hex (e.g. 02)", s);
		return -1;
	}
	sel->idlen = n;
	sel->has_id = true;
	return 0;
}
