/*
 * tests/fuzz/fz-p11ops.h - the operation bytes of fuzz-p11-calls'
 * interpreter (an operation is its byte modulo P11OP_N), shared with
 * gen-corpus, which assembles the seed programs.  Append only: the
 * committed corpus is written in these numbers.
 */
#ifndef FUZZ_FZ_P11OPS_H
#define FUZZ_FZ_P11OPS_H

enum p11op {
	P11OP_SLOTS = 0,	/* flags, n: C_GetSlotList */
	P11OP_SLOT_INFO,	/* slot, flags: C_GetSlotInfo / C_GetTokenInfo */
	P11OP_MECHS,		/* slot, flags, ...: mechanism list / info */
	P11OP_OPEN,		/* slot, flags: C_OpenSession */
	P11OP_CLOSE,		/* flags, session|slot */
	P11OP_SESS_INFO,	/* session, flags */
	P11OP_LOGIN,		/* session, flags|user, pin index, ... */
	P11OP_FIND,		/* session, 0 init tpl | 1 objects max | 2 final */
	P11OP_ATTRS,		/* session, object, 0 get | 1 set | 2 size */
	P11OP_SIGN,		/* session, 0 init | 1 one-shot | 2 update | 3 final */
	P11OP_VERIFY,
	P11OP_DECRYPT,
	P11OP_DIGEST,
	P11OP_DERIVE,		/* session, base, flags, mechanism, template */
	P11OP_KEYGEN,		/* session, flags, mechanism, pub tpl, priv tpl */
	P11OP_CREATE,		/* session, 0 create | 1 destroy | 2 copy */
	P11OP_PINS,		/* session, flags, old pin, new pin */
	P11OP_MISC,
	P11OP_WORLD,		/* 0 reset, 1 pull card, 2 insert, 3 unplug,
				   4 plug reader */
	P11OP_REINIT,		/* C_Finalize + C_Initialize */
	P11OP_N
};

#endif
