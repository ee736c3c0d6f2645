/* splat_formats.h - the web formats of a Gaussian model: SPZ (Niantic), .splat
 * (antimatter15), compressed PLY (PlayCanvas/SuperSplat) and SOG (PlayCanvas), read and written
 * from a plain in-memory table that depends on nothing else in tgs.
 *
 * The table holds raw values exactly as a 3DGS PLY stores them (log scales,
 * logit opacity, SH DC and rest coefficients, quaternion w,x,y,z). Every format
 * here quantises; what each loses, with the bound a round trip keeps (x is the
 * written value, x' the value read back):
 *
 *   SPZ (v3: gzip, one stream; v4: zstd, one stream an attribute)
 *     means       24-bit signed fixed point with F fractional bits (F = 12 unless
 *                 a coordinate needs fewer): |x'-x| <= 2^-(F+1); |x| < 2^(23-F)
 *     scales_raw  8 bits over [-10, 5.9375] in steps of 1/16: |x'-x| <= 1/32
 *                 inside that range, clamped outside
 *     rots        normalised, sign dropped (q and -q are one rotation), the
 *                 largest component dropped and the other three kept as 9-bit
 *                 magnitudes of step (1/sqrt 2)/511 plus a sign
 *     opacity     sigmoid(x) in 8 bits: |sigmoid(x')-sigmoid(x)| <= 1/510
 *     sh_dc       8 bits of step 1/(0.15*255): |x'-x| <= 0.0131 inside [-3.33, 3.33]
 *     sh_rest     8 bits of step 1/128 over [-1, 127/128], then rounded to 5
 *                 (degree 1) and 4 (degrees 2, 3) bits by default: |x'-x| <=
 *                 4.5/128 and 8.5/128; degrees 0..3 kept
 *     axes        written as given (as the reference's ply_to_spz and PlayCanvas's
 *                 splat-transform do); SPZ's nominal axes are RUB, a 3DGS model's
 *                 RDF: tgs_splats_flip_yz converts between them.
 *   .splat (32 bytes a Gaussian, no header)
 *     means       float32, exact
 *     scales_raw  stored as float32 exp(x): exact up to float rounding of exp/log
 *     rots        normalised, 8 bits a component (x*128+128): |x'-x| <= 1/64
 *                 after renormalisation
 *     opacity     sigmoid(x) in 8 bits, as SPZ
 *     sh_dc       colour 0.5+0.2821*x in 8 bits: |x'-x| <= 0.00696 inside [-1.77, 1.77]
 *     sh_rest     dropped: the file holds degree 0
 *   compressed PLY (chunks of 256 Gaussians, each with its min/max bounds)
 *     means       11/10/11 bits between the chunk's bounds: |x'-x| <= extent/4094
 *                 (x, z) and extent/2046 (y), extent = chunk max - min
 *     scales_raw  as means, between the chunk's bounds clamped to [-20, 20]
 *     rots        normalised, sign dropped, largest dropped, three 10-bit values
 *                 of step sqrt(2)/1023
 *     opacity     sigmoid(x) in 8 bits, as SPZ
 *     sh_dc       colour 0.5+0.2821*x in 8 bits between the chunk's bounds:
 *                 |x'-x| <= extent/510/0.2821
 *     sh_rest     8 bits over [-4, 4]: |x'-x| <= 1/32, clamped outside
 *     order       Gaussians are written in Morton order of their means (what
 *                 makes the chunks compact) unless keep_order is set
 *   SOG (version 2: meta.json + lossless WebP images, a zip or a folder)
 *     means       16 bits an axis of sign(x)*log(|x|+1) between the axis's
 *                 bounds: |x'-x| <= (|x|+1)*L/131070, L = the log-extent
 *     scales_raw  a 256-entry codebook shared by the three axes (Lloyd's
 *                 algorithm, density-weighted): |x'-x| <= half the gap
 *                 between neighbouring entries
 *     rots        normalised, sign dropped, largest dropped, three 8-bit values
 *                 of step sqrt(2)/255
 *     opacity     sigmoid(x) in 8 bits, as SPZ
 *     sh_dc       a 256-entry codebook shared by the channels, as scales
 *     sh_rest     each Gaussian's 3K coefficients replaced by the nearest of a
 *                 palette of min(65536, largest power of two <= n) vectors
 *                 (k-means, fixed seed), the palette's values by a 256-entry
 *                 codebook: the largest loss, no per-value bound
 *     order       Morton order of the means
 *
 * Writers build the file in memory and write it to path.tmp, fsync and rename:
 * a failure leaves no file (and an earlier file at path intact). Readers read
 * the whole file, check every count against its size before allocating and
 * refuse bad magic, versions, counts and truncation with TGS_ERR_FORMAT and a
 * one-line message naming the file.
 */
