/* Shared declarations of the krait command line (cli/ only; not installed).
 *
 * Flow of every command: args.c parses argv into a cli_args, setup.c turns
 * it into a krait_ctx (config files, env, then flags), the cmd_<name>.c runs
 * library calls, and output_human.c / output_json.c render the result.
 * Errors are reported once, by cli_fail(), as "krait: error: ..." on stderr
 * (plus a JSON error object on stdout with --json), exit status 1. */
#ifndef KRAIT_CLI_H
#define KRAIT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "krait/buf.h"
#include "krait/ctx.h"
#include "krait/err.h"
#include "krait/json.h"
#include "krait/lock.h"
#include "krait/prefix.h"
#include "krait/solver.h"
#include "krait/virtpkg.h"

#define KRAIT_VERSION_STRING "0.1.0"

/* Option groups a command accepts (bit set in cli_command.options). */
enum {
  OPT_PREFIX = 1 << 0,   /* -p/--prefix, -n/--name */
  OPT_CHANNELS = 1 << 1, /* -c, --override-channels, --strict-channel-priority, --channel-priority, --platform */
  OPT_SOLVE = 1 << 2,    /* --dry-run, -y, --debug-solver, --offline */
  OPT_FORCE = 1 << 3,    /* --force (create) */
  OPT_ALL = 1 << 4,      /* --all (update) */
  OPT_SPECS = 1 << 5,    /* positional SPEC... */
  OPT_LIST = 1 << 6,     /* --explicit, --md5 (list) */
  OPT_PRUNE = 1 << 7,    /* --no-prune (remove) */
  OPT_FILE = 1 << 8,       /* --file FILE (install; repeatable) */
  OPT_FILE_SHORT = 1 << 9, /* -f/--file FILE (create, env create/update/export) */
  OPT_CLONE = 1 << 10,     /* --clone ENV (create) */
  OPT_EXPORT = 1 << 11,    /* --no-builds, --from-history, --explicit (env export) */
  OPT_ENV_PRUNE = 1 << 12, /* --prune (env update) */
  /* envconfig branch (bits from 20 up to keep clear of other branches) */
  OPT_CONFIG = 1 << 20,    /* --file, --env, --system, --sources (config) */
  OPT_CLEAN = 1 << 21,     /* -a/--all, --index-cache, --tarballs, --packages, --locks (clean) */
  OPT_CONFIRM = 1 << 22,   /* --dry-run, -y for commands that do not solve (clean, env remove) */
  OPT_REPOQUERY = 1 << 23, /* --tree (repoquery) */
  OPT_INFO = 1 << 24,      /* --envs (info) */
  OPT_REVISION = 1 << 25,  /* --revision N (install) */
};

typedef struct cli_args {
  const char *command;     /* "create", ... */
  char *prefix;            /* -p */
  char *name;              /* -n */
  krait_strv channels;     /* -c, in the order given */
  bool override_channels;
  bool strict_channel_priority;
  char *channel_priority;  /* --channel-priority */
  char *platform;          /* --platform / --subdir */
  bool dry_run;
  bool json;
  bool yes;
  bool force;
  bool all;
  bool no_prune;           /* remove: keep dependencies nobody else needs */
  bool offline;
  bool explicit_;          /* list --explicit */
  bool md5;                /* list --explicit --md5 */
  bool help;
  int verbose;             /* -v count */
  bool quiet;
  char *debug_solver;      /* --debug-solver DIR */
  krait_strv specs;        /* positional */
  char *cmd_line;          /* the whole command line, for conda-meta/history's "# cmd:" */
  krait_strv env_files;    /* --file / -f: environment.yml, @EXPLICIT or spec-list files */
  char *clone;             /* create --clone ENV (name or path) */
  bool no_builds;          /* env export --no-builds */
  bool from_history;       /* env export --from-history */
  bool prune;              /* env update --prune: remove what the file does not ask for */
  /* envconfig branch */
  char *config_file;       /* config --file */
  bool config_env;         /* config --env: $CONDA_PREFIX/.condarc (or -p/-n) */
  bool config_system;      /* config --system: <root prefix>/.condarc */
  bool sources;            /* config list --sources */
  bool clean_index_cache, clean_tarballs, clean_packages, clean_locks;
  bool tree;               /* repoquery --tree */
  bool envs;               /* info --envs */
  bool revisions;          /* list --revisions */
  char *revision;          /* install --revision N */
} cli_args;

#define CLI_MAX_FLAGS 256 /* more than the option table will ever hold (args.c checks) */

