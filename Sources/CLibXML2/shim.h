#ifndef TRUC_CLIBXML2_SHIM_H
#define TRUC_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
/* Debian's libxml2 is built with ICU; encoding.h would pull <unicode/ucnv.h>, whose UErrorCode clashes
   with Foundation's _FoundationICU. Dropping it only removes two trailing pointers from
   xmlCharEncodingHandler, which Swift never touches. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/valid.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

/* XPath reports errors through the thread's generic error handler (a variadic C function, which Swift cannot
   write) and the context's structured handler: both silenced, the caller turns a failed evaluation into a value. */
static void truc_silentGeneric(void *context, const char *message, ...) { (void)context; (void)message; }
static void truc_silentStructured(void *user, xmlErrorPtr error) { (void)user; (void)error; }
static inline void truc_xpathSilence(xmlXPathContextPtr context) {
    xmlSetGenericErrorFunc(NULL, truc_silentGeneric);
    context->error = truc_silentStructured;
}

/* xmlFree is a mutable global function pointer; Swift 6 refuses to touch it (not concurrency-safe). */
static inline void truc_xmlFree(void *p) { xmlFree(p); }
#endif
