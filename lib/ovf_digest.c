/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * SHA-1 and SHA-256 (FIPS 180-4), for the OVF manifest (DSP0243 5.1: a
 * `.mf` lists a digest per file of the package).  The core links no
 * crypto library and needs no more than these two streaming digests; they
 * check integrity against accidents, not an attacker (that is the
 * certificate's job, which VMHI does not check).
 */
#include <string.h>

#include "ovf_internal.h"

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sha1_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = be32(p + 4 * t);
    for (int t = 16; t < 80; t++)
        w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t tmp = rol(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = be32(p + 4 * t);
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t v[8];
    memcpy(v, h, sizeof(v));
    for (int t = 0; t < 64; t++) {
        uint32_t s1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + s1 + ch + K256[t] + w[t];
        uint32_t s0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof(v[0]));
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

void vmhi__digest_init(vmhi__digest *d, vmhi__digest_algo algo)
{
    static const uint32_t sha1_iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                         0xc3d2e1f0 };
    static const uint32_t sha256_iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                           0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memset(d, 0, sizeof(*d));
    d->algo = algo;
    if (algo == VMHI__SHA1)
        memcpy(d->h, sha1_iv, sizeof(sha1_iv));
    else
        memcpy(d->h, sha256_iv, sizeof(sha256_iv));
}

static void block(vmhi__digest *d, const unsigned char *p)
{
    if (d->algo == VMHI__SHA1)
        sha1_block(d->h, p);
    else
        sha256_block(d->h, p);
}

void vmhi__digest_update(vmhi__digest *d, const void *data, size_t len)
{
    const unsigned char *p = data;
    d->total += len;
    if (d->fill) {
        size_t take = 64 - d->fill < len ? 64 - d->fill : len;
        memcpy(d->buf + d->fill, p, take);
        d->fill += take;
        p += take;
        len -= take;
        if (d->fill < 64)
            return;
        block(d, d->buf);
        d->fill = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        block(d, p);
    memcpy(d->buf, p, len);
    d->fill = len;
}

size_t vmhi__digest_final(vmhi__digest *d, unsigned char out[VMHI__DIGEST_MAX])
{
    uint64_t bits = d->total * 8;
    unsigned char pad[72] = { 0x80 };
    size_t padlen = (d->fill < 56 ? 56 : 120) - d->fill;
    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
    uint64_t total = d->total;
    vmhi__digest_update(d, pad, padlen + 8);
    d->total = total;
    size_t words = d->algo == VMHI__SHA1 ? 5 : 8;
    for (size_t i = 0; i < words; i++) {
        out[4 * i] = (unsigned char)(d->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(d->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(d->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)d->h[i];
    }
    return words * 4;
}

void vmhi__digest_hex(const unsigned char *digest, size_t len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * len] = '\0';
}