#ifndef TGS_SPLAT_FORMATS_H
#define TGS_SPLAT_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "tgs/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TGS_SPLATS_MAX_SH_DEGREE 3

typedef struct {
    size_t n;           /* Gaussians */
    int sh_degree;      /* 0..3; K = (sh_degree+1)^2 - 1 rest coefficients */
    float *means;       /* [n,3] */
    float *scales_raw;  /* [n,3] log scale */
    float *rots;        /* [n,4] w,x,y,z, not necessarily normalised */
    float *opacity_raw; /* [n] logit */
    float *sh_dc;       /* [n,3] */
    float *sh_rest;     /* [n,K,3] coefficient-major; NULL when K = 0 */
} tgs_splats;

/* Allocates a zeroed table for n Gaussians of SH degree 0..3 (one block; the
 * arrays point into it). n may be 0. */
tgs_status tgs_splats_create(size_t n, int sh_degree, tgs_splats **out);
/* Frees the table; NULL is harmless. */
void tgs_splats_free(tgs_splats *s);
/* Rest coefficients a colour channel holds at an SH degree: 0, 3, 8, 15. */
int tgs_splats_rest_count(int sh_degree);
/* Converts between the RDF axes of a 3DGS model and the RUB axes SPZ nominally
 * uses (a half turn about x: y and z negated, the quaternion's y and z negated,
 * SH coefficients odd in y*z negated). Its own inverse. */
void tgs_splats_flip_yz(tgs_splats *s);
/* A Morton (Z-order) permutation of the means: order[j] is the Gaussian that
 * goes j-th. Ties keep table order. The compressed PLY writer uses it. */
tgs_status tgs_splats_morton_order(const tgs_splats *s, uint32_t *order /*[n]*/);

/* ------------------------------------------------------------------------ */
/* Formats                                                                   */

typedef enum {
    TGS_SPLAT_FORMAT_UNKNOWN = 0,
    TGS_SPLAT_FORMAT_PLY,            /* the standard 3DGS PLY (tgs/ply.h reads it) */
    TGS_SPLAT_FORMAT_SPZ,
    TGS_SPLAT_FORMAT_SPLAT,
    TGS_SPLAT_FORMAT_COMPRESSED_PLY,
    TGS_SPLAT_FORMAT_SOG
} tgs_splat_format;

/* "ply", "spz", "splat", "compressed-ply", "sog" (NULL for UNKNOWN). */
const char *tgs_splat_format_name(tgs_splat_format f);
/* The inverse of tgs_splat_format_name; TGS_ERR_ARG naming the choices otherwise. */
tgs_status tgs_splat_format_parse(const char *name, tgs_splat_format *out);
/* The highest SH degree a format keeps (0 for .splat, 3 for the others). */
int tgs_splat_format_max_sh_degree(tgs_splat_format f);
/* Guesses the format of an existing file from its first bytes (gzip or "NGSP":
 * SPZ; "ply" with a chunk element: compressed PLY; other "ply": PLY; a zip:
 * SOG), then, for a file without magic, from its name (".splat"), then a JSON
 * object: SOG's meta.json. A folder holding meta.json is SOG. UNKNOWN when
 * nothing fits; TGS_ERR_IO when the file cannot be read. */
tgs_status tgs_splat_format_guess(const char *path, tgs_splat_format *out);
/* The format a name asks for by its ending alone (".spz", ".splat",
 * ".compressed.ply", ".ply", ".sog", "meta.json"), for an output file that does
 * not exist yet. */
