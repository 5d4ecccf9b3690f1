/*
 * debugoffsets.c - turn a target's _Py_DebugOffsets into a py_layout.
 *
 * One format table per minor says where each offset sits inside
 * _Py_DebugOffsets, which struct-size field bounds it and which py_layout
 * field it fills.  Positions were measured with gdb `ptype /o struct
 * _Py_DebugOffsets` on the chroot's python3.13d, python3.14d and python3.15d
 * (and, for 3.13, the pyenv 3.13.0 libpython, which agrees), and checked by
 * parsing the .PyRuntime section of the release and debug builds
 * (tests/unit/test_debugoffsets.c).
 */
#include <stddef.h>
#include <string.h>

#include "gilspy/debugoffsets.h"
#include "gilspy/pylayout.h"

/* One offset: its position in _Py_DebugOffsets, the position of the size
 * field of the struct it is an offset into, and where it goes. */
struct dbo_field {
	uint16_t at;
	uint16_t bound_at;
	uint16_t dst;		/* offsetof(struct py_layout, an int64_t) */
	uint8_t align;		/* the CPython field's alignment */
};

#define F(at, bound_at, field, align) \
	{ at, bound_at, offsetof(struct py_layout, field), align }

/*
 * The GIL is described relative to the interpreter: gil_runtime_state is
 * the offset of the embedded interp->_gil, and _locked/_holder are offsets
 * of its fields from the interpreter too (not from _gil).  We make them
 * relative to the GIL struct so that the walker can apply them to
 * *(interp + is_ceval_gil), which for a legacy subinterpreter is the main
 * interpreter's GIL.
 */
struct dbo_format {
	int minor;
	unsigned long min_hex;	/* oldest PY_VERSION_HEX with this format */
	size_t len;		/* sizeof(_Py_DebugOffsets) */
	const struct dbo_field *fields;
	size_t nfields;
	uint16_t interp_size, gil_rt, gil_locked, gil_holder;
	int holds_gil_after_status;	/* 3.14: int holds_gil, no offset */
};

/* 3.13 Include/internal/pycore_runtime.h: 584 bytes.  Blocks:
 * runtime_state @24, interpreter_state @48, thread_state @152,
 * interpreter_frame @224, code_object @272, pyobject @352,
 * type_object @368, bytes_object @512, unicode_object @536. */
static const struct dbo_field fields_313[] = {
	F(40, 24, rt_interp_head, 8),
	F(56, 48, is_id, 8),
	F(64, 48, is_next, 8),
	F(72, 48, is_tstate_head, 8),		/* threads_head */
	F(112, 48, is_ceval_gil, 8),
	F(168, 152, ts_next, 8),
	F(176, 152, ts_interp, 8),
	F(184, 152, ts_frame, 8),		/* current_frame */
	F(192, 152, ts_thread_id, 8),
	F(200, 152, ts_native_thread_id, 8),
	F(216, 152, ts_status, 4),
	F(232, 224, fr_back, 8),		/* previous */
	F(240, 224, fr_code, 8),		/* executable */
	F(248, 224, fr_lasti, 8),		/* instr_ptr */
	F(264, 224, fr_owner, 1),
	F(280, 272, co_filename, 8),
	F(288, 272, co_name, 8),
	F(296, 272, co_qualname, 8),
	F(304, 272, co_linetable, 8),
	F(312, 272, co_firstlineno, 4),
	F(344, 272, co_code_adaptive, 2),
	F(360, 352, ob_type, 8),
	F(376, 368, tp_name, 8),
	F(520, 512, bytes_size, 8),		/* ob_size */
	F(528, 512, bytes_sval, 1),
	F(544, 536, unicode_state, 4),
	F(552, 536, unicode_length, 8),
	F(560, 536, unicode_ascii_size, 8),	/* asciiobject_size */
	/* thread names (names.c) */
	F(88, 48, is_modules, 8),		/* imports_modules */
	F(392, 368, tp_flags, 8),
	F(456, 448, dict_keys, 8),		/* ma_keys */
	F(464, 448, dict_values, 8),		/* ma_values */
	F(496, 488, long_size, 8),		/* lv_tag */
	F(504, 488, long_digits, 4),		/* ob_digit */
};

