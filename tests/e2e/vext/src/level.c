#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* True when compiled for x86-64-v3 (AVX2): the variant this wheel is. */
static PyObject *avx2(PyObject *self, PyObject *unused) {
#ifdef __AVX2__
    Py_RETURN_TRUE;
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef methods[] = {
    {"avx2", avx2, METH_NOARGS, "compiled for AVX2?"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_level", NULL, -1, methods};

PyMODINIT_FUNC PyInit__level(void) { return PyModule_Create(&module); }
