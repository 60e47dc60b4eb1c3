/*
 * C tests of the loadpilot C ABI (issue 5), built with gcc -std=c11 -Wall -Wextra -Werror
 * -Wpedantic, and again with -fsanitize=address,undefined (scripts/test). A firmware-style
 * harness drives the library through the header alone: a full two-point session from measured
 * pilot millivolts and PP ohms (free access, then badges and a remote decision), a limit drop
 * with shedding, and a refused step that changes nothing. Each test names the SPEC rule it
 * exercises. Every result code for bad arguments, the ABI contract of issue 5, is checked by
 * test_abi_args.c.
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
    test_ps1_two_point_free_access_session();
    test_au2_badge_sessions();
    test_lb5_limit_drop_sheds_one_point();
    test_su3_refused_step_changes_nothing();
    printf("%u passed, %u failed\n", lp_test_checks - lp_test_failures, lp_test_failures);
    return lp_test_failures == 0 ? 0 : 1;
}
