/* `krait kernel install|list|remove`: Jupyter kernels for environments.
 * Glue over krait/kernelspec.h; the probe that the env's python can import
 * ipykernel runs through krait run's core, activation included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "cli.h"
#include "cmds.h"
#include "krait/fs.h"
#include "krait/json.h"
#include "krait/kernelspec.h"

static const cli_flag_doc install_flags[] = {
    /* -p/-n name the environment; their long forms are the kernel's own */
    {"prefix", 'p', "DIR", "-p PREFIX: the environment; --prefix DIR: into DIR/share/jupyter/kernels"},
    {"name", 'n', "KERNEL", "-n NAME: the environment; --name KERNEL: the kernel's name (default: the env's)"},
    {"display-name", 0, "TEXT", "the name Jupyter shows (default: the environment's)"},
    {"user", 0, NULL, "into Jupyter's user data dir (the default)"},
    {"sys-prefix", 0, NULL, "into the environment itself"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static const cli_flag_doc list_flags[] = {
    {"json", 0, NULL, "machine-readable output on stdout"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

static const cli_flag_doc remove_flags[] = {
    {"yes", 'y', NULL, "do not ask (required when not on a terminal)"},
    {"user", 0, NULL, "from Jupyter's user data dir (the default)"},
    {"prefix", 0, "DIR", "from DIR/share/jupyter/kernels"},
    {"help", 'h', NULL, "show this help"},
    {NULL, 0, NULL, NULL},
};

const cli_subcommand krait_kernel_subcommands[] = {
    {"install", "(-p PREFIX | -n NAME) [--name KERNEL] [--display-name TEXT] [--user | --prefix DIR | --sys-prefix]",
     "Write a Jupyter kernelspec whose argv runs the env's python through `krait run`.", install_flags, NULL},
    {"list", "[--json]", "The kernels Jupyter finds, with the env of those krait wrote.", list_flags, NULL},
    {"remove", "KERNEL [-y] [--user | --prefix DIR]", "Delete a kernel (asks on a terminal).", remove_flags, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

const char krait_kernel_details[] =
    "install: activate.d scripts and conda-meta/state variables apply in the kernel; the env's\n"
    "python must import ipykernel; KERNEL defaults to the env's name (lower case). The user data\n"
    "dir is $JUPYTER_DATA_DIR, $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter.\n"
    "list: $JUPYTER_PATH, the user dir, /usr/local/share/jupyter and /usr/share/jupyter.\n";

static int usage(FILE *f) {
  cli_print_command_help(cli_find_command("kernel"), f);
  return f == stdout ? 0 : 2;
}

typedef struct kernel_opts {
  const char *env_prefix; /* -p */
  const char *env_name;   /* -n */
  const char *name;
  const char *display_name;
  const char *install_prefix; /* --prefix */
  bool sys_prefix;
  bool json;
  bool yes;
  const char *positional;
} kernel_opts;

static int parse(int argc, char **argv, kernel_opts *o, krait_err *err) {
  memset(o, 0, sizeof *o);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
      return usage(stdout) + 100;
    else if (strcmp(a, "-p") == 0)
      slot = &o->env_prefix;
    else if (strcmp(a, "-n") == 0)
      slot = &o->env_name;
    else if (strcmp(a, "--name") == 0)
      slot = &o->name;
    else if (strcmp(a, "--display-name") == 0)
      slot = &o->display_name;
    else if (strcmp(a, "--prefix") == 0)
      slot = &o->install_prefix;
    else if (strcmp(a, "--sys-prefix") == 0)
      o->sys_prefix = true;
    else if (strcmp(a, "--user") == 0)
      ; /* the default */
    else if (strcmp(a, "--json") == 0)
      o->json = true;
    else if (strcmp(a, "-y") == 0 || strcmp(a, "--yes") == 0)
      o->yes = true;
    else if (a[0] == '-' && a[1]) {
      krait_err_set(err, KRAIT_E_INVALID, "unknown option %s for krait kernel %s (see krait kernel --help)", a,
                    argv[1]);
      return 1;
    } else if (!o->positional)
      o->positional = a;
    else {
      krait_err_set(err, KRAIT_E_INVALID, "krait kernel %s: unexpected argument \"%s\"", argv[1], a);
      return 1;
    }
    if (slot) {
      if (i + 1 >= argc) {
        krait_err_set(err, KRAIT_E_INVALID, "option %s needs a value", a);
        return 1;
      }
      *slot = argv[++i];
    }
  }
  return 0;
}

/* Where kernels go (or are removed from): --prefix, --sys-prefix (the env), or the user dir. */
static char *kernels_dir(const kernel_opts *o, const char *env_prefix, krait_err *err) {
  if (o->install_prefix) {
    char *abs = krait_path_absolute(o->install_prefix);
    char *dir = krait_path_join(abs, "share/jupyter/kernels");
    free(abs);
    return dir;
  }
  if (o->sys_prefix) {
    if (!env_prefix) {
      krait_err_set(err, KRAIT_E_INVALID, "--sys-prefix needs the environment (-p PREFIX or -n NAME)");
      return NULL;
    }
    return krait_path_join(env_prefix, "share/jupyter/kernels");
  }
  return krait_kernel_user_dir(err);
}

static int do_install(krait_ctx *ctx, const kernel_opts *o, krait_err *err) {
  if (!o->env_prefix == !o->env_name) {
    krait_err_set(err, KRAIT_E_INVALID, "krait kernel install needs exactly one of -p PREFIX or -n NAME");
    return 1;
  }
  if (o->install_prefix && o->sys_prefix) {
    krait_err_set(err, KRAIT_E_INVALID, "give either --prefix DIR or --sys-prefix, not both");
    return 1;
  }
  char *prefix = NULL, *label = NULL;
  if (cli_resolve_env(ctx, o->env_name, o->env_prefix, &prefix, &label, err))
    return 1;
  int status = 1;
  char *python = krait_path_join(prefix, "bin/python");
  char *name = o->name ? krait_strdup(o->name) : krait_kernel_name_from(krait_path_basename(label));
  char *display = o->display_name ? krait_strdup(o->display_name) : krait_asprintf("Python (%s)", label);
  char *dir = NULL, *installed = NULL;
  if (!krait_path_exists(python)) {
    krait_err_set(err, KRAIT_E_NOTFOUND, "%s has no bin/python: install python and ipykernel into it first",
                  prefix);
    goto done;
  }
  if (!krait_kernel_name_valid(name)) {
    krait_err_set(err, KRAIT_E_INVALID, "invalid kernel name \"%s\": use lower-case letters, digits, '.', '_', '-'",
                  name);
    goto done;
  }
  static char dash_c[] = "-c", import[] = "import ipykernel";
  char *probe[] = {python, dash_c, import, NULL};
  cli_run_request rr = {.prefix = prefix, .name = o->env_name, .argv = probe, .quiet = true};
  int probe_status;
  if (cli_run_activated(&rr, &probe_status, err))
    goto done;
  if (probe_status != 0) {
    krait_err_set(err, KRAIT_E_NOTFOUND,
                  "the python of %s cannot import ipykernel (exit %d): install it first, e.g. krait install -p %s "
                  "ipykernel",
                  prefix, probe_status, prefix);
    goto done;
  }
  if (!(dir = kernels_dir(o, prefix, err)))
    goto done;
  char *exe = cli_self_exe();
  krait_kernel_spec spec = {.krait_exe = exe, .env_prefix = prefix, .name = name, .display_name = display,
                            .kernels_dir = dir};
  krait_code rc = krait_kernel_install(&spec, &installed, err);
  free(exe);
  if (rc)
    goto done;
  printf("installed kernel \"%s\" (%s) in %s\n", name, display, installed);
  status = 0;
done:
  free(installed);
  free(dir);
  free(display);
  free(name);
  free(python);
  free(prefix);
  free(label);
  return status;
}

static void push_dir(krait_strv *v, char *dir) {
  if (dir && !krait_strv_contains(v, dir))
    krait_strv_push(v, dir);
  free(dir);
}

static int do_list(const kernel_opts *o, krait_err *err) {
  krait_strv dirs = KRAIT_STRV_INIT;
  if (o->install_prefix) {
    push_dir(&dirs, kernels_dir(o, NULL, err));
  } else {
    const char *jp = getenv("JUPYTER_PATH");
    for (const char *p = jp; p && *p;) {
      size_t n = strcspn(p, ":");
      if (n)
        push_dir(&dirs, krait_asprintf("%.*s/kernels", (int)n, p));
      p += n + (p[n] ? 1 : 0);
    }
    push_dir(&dirs, krait_kernel_user_dir(NULL));
    push_dir(&dirs, krait_strdup("/usr/local/share/jupyter/kernels"));
    push_dir(&dirs, krait_strdup("/usr/share/jupyter/kernels"));
  }
  krait_kernel_list l;
  krait_kernel_list_dirs(&dirs, &l);
  if (o->json) {
    cli_json j;
    cli_json_open(&j);
    krait_jw *w = &j.w;
    krait_jw_obj_begin(w);
    krait_jw_key(w, "kernelspecs");
    krait_jw_obj_begin(w);
    for (size_t i = 0; i < l.len; i++) {
      krait_jw_key(w, l.items[i].name);
      krait_jw_obj_begin(w);
      krait_jw_kstr(w, "display_name", l.items[i].display_name);
      krait_jw_kstr(w, "env_prefix", l.items[i].env_prefix);
      krait_jw_kstr(w, "language", l.items[i].language);
      krait_jw_kstr(w, "resource_dir", l.items[i].dir);
      krait_jw_obj_end(w);
    }
    krait_jw_obj_end(w);
    krait_jw_obj_end(w);
    cli_json_emit(&j);
  } else if (!l.len) {
    puts("no kernels found");
  } else {
    for (size_t i = 0; i < l.len; i++)
      printf("%-24s %-40s %s\n", l.items[i].name, l.items[i].dir,
             l.items[i].env_prefix ? l.items[i].env_prefix : "-");
  }
  krait_kernel_list_free(&l);
  krait_strv_free(&dirs);
  return 0;
}

static int do_remove(const kernel_opts *o, krait_err *err) {
  if (!o->positional) {
    krait_err_set(err, KRAIT_E_INVALID, "krait kernel remove needs the kernel's name (see krait kernel list)");
    return 1;
  }
  char *dir = kernels_dir(o, NULL, err);
  if (!dir)
    return 1;
  int status = 1;
  char *kdir = krait_path_join(dir, o->positional);
  char *json = krait_path_join(kdir, "kernel.json");
  if (!krait_kernel_name_valid(o->positional) || !krait_path_exists(json)) {
    krait_err_set(err, KRAIT_E_NOTFOUND, "no kernel \"%s\" in %s", o->positional, dir);
  } else if (!o->yes && !isatty(STDIN_FILENO)) {
    krait_err_set(err, KRAIT_E_CANCELLED, "not removing kernel \"%s\" without confirmation: pass -y", o->positional);
  } else {
    bool go = o->yes;
    if (!go) {
      printf("Remove kernel \"%s\" (%s)? [y/N] ", o->positional, kdir);
      fflush(stdout);
      char answer[16] = "";
      go = fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
      if (!go)
        krait_err_set(err, KRAIT_E_CANCELLED, "kernel \"%s\" kept", o->positional);
    }
    if (go && !krait_kernel_remove(dir, o->positional, err)) {
      printf("removed kernel \"%s\" (%s)\n", o->positional, kdir);
      status = 0;
    }
  }
  free(json);
  free(kdir);
  free(dir);
  return status;
}

int krait_cmd_kernel(krait_ctx *ctx, int argc, char **argv) {
  if (argc < 2)
    return usage(stderr);
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
    return usage(stdout);
  krait_err err;
  krait_err_clear(&err);
  kernel_opts o;
  int st = parse(argc, argv, &o, &err);
  if (st >= 100)
    return 0;
  if (!st) {
    if (strcmp(argv[1], "install") == 0)
      st = do_install(ctx, &o, &err);
    else if (strcmp(argv[1], "list") == 0)
      st = do_list(&o, &err);
    else if (strcmp(argv[1], "remove") == 0)
      st = do_remove(&o, &err);
    else {
      krait_err_set(&err, KRAIT_E_INVALID, "unknown subcommand \"krait kernel %s\" (see krait kernel --help)",
                    argv[1]);
      st = 2;
    }
  }
  if (st && err.code) {
    cli_args a;
    memset(&a, 0, sizeof a);
    a.json = o.json;
    cli_fail(&a, &err);
  }
  return st;
}
