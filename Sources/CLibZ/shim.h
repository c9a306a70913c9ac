#ifndef TRUC_CLIBZ_SHIM_H
#define TRUC_CLIBZ_SHIM_H
/* zlib, for its CRC-32 only: ZIPFoundation's own (pure Swift) CRC-32 runs at a fraction of zlib's speed
   on Linux, so Truc checks ZIP entries' checksums itself. */
#include <zlib.h>
#endif
