#ifndef TRUC_CSQLITE_SHIM_H
#define TRUC_CSQLITE_SHIM_H
#include <sqlite3.h>
/* SQLITE_TRANSIENT is a cast macro ((sqlite3_destructor_type)-1) Swift cannot import. */
static inline sqlite3_destructor_type truc_sqlite_transient(void) { return SQLITE_TRANSIENT; }
/* fallocate(2) is declared only under _GNU_SOURCE, which the platform module is built without: the store
   punches purged payloads out of its segment files (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). */
#if defined(__linux__)
extern int fallocate(int fd, int mode, long offset, long len);
static inline int truc_punch_hole(int fd, long long offset, long long length) { return fallocate(fd, 0x02 | 0x01, (long)offset, (long)length); }
#else
static inline int truc_punch_hole(int fd, long long offset, long long length) { (void)fd; (void)offset; (void)length; return 0; }
#endif
#endif
