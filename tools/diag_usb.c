/*
 * tools/diag_usb.c - doctor's USB checks: an lsusb-like scan of
 * /sys/bus/usb/devices against the reader table of udev/readers.tsv (the
 * same table the udev rules are generated from), the drivers those
 * readers need, and whether the smartsign udev rules are installed,
 * cover the attached readers and were applied.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "tools/diag_doctor.h"
#include "tools/diag_usbtab.h"

#define SYS_USB		"/sys/bus/usb/devices"
#define RULES_NAME	"70-smartsign-readers.rules"
#define USB_CLASS_CCID	0x0b
#define ATTR_MAX	256
#define RULES_MAX	(1u << 20)
#define DEVS_MAX	128

static const char *const rules_dirs[] = {
	"/etc/udev/rules.d", "/lib/udev/rules.d", "/usr/lib/udev/rules.d",
};

struct usbdev {
	char			 name[64];	/* "1-2" */
	uint16_t		 vendor, product;
	bool			 ccid;		/* has a CCID interface */
	char			 dev[16];	/* "189:3" */
	char			 product_str[64];
	const struct diag_usb_reader *known;
};

const struct diag_usb_reader *
diag_usb_lookup(uint16_t vendor, uint16_t product)
{
	size_t	i;

	for (i = 0; i < sizeof(diag_usb_readers) / sizeof(diag_usb_readers[0]);
	    i++)
		if (diag_usb_readers[i].vendor == vendor &&
		    diag_usb_readers[i].product == product)
			return &diag_usb_readers[i];
	return NULL;
}

/* A sysfs attribute's first line into out. */
static bool
sys_attr(const char *dir, const char *name, char *out, size_t cap)
{
	char		 p[4096];
	uint8_t		*b;
	size_t		 n;
	struct ss_rd	 r;
	const char	*line;
	bool		 ok;

	if (!diag_join(p, sizeof(p), dir, name) ||
	    diag_read_file(p, ATTR_MAX, &b, &n) < 0)
		return false;
	ss_rd_init(&r, b, n);
	ok = diag_next_line(&r, &line, &n) && diag_line_str(line, n, out, cap);
	free(b);
	return ok;
}

static bool
hex16(const char *s, uint16_t *v)
{
	char		*end;
	unsigned long	 x;

	if (strlen(s) != 4)
		return false;
	x = strtoul(s, &end, 16);
	if (*end != '\0' || x > 0xffff)
		return false;
	*v = (uint16_t)x;
	return true;
}

/* "1-2:1.0" with bInterfaceClass 0b marks device "1-2" as CCID. */
static void
mark_ccid(struct usbdev *devs, size_t n, const char *base, const char *e)
{
	char	dir[4096], cls[8];
	size_t	i, k = strcspn(e, ":");

	if (!diag_join(dir, sizeof(dir), base, e) ||
	    !sys_attr(dir, "bInterfaceClass", cls, sizeof(cls)) ||
	    strtoul(cls, NULL, 16) != USB_CLASS_CCID)
		return;
	for (i = 0; i < n; i++)
		if (strlen(devs[i].name) == k &&
		    strncmp(devs[i].name, e, k) == 0)
			devs[i].ccid = true;
}

static void
add_dev(struct usbdev *devs, size_t *n, const char *base, const char *e)
{
	struct usbdev	*u = &devs[*n];
	char		 dir[4096], v[8], p[8];

	memset(u, 0, sizeof(*u));
	if (strlen(e) >= sizeof(u->name) || !diag_join(dir, sizeof(dir), base,
	    e) || !sys_attr(dir, "idVendor", v, sizeof(v)) ||
	    !sys_attr(dir, "idProduct", p, sizeof(p)) ||
	    !hex16(v, &u->vendor) || !hex16(p, &u->product))
		return;
	memcpy(u->name, e, strlen(e) + 1);
	(void)sys_attr(dir, "dev", u->dev, sizeof(u->dev));
	(void)sys_attr(dir, "product", u->product_str,
	    sizeof(u->product_str));
	u->known = diag_usb_lookup(u->vendor, u->product);
	(*n)++;
}

