/*
 * A firmware-style main loop around loadpilot (issue 5): the shape a vendor's control task
 * takes, with the hardware simulated so that it runs on a PC.
 *
 *   - memory: one static arena, sized at compile time and checked against
 *     lp_controller_size() at start-up (no malloc anywhere);
 *   - configuration: lp_config_default() + the station's own values, validated by
 *     lp_controller_init(), which names the wrong field when it refuses;
 *   - loop: every sample period (10 ms) read the ADCs into lp_point_inputs, call lp_step(),
 *     and drive PWM, contactor, lock and LEDs from lp_point_output. A real firmware sleeps
 *     until min(next sample, outputs.next_deadline_ms) and wakes early on an input change.
 *
 * The simulated station: two Type 2 points of 32 A under a 40 A station; EV 1 plugs in at 1 s
 * and charges, EV 2 at 20 s (the two share 40 A), EV 1 leaves at 90 s (EV 2 rises to 32 A).
 * Every change of a point's outputs is printed. Exit code 0 when the run went as expected.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "loadpilot.h"

#define POINTS 2u
#define NODES 1u
#define SAMPLE_PERIOD_MS 10u
#define RUN_MS 120000u

/* ---- Controller memory: static, aligned to 16 bytes (lp_controller_align() is checked). ---- */
#define LP_MEM_BYTES 16384u
static union {
    uint8_t bytes[LP_MEM_BYTES];
    uint64_t align8;
    long double align16;
} lp_mem;

/* ---- Simulated hardware (a real board reads ADCs and drives GPIO/timers here). ---- */
typedef struct {
    int plugged;      /* cable in the socket: PP reads 220 ohm (32 A cable), else open */
    char state;       /* EV pilot state 'A', 'B', 'C' */
    uint32_t draw_ma; /* what the EV draws per phase while the contactor is closed */
} sim_ev;

typedef struct {
    uint16_t pwm_duty_permille; /* 0: PWM off */
    int pilot_minus12v;         /* State F */
    int contactor;
    int lock;
    const char *led;
} sim_outputs;

static sim_ev ev[POINTS];
static sim_outputs hw[POINTS];
static uint64_t clock_ms;

static uint64_t hal_millis(void) { return clock_ms; }

/* CP high level in mV as the ADC sees it (IEC 61851-1 Table A.4 nominal values). */
static int32_t hal_cp_high_mv(unsigned k) {
    if (hw[k].pilot_minus12v) return -12000;
    switch (ev[k].state) {
    case 'B': return 9000;
    case 'C': return 6000;
    default: return 12000;
    }
}

static int32_t hal_cp_low_mv(unsigned k) { return hw[k].pwm_duty_permille ? -12000 : 0; }
static uint32_t hal_pp_ohm(unsigned k) { return ev[k].plugged ? 220u : 100000u; }
static uint32_t hal_ct_ma(unsigned k) { return hw[k].contactor ? ev[k].draw_ma : 0u; }

static void hal_pwm(unsigned k, uint8_t pilot, uint16_t duty_permille) {
    hw[k].pwm_duty_permille = pilot == LP_PILOT_PWM ? duty_permille : 0;
    hw[k].pilot_minus12v = pilot == LP_PILOT_STATE_F;
}
static void hal_contactor(unsigned k, uint8_t closed) { hw[k].contactor = closed; }
static void hal_lock(unsigned k, uint8_t locked) { hw[k].lock = locked; }
static void hal_led(unsigned k, const char *colour) { hw[k].led = colour; }

/* The EVs' script and behaviour: plug, go to C, draw what the duty allows (minus a little). */
static void simulate_evs(uint64_t t, const lp_point_output *out) {
    static const uint64_t plug_at[POINTS] = {1000, 20000};
    static const uint64_t leave_at[POINTS] = {90000, 200000};
    unsigned k;
    for (k = 0; k < POINTS; k++) {
        ev[k].plugged = t >= plug_at[k] && t < leave_at[k] + 500;
        if (!ev[k].plugged) ev[k].state = 'A';
        else if (t >= leave_at[k]) ev[k].state = 'B';
        else if (t >= plug_at[k] + 1500) ev[k].state = 'C';
        else ev[k].state = 'B';
        ev[k].draw_ma = out[k].signal_ma > 200 ? out[k].signal_ma - 200 : 0;
    }
}

/* LED colour from the outputs: what a station shows its user. */
static const char *led_for(const lp_point_output *o) {
    if (o->flags & (LP_FLAG_FAULT | LP_FLAG_CABLE_FAULT | LP_FLAG_WELDED | LP_FLAG_DIODE_FAULT))
        return "red";
    if (o->contactor) return "blue (charging)";
    if (o->pilot == LP_PILOT_PWM) return "blue blinking (offer)";
    if (o->flags & LP_FLAG_SHED) return "orange (waiting for current)";
    if (o->status == LP_STATUS_INIT_DONE) return "green (free)";
    return "white";
}

