/*
 * reader/hex.h - hexadecimal text <-> bytes, for keys given on command
 * lines, traces and logs.
 */
#ifndef SS_HEX_H
#define SS_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decode hex (spaces and colons ignored); -1 on bad digit or overflow. */
int	ss_hex_decode(const char *, uint8_t *, size_t, size_t *);
/* Encode as upper-case hex with a NUL; out must hold 2n+1 bytes. */
void	ss_hex_encode(const uint8_t *, size_t, char *);

#endif
