#include <zstd.h>

/// ZSTD_COMPRESSBOUND is a function-like macro, which Swift cannot import.
static inline size_t cairn_zstd_compress_bound(size_t size) { return ZSTD_COMPRESSBOUND(size); }
