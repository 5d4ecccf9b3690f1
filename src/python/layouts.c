/*
 * layouts.c - the registry of per-minor layout tables (pylayout.h).
 *
 * Adding a CPython minor means one layout_3NN.c file and one line here.
 */
#include <stddef.h>

#include "gilspy/pylayout.h"

/* Defined in layout_3NN.c; only this file and py_layout_for() name them. */
extern const struct py_layout py_layout_36, py_layout_37, py_layout_38,
	py_layout_39, py_layout_310, py_layout_311, py_layout_312,
	py_layout_313, py_layout_314, py_layout_315;

const struct py_layout *const py_layouts[] = {
	&py_layout_36,
	&py_layout_37,
	&py_layout_38,
	&py_layout_39,
	&py_layout_310,
	&py_layout_311,
	&py_layout_312,
	&py_layout_313,		/* 3.13+: templates for debugoffsets.c */
	&py_layout_314,
	&py_layout_315,
	NULL,
};

const struct py_layout *py_layout_for(int major, int minor)
{
	const struct py_layout *const *l;

	for (l = py_layouts; *l; l++)
		if ((*l)->major == major && (*l)->minor == minor)
			return *l;
	return NULL;
}
