/*
 * token-emu/create.h - "smartsign-emu create": a new card file with a test
 * identity (test CA, broker certificates and keys).
 */
#ifndef EMU_CREATE_H
#define EMU_CREATE_H

int	emu_cmd_create(int argc, char **argv);	/* argv[0] = "create" */
int	emu_cmd_show(int argc, char **argv);	/* argv[0] = "show" */

#endif
