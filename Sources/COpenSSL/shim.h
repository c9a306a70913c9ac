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
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ocsp.h>
#include <openssl/rsa.h>


/* The STACK_OF helpers are function-like macros, invisible to Swift. */
static inline STACK_OF(X509) *truc_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int truc_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline int truc_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *truc_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline void truc_sk_X509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
static inline void truc_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
/* OPENSSL_free is a macro over CRYPTO_free. */
static inline void truc_openssl_free(void *p) { OPENSSL_free(p); }
/* Certificate policies: the stack type and accessors are macros. */
static inline int truc_policies_count(CERTIFICATEPOLICIES *p) { return sk_POLICYINFO_num(p); }
static inline ASN1_OBJECT *truc_policy_oid(CERTIFICATEPOLICIES *p, int i) { return sk_POLICYINFO_value(p, i)->policyid; }
static inline void truc_policies_free(CERTIFICATEPOLICIES *p) { CERTIFICATEPOLICIES_free(p); }
/* BIO_get_mem_data is a macro. */
static inline long truc_bio_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
/* XN_FLAG_RFC2253 is a composite macro; without ESC_MSB so UTF-8 names print as UTF-8. */
static inline unsigned long truc_xn_flags_rfc2253_utf8(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }
/* Revocation pointers of a certificate: the URIs of its CRL distribution points (full names only). */
static inline STACK_OF(DIST_POINT) *truc_crl_dps(X509 *x) { return X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL); }
/* The freshestCRL extension (where delta CRLs are published): the same shape as the distribution points. */
static inline STACK_OF(DIST_POINT) *truc_freshest_crl_dps(X509 *x) { return X509_get_ext_d2i(x, NID_freshest_crl, NULL, NULL); }
static inline void truc_crl_dps_free(STACK_OF(DIST_POINT) *d) { sk_DIST_POINT_pop_free(d, DIST_POINT_free); }
/* The index-th URI over every distribution point's full name, or NULL past the last. */
static inline const ASN1_IA5STRING *truc_crl_dp_uri(STACK_OF(DIST_POINT) *dps, int index) {
    int seen = 0;
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0) continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *n = sk_GENERAL_NAME_value(names, j);
            if (n->type != GEN_URI) continue;
            if (seen++ == index) return n->d.uniformResourceIdentifier;
        }
    }
    return NULL;
}
/* X509_get1_ocsp returns a STACK_OF(OPENSSL_STRING). */
static inline int truc_sk_string_num(STACK_OF(OPENSSL_STRING) *s) { return sk_OPENSSL_STRING_num(s); }
static inline const char *truc_sk_string_value(STACK_OF(OPENSSL_STRING) *s, int i) { return sk_OPENSSL_STRING_value(s, i); }
/* The extended key usage bits and whether the extension is there (EXFLAG_XKUSAGE). */
static inline int truc_has_eku(X509 *x) { return (X509_get_extension_flags(x) & EXFLAG_XKUSAGE) != 0; }
/* The Authority Information Access extension and its caIssuers URIs (NULL for another access method). */
static inline AUTHORITY_INFO_ACCESS *truc_aia(X509 *x) { return X509_get_ext_d2i(x, NID_info_access, NULL, NULL); }
static inline int truc_aia_count(AUTHORITY_INFO_ACCESS *a) { return sk_ACCESS_DESCRIPTION_num(a); }
static inline const unsigned char *truc_aia_ca_issuer(AUTHORITY_INFO_ACCESS *a, int i, int *length) {
    ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(a, i);
    if (!ad || OBJ_obj2nid(ad->method) != NID_ad_ca_issuers || ad->location->type != GEN_URI) return NULL;
    *length = ASN1_STRING_length(ad->location->d.uniformResourceIdentifier);
    return ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier);
}
static inline void truc_aia_free(AUTHORITY_INFO_ACCESS *a) { AUTHORITY_INFO_ACCESS_free(a); }
/* A CRL's scope: delta or complete, and its issuingDistributionPoint (RFC 5280 §5.2.5). */
static inline int truc_crl_is_delta(X509_CRL *c) {
    ASN1_INTEGER *d = X509_CRL_get_ext_d2i(c, NID_delta_crl, NULL, NULL);
    if (!d) return 0;
    ASN1_INTEGER_free(d);
    return 1;
}
/* A CRL's number (cRLNumber) and, for a delta CRL, the number of its base (deltaCRLIndicator); NULL when absent. */
static inline ASN1_INTEGER *truc_crl_number(X509_CRL *c) { return X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL); }
static inline ASN1_INTEGER *truc_crl_base_number(X509_CRL *c) { return X509_CRL_get_ext_d2i(c, NID_delta_crl, NULL, NULL); }
/* The DER value of a CRL extension (NULL when absent): to compare two CRLs' scopes byte for byte. */
static inline const unsigned char *truc_crl_ext_value(X509_CRL *c, int nid, int *length) {
    int at = X509_CRL_get_ext_by_NID(c, nid, -1);
    if (at < 0) return NULL;
    ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(X509_CRL_get_ext(c, at));
    *length = ASN1_STRING_length(value);
    return ASN1_STRING_get0_data(value);
}
static inline ISSUING_DIST_POINT *truc_crl_idp(X509_CRL *c) { return X509_CRL_get_ext_d2i(c, NID_issuing_distribution_point, NULL, NULL); }
/* 1 onlyContainsUserCerts, 2 onlyContainsCACerts, 4 onlySomeReasons, 8 indirectCRL, 16 onlyContainsAttributeCerts */
static inline int truc_idp_flags(ISSUING_DIST_POINT *p) {
    return (p->onlyuser ? 1 : 0) | (p->onlyCA ? 2 : 0) | (p->onlysomereasons ? 4 : 0) | (p->indirectCRL ? 8 : 0) | (p->onlyattr ? 16 : 0);
}
static inline int truc_idp_uri_count(ISSUING_DIST_POINT *p) {
    if (!p->distpoint || p->distpoint->type != 0) return 0;
    return sk_GENERAL_NAME_num(p->distpoint->name.fullname);
}
static inline const unsigned char *truc_idp_uri(ISSUING_DIST_POINT *p, int i, int *length) {
    GENERAL_NAME *g = sk_GENERAL_NAME_value(p->distpoint->name.fullname, i);
    if (!g || g->type != GEN_URI) return NULL;
    *length = ASN1_STRING_length(g->d.uniformResourceIdentifier);
    return ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
}
static inline void truc_idp_free(ISSUING_DIST_POINT *p) { ISSUING_DIST_POINT_free(p); }
/* The extendedKeyUsage extension's purposes (a STACK_OF(ASN1_OBJECT)). */
static inline int truc_eku_count(EXTENDED_KEY_USAGE *e) { return sk_ASN1_OBJECT_num(e); }
static inline ASN1_OBJECT *truc_eku_oid(EXTENDED_KEY_USAGE *e, int i) { return sk_ASN1_OBJECT_value(e, i); }
static inline void truc_eku_free(EXTENDED_KEY_USAGE *e) { EXTENDED_KEY_USAGE_free(e); }
#endif
