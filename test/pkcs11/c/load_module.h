/* Test helper shared by the C test programs: dlopen a PKCS#11 module and fetch its function list.
 * Returns NULL (after printing why) when the module cannot be loaded. Test code only. */
#ifndef STRONGROOM_TEST_LOAD_MODULE_H
#define STRONGROOM_TEST_LOAD_MODULE_H

#include <dlfcn.h>
#include <stdio.h>

#include "strongroom_pkcs11.h"

static CK_FUNCTION_LIST_PTR load_module(const char *path) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return NULL;
  }
  CK_C_GetFunctionList gfl;
  *(void **)&gfl = dlsym(lib, "C_GetFunctionList");
  CK_FUNCTION_LIST_PTR list = NULL;
  if (!gfl || gfl(&list) != CKR_OK) return NULL;
  return list;
}

#endif
