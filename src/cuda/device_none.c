/* device_none.c - device queries of a build without CUDA: no device. */
#include "tgs/device.h"

#ifndef TGS_HAVE_CUDA
#include <stdio.h>
#include <string.h>

void tgs_device_query(tgs_device_info *info) {
    memset(info, 0, sizeof *info);
    snprintf(info->why, sizeof info->why, "this tgs was built without CUDA (configure with -DTGS_CUDA=ON)");
}

const char *tgs_device_built_archs(void) { return ""; }
#else
typedef int tgs_device_none_unused; /* the CUDA build uses device.cu */
#endif
