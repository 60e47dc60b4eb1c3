/*
 * C tests of the loadpilot C ABI (issue 5), built with gcc -std=c11 -Wall -Wextra -Werror
 * -Wpedantic, and again with -fsanitize=address,undefined (scripts/test). A firmware-style
 * harness drives the library through the header alone: a full two-point session from measured
 * pilot millivolts and PP ohms (free access, then badges and a remote decision), a limit drop
 * with shedding, and every result code for bad arguments. Each test names the SPEC rule it
 * exercises; the argument checks are the ABI contract of issue 5.
 *
 * Prints "N passed, N failed" and exits non-zero on any failed check.
 */
#include "lp_test.h"

#define MAX_POINTS 2u

/* A simulated station: per point an EV (pilot state, plug) that draws what it is told while
 * its contactor is closed, as firmware would see it through its ADCs. */
typedef struct {
    lp_controller *ctl;
    uint32_t points;
    uint64_t now_ms;
    char ev[MAX_POINTS];        /* 'A', 'B' or 'C': the EV's pilot state */
    int plugged[MAX_POINTS];    /* PP reads a 32 A cable */
    uint32_t badge[MAX_POINTS]; /* presented at the next step, then cleared (0: none) */
    uint32_t badge_kind[MAX_POINTS];
    uint32_t remote[MAX_POINTS]; /* sent at the next step, then cleared */
    uint32_t node_setpoint_ma;   /* 0: none */
    lp_point_output out[MAX_POINTS];
    lp_outputs outs;
    uint32_t node_limit_ma;      /* for the LB-1 check */
    uint32_t min_ma;             /* for the LB-3 check */
    unsigned lb_violations;
} station;

static int32_t pilot_mv(char ev) {
    switch (ev) {
    case 'B': return 9000;  /* IEC 61851-1 Table A.4 nominal levels */
    case 'C': return 6000;
    default: return 12000;
    }
}

static void fill_inputs(station *s, lp_point_inputs *pin, lp_node_inputs *nin) {
    uint32_t k;
    for (k = 0; k < s->points; k++) {
        lp_point_inputs *p = &pin[k];
        memset(p, 0, sizeof *p);
        p->has_cp = 1;
        p->cp_high_mv = pilot_mv(s->ev[k]);
        p->cp_low_mv = -12000;
        p->has_pp = 1;
        p->pp_ohm = s->plugged[k] ? 220 : 100000; /* CAB-2: 164..=308 Ω is a 32 A cable */
        p->authorised = 1;
        p->has_measured = 1;
        if (s->out[k].contactor) {
            uint32_t draw = s->out[k].signal_ma;
            p->measured_ma[0] = p->measured_ma[1] = p->measured_ma[2] = draw > 300 ? draw - 300 : 0;
        }
        if (s->badge[k] != 0) {
            p->has_badge = 1;
            p->badge_id = s->badge[k];
            p->badge_kind = s->badge_kind[k];
            s->badge[k] = 0;
        }
        p->remote = s->remote[k];
        s->remote[k] = LP_REMOTE_NONE;
    }
    memset(nin, 0, sizeof *nin);
    if (s->node_setpoint_ma != 0) {
        nin->has_setpoint = 1;
        nin->setpoint_ma = s->node_setpoint_ma;
        nin->setpoint_received_ms = s->now_ms;
    }
}

/* One step at now_ms; checks LB-1 (the points' allocations fit the node's limit on every
 * phase), LB-3 (0 or at least the minimum) and PS-3 (duty 100..=960 with PWM, else 0). */