/* One option as help, man pages and completions show it (docs_*.c). */
typedef struct cli_flag_doc {
  const char *long_name; /* without "--" */
  char short_name;       /* 0 = none */
  const char *metavar;   /* NULL = a flag; "NAME"/"ENV" complete env names, "PREFIX"/"DIR" directories,
                            "FILE"/"ARCHIVE" files */
  const char *help;
} cli_flag_doc;

/* A subcommand of a command that parses its own arguments (run_raw), declared
 * so that help, man pages and completions know it. Arrays end with {NULL}. */
typedef struct cli_subcommand {
  const char *name;
  const char *usage;   /* after "krait <command> <name> " */
  const char *summary;
  const cli_flag_doc *flags; /* ends with {NULL}; may be NULL */
  const char *positional;    /* what the positional arguments complete: as cli_flag_doc.metavar */
} cli_subcommand;

/* What a command's positional arguments complete to (completions only). */
typedef enum cli_positional {
  CLI_POS_NONE = 0,
  CLI_POS_INSTALLED, /* names of the packages installed in the target env (-n/-p) */
} cli_positional;

typedef struct cli_command {
  const char *name;
  const char *usage;   /* after "krait <name> " */
  const char *summary; /* one line for `krait --help` */
  unsigned options;
  int (*run)(const cli_args *args);
  /* Commands that parse their own arguments (subcommand groups such as
   * `package extract`): get a configured context and argv from the command
   * name on; `run` is NULL for them. */
  int (*run_raw)(krait_ctx *ctx, int argc, char **argv);
} cli_command;

/* What help, man pages and completions know about a command beyond its table
 * row (command_docs.c: one line per command that needs it, keyed by name). */
typedef struct cli_command_doc {
  const char *command;
  /* a run_raw command's subcommands, either with their own flag tables
   * (ending with {NULL}; e.g. package) ... */
  const cli_subcommand *subcommands;
  /* ... or as cli_command rows named "<command> <sub>" whose options are
   * args.c's groups (e.g. env): a function returning the rows and their count */
  const cli_command *(*group)(size_t *n);
  cli_positional positional;
  /* a run_raw command without subcommands: its options (ending with {NULL}) */
  const cli_flag_doc *flags;
  /* more text after the options in --help (what it does in detail, exit status), or NULL */
  const char *details;
} cli_command_doc;

/* One subcommand as help, man pages and completions show it. */
typedef struct cli_sub_view {
  const char *name;       /* "extract", "export" */
  const char *usage;      /* after "krait <command> <name> " */
  const char *summary;
  const char *positional; /* what positional arguments complete to (a metavar), or NULL */
  size_t n_flags;
  cli_flag_doc flags[CLI_MAX_FLAGS];
} cli_sub_view;

/* args.c */
/* Parses argv (after the command name) for `cmd`. Returns 0, or fills err. */
krait_code cli_parse_args(const cli_command *cmd, int argc, char **argv, cli_args *out, krait_err *err);
void cli_args_free(cli_args *a);
void cli_print_command_help(const cli_command *cmd, FILE *f);
/* Runs a table-driven command: argv[0] is the word that named it, its
 * options follow. Parses (an error is reported, with --json honoured even
 * when it comes first), answers --help, or calls cmd->run with the command
 * line "<line_prefix> <argv...>" for conda-meta/history. Returns the exit status. */
int cli_run_command(const cli_command *cmd, const char *line_prefix, int argc, char **argv);
/* The options `cmd` accepts, in table order (the one source of help, man
 * pages and completions). Returns how many were written to out (at most cap). */
size_t cli_command_flags(const cli_command *cmd, cli_flag_doc *out, size_t cap);
/* Calls each(flag, user) for every option of `cmd` (cli_command_flags' order). */
void cli_foreach_flag(const cli_command *cmd, void (*each)(const cli_flag_doc *flag, void *user), void *user);

/* dispatch.c: a table of commands under one path ("krait", "krait env"),
 * each row named by its path's words after the first plus its own word. */
typedef struct cli_group {
  const char *path; /* "krait" or "krait env" */
  const cli_command *rows;
  size_t n;
} cli_group;
/* The word that names a row in its group ("env export" -> "export"). */
const char *cli_group_word(const cli_command *row);
/* The row named `word`, or NULL. */
const cli_command *cli_group_find(const cli_group *g, const char *word);
/* "  word       summary" for every row. */
void cli_group_print_list(const cli_group *g, FILE *f);
/* Reports an unknown word on stderr (with the nearest row's word when close); returns 1. */
int cli_group_unknown(const cli_group *g, const char *word);
/* Runs a row: argv[0] is its word. A row with its own parser (run_raw) gets
 * ctx, or a context of defaults and configuration when ctx is NULL. */
