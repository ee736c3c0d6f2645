/* raster_f32.c - the float CPU rasteriser used for training. */
#include "raster_cpu.h"
#define REAL float
#define SFX f32
#include "raster_impl.h"