tgs_splat_format tgs_splat_format_from_name(const char *path);
/* Reads any of the four formats here by tgs_splat_format_guess; a standard
 * PLY is TGS_ERR_UNSUPPORTED (read it with tgs_ply_read). */
tgs_status tgs_splats_read(const char *path, tgs_splats **out);

/* SPZ. A zeroed struct (or NULL) asks for the defaults. */
typedef struct {
    int version;         /* 3 (gzip, what most readers take; default) or 4 (zstd) */
    int fractional_bits; /* 0: 12, or fewer when the largest |coordinate| needs them;
                            1..23: exactly that, TGS_ERR_ARG when a mean does not fit */
    int sh1_bits;        /* bits kept of degree-1 coefficients, 1..8 (0: 5) */
    int sh_rest_bits;    /* bits kept of degree-2 and 3 coefficients, 1..8 (0: 4) */
    int antialiased;     /* sets the header's antialiased flag (0x1) */
} tgs_spz_options;

tgs_status tgs_splats_write_spz(const char *path, const tgs_splats *s, const tgs_spz_options *opt);
/* Reads versions 2 and 3 (gzip) and 4 (zstd; extension records skipped), SH
 * degree 0..3 (4 is TGS_ERR_UNSUPPORTED). Rotations come back normalised,
 * opacity logits from alpha bytes clamped to [0.5, 254.5]/255. */
tgs_status tgs_splats_read_spz(const char *path, tgs_splats **out);

/* .splat. NULL asks for the defaults. */
typedef struct {
    int importance_order; /* 1: largest and most opaque first, as antimatter15's
                             converter writes (progressive loading); 0: table order */
} tgs_splat_options;

/* Writes SH DC only: SH rest of a degree > 0 table is dropped. */
tgs_status tgs_splats_write_splat(const char *path, const tgs_splats *s, const tgs_splat_options *opt);
/* The file has no header: its size must be a positive multiple of 32. The table
 * has SH degree 0. */
tgs_status tgs_splats_read_splat(const char *path, tgs_splats **out);

/* Compressed PLY. NULL asks for the defaults. */
typedef struct {
    int keep_order; /* 1: table order; 0 (default): Morton order, compact chunks */
} tgs_compressed_ply_options;

tgs_status tgs_splats_write_compressed_ply(const char *path, const tgs_splats *s,
                                           const tgs_compressed_ply_options *opt);
/* Reads chunk elements with 12 (no colour bounds: colours are plain 0..1) or 18
 * float properties, the four packed uint properties and an optional sh element
 * of 9, 24 or 45 uchar f_rest properties. Gaussians come back in file order. */
tgs_status tgs_splats_read_compressed_ply(const char *path, tgs_splats **out);

/* SOG. NULL asks for the defaults. */
typedef struct {
    int iterations; /* k-means iterations of the SH palette (0: 10) */
} tgs_sog_options;

/* Writes version 2, the version PlayCanvas's engine and splat-transform read:
 * a zip (.sog) unless path ends in ".json", when it is the folder form's
 * meta.json, the images written beside it (each atomically, meta.json last; on
 * failure the images written are removed). At most 16383^2/2 Gaussians. */
tgs_status tgs_splats_write_sog(const char *path, const tgs_splats *s, const tgs_sog_options *opt);
/* Reads version 2 from a .sog zip (entries stored or deflated), a meta.json
 * (images beside it) or a folder holding meta.json. Image names must be plain
 * file names; each image is checked against the count before it is decoded,
 * and the count against the bytes (at most 16384 Gaussians a byte of the
 * files). Version 1 is TGS_ERR_UNSUPPORTED. Gaussians come back in file order. */
tgs_status tgs_splats_read_sog(const char *path, tgs_splats **out);
/* Bytes a written file takes: its size; for SOG's folder form (a path ending
 * in ".json"), meta.json and the images beside it. 0 when absent. */
uint64_t tgs_splats_written_bytes(const char *path);

#ifdef __cplusplus
}
#endif

#endif
