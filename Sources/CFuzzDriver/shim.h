#ifndef TRUC_CFUZZDRIVER_SHIM_H
#define TRUC_CFUZZDRIVER_SHIM_H
#include <stddef.h>
#include <stdint.h>
/* libFuzzer's driver, for a program that has its own main: SwiftPM names an executable's entry point
   <module>_main and links main to it, so truc-fuzz's entry point calls this (declared here, defined by the
   libFuzzer runtime that -sanitize=fuzzer links; referenced only when built by scripts/fuzz.sh). */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
