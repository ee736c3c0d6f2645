/* args.h - a table-driven parser for the command line: long options as the
 * published trainer spells them (argparse style: --name value, --name=value,
 * unique prefixes, -x short forms, store_true flags, int lists). */
#ifndef TGS_CLI_ARGS_H
#define TGS_CLI_ARGS_H

#include "train/options.h"

#include <stdint.h>
#include <stdio.h>

/* Parses argv into the settings struct at base, as the rows describe it
 * (train/options.h). Returns 0 on success, 1 when --help/-h was given, -1 on
 * error (message in err, naming the option). */
int tgs_args_parse(const tgs_opt *opts /*[n_opts]*/, int n_opts, void *base, int argc, char **argv, char *err,
                   size_t err_size);
/* Prints every option with its value in base (call before parsing: the defaults). */
void tgs_args_help(const tgs_opt *opts /*[n_opts]*/, int n_opts, const void *base, FILE *f);

#endif
