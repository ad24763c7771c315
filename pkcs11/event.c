/*
 * pkcs11/event.c - C_WaitForSlotEvent.
 *
 * A slot has an event when its reader's event counter differs from the
 * one last reported (or seen at C_Initialize): a card inserted, removed
 * or swapped, the reader attached or detached.  A new reader is an event
 * of its new slot (slot IDs are the reader layer's stable ids: they never
 * shrink and are never given to another reader).  Several changes of one
 * slot before the call are reported once; the events of different slots
 * one call each.
 *
 * Blocking waits go through ss_readers_wait() with no lock held.  The
 * reader layer lets one thread wait at a time; a second blocking caller
 * polls (a refresh every EVENT_POLL_MS) instead of failing.
 *
 * C_Finalize: the count of threads in here (ev_waiters) lives outside
 * the module state C_Finalize clears, and is raised before the
 * initialization check, so C_Finalize (which clears p11_m.init first,
 * then cancels and waits for the count to drop to zero) either sees a
 * caller and waits for it, or the caller sees the module finalized.  A
 * blocked caller returns CKR_CRYPTOKI_NOT_INITIALIZED.
 */
#include <stddef.h>
#include <time.h>

#include "pkcs11/p11.h"

#define EVENT_POLL_NS	100000000L	/* 100 ms */

static atomic_int ev_waiters;

int
p11_event_waiters(void)
{
	return atomic_load(&ev_waiters);
}

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
			p11_log("slot %zu: event (reader events %llu -> %llu, "
			    "%s)", i, (unsigned long long)s->seen_events,
			    (unsigned long long)info.events,
			    !info.present ? "no reader" : info.card ? "card" :
			    "no card");
			s->seen_events = info.events;
			*slot = i;
			found = true;
		}
		p11_mutex_unlock(p11_m.mu);
	}
	return found;
}

/* Another thread holds the reader layer's wait: look again shortly. */
static int
event_poll(void)
{
	struct timespec ts = { 0, EVENT_POLL_NS };

	(void)nanosleep(&ts, NULL);
	p11_refresh(true);
	return SS_ERR_OK;
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
		if (rc == SS_ERR_BAD_ARG)
			rc = event_poll();
		if (atomic_load(&p11_m.finalizing) || rc == SS_ERR_CANCELLED)
			return CKR_CRYPTOKI_NOT_INITIALIZED;
		if (rc != SS_ERR_OK && rc != SS_ERR_TIMEOUT)
			return CKR_FUNCTION_FAILED;
	}
}

static CK_RV
event_wait(CK_FLAGS flags, CK_SLOT_ID *slot)
{
	if (atomic_load(&p11_m.finalizing))
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	p11_refresh(true);
	if (event_take(slot))
		return CKR_OK;
	if (flags & CKF_DONT_BLOCK)
		return CKR_NO_EVENT;
	return event_block(slot);
}

CK_RV
C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pRserved)
{
	CK_RV rv;

	p11_log_enter(__func__);
	atomic_fetch_add(&ev_waiters, 1);
	if ((rv = p11_check_init()) != CKR_OK)
		goto out;
	if (pSlot == NULL || pRserved != NULL)
		rv = CKR_ARGUMENTS_BAD;
	else
		rv = event_wait(flags, pSlot);
out:
	atomic_fetch_sub(&ev_waiters, 1);
	return p11_log_rv(__func__, rv);
}
