/*
 * The C half of the C-vs-Rust comparison (issue 5): the scripted two-point station of
 * rust_trace.rs, driven through the C ABI, printing the same trace (one line per change of a
 * point's outputs, one per change of the station errors, and an FNV-1a hash over every field of
 * every step). scripts/test diffs the two outputs, so every field is compared as this compiler
 * lays out the header's structs.
 *
 * Keep in step with rust_trace.rs: same script, same SplitMix64 draws in the same order.
 */
#include "lp_test.h"

#define POINTS 2u
#define END_MS 180000u
#define STEP_MS 10u

/* The scripted world: pilot high level (mV) and PP resistance (0: not measured). */
static void world(unsigned point, uint64_t t, int32_t *high_mv, uint32_t *pp_ohm) {
    uint64_t plug = point == 0 ? 1000 : 5000;
    uint64_t c = point == 0 ? 2000 : 6000;
    uint64_t b = point == 0 ? 150000 : 165000;
    uint64_t unplug = point == 0 ? 151000 : 170000;
    if (t < plug || t >= unplug) {
        *high_mv = 12000;
        *pp_ohm = 0;
    } else if (t >= c && t < b) {
        *high_mv = 6000;
        *pp_ohm = 220;
    } else {
        *high_mv = 9000;
        *pp_ohm = 220;
    }
}

/* EX-1: 40 A, 20 A from 60 s (one of two 14 A minimums is shed), 40 A from 120 s. */
static uint32_t node_setpoint_ma(uint64_t t) { return (t >= 60000 && t < 120000) ? 20000 : 40000; }

static void hash_point(fnv1a *h, const lp_point_output *o) {
    int i;
    for (i = 0; i < 3; i++) fnv1a_u64(h, o->alloc_ma[i]);
    fnv1a_u64(h, o->allocation_ma);
    fnv1a_u64(h, o->signal_ma);
    fnv1a_u64(h, o->duty_permille);
    fnv1a_u64(h, o->pilot);
    fnv1a_u64(h, o->contactor);
    fnv1a_u64(h, o->reason);
    fnv1a_u64(h, o->reason_node);
    fnv1a_u64(h, o->flags);
    fnv1a_u64(h, o->energy_mwh);
    fnv1a_u64(h, o->status);
    fnv1a_u64(h, o->last_error);
    fnv1a_u64(h, o->evse_status);
    fnv1a_u64(h, o->cable);
    fnv1a_u64(h, o->lock);
    fnv1a_u64(h, o->shutter_open);
    fnv1a_u64(h, o->session_id);
}

/* Field by field, energy left out (it changes every step while charging). */
static int same_but_energy(const lp_point_output *a, const lp_point_output *b) {
    return a->alloc_ma[0] == b->alloc_ma[0] && a->alloc_ma[1] == b->alloc_ma[1] &&
           a->alloc_ma[2] == b->alloc_ma[2] && a->allocation_ma == b->allocation_ma &&
           a->signal_ma == b->signal_ma && a->duty_permille == b->duty_permille &&
           a->pilot == b->pilot && a->contactor == b->contactor && a->reason == b->reason &&
           a->reason_node == b->reason_node && a->flags == b->flags && a->status == b->status &&
           a->last_error == b->last_error && a->evse_status == b->evse_status &&
           a->cable == b->cable && a->lock == b->lock && a->shutter_open == b->shutter_open &&
           a->session_id == b->session_id;
}

static void print_point(uint64_t t, unsigned k, const lp_point_output *o) {
    printf("t=%" PRIu64 " p=%u alloc=%" PRIu32 ",%" PRIu32 ",%" PRIu32 " allocation=%" PRIu32
           " signal=%" PRIu32 " duty=%u pilot=%u contactor=%u reason=%u node=%u flags=%08" PRIx32
           " energy=%" PRIu64 " status=%u last_error=%u evse=%u cable=%u lock=%u shutter=%u"
           " session=%" PRIu32 "\n",
           t, k, o->alloc_ma[0], o->alloc_ma[1], o->alloc_ma[2], o->allocation_ma, o->signal_ma,
           (unsigned)o->duty_permille, (unsigned)o->pilot, (unsigned)o->contactor,
           (unsigned)o->reason, (unsigned)o->reason_node, o->flags, o->energy_mwh,
           (unsigned)o->status, (unsigned)o->last_error, (unsigned)o->evse_status,
           (unsigned)o->cable, (unsigned)o->lock, (unsigned)o->shutter_open, o->session_id);
}

