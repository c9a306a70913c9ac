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

/* xmlFree is a mutable global function pointer; Swift 6 refuses to touch it (not concurrency-safe). */
static inline void truc_xmlFree(void *p) { xmlFree(p); }
#endif
