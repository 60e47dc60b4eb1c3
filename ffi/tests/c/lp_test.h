/*
 * Small helpers shared by the C tests of loadpilot-ffi: a check macro that reports the line,
 * SplitMix64 and FNV-1a written out (the same streams as the Rust side, STYLE.md "Tests"), and a
 * controller kept in a static, aligned arena (firmware style: no malloc).
 */
#ifndef LP_TEST_H
#define LP_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadpilot.h"

unsigned lp_test_failures = 0; /* one test program per file: defined here */
unsigned lp_test_checks = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        lp_test_checks++;                                                              \
        if (!(cond)) {                                                                 \
            lp_test_failures++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_EQ_U(a, b)                                                               \
    do {                                                                               \
        unsigned long long lp_a_ = (unsigned long long)(a);                            \
        unsigned long long lp_b_ = (unsigned long long)(b);                            \
        lp_test_checks++;                                                              \
        if (lp_a_ != lp_b_) {                                                          \
            lp_test_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", __FILE__,        \
                    __LINE__, #a, #b, lp_a_, lp_b_);                                   \
        }                                                                              \
    } while (0)

/* Expects result code `want` from `call`, printing both texts otherwise. */
#define CHECK_RESULT(call, want)                                                       \
    do {                                                                               \
        lp_result lp_r_ = (call);                                                      \
        lp_test_checks++;                                                              \
        if ((uint32_t)lp_r_ != (uint32_t)(want)) {                                     \
            lp_test_failures++;                                                        \
            fprintf(stderr, "%s:%d: %s gave %u (%s), expected %u (%s)\n", __FILE__,    \
                    __LINE__, #call, (unsigned)lp_r_, lp_result_text((uint32_t)lp_r_), \
                    (unsigned)(want), lp_result_text((uint32_t)(want)));               \
        }                                                                              \
    } while (0)

/* SplitMix64 (Steele, Lea, Flood 2014). */
typedef struct {
    uint64_t state;
} splitmix64;

static inline uint64_t splitmix64_next(splitmix64 *r) {
    uint64_t z;
    r->state += UINT64_C(0x9E3779B97F4A7C15);
    z = r->state;
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t splitmix64_below(splitmix64 *r, uint64_t n) { return splitmix64_next(r) % n; }

/* FNV-1a, 64 bit, over explicit little-endian u64 fields. */
typedef struct {
    uint64_t h;
} fnv1a;

static inline void fnv1a_u64(fnv1a *f, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++) {
        f->h ^= (v >> (8 * i)) & 0xFF;
        f->h *= UINT64_C(0x00000100000001B3);
    }
}

/* Controller memory: a static arena, aligned for any controller (lp_controller_align() is
 * checked against it at run time). */
#define LP_TEST_ARENA_BYTES (64u * 1024u)
static union {
    uint64_t words[LP_TEST_ARENA_BYTES / 8];
    long double align_max;
} lp_test_arena;

/* Two 32 A three-phase points under one station node of `limit_ma`, no start stagger. */
static inline void two_points(lp_config *cfg, lp_point_config pts[2], lp_node_config *node,
                       uint32_t limit_ma) {
    CHECK_RESULT(lp_config_default(LP_FAMILY_CITY, cfg), LP_OK);
    cfg->timers.stagger_ms = 0;
    CHECK_RESULT(lp_point_config_default(0, 32000, &pts[0]), LP_OK);
    CHECK_RESULT(lp_point_config_default(0, 32000, &pts[1]), LP_OK);
    CHECK_RESULT(lp_node_config_default(LP_NODE_STATION, limit_ma, node), LP_OK);
    cfg->points = pts;
    cfg->points_len = 2;
    cfg->nodes = node;
    cfg->nodes_len = 1;
}

#endif /* LP_TEST_H */