int cli_group_run(const cli_command *cmd, const char *path, krait_ctx *ctx, int argc, char **argv);

/* main.c */
const cli_command *cli_find_command(const char *name);
/* Every user-facing command in table order; *n gets the count. */
const cli_command *cli_commands(size_t *n);

/* command_docs.c */
/* How many subcommands `cmd` declares (0: none, its options come from args.c). */
size_t cli_subcommand_count(const cli_command *cmd);
/* The i-th subcommand of `cmd` (i < cli_subcommand_count(cmd)). */
void cli_subcommand_view(const cli_command *cmd, size_t i, cli_sub_view *out);
/* Calls each(cmd, sub, user) for every subcommand of `cmd`, in order. */
void cli_foreach_subcommand(const cli_command *cmd, void (*each)(const cli_command *cmd, const cli_sub_view *sub,
                                                                 void *user),
                            void *user);
cli_positional cli_positional_of(const cli_command *cmd);
/* The options a run_raw command declares (command_docs.c), or NULL: args.c's table applies. */
const cli_flag_doc *cli_own_flags(const cli_command *cmd);
/* The text --help prints after the options, or NULL. */
const char *cli_command_details(const cli_command *cmd);
/* Internal commands (`krait __man`, `__complete`, `__values`): not in help,
 * man pages or completions. NULL when name is not one. */
const cli_command *cli_find_internal_command(const char *name);
/* The text after the command list of `krait --help` (configuration, env). */
extern const char cli_main_help_epilog[];

/* suggest.c: the candidate nearest to `word` by edit distance, when close
 * enough to be a plausible typo, else NULL. */
const char *cli_nearest(const char *word, const char *const *candidates, size_t n);

/* docs_*.c: man pages and shell completions, generated from the tables above. */
/* Writes DIR/FILE (creating DIR) with write(f, arg); 0, or 1 after an error on stderr. */
int cli_write_generated(const char *dir, const char *file, void (*write)(FILE *f, const void *arg), const void *arg);
/* `krait __man [COMMAND]`: troff man page of krait (or krait-COMMAND) on stdout;
 * `krait __man --dir DIR`: every page into DIR. */
int cli_cmd_man(krait_ctx *ctx, int argc, char **argv);
/* `krait __complete bash|zsh|fish`: the completion script on stdout;
 * `krait __complete --dir DIR`: all three (krait, _krait, krait.fish) into DIR. */
int cli_cmd_complete(krait_ctx *ctx, int argc, char **argv);
/* `krait __values envs` / `krait __values packages [WORDS...]`: what the
 * completion scripts offer for -n and for installed packages (one per line). */
int cli_cmd_values(krait_ctx *ctx, int argc, char **argv);

/* setup.c */
/* Builds the context: defaults, condarc, env, then the flags in args. On
 * error returns NULL with err filled. The caller frees with krait_ctx_free(). */
krait_ctx *cli_make_ctx(const cli_args *args, krait_err *err);
/* The prefix a command acts on (-p, -n NAME, or $CONDA_PREFIX when
 * `allow_active`). Heap string, or NULL with err filled. */
char *cli_target_prefix(const krait_ctx *ctx, const cli_args *args, bool for_create, krait_err *err);
/* The environment a command reads or changes (cli_with_env). */
typedef struct cli_env {
  krait_ctx *ctx;
  char *prefix;           /* absolute */
  krait_prefix_state st;  /* with CLI_ENV_LOAD: its records; else empty */
} cli_env;
enum {
  CLI_ENV_RECOVER = 1, /* first finish or undo a transaction a killed krait left (a no-op without one) */
  CLI_ENV_LOAD = 2,    /* read its conda-meta records into st */
};
typedef krait_code (*cli_env_body)(const cli_args *args, cli_env *env, void *user, krait_err *err);
/* Builds the context, resolves -n/-p/$CONDA_PREFIX, requires an environment
 * there (conda-meta/), then runs body; its failure is reported once with
 * cli_fail(). `how` is a set of CLI_ENV_* bits. Returns the exit status. */
int cli_with_env(const cli_args *args, unsigned how, cli_env_body body, void *user);
/* Reports err: "krait: error: <msg>" on stderr; with --json also the JSON
 * error object on stdout. Returns the exit status (1). */
