/*
 * tests/unit/test-vpcd.c - the emulator's vpcd link against a fake vpcd
 * listening on 127.0.0.1 (ephemeral port) in the test itself: framing in
 * both directions, frames split byte by byte, frames back to back,
 * oversized and empty frames, EOF (also mid-frame) and reconnect, wake
 * descriptor, TCP_NODELAY.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "token-emu/vpcd.h"

struct fake {
	int		 lfd;		/* listening */
	int		 cfd;		/* the card's connection, accepted */
	uint16_t	 port;
	struct emu_vpcd	*v;
};

static int
fake_listen(uint16_t *port)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* the card connects (the kernel completes it from the backlog), the
 * fake vpcd accepts */
static void
fake_connect(struct fake *f)
{
	assert_int_equal(emu_vpcd_connect(f->v, -1), 0);
	assert_true(emu_vpcd_connected(f->v));
	f->cfd = accept(f->lfd, NULL, NULL);
	assert_true(f->cfd >= 0);
}

static int
setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->v = calloc(1, sizeof(*f->v));
	assert_non_null(f->v);
	f->lfd = fake_listen(&f->port);
	assert_int_equal(emu_vpcd_init(f->v, "127.0.0.1", f->port), 0);
	fake_connect(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake *f = *state;

	emu_vpcd_close(f->v);
	if (f->cfd >= 0)
		close(f->cfd);
	close(f->lfd);
	free(f->v);
	free(f);
	return 0;
}

