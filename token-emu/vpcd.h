/*
 * token-emu/vpcd.h - the card side of vsmartcard's vpcd reader driver.
 *
 * vpcd (inside pcscd) listens on TCP; the card connects as a client.  Both
 * directions carry frames: a 2-byte big-endian length, then the payload.  A
 * 1-byte payload from the reader is a control message (EMU_VPCD_CTL_*),
 * anything longer a command APDU.  Closing the socket removes the card.
 *
 * Bytes from the socket are untrusted: the length is read through an ss_rd
 * cursor, a frame of length 0 or longer than EMU_VPCD_FRAME_MAX drops the
 * connection.  The socket is non-blocking with TCP_NODELAY, and
 * TCP_QUICKACK is re-armed after every recv(): without both, Nagle plus
 * delayed ACKs add about 40 ms to every APDU.
 *
 * Every wait also watches a "wake" descriptor (the read end of a pipe) so
 * the caller sees stop and pull requests at once.  Not thread-safe: one
 * struct emu_vpcd per card thread.
 */
#ifndef EMU_VPCD_H
#define EMU_VPCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* largest frame accepted: an extended APDU carrying 16 KB (the engine's
 * chaining buffer) plus header, Lc and Le; responses are smaller
 * (EMU_RESP_MAX) */
#define EMU_VPCD_FRAME_MAX	(16384 + 9)
#define EMU_VPCD_DEFAULT_PORT	35963		/* 0x8C7B */
#define EMU_VPCD_CONNECT_MS	1000		/* one connect attempt */
#define EMU_VPCD_SEND_MS	5000		/* a peer that stops reading */

#define EMU_VPCD_CTL_OFF	0x00
#define EMU_VPCD_CTL_ON		0x01
#define EMU_VPCD_CTL_RESET	0x02
#define EMU_VPCD_CTL_ATR	0x04

/* emu_vpcd_recv() results */
#define EMU_VPCD_CLOSED		(-1)	/* connection dropped; see why */
#define EMU_VPCD_IDLE		0	/* timeout, or the wake fd is readable */
#define EMU_VPCD_FRAME		1	/* one whole frame */

struct emu_vpcd {
	char		 host[256];
	char		 port[8];
	int		 fd;		/* -1 when not connected */
	size_t		 have;		/* bytes of the current frame in rx */
	size_t		 need;		/* 2 (header) or 2 + payload length */
	char		 why[512];	/* why the last call failed */
	bool		 bad_peer;	/* dropped for a protocol error */
	uint8_t		 rx[2 + EMU_VPCD_FRAME_MAX];
	uint8_t		 tx[2 + EMU_VPCD_FRAME_MAX];
};

/* 0, or -1 if host is too long */
int	emu_vpcd_init(struct emu_vpcd *, const char *host, uint16_t port);
/* One attempt (every address of host); 0 connected, -1 failed or woken. */
int	emu_vpcd_connect(struct emu_vpcd *, int wakefd);
bool	emu_vpcd_connected(const struct emu_vpcd *);
/*
 * Wait up to timeout_ms (-1 = no limit) for the rest of the current frame.
 * On EMU_VPCD_FRAME, *payload and *len describe it until the next call.  A
 * partial frame is kept across EMU_VPCD_IDLE returns.  wakefd < 0: none.
 */
int	emu_vpcd_recv(struct emu_vpcd *, int wakefd, int timeout_ms,
	    const uint8_t **payload, size_t *len);
/* Send one frame; 0, or -1 after dropping the connection (see why). */
int	emu_vpcd_send(struct emu_vpcd *, const uint8_t *, size_t);
void	emu_vpcd_close(struct emu_vpcd *);	/* idempotent; wipes buffers */

#endif
