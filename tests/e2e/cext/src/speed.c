#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}

/* True when compiled with optimisation: the interpreter's own CFLAGS survived. */
static PyObject *optimized(PyObject *self, PyObject *unused) {
#ifdef __OPTIMIZE__
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef methods[] = {
    {"add", add, METH_VARARGS, "add two integers"},
    {"optimized", optimized, METH_NOARGS, "compiled with -O?"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
