/*
 * token-emu/vpcd.c - TCP client to vpcd: connect, frame, send, receive.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reader/buf.h"
#include "reader/wipe.h"
#include "vpcd.h"

static void
vpcd_reset_rx(struct emu_vpcd *v)
{
	ss_wipe(v->rx, v->have);
	v->have = 0;
	v->need = 2;
}

int
emu_vpcd_init(struct emu_vpcd *v, const char *host, uint16_t port)
{
	int n;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	v->need = 2;
	n = snprintf(v->host, sizeof(v->host), "%s", host);
	if (n < 0 || (size_t)n >= sizeof(v->host) || port == 0)
		return -1;
	snprintf(v->port, sizeof(v->port), "%u", (unsigned)port);
	return 0;
}

bool
emu_vpcd_connected(const struct emu_vpcd *v)
{
	return v->fd >= 0;
}

void
emu_vpcd_close(struct emu_vpcd *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	vpcd_reset_rx(v);
	ss_wipe(v->tx, sizeof(v->tx));
}

/* close and remember why; always returns EMU_VPCD_CLOSED */
static int
vpcd_drop(struct emu_vpcd *v, const char *why, int err)
{
	if (err != 0)
		snprintf(v->why, sizeof(v->why), "%s: %s", why, strerror(err));
	else
		snprintf(v->why, sizeof(v->why), "%s", why);
	emu_vpcd_close(v);
	return EMU_VPCD_CLOSED;
}

static void
vpcd_quickack(int fd)
{
#ifdef TCP_QUICKACK
	int on = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
#else
	(void)fd;
#endif
}

static int
vpcd_set_options(int fd)
{
	int on = 1, fl;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
		return -1;
	vpcd_quickack(fd);
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

/*
 * Wait for events on fd or input on wakefd.  1: fd ready, 0: timeout or
 * wakefd readable, -1: poll failed (errno set).
 */
static int
vpcd_wait(int fd, short events, int wakefd, int timeout_ms)
{
	struct pollfd	pfd[2];
	nfds_t		n = 1;
	int		r;

	pfd[0].fd = fd;
	pfd[0].events = events;
	pfd[0].revents = 0;
	if (wakefd >= 0) {
		pfd[1].fd = wakefd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = 2;
	}
	do {
		r = poll(pfd, n, timeout_ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP)) != 0)
		return 0;
	return (pfd[0].revents != 0) ? 1 : 0;
}

