/* CRC-32 as in zlib, Ethernet and PNG (reflected polynomial 0xEDB88320), so tests can recompute
   it with any standard library: crc32_final(crc32_update(CRC32_INITIAL, data, n)). */
#ifndef CRC32_H
#define CRC32_H

#include <stdint.h>

#define CRC32_INITIAL 0xFFFFFFFFu

uint32_t crc32_update(uint32_t crc, const void *data, uint32_t length);
static inline uint32_t crc32_final(uint32_t crc) { return crc ^ 0xFFFFFFFFu; }

#endif
