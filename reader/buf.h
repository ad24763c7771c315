/*
 * reader/buf.h - bounds-checked cursors over untrusted bytes.
 *
 * Every byte that comes from a card, a reader, a client or a file is read
 * through an ss_rd cursor and every response is built through an ss_wr
 * writer.  Both are "sticky": after the first failure every further call
 * fails too, so a parser may check once at the end.  Lengths are compared
 * as "n > len - off", which cannot overflow.
 */
#ifndef SS_BUF_H
#define SS_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ss_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

struct ss_wr {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 err;
};

void	ss_rd_init(struct ss_rd *, const uint8_t *, size_t);
size_t	ss_rd_left(const struct ss_rd *);
int	ss_rd_u8(struct ss_rd *, uint8_t *);
int	ss_rd_u16be(struct ss_rd *, uint16_t *);
int	ss_rd_u32be(struct ss_rd *, uint32_t *);
int	ss_rd_bytes(struct ss_rd *, uint8_t *, size_t);
int	ss_rd_ptr(struct ss_rd *, const uint8_t **, size_t);
int	ss_rd_skip(struct ss_rd *, size_t);
int	ss_rd_peek_u8(const struct ss_rd *, uint8_t *);

void	ss_wr_init(struct ss_wr *, uint8_t *, size_t);
int	ss_wr_u8(struct ss_wr *, uint8_t);
int	ss_wr_u16be(struct ss_wr *, uint16_t);
int	ss_wr_u32be(struct ss_wr *, uint32_t);
int	ss_wr_bytes(struct ss_wr *, const void *, size_t);
int	ss_wr_fill(struct ss_wr *, uint8_t, size_t);

#endif