static lp_result station_step(station *s) {
    lp_point_inputs pin[MAX_POINTS];
    lp_node_inputs nin;
    lp_inputs in;
    lp_result r;
    uint32_t k, ph;
    fill_inputs(s, pin, &nin);
    in.in1_closed = 0;
    in.in2_closed = 0;
    in.points = pin;
    in.points_len = s->points;
    in.nodes = &nin;
    in.nodes_len = 1;
    s->outs.points = s->out;
    s->outs.points_len = s->points;
    r = lp_step(s->ctl, &in, s->now_ms, &s->outs);
    if (r != LP_OK) return r;
    for (ph = 0; ph < 3; ph++) {
        uint32_t sum = 0;
        uint32_t limit = s->node_limit_ma;
        if (s->node_setpoint_ma != 0 && s->node_setpoint_ma < limit) limit = s->node_setpoint_ma;
        for (k = 0; k < s->points; k++) sum += s->out[k].alloc_ma[ph];
        if (sum > limit) s->lb_violations++;
    }
    for (k = 0; k < s->points; k++) {
        const lp_point_output *o = &s->out[k];
        if (o->allocation_ma != 0 && o->allocation_ma < s->min_ma) s->lb_violations++;
        if (o->pilot == LP_PILOT_PWM ? (o->duty_permille < 100 || o->duty_permille > 960)
                                     : o->duty_permille != 0)
            s->lb_violations++;
    }
    return r;
}

/* Steps every 10 ms (the default sample period) up to and including `until_ms`. */
static void run_until(station *s, uint64_t until_ms) {
    while (s->now_ms + 10 <= until_ms) {
        s->now_ms += 10;
        CHECK_RESULT(station_step(s), LP_OK);
    }
}