/* -1 when there is no USB sysfs at all. */
static int
scan(const struct doctor *d, struct usbdev *devs, size_t *n)
{
	char		 base[4096];
	DIR		*dir;
	struct dirent	*e;

	*n = 0;
	if ((dir = opendir(doc_path(d, SYS_USB, base, sizeof(base)))) == NULL)
		return -1;
	while ((e = readdir(dir)) != NULL && *n < DEVS_MAX)
		if (e->d_name[0] != '.' && strchr(e->d_name, ':') == NULL)
			add_dev(devs, n, base, e->d_name);
	rewinddir(dir);
	while ((e = readdir(dir)) != NULL)
		if (strchr(e->d_name, ':') != NULL)
			mark_ccid(devs, *n, base, e->d_name);
	(void)closedir(dir);
	return 0;
}

/* The driver a non-CCID reader needs, looked for in pcscd's drivers. */
static bool
driver_present(const struct doctor *d, const char *driver)
{
	char		 p[4096];
	DIR		*dir;
	struct dirent	*e;
	bool		 found = false;
	const char	*key = strncmp(driver, "ifd-", 4) == 0 ? driver + 4 :
			    driver;

	if ((dir = opendir(doc_path(d, "/usr/lib/pcsc/drivers", p,
	    sizeof(p)))) == NULL)
		return false;
	while (!found && (e = readdir(dir)) != NULL)
		found = strstr(e->d_name, key) != NULL;
	(void)closedir(dir);
	return found;
}

static void
check_reader(struct doctor *d, const struct usbdev *u)
{
	const struct diag_usb_reader	*k = u->known;
	char				 fix[256];

	if (k == NULL) {
		doc_check(d, "usb_reader", "USB reader", CHK_WARN,
		    "add a row to udev/readers.tsv, run udev/gen-rules",
		    "%04x:%04x %s is a CCID reader smartsign does not know "
		    "(it may still work)", u->vendor, u->product,
		    u->product_str[0] ? u->product_str : "(no name)");
		return;
	}
	if (strcmp(k->driver, "ccid") == 0 || driver_present(d, k->driver)) {
		doc_check(d, "usb_reader", "USB reader", CHK_OK, NULL,
		    "%04x:%04x %s (%s%s)", u->vendor, u->product, k->name,
		    k->driver, k->pinpad ? ", PIN pad" : "");
		return;
	}
	(void)snprintf(fix, sizeof(fix), "install the %s driver for pcscd "
	    "(e.g. sudo apt-get install %s), then sudo systemctl restart "
	    "pcscd", k->driver, strcmp(k->driver, "ifd-cyberjack") == 0 ?
	    "libifd-cyberjack6" : "libacsccid1");
	doc_check(d, "usb_reader", "USB reader", CHK_FAIL, fix,
	    "%04x:%04x %s is not a CCID reader and its driver (%s) is "
	    "missing", u->vendor, u->product, k->name, k->driver);
}

/* The installed rules file, read whole; NULL if not installed. */
static uint8_t *
rules_read(const struct doctor *d, char *where, size_t cap, size_t *len)
{
	char	p[4096];
	uint8_t	*b;
	size_t	 i;

	for (i = 0; i < sizeof(rules_dirs) / sizeof(rules_dirs[0]); i++) {
		(void)snprintf(where, cap, "%s/%s", rules_dirs[i], RULES_NAME);
		if (diag_read_file(doc_path(d, where, p, sizeof(p)), RULES_MAX,
		    &b, len) == 0)
			return b;
	}
	return NULL;
}