/* 3.14 Include/internal/pycore_debug_offsets.h: 760 bytes.  Blocks:
 * runtime_state @24, interpreter_state @48 (adds threads_main),
 * thread_state @176, interpreter_frame @248, code_object @312,
 * pyobject @400, type_object @416, bytes_object @592,
 * unicode_object @616. */
static const struct dbo_field fields_314[] = {
	F(40, 24, rt_interp_head, 8),
	F(56, 48, is_id, 8),
	F(64, 48, is_next, 8),
	F(72, 48, is_tstate_head, 8),
	F(120, 48, is_ceval_gil, 8),
	F(192, 176, ts_next, 8),
	F(200, 176, ts_interp, 8),
	F(208, 176, ts_frame, 8),
	F(216, 176, ts_thread_id, 8),
	F(224, 176, ts_native_thread_id, 8),
	F(240, 176, ts_status, 4),
	F(256, 248, fr_back, 8),
	F(264, 248, fr_code, 8),
	F(272, 248, fr_lasti, 8),
	F(288, 248, fr_owner, 1),
	F(320, 312, co_filename, 8),
	F(328, 312, co_name, 8),
	F(336, 312, co_qualname, 8),
	F(344, 312, co_linetable, 8),
	F(352, 312, co_firstlineno, 4),
	F(384, 312, co_code_adaptive, 2),
	F(408, 400, ob_type, 8),
	F(424, 416, tp_name, 8),
	F(600, 592, bytes_size, 8),
	F(608, 592, bytes_sval, 1),
	F(624, 616, unicode_state, 4),
	F(632, 616, unicode_length, 8),
	F(640, 616, unicode_ascii_size, 8),
	/* thread names (names.c) */
	F(96, 48, is_modules, 8),		/* imports_modules */
	F(440, 416, tp_flags, 8),
	F(536, 528, dict_keys, 8),		/* ma_keys */
	F(544, 528, dict_values, 8),		/* ma_values */
	F(576, 568, long_size, 8),		/* lv_tag */
	F(584, 568, long_digits, 4),		/* ob_digit */
};

/* 3.15 Include/internal/pycore_debug_offsets.h as shipped (3.15.0b4 and
 * later, 888 bytes).  thread_state @176 gained base_frame,
 * last_profiled_frame, last_profiled_frame_seq (b4), holds_gil,
 * gil_requested...; err_stackitem @304; interpreter_frame @312,
 * code_object @376, pyobject @464, type_object @480, bytes_object @688,
 * unicode_object @712 (adds compactunicodeobject_size). */
