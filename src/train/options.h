/* options.h - options as data: one row per option names it, says where its
 * value lives (an offset into the command's settings struct), and gives its
 * default, its check, its help text and whether it decides a result. The
 * command line (cli/args.h) parses and prints these rows; the rest is here. */
#ifndef TGS_TRAIN_OPTIONS_H
#define TGS_TRAIN_OPTIONS_H

#include "tgs/common.h"

#include <stddef.h>

typedef enum {
    OPT_FLAG,     /* int, set to 1 */
    OPT_INT,      /* int */
    OPT_U64,      /* uint64_t */
    OPT_DOUBLE,   /* double */
    OPT_STRING,   /* const char * */
    OPT_INT_LIST, /* int[TGS_MAX_ITER_LIST], its count an int at .count_offset */
    OPT_CHOICE,   /* an enum (int-sized): the index into .choices */
    OPT_IGNORED,  /* accepted for compatibility, value (if .takes_value) dropped; no field */
} tgs_opt_type;

/* A rule on a parsed value: ok() sees a pointer to the field; text completes
 * the message "--name <text>". */
typedef struct {
    int (*ok)(const void *value);
    const char *text;
} tgs_opt_rule;

#define TGS_OPT_SETTING 1u /* decides a result: written into a checkpoint's settings */

typedef struct {
    const char *name;
    char short_name;
    tgs_opt_type type;
    size_t offset;              /* of the value in the settings struct */
    size_t count_offset;        /* OPT_INT_LIST: of its count */
    const char *const *choices; /* OPT_CHOICE: NULL-terminated */
    int takes_value;            /* OPT_IGNORED */
    const char *help;
    /* the default (all zero: 0, off, NULL, empty list) */
    double def;                 /* OPT_FLAG, OPT_INT, OPT_U64, OPT_DOUBLE, OPT_CHOICE */
    const char *def_str;        /* OPT_STRING */
    const int *def_list;        /* OPT_INT_LIST: values ended by -1 */
    const tgs_opt_rule *rule;   /* NULL: any value the parser accepts */
    unsigned use;               /* TGS_OPT_SETTING or 0 */
    /* the field of the model's cfg_args it is recorded in (size 0: none) */
    size_t cfg_args_offset, cfg_args_size;
} tgs_opt;

/* The value of row o inside the settings struct at base. */
#define TGS_OPT_FIELD(base, o, type) ((type *)((const char *)(base) + (o)->offset))
/* The count of an OPT_INT_LIST row. */
#define TGS_OPT_COUNT(base, o) ((int *)((const char *)(base) + (o)->count_offset))

/* Writes every row's default into base. */
void tgs_opts_defaults(const tgs_opt *opts /*[n]*/, int n, void *base);
/* Checks every row's rule in table order; the first that fails is
 * TGS_ERR_ARG "--name <rule text>" ("-x/--name" where it has a short form). */
tgs_status tgs_opts_check(const tgs_opt *opts /*[n]*/, int n, const void *base);
/* Appends " name=value" for each row marked TGS_OPT_SETTING (doubles with 17
 * digits, choices by name, lists comma-separated) to the string in buf. */
void tgs_opts_settings(const tgs_opt *opts /*[n]*/, int n, const void *base, char *buf /*[size]*/, size_t size);
/* Copies each row with a cfg_args field into the record at out (ints, and
 * strings into char arrays, truncated to fit; a NULL string is skipped). */
void tgs_opts_cfg_args(const tgs_opt *opts /*[n]*/, int n, const void *base, void *out);

#endif
