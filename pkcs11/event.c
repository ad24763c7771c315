/*
 * pkcs11/event.c - C_WaitForSlotEvent.
 *
 * A slot has an event when its reader's event counter differs from the
 * one last reported (or seen at C_Initialize): a card inserted, removed
 * or swapped, the reader attached or detached.  A new reader is an event
 * of its new slot.  Blocking waits go through ss_readers_wait() with no
 * lock held; C_Finalize cancels it and this call then returns
 * CKR_CRYPTOKI_NOT_INITIALIZED.  One blocking waiter at a time (the
 * reader layer's limit): a second one gets CKR_FUNCTION_FAILED.
 */
#include <stddef.h>

#include "pkcs11/p11.h"

/* The first slot with an unreported event; it is reported now. */
static bool
event_take(CK_SLOT_ID *slot)
{
	struct ss_reader_info	 info;
	struct p11_slot		*s;
	size_t			 i, n = ss_readers_count(p11_m.readers);
	bool			 found = false;

	for (i = 0; i < n && !found; i++) {
		if ((s = p11_slot_get(i)) == NULL ||
		    ss_readers_get(p11_m.readers, (unsigned)i, &info) !=
		    SS_ERR_OK)
			continue;
		p11_mutex_lock(p11_m.mu);
		if (info.events != s->seen_events) {
			s->seen_events = info.events;
			*slot = i;
			found = true;
		}
		p11_mutex_unlock(p11_m.mu);
	}
	return found;
}

static CK_RV
event_block(CK_SLOT_ID *slot)
{
	uint64_t	seq;
	int		rc;

	for (;;) {
		seq = ss_readers_seq(p11_m.readers);
		if (event_take(slot))
			return CKR_OK;
		if (atomic_load(&p11_m.finalizing))
			return CKR_CRYPTOKI_NOT_INITIALIZED;
		rc = ss_readers_wait(p11_m.readers, SS_TIMEOUT_INFINITE, &seq);
		if (atomic_load(&p11_m.finalizing) || rc == SS_ERR_CANCELLED)
			return CKR_CRYPTOKI_NOT_INITIALIZED;
		if (rc != SS_ERR_OK && rc != SS_ERR_TIMEOUT)
			return CKR_FUNCTION_FAILED;
	}
}

CK_RV
C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pRserved)
{
	CK_RV rv;

	p11_log_enter(__func__);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pSlot == NULL || pRserved != NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	atomic_fetch_add(&p11_m.waiters, 1);
	if (atomic_load(&p11_m.finalizing))
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else {
		(void)ss_readers_refresh(p11_m.readers);
		if (event_take(pSlot))
			rv = CKR_OK;
		else if (flags & CKF_DONT_BLOCK)
			rv = CKR_NO_EVENT;
		else
			rv = event_block(pSlot);
	}
	atomic_fetch_sub(&p11_m.waiters, 1);
out:
	return p11_log_rv(__func__, rv);
}
