/* raster_f64.c - the double CPU rasteriser: the oracle of the tests. */
#include "raster_cpu.h"
#define REAL double
#define SFX f64
#include "raster_impl.h"
