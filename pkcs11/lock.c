/*
 * pkcs11/lock.c - mutexes: the application's (C_Initialize callbacks) when
 * it gives them, else pthreads.  With CKF_OS_LOCKING_OK and callbacks both
 * given, the callbacks are used (the spec lets the library pick either).
 * C_Initialize with NULL, or with neither, still gets pthread mutexes: the
 * module is always thread safe.
 */
#include <pthread.h>
#include <stdlib.h>

#include "pkcs11/p11.h"

static CK_CREATEMUTEX	app_create;
static CK_DESTROYMUTEX	app_destroy;
static CK_LOCKMUTEX	app_lock;
static CK_UNLOCKMUTEX	app_unlock;

static bool
args_none(const CK_C_INITIALIZE_ARGS *a)
{
	return a->CreateMutex == NULL && a->DestroyMutex == NULL &&
	    a->LockMutex == NULL && a->UnlockMutex == NULL;
}

static bool
args_all(const CK_C_INITIALIZE_ARGS *a)
{
	return a->CreateMutex != NULL && a->DestroyMutex != NULL &&
	    a->LockMutex != NULL && a->UnlockMutex != NULL;
}

/* Check C_Initialize's arguments and choose the mutex implementation. */
CK_RV
p11_lock_setup(const CK_C_INITIALIZE_ARGS *a)
{
	app_create = NULL;
	app_destroy = NULL;
	app_lock = NULL;
	app_unlock = NULL;
	if (a == NULL)
		return CKR_OK;
	if (a->pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	if (args_none(a))
		return CKR_OK;
	if (!args_all(a))
		return CKR_ARGUMENTS_BAD;
	app_create = a->CreateMutex;
	app_destroy = a->DestroyMutex;
	app_lock = a->LockMutex;
	app_unlock = a->UnlockMutex;
	return CKR_OK;
}

CK_RV
p11_mutex_new(void **mp)
{
	pthread_mutex_t *m;

	*mp = NULL;
	if (app_create != NULL)
		return app_create(mp) == CKR_OK && *mp != NULL ? CKR_OK :
		    CKR_CANT_LOCK;
	if ((m = malloc(sizeof(*m))) == NULL)
		return CKR_HOST_MEMORY;
	if (pthread_mutex_init(m, NULL) != 0) {
		free(m);
		return CKR_CANT_LOCK;
	}
	*mp = m;
	return CKR_OK;
}

void
p11_mutex_free(void **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	if (app_destroy != NULL)
		(void)app_destroy(*mp);
	else {
		pthread_mutex_destroy(*mp);
		free(*mp);
	}
	*mp = NULL;
}

void
p11_mutex_lock(void *m)
{
	if (app_lock != NULL)
		(void)app_lock(m);
	else
		pthread_mutex_lock(m);
}

void
p11_mutex_unlock(void *m)
{
	if (app_unlock != NULL)
		(void)app_unlock(m);
	else
		pthread_mutex_unlock(m);
}