static bool
rules_cover(const uint8_t *rules, const struct usbdev *u)
{
	char	want[96];

	(void)snprintf(want, sizeof(want), "ATTR{idVendor}==\"%04x\", "
	    "ATTR{idProduct}==\"%04x\"", u->vendor, u->product);
	return strstr((const char *)rules, want) != NULL;
}

/* udev's database for the device has our property: the rules ran. */
static bool
rules_applied(const struct doctor *d, const struct usbdev *u)
{
	char	p[256], path[4096];
	uint8_t	*b;
	size_t	 n;
	bool	 yes;

	if (u->dev[0] == '\0')
		return false;
	(void)snprintf(p, sizeof(p), "/run/udev/data/c%s", u->dev);
	if (diag_read_file(doc_path(d, p, path, sizeof(path)), RULES_MAX, &b,
	    &n) < 0)
		return false;
	yes = strstr((const char *)b, "E:SMARTSIGN_READER=1") != NULL;
	free(b);
	return yes;
}

static void
check_rules(struct doctor *d, const struct usbdev *devs, size_t n)
{
	static const char install[] = "sudo make udev-rules && sudo udevadm "
	    "control --reload && sudo udevadm trigger --subsystem-match=usb "
	    "--action=change";
	char		 where[256];
	uint8_t		*rules;
	size_t		 len, i, stale = 0, unapplied = 0;

	if ((rules = rules_read(d, where, sizeof(where), &len)) == NULL) {
		doc_check(d, "udev_rules", "udev rules", CHK_WARN, install,
		    "%s not installed (readers work without it, but are not "
		    "tagged for the tools)", RULES_NAME);
		return;
	}
	for (i = 0; i < n; i++) {
		if (devs[i].known == NULL)
			continue;
		if (!rules_cover(rules, &devs[i]))
			stale++;
		else if (!rules_applied(d, &devs[i]))
			unapplied++;
	}
	free(rules);
	if (stale > 0)
		doc_check(d, "udev_rules", "udev rules", CHK_FAIL, install,
		    "%s is older than the reader table: %zu attached "
		    "reader%s not covered", where, stale, stale == 1 ? "" :
		    "s");
	else if (unapplied > 0)
		doc_check(d, "udev_rules", "udev rules", CHK_WARN,
		    "sudo udevadm control --reload && sudo udevadm trigger "
		    "--subsystem-match=usb --action=change", "%s installed but "
		    "not applied to %zu attached reader%s", where, unapplied,
		    unapplied == 1 ? "" : "s");
	else
		doc_check(d, "udev_rules", "udev rules", CHK_OK, NULL,
		    "%s covers the attached readers", where);
}

void
doc_usb(struct doctor *d)
{
	struct usbdev	*devs = calloc(DEVS_MAX, sizeof(*devs));
	size_t		 n = 0, i, readers = 0;

	if (devs == NULL)
		return;
	if (scan(d, devs, &n) < 0) {
		doc_check(d, "usb_readers", "USB readers", CHK_SKIP, NULL,
		    "no %s here (a container?): cannot list USB devices",
		    SYS_USB);
	} else {
		for (i = 0; i < n; i++) {
			if (devs[i].known == NULL && !devs[i].ccid)
				continue;
			readers++;
			check_reader(d, &devs[i]);
		}
		d->usb_readers = readers;
		if (readers == 0)
			doc_check(d, "usb_readers", "USB readers", CHK_WARN,
			    "plug the reader in (another USB port, no hub), "
			    "then run smartsign-diag watch",
			    "no smart-card reader on USB");
		else if (d->pcsc_ok && d->pcsc_readers == 0)
			doc_check(d, "usb_readers", "USB readers", CHK_FAIL,
			    "sudo systemctl restart pcscd (and see journalctl "
			    "-u pcscd -b)", "%zu reader%s on USB but pcscd "
			    "sees none", readers, readers == 1 ? "" : "s");
	}
	check_rules(d, devs, n);
	free(devs);
}