static const struct dbo_field fields_315[] = {
	F(40, 24, rt_interp_head, 8),
	F(56, 48, is_id, 8),
	F(64, 48, is_next, 8),
	F(72, 48, is_tstate_head, 8),
	F(120, 48, is_ceval_gil, 8),
	F(192, 176, ts_next, 8),
	F(200, 176, ts_interp, 8),
	F(208, 176, ts_frame, 8),
	F(216, 176, ts_base_frame, 8),
	F(240, 176, ts_thread_id, 8),
	F(248, 176, ts_native_thread_id, 8),
	F(264, 176, ts_status, 4),
	F(272, 176, ts_holds_gil, 4),
	F(280, 176, ts_gil_requested, 4),
	F(320, 312, fr_back, 8),
	F(328, 312, fr_code, 8),
	F(336, 312, fr_lasti, 8),
	F(352, 312, fr_owner, 1),
	F(384, 376, co_filename, 8),
	F(392, 376, co_name, 8),
	F(400, 376, co_qualname, 8),
	F(408, 376, co_linetable, 8),
	F(416, 376, co_firstlineno, 4),
	F(448, 376, co_code_adaptive, 2),
	F(472, 464, ob_type, 8),
	F(488, 480, tp_name, 8),
	F(696, 688, bytes_size, 8),
	F(704, 688, bytes_sval, 1),
	F(720, 712, unicode_state, 4),
	F(728, 712, unicode_length, 8),
	F(736, 712, unicode_ascii_size, 8),
	F(744, 712, unicode_compact_size, 8),
	/* thread names (names.c) */
	F(96, 48, is_modules, 8),		/* imports_modules */
	F(504, 480, tp_flags, 8),
	F(512, 480, tp_basicsize, 8),
	F(520, 480, tp_dictoffset, 8),
	F(536, 528, ht_cached_keys, 8),	/* heap_type_object */
	F(632, 624, dict_keys, 8),		/* ma_keys */
	F(640, 624, dict_values, 8),		/* ma_values */
	F(672, 664, long_size, 8),		/* lv_tag */
	F(680, 664, long_digits, 4),		/* ob_digit */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Which releases each format covers.  3.13 and 3.14 are accepted from rc1,
 * when the ABI freezes; their earlier pre-releases are unverified.  3.15's
 * table changed in b4 (thread_state.last_profiled_frame_seq was inserted,
 * moving every later offset by 8; b1-b3 had 880 bytes), and nothing in the
 * table itself tells the variants apart: the size fields are those of the
 * CPython structs, not of the blocks.  So the variant is chosen by the
 * version field, and 3.15 before b4 (0x030f00b4) is refused rather than
 * guessed.
 */
static const struct dbo_format formats[] = {
	{ 13, 0x030d00c1, 584, fields_313, N(fields_313),
	  48, 120, 136, 144, 0 },
	{ 14, 0x030e00c1, 760, fields_314, N(fields_314),
	  48, 128, 144, 152, 1 },
	{ 15, 0x030f00b4, 888, fields_315, N(fields_315),
	  48, 128, 144, 152, 0 },
};

/* The GIL struct is ~216 bytes; its fields cannot be further than this. */
#define GIL_MAX_REL 512

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The offset at buf+at, checked against the struct size at buf+bound_at
 * and the alignment; -1 if it fails. */
static int64_t rd_off(const uint8_t *buf, unsigned at, unsigned bound_at,
		      unsigned align)
{
	uint64_t v = rd64(buf + at), size = rd64(buf + bound_at);

	if (size == 0 || size > PYDEBUG_MAX_OFF || v >= size)
		return -1;
	if (align > 1 && v % align)
		return -1;
	return (int64_t)v;
}

/* Bytes to read from a struct to cover every listed field (8 bytes
 * each, which is the widest we read), rounded up to 8. */
static int64_t span(const int64_t *offs, size_t n)
{
	int64_t max = -1;
	size_t i;

	for (i = 0; i < n; i++)
		if (offs[i] > max)
			max = offs[i];
	return max < 0 ? 0 : (max + 8 + 7) & ~(int64_t)7;
}

static void set_sizes(struct py_layout *l)
{
	const int64_t ts[] = { l->ts_next, l->ts_interp, l->ts_frame,
		l->ts_thread_id, l->ts_native_thread_id, l->ts_status,
		l->ts_holds_gil, l->ts_gil_requested, l->ts_base_frame };
	const int64_t fr[] = { l->fr_back, l->fr_code, l->fr_lasti,
		l->fr_owner, l->fr_is_entry };
	const int64_t co[] = { l->co_filename, l->co_name, l->co_qualname,
		l->co_firstlineno, l->co_linetable, l->co_code_adaptive };

	l->ts_size = span(ts, N(ts));
	l->fr_size = span(fr, N(fr));
	l->co_size = span(co, N(co));
}

/* Fill the GIL offsets; -1 if the table's GIL description is absurd. */
static int set_gil(const uint8_t *buf, const struct dbo_format *fmt,
		   const struct py_layout *tmpl, struct py_layout *l)
{
	int64_t rt, locked, holder, shift;

	rt = rd_off(buf, fmt->gil_rt, fmt->interp_size, 8);
	locked = rd_off(buf, fmt->gil_locked, fmt->interp_size, 4);
	holder = rd_off(buf, fmt->gil_holder, fmt->interp_size, 8);
	if (rt < 0 || locked < rt || holder < rt ||
	    locked - rt >= GIL_MAX_REL || holder - rt >= GIL_MAX_REL)
		return -1;
	l->gil_locked = locked - rt;
	l->gil_last_holder = holder - rt;

	/*
	 * The other GIL fields have no debug offset.  A free-threaded build
	 * puts `int enabled` first and moves everything by 8; follow
	 * locked/holder when both moved alike, else admit we do not know.
	 */
	shift = l->gil_locked - tmpl->gil_locked;
	if (l->gil_last_holder - tmpl->gil_last_holder == shift &&
	    tmpl->gil_interval + shift >= 0) {
		l->gil_interval = tmpl->gil_interval + shift;
		l->gil_switch_number = tmpl->gil_switch_number + shift;
		l->gil_cond = tmpl->gil_cond + shift;
		l->gil_mutex = tmpl->gil_mutex + shift;
		l->gil_switch_cond = tmpl->gil_switch_cond + shift;
		l->gil_end = tmpl->gil_end + shift;
	} else {
		l->gil_interval = OFF_NONE;
		l->gil_switch_number = OFF_NONE;
		l->gil_cond = OFF_NONE;
		l->gil_mutex = OFF_NONE;
		l->gil_switch_cond = OFF_NONE;
		l->gil_end = OFF_NONE;
	}
	return 0;
}

int pydebug_parse(const uint8_t *buf, size_t len, struct py_layout *out,
		  unsigned long *hexversion, int *free_threaded)
{
	const struct dbo_format *fmt = NULL;
	const struct py_layout *tmpl;
	struct py_layout l;
	uint64_t version, ft;
	int64_t v;
	size_t i;

	if (!buf || !out || len < 24 ||
	    memcmp(buf, PYDEBUG_COOKIE, PYDEBUG_COOKIE_LEN))
		return -1;
	version = rd64(buf + 8);
	ft = rd64(buf + 16);
	if (version >> 24 != 3 || ft > 1)
		return -1;
	for (i = 0; i < N(formats); i++)
		if (formats[i].minor == (int)(version >> 16 & 0xff))
			fmt = &formats[i];
	if (!fmt || version < fmt->min_hex || len < fmt->len)
		return -1;
	tmpl = py_layout_for(3, fmt->minor);
	if (!tmpl)
		return -1;

	l = *tmpl;
	for (i = 0; i < fmt->nfields; i++) {
		const struct dbo_field *f = &fmt->fields[i];

		v = rd_off(buf, f->at, f->bound_at, f->align);
		if (v < 0)
			return -1;
		memcpy((char *)&l + f->dst, &v, sizeof(v));
	}
	if (set_gil(buf, fmt, tmpl, &l))
		return -1;

	/* 3.14 Include/cpython/pystate.h: `int holds_gil` follows the
	 * 4-byte _status bitfield but has no debug offset. */
	if (fmt->holds_gil_after_status)
		l.ts_holds_gil = l.ts_status + 4;
	/* 3.13/3.14: PyCompactUnicodeObject is PyASCIIObject plus
	 * utf8_length and utf8 (Include/cpython/unicodeobject.h), so it
	 * grows with the PyObject header of free-threaded builds. */
	if (fmt->minor < 15)
		l.unicode_compact_size = l.unicode_ascii_size +
			(tmpl->unicode_compact_size - tmpl->unicode_ascii_size);
	set_sizes(&l);

	*out = l;
	if (hexversion)
		*hexversion = (unsigned long)version;
	if (free_threaded)
		*free_threaded = (int)ft;
	return 0;
}