int cli_fail(const cli_args *args, const krait_err *err);
/* Same with a literal message. */
int cli_fail_msg(const cli_args *args, krait_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* transaction.c: shared by create / install / update / remove */
int cli_run_transaction(const cli_args *args, krait_request_kind kind);
/* install_hook.c: THE place where a solved transaction is carried out
 * (download, extract, link). Returns 0 or fills err. */
krait_code cli_execute_transaction(krait_ctx *ctx, const char *prefix, const krait_solution *sol,
                                  const cli_args *args, krait_request_kind kind, krait_err *err);
/* The same, under the prefix lock the caller took before solving (krait_txn_lock_prefix). */
krait_code cli_execute_transaction_locked(krait_ctx *ctx, const char *prefix, const krait_solution *sol,
                                         const cli_args *args, krait_request_kind kind, krait_lock *held_lock,
                                         bool prefix_was_new, krait_err *err);

/* env_input.c: --file / --clone / package URLs given as specs. True when
 * args need it; cli_run_with_env_input() then reads the files and runs the
 * transaction (solved, or explicit without a solver), then the files'
 * variables (conda-meta/state) and pip: list. */
bool cli_env_input_wanted(const cli_args *args);
int cli_run_with_env_input(const cli_args *args, krait_request_kind kind);
/* transaction.c helpers shared with the explicit installs of env_input.c */
krait_code cli_check_create_target(const char *prefix, const cli_args *args, krait_err *err);
krait_code cli_fill_fetch(const krait_ctx *ctx, krait_solution *sol, krait_err *err);
/* The prefix lock a command took before solving (NULL lock: the transaction
 * takes it itself); `executed` tells the caller the transaction began. */
typedef struct cli_held_lock {
  krait_lock *lock;
  bool prefix_was_new;
  bool executed;
} cli_held_lock;
/* Shows sol, asks, executes (under held's lock when given) and reports
 * (--json) as create/install do. Returns the exit status. */
int cli_finish_transaction(krait_ctx *ctx, const cli_args *args, const char *prefix, krait_solution *sol,
                           krait_request_kind kind, cli_held_lock *held, krait_err *err);

/* Classification of a solution for display. */
typedef enum cli_action { CLI_INSTALL, CLI_UPGRADE, CLI_DOWNGRADE, CLI_REINSTALL, CLI_CHANGE, CLI_REMOVE } cli_action;
typedef struct cli_txn_row {
  cli_action action;
  const krait_record *from; /* unlinked record, or NULL */
  const krait_record *to;   /* linked record, or NULL */
} cli_txn_row;
typedef struct cli_txn_view {
  cli_txn_row *rows;
  size_t len;
  int64_t download_bytes;
  bool empty_env; /* create without specs */
} cli_txn_view;
void cli_txn_view_build(const krait_solution *sol, cli_txn_view *out);
void cli_txn_view_free(cli_txn_view *v);

/* output_human.c */
/* "conda-forge" for channel_alias channels, else the URL. Caller frees. */
char *cli_channel_display(const krait_ctx *ctx, const char *channel_url);
void cli_format_size(int64_t bytes, char *out, size_t cap);
void cli_human_transaction(FILE *f, const krait_ctx *ctx, const char *prefix, const cli_txn_view *v,
                           bool dry_run);
void cli_human_records(FILE *f, const krait_ctx *ctx, const krait_record *recs, size_t n);

/* output_json.c */
void cli_json_transaction(krait_buf *out, const krait_ctx *ctx, const char *prefix, const krait_solution *sol,
                          bool dry_run);
/* An array of records in micromamba's shape: every key (search), or with
 * full false the ones its `list --json` shows. */
void cli_json_records(krait_buf *out, const krait_ctx *ctx, const krait_record *recs, size_t n, bool full);
void cli_json_error(krait_buf *out, const krait_err *err);
/* Writes buf + newline to stdout. */
void cli_emit(const krait_buf *b);
/* A JSON document for stdout, written through .w: cli_json_open(), the
 * values, cli_json_emit() (prints it with cli_emit() and frees it). */
typedef struct cli_json {
  krait_buf buf;
  krait_jw w;
} cli_json;
void cli_json_open(cli_json *j);
void cli_json_emit(cli_json *j);

/* confirm.c: asks `question` on a terminal ([y/N]); without a terminal the
 * answer is yes (like the transaction's confirmation). False + err when declined. */
bool cli_confirm(const char *question, krait_err *err);

#endif
