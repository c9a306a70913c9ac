#ifndef TRUC_CLIBZ_SHIM_H
#define TRUC_CLIBZ_SHIM_H
/* zlib: CRC-32 and raw inflate/deflate for TrucZlib's ZIP reader and writer. Truc reads ZIP attachments with
   its own bounds-checked reader over zlib (a malformed archive must never trap or loop; see ZipArchive.swift).
   inflateInit2/deflateInit2 are macros: Swift calls inflateInit2_/deflateInit2_ with zlibVersion(). */
#include <zlib.h>
#endif
