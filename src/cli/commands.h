/* commands.h - the subcommands of tgs. Each parses its options, runs, prints
 * what it did, and returns the process exit code (0 ok, 1 failure, 2 usage). */
#ifndef TGS_CLI_COMMANDS_H
#define TGS_CLI_COMMANDS_H

#define TGS_VERSION "0.1.0"

int tgs_cmd_train(int argc, char **argv);
int tgs_cmd_render(int argc, char **argv);
int tgs_cmd_metrics(int argc, char **argv);
int tgs_cmd_info(int argc, char **argv);
int tgs_cmd_export(int argc, char **argv);

/* Prints "tgs: error: <message>" for the last library error; returns 1. */
int tgs_cli_fail(void);

#endif
