/*
 * pkcs11/piv.h - the PIV card driver (NIST SP 800-73-4, YubiKey PIV
 * extensions), as drivers.c lists it.  Its private parts are in
 * piv_priv.h.
 */
#ifndef P11_PIV_H
#define P11_PIV_H

#include "driver.h"

extern const struct drv_ops piv_driver_ops;

#endif