static void
fake_send(struct fake *f, const uint8_t *p, size_t n)
{
	assert_int_equal(send(f->cfd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* read exactly n bytes from the card, with a timeout */
static void
fake_read(struct fake *f, uint8_t *p, size_t n)
{
	struct pollfd	pfd = { .fd = f->cfd, .events = POLLIN };
	ssize_t		r;

	while (n > 0) {
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		r = recv(f->cfd, p, n, 0);
		assert_true(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

/* the card closed its side within 2 s: EOF, or a reset when it closed
 * with our bytes still unread */
static void
fake_expect_eof(struct fake *f)
{
	struct pollfd	pfd = { .fd = f->cfd, .events = POLLIN };
	uint8_t		b;
	ssize_t		r;

	assert_int_equal(poll(&pfd, 1, 2000), 1);
	r = recv(f->cfd, &b, 1, 0);
	assert_true(r == 0 || (r < 0 && errno == ECONNRESET));
}

static void
card_expect_frame(struct fake *f, const uint8_t *want, size_t n)
{
	const uint8_t	*p;
	size_t		 len;

	assert_int_equal(emu_vpcd_recv(f->v, -1, 2000, &p, &len),
	    EMU_VPCD_FRAME);
	assert_int_equal(len, n);
	assert_memory_equal(p, want, n);
}

static void
test_nodelay(void **state)
{
	struct fake	*f = *state;
	int		 on = 0;
	socklen_t	 len = sizeof(on);

	assert_int_equal(getsockopt(f->v->fd, IPPROTO_TCP, TCP_NODELAY, &on,
	    &len), 0);
	assert_int_not_equal(on, 0);
}

static void
test_atr_request(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 get_atr[] = { 0x00, 0x01, 0x04 };
	const uint8_t	 atr[] = { 0x3b, 0x80, 0x80, 0x01, 0x01 };
	const uint8_t	 ctl = 0x04;
	uint8_t		 got[2 + sizeof(atr)];

	fake_send(f, get_atr, sizeof(get_atr));
	card_expect_frame(f, &ctl, 1);
	assert_int_equal(emu_vpcd_send(f->v, atr, sizeof(atr)), 0);
	fake_read(f, got, sizeof(got));
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], sizeof(atr));
	assert_memory_equal(got + 2, atr, sizeof(atr));
}

static void
test_power_on(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 on[] = { 0x00, 0x01, 0x01 };

	fake_send(f, on, sizeof(on));
	card_expect_frame(f, on + 2, 1);
}

static void
test_apdu_response(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 frame[] = { 0x00, 0x0f, 0x00, 0xa4, 0x04, 0x00, 0x09,
	    0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00 };
	const uint8_t	 sw[] = { 0x90, 0x00 };
	uint8_t		 got[4];

	fake_send(f, frame, sizeof(frame));
	card_expect_frame(f, frame + 2, sizeof(frame) - 2);
	assert_int_equal(emu_vpcd_send(f->v, sw, sizeof(sw)), 0);
	fake_read(f, got, sizeof(got));
	assert_int_equal(got[0], 0x00);
	assert_int_equal(got[1], 0x02);
	assert_memory_equal(got + 2, sw, 2);
}

/* vpcd writes header and payload in separate sends; here even every
 * byte alone: the card must assemble the frame across calls */
static void
test_split_byte_by_byte(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 frame[] = { 0x00, 0x05, 0x00, 0xcb, 0x3f, 0xff, 0x00 };
	const uint8_t	*p;
	size_t		 i, len;

	for (i = 0; i < sizeof(frame); i++) {
		fake_send(f, frame + i, 1);
		if (i + 1 < sizeof(frame))
			assert_int_equal(emu_vpcd_recv(f->v, -1, 20, &p, &len),
			    EMU_VPCD_IDLE);
	}
	card_expect_frame(f, frame + 2, sizeof(frame) - 2);
}

static void
test_frames_back_to_back(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 two[] = { 0x00, 0x01, 0x01, 0x00, 0x04, 0x00, 0xfd,
	    0x00, 0x00, 0x00, 0x01, 0x04 };

	fake_send(f, two, sizeof(two));
	card_expect_frame(f, two + 2, 1);
	card_expect_frame(f, two + 5, 4);
	card_expect_frame(f, two + 11, 1);
}

static void
test_largest_frame(void **state)
{
	struct fake	*f = *state;
	size_t		 n = EMU_VPCD_FRAME_MAX;
	uint8_t		*frame = malloc(2 + n);

	assert_non_null(frame);
	frame[0] = (uint8_t)(n >> 8);
	frame[1] = (uint8_t)n;
	memset(frame + 2, 0x5a, n);
	fake_send(f, frame, 2 + n);
	card_expect_frame(f, frame + 2, n);
	free(frame);
}

static void
test_oversized_frame(void **state)
{
	struct fake	*f = *state;
	const uint16_t	 n = EMU_VPCD_FRAME_MAX + 1;
	const uint8_t	 hdr[] = { (uint8_t)(n >> 8), (uint8_t)n, 0x00, 0xa4 };
	const uint8_t	*p;
	size_t		 len;

	fake_send(f, hdr, sizeof(hdr));
	assert_int_equal(emu_vpcd_recv(f->v, -1, 2000, &p, &len),
	    EMU_VPCD_CLOSED);
	assert_null(p);
	assert_false(emu_vpcd_connected(f->v));
	assert_true(f->v->bad_peer);
	assert_non_null(strstr(f->v->why, "oversized"));
	fake_expect_eof(f);
}

static void
test_maximum_length_field(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 hdr[] = { 0xff, 0xff };
	const uint8_t	*p;
	size_t		 len;

	fake_send(f, hdr, sizeof(hdr));
	assert_int_equal(emu_vpcd_recv(f->v, -1, 2000, &p, &len),
	    EMU_VPCD_CLOSED);
	fake_expect_eof(f);
}

static void
test_empty_frame(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 hdr[] = { 0x00, 0x00 };
	const uint8_t	*p;
	size_t		 len;

	fake_send(f, hdr, sizeof(hdr));
	assert_int_equal(emu_vpcd_recv(f->v, -1, 2000, &p, &len),
	    EMU_VPCD_CLOSED);
	assert_true(f->v->bad_peer);
	fake_expect_eof(f);
}

/* pcscd goes away: EOF, then the card connects again and works */
static void
test_eof_then_reconnect(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 on[] = { 0x00, 0x01, 0x01 };
	const uint8_t	*p;
	size_t		 len;

	close(f->cfd);
	f->cfd = -1;
	assert_int_equal(emu_vpcd_recv(f->v, -1, 2000, &p, &len),
	    EMU_VPCD_CLOSED);
	assert_false(f->v->bad_peer);
	assert_false(emu_vpcd_connected(f->v));
	assert_int_equal(emu_vpcd_send(f->v, on, 1), -1);
	fake_connect(f);
	fake_send(f, on, sizeof(on));
	card_expect_frame(f, on + 2, 1);
}

static void
test_eof_mid_frame(void **state)
{
	struct fake	*f = *state;
	const uint8_t	 part[] = { 0x00, 0x05, 0x00, 0xa4 };
	const uint8_t	 on[] = { 0x00, 0x01, 0x01 };
	const uint8_t	*p;
	size_t		 len;

	fake_send(f, part, sizeof(part));
	assert_int_equal(emu_vpcd_recv(f->v, -1, 20, &p, &len),
	    EMU_VPCD_IDLE);
	close(f->cfd);
	f->cfd = -1;
	assert_int_equal(emu_vpcd_recv(f->v, -1, 2000, &p, &len),
	    EMU_VPCD_CLOSED);
	/* the half frame is gone: the next connection starts clean */
	fake_connect(f);
	fake_send(f, on, sizeof(on));
	card_expect_frame(f, on + 2, 1);
}

static void
test_connect_refused(void **state)
{
	struct fake	*f = *state;
	struct emu_vpcd	*v = calloc(1, sizeof(*v));
	uint16_t	 port;
	int		 lfd;

	(void)f;
	assert_non_null(v);
	lfd = fake_listen(&port);
	close(lfd);			/* nobody listens there now */
	assert_int_equal(emu_vpcd_init(v, "127.0.0.1", port), 0);
	assert_int_equal(emu_vpcd_connect(v, -1), -1);
	assert_false(emu_vpcd_connected(v));
	assert_non_null(strstr(v->why, "connect 127.0.0.1:"));
	emu_vpcd_close(v);
	free(v);
}

/* a stop request must not wait for the peer */
static void
test_wake(void **state)
{
	struct fake	*f = *state;
	const uint8_t	*p;
	size_t		 len;
	int		 pfd[2];
	struct timespec	 t0, t1;
	long		 ms;

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(write(pfd[1], "x", 1), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(emu_vpcd_recv(f->v, pfd[0], -1, &p, &len),
	    EMU_VPCD_IDLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms < 500);
	assert_true(emu_vpcd_connected(f->v));
	close(pfd[0]);
	close(pfd[1]);
}

static void
test_send_limits(void **state)
{
	struct fake	*f = *state;
	uint8_t		*big = calloc(1, EMU_VPCD_FRAME_MAX + 1);

	assert_non_null(big);
	assert_int_equal(emu_vpcd_send(f->v, big, 0), -1);
	assert_int_equal(emu_vpcd_send(f->v, big, EMU_VPCD_FRAME_MAX + 1), -1);
	assert_true(emu_vpcd_connected(f->v));	/* our mistake, not theirs */
	free(big);
}

static void
test_init_bad_args(void **state)
{
	struct emu_vpcd	*v = calloc(1, sizeof(*v));
	char		 host[400];

	(void)state;
	assert_non_null(v);
	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	assert_int_equal(emu_vpcd_init(v, host, 1), -1);
	assert_int_equal(emu_vpcd_init(v, "127.0.0.1", 0), -1);
	free(v);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_nodelay),
		T(test_atr_request),
		T(test_power_on),
		T(test_apdu_response),
		T(test_split_byte_by_byte),
		T(test_frames_back_to_back),
		T(test_largest_frame),
		T(test_oversized_frame),
		T(test_maximum_length_field),
		T(test_empty_frame),
		T(test_eof_then_reconnect),
		T(test_eof_mid_frame),
		T(test_connect_refused),
		T(test_wake),
		T(test_send_limits),
		cmocka_unit_test(test_init_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
