/* Internal helpers of the device half; not part of the port interface. */
#ifndef DSM_INTERNAL_H
#define DSM_INTERNAL_H

#include "dsm_protocol.h"

void dsm_sha_init(dsm_sha256_t *c);
void dsm_sha_byte(dsm_sha256_t *c, uint8_t b);
void dsm_sha_update(dsm_sha256_t *c, const uint8_t *p, uint32_t n);
void dsm_sha_final(dsm_sha256_t *c, uint8_t out[32]);

/** Receives encoder output one byte at a time. */
typedef void (*dsm_sink_fn)(void *ctx, uint8_t b);

/** Encodes src as one LZ4 block into sink (NULL: only count); returns the number of bytes produced. */
uint32_t dsm_lz4_encode(const uint8_t *src, uint32_t len, uint16_t *hash_table, dsm_sink_fn sink, void *ctx);

#endif