int main(void) {
    lp_config cfg;
    lp_point_config points[POINTS];
    lp_node_config node;
    lp_config_error err;
    lp_controller *ctl = NULL;
    lp_point_inputs pin[POINTS];
    lp_node_inputs nin;
    lp_inputs in;
    lp_point_output out[POINTS], prev[POINTS], printed[POINTS];
    lp_outputs outs;
    int have_printed[POINTS] = {0, 0};
    int have_station = 0;
    uint32_t printed_errors = 0;
    splitmix64 rng = {UINT64_C(0x5EED0005)};
    fnv1a hash = {UINT64_C(0xCBF29CE484222325)};
    size_t size = 0;
    uint64_t t;
    unsigned k;

    if (lp_config_default(LP_FAMILY_CITY, &cfg) != LP_OK) return 2;
    cfg.timers.stagger_ms = 0;
    cfg.external_control = 1;
    for (k = 0; k < POINTS; k++) {
        if (lp_point_config_default(0, 32000, &points[k]) != LP_OK) return 2;
    }
    if (lp_node_config_default(LP_NODE_STATION, 40000, &node) != LP_OK) return 2;
    cfg.points = points;
    cfg.points_len = POINTS;
    cfg.nodes = &node;
    cfg.nodes_len = 1;
    if (lp_controller_size(POINTS, 1, &size) != LP_OK || size > sizeof lp_test_arena) return 2;
    if (lp_controller_init(&lp_test_arena, sizeof lp_test_arena, &cfg, &err, &ctl) != LP_OK) {
        fprintf(stderr, "init refused: %s (%u): %s\n", lp_config_field_name(err.field),
                (unsigned)err.index, lp_config_reason_text(err.reason));
        return 2;
    }

    memset(prev, 0, sizeof prev);
    for (t = 0; t <= END_MS; t += STEP_MS) {
        for (k = 0; k < POINTS; k++) {
            int32_t high_mv;
            uint32_t pp_ohm, draw = 0;
            int32_t noise = (int32_t)splitmix64_below(&rng, 200) - 100;
            world(k, t, &high_mv, &pp_ohm);
            if (prev[k].contactor) {
                uint32_t want = prev[k].signal_ma < 32000 ? prev[k].signal_ma : 32000;
                uint32_t less = (uint32_t)splitmix64_below(&rng, 300);
                draw = want > less ? want - less : 0;
            }
            memset(&pin[k], 0, sizeof pin[k]);
            pin[k].has_cp = 1;
            pin[k].cp_high_mv = high_mv + noise;
            pin[k].cp_low_mv = -12000;
            pin[k].has_pp = pp_ohm != 0;
            pin[k].pp_ohm = pp_ohm;
            pin[k].authorised = 1;
            pin[k].has_measured = 1;
            pin[k].measured_ma[0] = pin[k].measured_ma[1] = pin[k].measured_ma[2] = draw;
        }
        memset(&nin, 0, sizeof nin);
        nin.has_setpoint = 1;
        nin.setpoint_ma = node_setpoint_ma(t);
        nin.setpoint_received_ms = t - t % 10000;
        in.in1_closed = 0;
        in.in2_closed = 0;
        in.points = pin;
        in.points_len = POINTS;
        in.nodes = &nin;
        in.nodes_len = 1;
        outs.points = out;
        outs.points_len = POINTS;
        if (lp_step(ctl, &in, t, &outs) != LP_OK) return 3;
        for (k = 0; k < POINTS; k++) {
            hash_point(&hash, &out[k]);
            if (!have_printed[k] || !same_but_energy(&printed[k], &out[k])) {
                print_point(t, k, &out[k]);
                printed[k] = out[k];
                have_printed[k] = 1;
            }
        }
        fnv1a_u64(&hash, outs.station_errors);
        fnv1a_u64(&hash, outs.next_deadline_ms);
        if (!have_station || printed_errors != outs.station_errors) {
            printf("t=%" PRIu64 " station errors=%08" PRIx32 "\n", t, outs.station_errors);
            printed_errors = outs.station_errors;
            have_station = 1;
        }
        memcpy(prev, out, sizeof prev);
    }
    printf("hash=%016" PRIx64 "\n", hash.h);
    return 0;
}
