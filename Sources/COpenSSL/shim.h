#ifndef TRUC_COPENSSL_SHIM_H
#define TRUC_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

/* OPENSSL_VERSION_TEXT is a string macro Swift cannot import. */
static inline const char *truc_openssl_version_text(void) { return OPENSSL_VERSION_TEXT; }
#endif
