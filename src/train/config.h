/* config.h - the options of `tgs train`, written once (config.c): the table
 * the command line parses, and what the run derives from it. */
#ifndef TGS_TRAIN_CONFIG_H
#define TGS_TRAIN_CONFIG_H

#include "tgs/model.h"
#include "tgs/train.h"
#include "train/options.h"

#define TGS_SETTINGS_MAX 8192 /* bytes of a settings text, NUL included */

/* The rows of tgs_train_config, in --help order; *n their count. */
const tgs_opt *tgs_train_options(int *n);
/* The settings that decide a run's result, as one line: "backend=B threads=T"
 * and then name=value for each option marked TGS_OPT_SETTING. A checkpoint is
 * resumed only under the same text (--iterations, outputs and logging may differ). */
void tgs_train_settings_text(const tgs_train_config *c, const char *backend, int threads,
                             char *buf /*[size]*/, size_t size);
/* The model's cfg_args from the options (source_path as given; the caller
 * may make it absolute). */
void tgs_train_cfg_args(const tgs_train_config *c, tgs_cfg_args *out);

#endif
