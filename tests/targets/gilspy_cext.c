/*
 * gilspy_cext.c - a C extension for the native-stack tests, built by
 * t0800-native.sh against each interpreter's own headers.  Two functions
 * spin in C for a given time: one holding the GIL, one with it released.
 * They are exported (not static) and never inlined, so their names are in
 * .dynsym and they are the innermost frames while they spin.
 *
 * Built with -DGILSPY_CEXT_NAME=gilspy_cext_nu, and its unwind tables
 * removed afterwards, it is the library without unwind information whose
 * stacks must end in [truncated].
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) double gilspy_spin_for(double secs)
{
	volatile double x = 0;
	double end = now() + secs;

	while (now() < end)
		for (int i = 0; i < 1000; i++)
			x += i;
	return x;
}

__attribute__((noinline)) PyObject *gilspy_spin_held(PyObject *self,
						      PyObject *arg)
{
	double secs = PyFloat_AsDouble(arg);

	(void)self;
	if (secs < 0 && PyErr_Occurred())
		return NULL;
	gilspy_spin_for(secs);
	Py_RETURN_NONE;
}

__attribute__((noinline)) PyObject *gilspy_spin_nogil(PyObject *self,
						       PyObject *arg)
{
	double secs = PyFloat_AsDouble(arg);

	(void)self;
	if (secs < 0 && PyErr_Occurred())
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	gilspy_spin_for(secs);
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
	{ "spin_held", gilspy_spin_held, METH_O, "spin in C holding the GIL" },
	{ "spin_nogil", gilspy_spin_nogil, METH_O, "spin in C without the GIL" },
	{ NULL, NULL, 0, NULL }
};

#ifndef GILSPY_CEXT_NAME
#define GILSPY_CEXT_NAME gilspy_cext
#endif
#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, STR(GILSPY_CEXT_NAME), NULL, -1, methods,
	NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC CAT(PyInit_, GILSPY_CEXT_NAME)(void)
{
	return PyModule_Create(&module);
}
