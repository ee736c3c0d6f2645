/* args.h - a table-driven parser for the command line: long options as the
 * published trainer spells them (argparse style: --name value, --name=value,
 * unique prefixes, -x short forms, store_true flags, int lists). */
#ifndef TGS_CLI_ARGS_H
#define TGS_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>

typedef enum {
    OPT_FLAG,    /* int* set to 1 */
    OPT_INT,     /* int* */
    OPT_U64,     /* uint64_t* */
    OPT_DOUBLE,  /* double* */
    OPT_STRING,  /* const char** */
    OPT_INT_LIST,/* int* array of TGS_MAX_ITER_LIST, count in .count */
    OPT_CHOICE,  /* int* index into .choices */
    OPT_IGNORED, /* accepted for compatibility, value (if .takes_value) dropped */
} tgs_opt_type;

typedef struct {
    const char *name;
    char short_name;
    tgs_opt_type type;
    void *target;
    int *count;                 /* OPT_INT_LIST */
    const char *const *choices; /* OPT_CHOICE, NULL-terminated */
    int takes_value;            /* OPT_IGNORED */
    const char *help;
} tgs_opt;

/* Returns 0 on success, 1 when --help/-h was given, -1 on error (message in err). */
int tgs_args_parse(const tgs_opt *opts, int n_opts, int argc, char **argv, char *err, size_t err_size);
/* Prints every option with its current value (call before parsing: the defaults). */
void tgs_args_help(const tgs_opt *opts, int n_opts, FILE *f);

#endif