/* finish a non-blocking connect(); 0 connected, -1 failed (errno set) */
static int
vpcd_finish_connect(int fd, int wakefd)
{
	int		err = 0, r;
	socklen_t	len = sizeof(err);

	if ((r = vpcd_wait(fd, POLLOUT, wakefd, EMU_VPCD_CONNECT_MS)) <= 0) {
		if (r == 0)
			errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static int
vpcd_connect_addr(const struct addrinfo *ai, int wakefd)
{
	int fd, err;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0)
		return -1;
	if (vpcd_set_options(fd) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	if (vpcd_finish_connect(fd, wakefd) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
emu_vpcd_connect(struct emu_vpcd *v, int wakefd)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	int		 r, err = ECONNREFUSED;

	emu_vpcd_close(v);
	v->bad_peer = false;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(v->host, v->port, &hints, &res)) != 0) {
		snprintf(v->why, sizeof(v->why), "%s: %s", v->host,
		    gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && v->fd < 0; ai = ai->ai_next)
		if ((v->fd = vpcd_connect_addr(ai, wakefd)) < 0)
			err = errno;
	freeaddrinfo(res);
	if (v->fd < 0) {
		snprintf(v->why, sizeof(v->why), "connect %s:%s: %s", v->host,
		    v->port, strerror(err));
		return -1;
	}
	vpcd_reset_rx(v);
	return 0;
}

/* the header is complete: validate the untrusted length */
static int
vpcd_parse_header(struct emu_vpcd *v)
{
	struct ss_rd	rd;
	uint16_t	len = 0;

	ss_rd_init(&rd, v->rx, v->have);
	v->bad_peer = true;
	if (ss_rd_u16be(&rd, &len) < 0)
		return vpcd_drop(v, "short frame header", 0);
	if (len == 0)
		return vpcd_drop(v, "empty frame from vpcd", 0);
	if (len > EMU_VPCD_FRAME_MAX) {
		snprintf(v->why, sizeof(v->why),
		    "oversized frame from vpcd (%u bytes, limit %u)",
		    (unsigned)len, (unsigned)EMU_VPCD_FRAME_MAX);
		emu_vpcd_close(v);
		return EMU_VPCD_CLOSED;
	}
	v->bad_peer = false;
	v->need = 2 + (size_t)len;
	return 0;
}

/* one recv() into the current frame; 1 progress, 0 nothing yet, -1 drop */
static int
vpcd_recv_some(struct emu_vpcd *v)
{
	ssize_t n;

	do {
		n = recv(v->fd, v->rx + v->have, v->need - v->have, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return vpcd_drop(v, "recv", errno);
	if (n == 0)
		return vpcd_drop(v, "connection closed by vpcd", 0);
	vpcd_quickack(v->fd);
	v->have += (size_t)n;
	if (v->need == 2 && v->have == 2 && vpcd_parse_header(v) < 0)
		return EMU_VPCD_CLOSED;
	return 1;
}

int
emu_vpcd_recv(struct emu_vpcd *v, int wakefd, int timeout_ms,
    const uint8_t **payload, size_t *len)
{
	int r;

	*payload = NULL;
	*len = 0;
	if (v->fd < 0) {
		snprintf(v->why, sizeof(v->why), "not connected");
		return EMU_VPCD_CLOSED;
	}
	if (v->have == v->need && v->need > 2)	/* frame handed out before */
		vpcd_reset_rx(v);
	while (v->have < v->need) {
		if ((r = vpcd_recv_some(v)) < 0)
			return EMU_VPCD_CLOSED;
		if (r > 0)
			continue;
		if ((r = vpcd_wait(v->fd, POLLIN, wakefd, timeout_ms)) < 0)
			return vpcd_drop(v, "poll", errno);
		if (r == 0)
			return EMU_VPCD_IDLE;
	}
	*payload = v->rx + 2;
	*len = v->need - 2;
	return EMU_VPCD_FRAME;
}

static int
vpcd_send_all(struct emu_vpcd *v, const uint8_t *p, size_t n)
{
	ssize_t	w;
	int	r;

	while (n > 0) {
		w = send(v->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = vpcd_wait(v->fd, POLLOUT, -1, EMU_VPCD_SEND_MS);
			if (r < 0)
				return vpcd_drop(v, "poll", errno);
			if (r == 0)
				return vpcd_drop(v, "send: vpcd stopped reading",
				    0);
			continue;
		}
		if (w <= 0)
			return vpcd_drop(v, "send", w < 0 ? errno : EPIPE);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
emu_vpcd_send(struct emu_vpcd *v, const uint8_t *p, size_t n)
{
	struct ss_wr	wr;
	int		rc;

	if (v->fd < 0) {
		snprintf(v->why, sizeof(v->why), "not connected");
		return -1;
	}
	if (n == 0 || n > EMU_VPCD_FRAME_MAX) {
		snprintf(v->why, sizeof(v->why), "frame of %zu bytes not sent",
		    n);
		return -1;
	}
	ss_wr_init(&wr, v->tx, sizeof(v->tx));
	ss_wr_u16be(&wr, (uint16_t)n);
	ss_wr_bytes(&wr, p, n);
	if (wr.err) {
		snprintf(v->why, sizeof(v->why), "frame does not fit");
		return -1;
	}
	rc = vpcd_send_all(v, v->tx, wr.len);
	ss_wipe(v->tx, wr.len);
	return rc;
}
