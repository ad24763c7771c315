/*
 * reader/tlv.h - BER-TLV as PIV and ISO 7816-4 use it: tags of one to three
 * bytes, definite lengths of at most three length bytes (0x83).  Parsing
 * never reads past the cursor's end; building never writes past the
 * writer's capacity.
 */
#ifndef SS_TLV_H
#define SS_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ss_tlv {
	uint32_t	 tag;
	const uint8_t	*val;
	size_t		 len;
};

/* Read one TLV at the cursor; its value must fit in what is left. */
int	ss_tlv_next(struct ss_rd *, struct ss_tlv *);
/* Find the first TLV with this tag in a flat sequence of TLVs. */
int	ss_tlv_find(const uint8_t *, size_t, uint32_t, struct ss_tlv *);
/* Parse a buffer that must hold exactly one TLV of this tag, nothing after. */
int	ss_tlv_expect(const uint8_t *, size_t, uint32_t, struct ss_tlv *);

size_t	ss_tlv_tag_len(uint32_t);
size_t	ss_tlv_len_len(size_t);
int	ss_tlv_put_hdr(struct ss_wr *, uint32_t, size_t);
int	ss_tlv_put(struct ss_wr *, uint32_t, const void *, size_t);

#endif
