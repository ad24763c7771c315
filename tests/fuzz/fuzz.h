/*
 * tests/fuzz/fuzz.h - what the fuzz targets share.
 *
 * Every tests/fuzz/fuzz-NAME.c defines LLVMFuzzerTestOneInput() and is
 * built twice (Makefile): with clang's libFuzzer into build/fuzz/fuzz-NAME
 * (make fuzz), and with tests/fuzz/main.c as a plain program in the
 * sanitizer build, build/asan/fuzz-NAME, which tests/run feeds the
 * committed corpus tests/fuzz/corpus/fuzz-NAME/.
 *
 * A target must be deterministic for a given input within one process,
 * release everything it allocated before it returns, and keep any state it
 * builds once (a test card) in statics set up on the first call.
 *
 * Input is read through an ss_rd cursor (reader/buf.h) with the helpers
 * below; past the end they return zeros and empty chunks, so a target
 * never has to check.
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "reader/buf.h"

#define FZ_CHUNK_MAX	0xefffu	/* longest length-prefixed chunk */
/* What fuzz-p7s checks signatures against (gen-corpus signs it). */
#define FZ_P7S_CONTENT	"<declaration><declarant>Sample Broker</declarant>" \
			"<goods>machine parts</goods></declaration>\n"

int		LLVMFuzzerTestOneInput(const uint8_t *, size_t);

uint8_t		fz_u8(struct ss_rd *);
uint16_t	fz_u16(struct ss_rd *);	/* big endian */
uint32_t	fz_u32(struct ss_rd *);
/* A chunk: a big-endian 16-bit length, then that many bytes (fewer when
 * the input ends first).  Returns the length, *p points at the bytes. */
size_t		fz_chunk(struct ss_rd *, const uint8_t **p);
/* Up to n bytes (fewer at the end of the input); *p is never NULL. */
size_t		fz_take(struct ss_rd *, size_t n, const uint8_t **p);

#endif
