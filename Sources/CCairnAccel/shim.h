#ifndef CAIRN_ACCEL_SHIM_H
#define CAIRN_ACCEL_SHIM_H

/* Hardware CRC32C (Castagnoli) for Cairn. Header-only: system library targets cannot hold .c files,
 * so everything is static inline. On x86-64 the SSE4.2 `crc32` instruction is used when CPUID reports
 * it; the function is compiled for SSE4.2 via a target attribute, so the rest of the program needs no
 * special flags. On other architectures (or compilers) cairn_crc32c_hw_available() returns 0 and
 * Cairn uses its table-driven Swift implementation. Results are bit-identical either way. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>


/* 1 when the CPU supports SSE4.2 (CPUID leaf 1, ECX bit 20), else 0. */
static inline int cairn_crc32c_hw_available(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

/* Updates the raw CRC32C register `crc` (no pre/post inversion) with `count` bytes at `data`.
 * Only call when cairn_crc32c_hw_available() returned 1. A single dependent chain of 8-byte crc32
 * instructions (about 8 bytes per 3 cycles), far above what Cairn needs. */
__attribute__((target("sse4.2")))
static inline uint32_t cairn_crc32c_hw(uint32_t crc, const void *data, size_t count) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = crc;
    while (count > 0 && ((uintptr_t)p & 7) != 0) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        count--;
    }
    while (count >= 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p, 8);
        memcpy(&w1, p + 8, 8);
        memcpy(&w2, p + 16, 8);
        memcpy(&w3, p + 24, 8);
        c = __builtin_ia32_crc32di(c, w0);
        c = __builtin_ia32_crc32di(c, w1);
        c = __builtin_ia32_crc32di(c, w2);
        c = __builtin_ia32_crc32di(c, w3);
        p += 32;
        count -= 32;
    }
    while (count >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        count -= 8;
    }
    while (count > 0) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        count--;
    }
    return (uint32_t)c;
}

#else

static inline int cairn_crc32c_hw_available(void) { return 0; }
static inline uint32_t cairn_crc32c_hw(uint32_t crc, const void *data, size_t count) {
    (void)data; (void)count;
    return crc;
}

#endif

#endif /* CAIRN_ACCEL_SHIM_H */
