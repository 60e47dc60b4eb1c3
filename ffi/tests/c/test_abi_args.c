/*
 * C tests of the loadpilot C ABI's contract for bad arguments (issue 5), built as test_lp.c is
 * (gcc -std=c11 -Wall -Wextra -Werror -Wpedantic, and again under ASan + UBSan, scripts/test):
 * every result code through the header alone, NULL pointers, bad lengths, bad enums, short,
 * misaligned, copied or moved memory; none crashes.
 *
 * Prints "N passed, N failed" and exits non-zero on any failed check.
 */
#include "lp_test.h"

/* Issue 5: every result code for bad arguments, through the header alone. */
static void test_abi_result_codes_for_bad_arguments(void) {
    lp_config cfg;
    lp_point_config pts[2];
    lp_node_config node;
    lp_config_error err;
    lp_controller *ctl = NULL;
    lp_point_inputs pin[2];
    lp_node_inputs nin;
    lp_inputs in;
    lp_point_output out[2];
    lp_outputs outs;
    size_t size = 0, align = lp_controller_align();
    uint32_t np = 0, nn = 0;
    unsigned char *mem = (unsigned char *)&lp_test_arena;
    static union {
        uint64_t words[LP_TEST_ARENA_BYTES / 8];
        long double align_max;
    } other;
    uint32_t r;

    /* Texts and versions. */
    CHECK_EQ_U(lp_abi_version(), LP_ABI_VERSION);
    CHECK(lp_version() != NULL && strlen(lp_version()) >= 5);
    for (r = LP_OK; r <= LP_PANIC; r++) CHECK(strcmp(lp_result_text(r), "unknown result code") != 0);
    CHECK(strcmp(lp_result_text(4242), "unknown result code") == 0);
    CHECK(align >= 1 && (align & (align - 1)) == 0);

    /* Sizing. */
    CHECK_RESULT(lp_controller_size(2, 1, NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_controller_size(0, 1, &size), LP_BAD_LENGTH);
    CHECK_RESULT(lp_controller_size(2, 0, &size), LP_BAD_LENGTH);
    CHECK_RESULT(lp_controller_size(4097, 1, &size), LP_BAD_LENGTH);
    CHECK_RESULT(lp_controller_size(2, 1, &size), LP_OK);
    CHECK(size > 0 && size <= sizeof lp_test_arena);

    /* Defaults. */
    CHECK_RESULT(lp_config_default(LP_FAMILY_CITY, NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_config_default(3, &cfg), LP_BAD_ENUM);
    CHECK_RESULT(lp_point_config_default(0, 32000, NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_node_config_default(LP_NODE_STATION, 32000, NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_node_config_default(7, 32000, &node), LP_BAD_ENUM);

    /* Init: NULL, short, misaligned memory. */
    two_points(&cfg, pts, &node, 64000);
    CHECK_RESULT(lp_controller_init(NULL, sizeof lp_test_arena, &cfg, &err, &ctl), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_controller_init(mem, sizeof lp_test_arena, NULL, &err, &ctl), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_controller_init(mem, sizeof lp_test_arena, &cfg, &err, NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_controller_init(mem, size - 1, &cfg, &err, &ctl), LP_BUFFER_TOO_SMALL);
    CHECK(ctl == NULL);
    CHECK_RESULT(lp_controller_init(mem + 1, sizeof lp_test_arena - 1, &cfg, &err, &ctl),
                 LP_MISALIGNED);
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, NULL, &ctl), LP_OK); /* err_out optional */
    CHECK_RESULT(lp_controller_counts(ctl, &np, &nn), LP_OK);
    CHECK_EQ_U(np, 2);
    CHECK_EQ_U(nn, 1);
    CHECK_RESULT(lp_controller_counts(ctl, NULL, &nn), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_controller_counts(NULL, &np, &nn), LP_NULL_ARGUMENT);

    /* A NULL list inside the config: NULL argument, and the field says which. */
    cfg.points = NULL;
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_NULL_ARGUMENT);
    CHECK_EQ_U(err.field, LP_FIELD_POINTS);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_NULL_LIST);
    cfg.points = pts;

    /* Invalid configurations: the field, its index and the reason are reported. */
    cfg.timers.grace_ms = 500; /* 1–6 s */
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_CONFIG_INVALID);
    CHECK(ctl == NULL);
    CHECK_EQ_U(err.field, LP_FIELD_GRACE);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_OUT_OF_RANGE);
    CHECK_EQ_U(err.value, 500);
    CHECK_EQ_U(err.min, 1000);
    CHECK_EQ_U(err.max, 6000);
    CHECK_EQ_U(err.index, LP_NO_INDEX);
    CHECK(strcmp(lp_config_field_name(err.field), "timers.grace_ms") == 0);
    CHECK(strcmp(lp_config_reason_text(err.reason), "value outside min..=max") == 0);
    cfg.timers.grace_ms = 6000;

    pts[1].derated_ma = 40000; /* above rated */
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_POINT_DERATED);
    CHECK_EQ_U(err.index, 1);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_ABOVE_RATED);
    CHECK_EQ_U(err.value, 40000);
    CHECK_EQ_U(err.max, 32000);
    pts[1].derated_ma = 32000;

    pts[1].wiring[2] = LP_PHASE_L1; /* L1, L2, L1 */
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_POINT_WIRING);
    CHECK_EQ_U(err.index, 1);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_NOT_A_PERMUTATION);
    pts[1].wiring[2] = 7; /* no such phase: a bad enum, caught before core */
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_BAD_ENUM);
    CHECK_EQ_U(err.value, 7);
    pts[1].wiring[2] = LP_PHASE_L3;

    node.kind = 99;
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_NODE_KIND);
    CHECK_EQ_U(err.index, 0);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_BAD_ENUM);
    node.kind = LP_NODE_STATION;

    cfg.location = 2;
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_LOCATION);
    cfg.location = LP_LOCATION_INDOOR;
    cfg.load_balancing = 2; /* booleans are 0 or 1 */
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_LOAD_BALANCING);
    cfg.load_balancing = 1;

    node.limit_ma[2] = 70000; /* a station node: 0–64 A */
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_NODE_LIMIT);
    CHECK_EQ_U(err.phase, 2);
    node.limit_ma[2] = 64000;

    cfg.points_len = 0;
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_POINTS);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_COUNT);
    cfg.points_len = 2;
    cfg.timers.debounce_safer_ms = 60;
    cfg.timers.sample_period_ms = 40; /* PS-1: 40 × (1 + 2) + 20 > 100 ms */
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_DEBOUNCE_SAFER);
    CHECK_EQ_U(err.reason, LP_CONFIG_REASON_TIMING_BUDGET);
    cfg.timers.debounce_safer_ms = 20;
    cfg.timers.sample_period_ms = 10;

    /* A failed init leaves no controller, even where one lived. */
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_OK);
    CHECK_EQ_U(err.field, LP_FIELD_NONE);
    memset(pin, 0, sizeof pin);
    memset(&nin, 0, sizeof nin);
    in.in1_closed = 0;
    in.in2_closed = 0;
    in.points = pin;
    in.points_len = 2;
    in.nodes = &nin;
    in.nodes_len = 1;
    outs.points = out;
    outs.points_len = 2;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_OK);
    CHECK_RESULT(lp_config_check(&cfg, mem, size, &err), LP_OK); /* check keeps nothing */
    CHECK_RESULT(lp_step(ctl, &in, 10, &outs), LP_NOT_INITIALIZED);
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_OK);
    cfg.voltage_mv = 1;
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_CONFIG_INVALID);
    CHECK_EQ_U(err.field, LP_FIELD_VOLTAGE);
    CHECK_RESULT(lp_step((lp_controller *)mem, &in, 10, &outs), LP_NOT_INITIALIZED);
    cfg.voltage_mv = 230000;

    /* Step: NULLs, lengths, enums, moved memory. */
    CHECK_RESULT(lp_controller_init(mem, size, &cfg, &err, &ctl), LP_OK);
    CHECK_RESULT(lp_step(NULL, &in, 0, &outs), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_step(ctl, NULL, 0, &outs), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_step(ctl, &in, 0, NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_step((lp_controller *)(mem + 1), &in, 0, &outs), LP_MISALIGNED);
    in.points = NULL;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_NULL_ARGUMENT);
    in.points = pin;
    outs.points = NULL;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_NULL_ARGUMENT);
    outs.points = out;
    in.points_len = 1;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_LENGTH);
    in.points_len = 3;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_LENGTH);
    in.points_len = 2;
    in.nodes_len = 0;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_LENGTH);
    in.nodes_len = 1;
    outs.points_len = 1;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_LENGTH);
    outs.points_len = 2;

    pin[1].vehicle = 7;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    pin[1].vehicle = LP_VEHICLE_A;
    pin[0].remote = 5;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    pin[0].remote = LP_REMOTE_NONE;
    pin[0].has_badge = 1;
    pin[0].badge_id = 1;
    pin[0].badge_kind = 4;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    pin[0].has_badge = 0;
    pin[0].commands = 1u << 6;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    pin[0].commands = LP_COMMAND_SUSPEND;
    pin[0].has_cp = 2;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    pin[0].has_cp = 0;
    nin.has_setpoint = 255;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    nin.has_setpoint = 0;
    in.in2_closed = 9;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_BAD_ENUM);
    in.in2_closed = 0;
    CHECK_RESULT(lp_step(ctl, &in, 0, &outs), LP_OK);
    CHECK(out[0].flags & LP_FLAG_SUSPEND_PLC_CMD);

    /* Memory copied elsewhere is not a controller there. */
    memcpy(&other, mem, size);
    CHECK_RESULT(lp_step((lp_controller *)&other, &in, 10, &outs), LP_NOT_INITIALIZED);
    CHECK_RESULT(lp_controller_reset((lp_controller *)&other), LP_NOT_INITIALIZED);
    CHECK_RESULT(lp_controller_reset(NULL), LP_NULL_ARGUMENT);
    CHECK_RESULT(lp_controller_reset(ctl), LP_OK);
    CHECK_RESULT(lp_step(ctl, &in, 10, &outs), LP_OK);
    /* LP_CONFIG_INVALID and the others are above; LP_PANIC cannot be caused from outside (core
     * is panic-free): the Rust unit test `guard_turns_a_panic_into_lp_panic` covers it. */
}

int main(void) {
    test_abi_result_codes_for_bad_arguments();
    printf("%u passed, %u failed\n", lp_test_checks - lp_test_failures, lp_test_failures);
    return lp_test_failures == 0 ? 0 : 1;
}
