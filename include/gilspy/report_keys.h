/*
 * report_keys.h - the names of the JSON report's fields that gilspy also
 * reads back (--baseline): one spelling for the writer (output/json.c)
 * and the reader (output/baseline.c), so that they cannot drift apart.
 *
 * A name here is part of the report's schema (man/gilspy-record.1, JSON
 * REPORT; OUTPUT_JSON_VERSION): renaming one is a schema change.  Per-state
 * objects are keyed by gil_state_name().
 */
#ifndef GILSPY_REPORT_KEYS_H
#define GILSPY_REPORT_KEYS_H

/* top level */
#define RK_VERSION		"version"
#define RK_GENERATOR		"generator"
#define RK_TARGET		"target"
#define RK_SUMMARY		"summary"
#define RK_THREADS		"threads"
#define RK_TOP			"top"
#define RK_FUNCTIONS		"functions"

/* target */
#define RK_PYTHON		"python"
#define RK_COMMAND		"command"

/* summary */
#define RK_DURATION_S		"duration_s"
#define RK_SAMPLES		"samples"
#define RK_ERRORS_PCT		"errors_pct"
#define RK_GIL			"gil"
#define RK_UTILISATION_PCT	"utilisation_pct"
#define RK_CONTENTION_PCT	"contention_pct"
#define RK_MEAN_WAITERS		"mean_waiters"
#define RK_SWITCHES_PER_S	"switches_per_s"
#define RK_NO_GIL_SPEEDUP	"no_gil_speedup"	/* the what-if speedup */

/* threads[], top.STATE[], functions[] entries (RK_SAMPLES too) */
#define RK_NAME			"name"
#define RK_TID			"tid"
#define RK_FILE			"file"
#define RK_STATES		"states"	/* thread: samples per state */
#define RK_PCT			"pct"		/* thread: per state; top: one */
#define RK_SELF			"self"		/* function: per state */

#endif