static int configure(lp_controller **ctl) {
    static lp_point_config points[POINTS];
    static lp_node_config node;
    lp_config cfg;
    lp_config_error err;
    size_t need = 0;
    unsigned k;
    lp_result r;

    if (lp_abi_version() != LP_ABI_VERSION) {
        fprintf(stderr, "header and library differ: ABI %u vs %u\n", (unsigned)LP_ABI_VERSION,
                (unsigned)lp_abi_version());
        return -1;
    }
    if (lp_config_default(LP_FAMILY_CITY, &cfg) != LP_OK) return -1;
    cfg.timers.sample_period_ms = SAMPLE_PERIOD_MS;
    for (k = 0; k < POINTS; k++) {
        if (lp_point_config_default(0, 32000, &points[k]) != LP_OK) return -1;
    }
    if (lp_node_config_default(LP_NODE_STATION, 40000, &node) != LP_OK) return -1;
    cfg.points = points;
    cfg.points_len = POINTS;
    cfg.nodes = &node;
    cfg.nodes_len = NODES;

    if (lp_controller_size(POINTS, NODES, &need) != LP_OK || need > sizeof lp_mem ||
        lp_controller_align() > 16) {
        fprintf(stderr, "controller needs %zu bytes aligned to %zu; arena has %zu\n", need,
                lp_controller_align(), sizeof lp_mem);
        return -1;
    }
    r = lp_controller_init(&lp_mem, sizeof lp_mem, &cfg, &err, ctl);
    if (r != LP_OK) {
        fprintf(stderr, "lp_controller_init: %s\n", lp_result_text(r));
        if (r == LP_CONFIG_INVALID)
            fprintf(stderr, "  field %s (index %" PRIu32 "): %s, value %" PRIu64 "\n",
                    lp_config_field_name(err.field), err.index, lp_config_reason_text(err.reason),
                    err.value);
        return -1;
    }
    printf("loadpilot %s: controller of %zu bytes for %u points\n", lp_version(), need, POINTS);
    return 0;
}

int main(void) {
    lp_controller *ctl = NULL;
    lp_point_inputs in_points[POINTS];
    lp_node_inputs in_node;
    lp_point_output out_points[POINTS], shown[POINTS];
    lp_inputs in;
    lp_outputs out;
    unsigned k, charged = 0;
    uint64_t max_mwh = 0;

    if (configure(&ctl) != 0) return 1;
    memset(out_points, 0, sizeof out_points);
    memset(shown, 0xFF, sizeof shown);

    for (clock_ms = 0; clock_ms <= RUN_MS; clock_ms += SAMPLE_PERIOD_MS) {
        uint64_t now = hal_millis();
        lp_result r;
        simulate_evs(now, out_points);

        /* 1. Inputs: what the ADCs and the badge reader say this tick. */
        memset(in_points, 0, sizeof in_points); /* all zero: nothing present, state A */
        for (k = 0; k < POINTS; k++) {
            lp_point_inputs *p = &in_points[k];
            p->has_cp = 1; /* core classifies and debounces the pilot (PS-1, PS-2) */
            p->cp_high_mv = hal_cp_high_mv(k);
            p->cp_low_mv = hal_cp_low_mv(k);
            p->has_pp = 1;
            p->pp_ohm = hal_pp_ohm(k);
            p->has_measured = 1;
            p->measured_ma[0] = p->measured_ma[1] = p->measured_ma[2] = hal_ct_ma(k);
            p->has_contactor_feedback = 1;
            p->contactor_feedback = (uint8_t)hw[k].contactor;
            p->has_lock_feedback = 1;
            p->lock_closed = (uint8_t)hw[k].lock;
            p->authorised = 1; /* free access: the session layer decides */
        }
        memset(&in_node, 0, sizeof in_node);
        in.in1_closed = 0;
        in.in2_closed = 0;
        in.points = in_points;
        in.points_len = POINTS;
        in.nodes = &in_node;
        in.nodes_len = NODES;
        out.points = out_points;
        out.points_len = POINTS;

        /* 2. The step. */
        r = lp_step(ctl, &in, now, &out);
        if (r != LP_OK) {
            fprintf(stderr, "lp_step: %s\n", lp_result_text(r));
            return 1;
        }

        /* 3. Outputs to the hardware: PWM first when opening (the EV stops drawing), the
         *    contactor follows the command as given (core sequences it, PS-4). */
        for (k = 0; k < POINTS; k++) {
            const lp_point_output *o = &out_points[k];
            hal_pwm(k, o->pilot, o->duty_permille);
            hal_contactor(k, o->contactor);
            hal_lock(k, o->lock);
            hal_led(k, led_for(o));
            if (o->contactor) charged |= 1u << k;
            if (o->energy_mwh > max_mwh) max_mwh = o->energy_mwh;
            if (o->pilot != shown[k].pilot || o->duty_permille != shown[k].duty_permille ||
                o->contactor != shown[k].contactor || o->reason != shown[k].reason ||
                o->status != shown[k].status) {
                printf("%4" PRIu64 ".%03" PRIu64 " s  point %u: pilot %s duty %3u.%u %%"
                       " (%2" PRIu32 ".%" PRIu32 " A)  contactor %-6s lock %-8s reason %2u"
                       " status %2u  LED %s\n",
                       now / 1000, now % 1000, k + 1,
                       o->pilot == LP_PILOT_PWM ? "PWM " : o->pilot == LP_PILOT_STATE_F ? "-12V" : "+12V",
                       (unsigned)(o->duty_permille / 10), (unsigned)(o->duty_permille % 10),
                       o->signal_ma / 1000, (o->signal_ma % 1000) / 100,
                       o->contactor ? "closed" : "open", o->lock ? "locked" : "unlocked",
                       (unsigned)o->reason, (unsigned)o->status, hw[k].led);
                shown[k] = *o;
            }
        }
        /* 4. A real firmware sleeps here until the next sample period (contactor closed) or
         *    out.next_deadline_ms, whichever comes first, or an input interrupt. */
    }

    printf("station errors 0x%08" PRIx32 ", largest session energy %" PRIu64 " mWh\n",
           out.station_errors, max_mwh);
    /* Both EVs charged, point 2 ended at its full 32 A once point 1 had left. */
    if (charged != 3u || out_points[1].allocation_ma != 32000 || out.station_errors != 0) {
        fprintf(stderr, "unexpected run: charged mask %u, point 2 at %" PRIu32 " mA\n", charged,
                out_points[1].allocation_ma);
        return 1;
    }
    return 0;
}