/* Two 32 A three-phase points under one station node of `limit_ma`, no start stagger. */
static void two_points(lp_config *cfg, lp_point_config pts[2], lp_node_config *node,
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

static void station_start(station *s, const lp_config *cfg, uint32_t limit_ma) {
    lp_config_error err;
    size_t size = 0;
    memset(s, 0, sizeof *s);
    s->points = cfg->points_len;
    s->node_limit_ma = limit_ma;
    s->min_ma = cfg->thresholds.min_3ph_ma;
    s->ev[0] = s->ev[1] = 'A';
    CHECK_RESULT(lp_controller_size(cfg->points_len, cfg->nodes_len, &size), LP_OK);
    CHECK(size <= sizeof lp_test_arena);
    CHECK(((uintptr_t)&lp_test_arena % lp_controller_align()) == 0);
    CHECK_RESULT(lp_controller_init(&lp_test_arena, sizeof lp_test_arena, cfg, &err, &s->ctl),
                 LP_OK);
    CHECK(s->ctl != NULL);
    CHECK_RESULT(station_step(s), LP_OK); /* start-up at 0 ms */
}

/* PS-1, PS-3, PS-4, §5.1, MT-1: a free-access session on each of two points, from measured
 * pilot levels and PP, through the C ABI. */
static void test_ps1_two_point_free_access_session(void) {
    lp_config cfg;
    lp_point_config pts[2];
    lp_node_config node;
    station s;
    two_points(&cfg, pts, &node, 64000);
    station_start(&s, &cfg, 64000);
    CHECK_EQ_U(s.out[0].status, LP_STATUS_INIT_DONE);
    CHECK_EQ_U(s.out[0].pilot, LP_PILOT_STEADY_12V);
    CHECK_EQ_U(s.out[0].reason, LP_REASON_NO_VEHICLE);
    CHECK_EQ_U(s.out[0].reason_node, LP_NO_NODE);

    /* EV 1 plugs in (B): the session reaches its charge loop, PWM for 32 A, lock commanded. */
    s.plugged[0] = 1;
    s.ev[0] = 'B';
    run_until(&s, 1000);
    CHECK_EQ_U(s.out[0].status, LP_STATUS_CHARGE_LOOP_STARTED);
    CHECK_EQ_U(s.out[0].cable, LP_CABLE_32A);
    CHECK_EQ_U(s.out[0].pilot, LP_PILOT_PWM);
    CHECK_EQ_U(s.out[0].duty_permille, 533); /* 32 A / 0.6 A per % (IEC 61851-1 Table A.8) */
    CHECK_EQ_U(s.out[0].evse_status, LP_EVSE_B_PRESENT_ASKED_9V_M12V);
    CHECK_EQ_U(s.out[0].lock, 1);
    CHECK_EQ_U(s.out[0].contactor, 0);
    CHECK(s.out[0].flags & LP_FLAG_PWM_ON);
    CHECK_EQ_U(s.out[0].session_id, 0); /* free access: the default id tag */

    /* C: the contactor closes after the charge debounce (PS-1), the EV draws. */
    s.ev[0] = 'C';
    run_until(&s, 1050);
    CHECK_EQ_U(s.out[0].contactor, 0);
    run_until(&s, 1300);
    CHECK_EQ_U(s.out[0].contactor, 1);
    CHECK(s.out[0].flags & LP_FLAG_CONTACTOR_CLOSED);
    CHECK_EQ_U(s.out[0].evse_status, LP_EVSE_C_READY_6V_M12V);
    CHECK_EQ_U(s.out[0].allocation_ma, 32000);
    CHECK_EQ_U(s.out[0].reason, LP_REASON_RATED);

    /* EV 2 joins: 64 A shared, both at 32 A. */
    s.plugged[1] = 1;
    s.ev[1] = 'B';
    run_until(&s, 2000);
    s.ev[1] = 'C';
    run_until(&s, 20000);
    CHECK_EQ_U(s.out[1].contactor, 1);
    CHECK_EQ_U(s.out[1].allocation_ma, 32000);
    CHECK(s.out[0].energy_mwh > 0);
    CHECK(s.outs.next_deadline_ms > s.now_ms && s.outs.next_deadline_ms <= s.now_ms + 10);

    /* EV 1 done (B), then unplugged: contactor open, session ends, lock released. */
    s.ev[0] = 'B';
    run_until(&s, 20100);
    CHECK_EQ_U(s.out[0].contactor, 0); /* PS-1: within 100 ms of C -> B */
    s.ev[0] = 'A';
    s.plugged[0] = 0;
    run_until(&s, 25000);
    CHECK_EQ_U(s.out[0].status, LP_STATUS_INIT_DONE);
    CHECK_EQ_U(s.out[0].lock, 0);
    CHECK_EQ_U(s.out[0].energy_mwh, 0); /* MT-1: reset with the vehicle gone */
    CHECK_EQ_U(s.out[0].last_error, LP_LAST_ERROR_NONE);
    CHECK_EQ_U(s.out[1].contactor, 1);
    CHECK_EQ_U(s.lb_violations, 0);
}

/* AU-1, AU-2, §5.1: badges checked at the station; the session's own badge stops it, another
 * badge is refused with KO_BadgeIsNotTheCurrentUser. AU-2 remote: a decision through `remote`. */
static void test_au2_badge_sessions(void) {
    lp_config cfg;
    lp_point_config pts[2];
    lp_node_config node;
    station s;
    two_points(&cfg, pts, &node, 64000);
    cfg.session.auth_location = LP_AUTH_CHARGING_STATION;
    cfg.session.auth_strategy = LP_AUTH_REJECT_UNKNOWN;
    station_start(&s, &cfg, 64000);

    /* Plugged without a badge: nothing starts. */
    s.plugged[0] = 1;
    s.ev[0] = 'B';
    run_until(&s, 2000);
    CHECK_EQ_U(s.out[0].pilot, LP_PILOT_STEADY_12V);
    CHECK(s.out[0].status != LP_STATUS_CHARGE_LOOP_STARTED);

    /* An unknown badge is refused. */
    s.badge[0] = 77;
    s.badge_kind[0] = LP_BADGE_UNKNOWN;
    run_until(&s, 2100);
    CHECK_EQ_U(s.out[0].last_error, LP_LAST_ERROR_BADGE_UNKNOWN);
    CHECK_EQ_U(s.out[0].pilot, LP_PILOT_STEADY_12V);

    /* A user badge starts the session under its handle. */
    s.badge[0] = 42;
    s.badge_kind[0] = LP_BADGE_USER;
    run_until(&s, 3000);
    CHECK_EQ_U(s.out[0].status, LP_STATUS_CHARGE_LOOP_STARTED);
    CHECK_EQ_U(s.out[0].session_id, 42);
    CHECK_EQ_U(s.out[0].pilot, LP_PILOT_PWM);
    s.ev[0] = 'C';
    run_until(&s, 4000);
    CHECK_EQ_U(s.out[0].contactor, 1);

    /* Somebody else's badge: refused, charging goes on. */
    s.badge[0] = 43;
    s.badge_kind[0] = LP_BADGE_USER;
    run_until(&s, 4100);
    CHECK_EQ_U(s.out[0].last_error, LP_LAST_ERROR_BADGE_IS_NOT_THE_CURRENT_USER);
    CHECK_EQ_U(s.out[0].contactor, 1);

    /* The session's own badge stops it (graceful: PWM off at once). */
    s.badge[0] = 42;
    s.badge_kind[0] = LP_BADGE_USER;
    run_until(&s, 4110);
    CHECK_EQ_U(s.out[0].signal_ma, 0);
    CHECK(s.out[0].pilot != LP_PILOT_PWM);
    s.ev[0] = 'B';
    run_until(&s, 5000);
    CHECK_EQ_U(s.out[0].contactor, 0);
    CHECK_EQ_U(s.lb_violations, 0);

    /* AU-2 remote decision on the second controller use: re-initialise the same memory. */
    cfg.session.auth_location = LP_AUTH_REMOTE;
    station_start(&s, &cfg, 64000);
    s.plugged[1] = 1;
    s.ev[1] = 'B';
    s.badge[1] = 7;
    s.badge_kind[1] = LP_BADGE_USER;
    run_until(&s, 500);
    CHECK_EQ_U(s.out[1].status, LP_STATUS_CHARGE_AUTHORISATION_STARTED);
    CHECK_EQ_U(s.out[1].pilot, LP_PILOT_STEADY_12V);
    s.remote[1] = LP_REMOTE_ACCEPT;
    run_until(&s, 1500);
    CHECK_EQ_U(s.out[1].status, LP_STATUS_CHARGE_LOOP_STARTED);
    CHECK_EQ_U(s.out[1].session_id, 7);
    CHECK_EQ_U(s.out[1].pilot, LP_PILOT_PWM);
}

/* LB-5, LB-6, LB-8, LB-11: the station's set point drops from 40 A to 20 A: two three-phase
 * minimums of 14 A no longer fit, one point is shed (reason shed, flag SHED), the other runs at
 * the set point; when the set point returns the shed point restarts after its minimum pause. */
static void test_lb5_limit_drop_sheds_one_point(void) {
    lp_config cfg;
    lp_point_config pts[2];
    lp_node_config node;
    station s;
    unsigned k, shed = 2, kept = 2;
    two_points(&cfg, pts, &node, 40000);
    cfg.external_control = 1;
    station_start(&s, &cfg, 40000);
    s.node_setpoint_ma = 40000;
    for (k = 0; k < 2; k++) {
        s.plugged[k] = 1;
        s.ev[k] = 'C';
    }
    run_until(&s, 30000);
    CHECK_EQ_U(s.out[0].allocation_ma + s.out[1].allocation_ma, 40000);
    CHECK_EQ_U(s.out[0].reason, LP_REASON_NODE_LIMIT);
    CHECK_EQ_U(s.out[0].reason_node, 0);

    s.node_setpoint_ma = 20000;
    run_until(&s, 30010);
    for (k = 0; k < 2; k++) {
        if (s.out[k].allocation_ma == 0) shed = k;
        else kept = k;
    }
    CHECK(shed < 2 && kept < 2);
    if (shed < 2 && kept < 2) {
        CHECK_EQ_U(s.out[shed].reason, LP_REASON_SHED);
        CHECK_EQ_U(s.out[shed].reason_node, 0);
        CHECK(s.out[shed].flags & LP_FLAG_SHED);
        CHECK_EQ_U(s.out[shed].pilot, LP_PILOT_STEADY_12V);
        CHECK_EQ_U(s.out[kept].allocation_ma, 20000);
        CHECK_EQ_U(s.out[kept].reason, LP_REASON_SET_POINT);
        run_until(&s, 60000);
        CHECK_EQ_U(s.out[shed].contactor, 0); /* opened after the grace time at the latest */
        CHECK_EQ_U(s.out[shed].allocation_ma, 0);

        s.node_setpoint_ma = 40000;
        run_until(&s, 60100);
        CHECK_EQ_U(s.out[shed].reason, LP_REASON_MINIMUM_PAUSE);
        run_until(&s, 100000);
        CHECK(s.out[shed].allocation_ma >= 14000);
        CHECK_EQ_U(s.out[shed].contactor, 1);
    }
    CHECK_EQ_U(s.lb_violations, 0);
}

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

/* Field by field: struct padding holds no defined bytes (STYLE.md, Tests). */
static int same_outputs(const lp_point_output *a, const lp_point_output *b) {
    return a->alloc_ma[0] == b->alloc_ma[0] && a->alloc_ma[1] == b->alloc_ma[1] &&
           a->alloc_ma[2] == b->alloc_ma[2] && a->allocation_ma == b->allocation_ma &&
           a->signal_ma == b->signal_ma && a->energy_mwh == b->energy_mwh &&
           a->session_id == b->session_id && a->flags == b->flags &&
           a->duty_permille == b->duty_permille && a->reason_node == b->reason_node &&
           a->pilot == b->pilot && a->contactor == b->contactor && a->reason == b->reason &&
           a->status == b->status && a->last_error == b->last_error &&
           a->evse_status == b->evse_status && a->cable == b->cable && a->lock == b->lock &&
           a->shutter_open == b->shutter_open;
}

/* SU-3 / issue 5: a refused step changes nothing: a controller that got a bad step in between
 * gives the same outputs as one that did not. */
static void test_su3_refused_step_changes_nothing(void) {
    lp_config cfg;
    lp_point_config pts[2];
    lp_node_config node;
    lp_controller *a = NULL, *b = NULL;
    static union {
        uint64_t words[LP_TEST_ARENA_BYTES / 8];
        long double align_max;
    } second;
    lp_point_inputs pin[2];
    lp_node_inputs nin;
    lp_inputs in;
    lp_point_output oa[2], ob[2];
    lp_outputs outa, outb;
    uint64_t t;
    two_points(&cfg, pts, &node, 64000);
    CHECK_RESULT(lp_controller_init(&lp_test_arena, sizeof lp_test_arena, &cfg, NULL, &a), LP_OK);
    CHECK_RESULT(lp_controller_init(&second, sizeof second, &cfg, NULL, &b), LP_OK);
    memset(pin, 0, sizeof pin);
    memset(&nin, 0, sizeof nin);
    pin[0].vehicle = LP_VEHICLE_C;
    pin[0].authorised = 1;
    in.in1_closed = in.in2_closed = 0;
    in.points = pin;
    in.points_len = 2;
    in.nodes = &nin;
    in.nodes_len = 1;
    outa.points = oa;
    outa.points_len = 2;
    outb.points = ob;
    outb.points_len = 2;
    for (t = 0; t < 3000; t += 10) {
        CHECK_RESULT(lp_step(a, &in, t, &outa), LP_OK);
        if (t == 1500) {
            pin[1].vehicle = 99;
            CHECK_RESULT(lp_step(b, &in, t, &outb), LP_BAD_ENUM);
            pin[1].vehicle = LP_VEHICLE_A;
        }
        CHECK_RESULT(lp_step(b, &in, t, &outb), LP_OK);
        CHECK(same_outputs(&oa[0], &ob[0]) && same_outputs(&oa[1], &ob[1]));
        CHECK_EQ_U(outa.next_deadline_ms, outb.next_deadline_ms);
    }
    CHECK_EQ_U(oa[0].contactor, 1);
}

int main(void) {
    test_abi_result_codes_for_bad_arguments();
    test_ps1_two_point_free_access_session();
    test_au2_badge_sessions();
    test_lb5_limit_drop_sheds_one_point();
    test_su3_refused_step_changes_nothing();
    printf("%u passed, %u failed\n", lp_test_checks - lp_test_failures, lp_test_failures);
    return lp_test_failures == 0 ? 0 : 1;
}
